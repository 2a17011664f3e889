/* views: typed SQL views over the raw records, so that people can query
 * nights, days, workouts, body measurements and heart rate without knowing
 * five providers' JSON.  Units are in the column names; times are ISO 8601
 * UTC ("2024-01-02T03:04:05Z"), days "YYYY-MM-DD".  Created by init-db and
 * by the upgrade of an older database (store.c). */
#include "views.h"

#include <stddef.h>

/* ISO UTC from any time text SQLite understands (offsets included). */
#define ISO(x) "strftime('%Y-%m-%dT%H:%M:%SZ', " x ")"
/* ISO UTC from epoch seconds. */
#define ISO_EPOCH(x) "strftime('%Y-%m-%dT%H:%M:%SZ', " x ", 'unixepoch')"
#define J(path) "json_extract(payload_json, '" path "')"
/* An Oura sleep document (of the table aliased t) that is the night's main sleep. */
#define OURA_MAIN_SLEEP(t) "COALESCE(json_extract(" t ".payload_json, '$.type'), 'long_sleep') = 'long_sleep'"
/* The local date of a WHOOP time x in the record whose payload is p: its
 * timezone_offset ("+hh:mm", "-hh:mm" or "Z") applied. */
#define WHOOP_TZ(p) "json_extract(" p ", '$.timezone_offset')"
#define WHOOP_LOCAL_DATE(p, x)                                                                   \
    "CASE WHEN COALESCE(" WHOOP_TZ(p) ", 'Z') = 'Z' THEN date(" x ") ELSE date(" x ","           \
    " substr(" WHOOP_TZ(p) ", 1, 3) || ' hours',"                                                \
    " substr(" WHOOP_TZ(p) ", 1, 1) || substr(" WHOOP_TZ(p) ", 5, 2) || ' minutes') END"
/* Apple Health: a sample's value and unit, converted to the views' units. */
#define AH_VALUE J("$.value")
#define AH_KG(v, u)                                                                             \
    "ROUND(CASE " u " WHEN 'kg' THEN " v " WHEN 'lb' THEN " v " * 0.45359237"                 \
    " WHEN 'g' THEN " v " / 1000.0 WHEN 'st' THEN " v " * 6.35029318 END, 2)"
#define AH_M(v, u)                                                                              \
    "(CASE " u " WHEN 'm' THEN " v " WHEN 'km' THEN " v " * 1000 WHEN 'cm' THEN " v " / 100.0"  \
    " WHEN 'mi' THEN " v " * 1609.344 WHEN 'yd' THEN " v " * 0.9144 WHEN 'ft' THEN " v          \
    " * 0.3048 WHEN 'in' THEN " v " * 0.0254 END)"
#define AH_KCAL(v, u)                                                                           \
    "(CASE " u " WHEN 'kJ' THEN " v " / 4.184 WHEN 'J' THEN " v " / 4184.0 ELSE " v " END)"
/* A workout statistic's field: the first statistic whose type matches. */
#define AH_STAT(field, type_like)                                                               \
    "(SELECT json_extract(s.value, '$." field "') FROM json_each(payload_json, '$.statistics') s" \
    " WHERE json_extract(s.value, '$.type') LIKE '" type_like "' LIMIT 1)"
/* A blood-pressure correlation's member value. */
#define AH_MEMBER(type)                                                                         \
    "(SELECT json_extract(m.value, '$.value') FROM json_each(payload_json, '$.records') m"      \
    " WHERE json_extract(m.value, '$.type') = 'HKQuantityTypeIdentifier" type "')"
/* The local day an Apple Health sample starts on, as the export wrote it. */
#define AH_DAY "substr(" J("$.startDate") ", 1, 10)"

const char views_sql[] =
    /* ---- one row per night ---- */
    "DROP VIEW IF EXISTS v_sleep;"
    "CREATE VIEW v_sleep AS"
    " SELECT 'oura' AS provider, record_id, " J("$.day") " AS day,"
    "  " ISO(J("$.bedtime_start")) " AS start_time, " ISO(J("$.bedtime_end")) " AS end_time,"
    "  " J("$.total_sleep_duration") " AS total_sleep_s, " J("$.deep_sleep_duration") " AS deep_s,"
    "  " J("$.light_sleep_duration") " AS light_s, " J("$.rem_sleep_duration") " AS rem_s,"
    "  " J("$.awake_time") " AS awake_s, " J("$.efficiency") " AS efficiency_pct,"
    "  " J("$.average_heart_rate") " AS hr_avg_bpm, " J("$.lowest_heart_rate") " AS hr_lowest_bpm,"
    "  " J("$.average_hrv") " AS hrv_ms"
    " FROM records WHERE provider = 'oura' AND resource = 'sleep'"
    "  AND COALESCE(" J("$.type") ", 'long_sleep') = 'long_sleep'"
    " UNION ALL"
    " SELECT 'withings', record_id, " J("$.date") ","
    "  " ISO_EPOCH(J("$.startdate")) ", " ISO_EPOCH(J("$.enddate")) ","
    "  " J("$.data.lightsleepduration") " + " J("$.data.deepsleepduration") " + "
    J("$.data.remsleepduration") ","
    "  " J("$.data.deepsleepduration") ", " J("$.data.lightsleepduration") ", "
    J("$.data.remsleepduration") ", " J("$.data.wakeupduration") ","
    "  ROUND(100.0 * (" J("$.data.lightsleepduration") " + " J("$.data.deepsleepduration") " + "
    J("$.data.remsleepduration") ") / NULLIF(" J("$.enddate") " - " J("$.startdate") ", 0)),"
    "  " J("$.data.hr_average") ", " J("$.data.hr_min") ", NULL"
    " FROM records WHERE provider = 'withings' AND resource = 'sleep_summary'"
    " UNION ALL"
    " SELECT 'eightsleep', record_id, " J("$.day") ","
    "  " ISO(J("$.presenceStart")) ", " ISO(J("$.presenceEnd")) ","
    "  " J("$.sleepDuration") ", " J("$.deepDuration") ", " J("$.lightDuration") ", "
    J("$.remDuration") ","
    "  " J("$.presenceDuration") " - " J("$.sleepDuration") ","
    "  ROUND(100.0 * " J("$.sleepDuration") " / NULLIF(" J("$.presenceDuration") ", 0)),"
    "  " J("$.sleepQualityScore.heartRate.current") ", NULL, "
    J("$.sleepQualityScore.hrv.current")
    " FROM records WHERE provider = 'eightsleep' AND resource = 'trends'"
    "  AND " J("$.sleepDuration") " IS NOT NULL"
    /* Apple Health: the stages one source recorded for a night (the day
     * woken up on: a stage starting before noon belongs to that day's
     * night, one after noon to the next day's), summed. */
    " UNION ALL"
    " SELECT 'apple_health', night || ' ' || source, night, MIN(start_time), MAX(end_time),"
    "  SUM(CASE WHEN stage IN ('AsleepCore', 'AsleepDeep', 'AsleepREM', 'AsleepUnspecified',"
    "   'Asleep') THEN secs END),"
    "  SUM(CASE stage WHEN 'AsleepDeep' THEN secs END), SUM(CASE stage WHEN 'AsleepCore' THEN secs"
    " END),"
    "  SUM(CASE stage WHEN 'AsleepREM' THEN secs END), SUM(CASE stage WHEN 'Awake' THEN secs END),"
    "  ROUND(100.0 * SUM(CASE WHEN stage LIKE 'Asleep%' THEN secs END)"
    "   / NULLIF((julianday(MAX(end_time)) - julianday(MIN(start_time))) * 86400, 0)),"
    "  NULL, NULL, NULL"
    " FROM (SELECT start_time, end_time, " J("$.sourceName") " AS source,"
    "   date(substr(" J("$.startDate") ", 1, 19), '+12 hours') AS night,"
    "   substr(" J("$.value") ", 29) AS stage,"
    "   CAST(ROUND((julianday(end_time) - julianday(start_time)) * 86400) AS INTEGER) AS secs"
    "  FROM records WHERE provider = 'apple_health' AND resource = 'sleep_analysis')"
    " GROUP BY night, source HAVING SUM(CASE WHEN stage LIKE 'Asleep%' THEN secs END) > 0"
    /* WHOOP: scored main sleeps (naps left out), filed under the local day
     * woken up on; stage times are milliseconds. */
    " UNION ALL"
    " SELECT 'whoop', record_id, " WHOOP_LOCAL_DATE("payload_json", J("$.end")) ","
    "  " ISO(J("$.start")) ", " ISO(J("$.end")) ","
    "  (" J("$.score.stage_summary.total_light_sleep_time_milli") " + "
    J("$.score.stage_summary.total_slow_wave_sleep_time_milli") " + "
    J("$.score.stage_summary.total_rem_sleep_time_milli") ") / 1000,"
    "  " J("$.score.stage_summary.total_slow_wave_sleep_time_milli") " / 1000,"
    "  " J("$.score.stage_summary.total_light_sleep_time_milli") " / 1000,"
    "  " J("$.score.stage_summary.total_rem_sleep_time_milli") " / 1000,"
    "  " J("$.score.stage_summary.total_awake_time_milli") " / 1000,"
    "  ROUND(" J("$.score.sleep_efficiency_percentage") "), NULL, NULL, NULL"
    " FROM records WHERE provider = 'whoop' AND resource = 'sleep'"
    "  AND " J("$.nap") " = 0 AND " J("$.score_state") " = 'SCORED';"

    /* ---- daily activity ---- */
    "DROP VIEW IF EXISTS v_daily_activity;"
    "CREATE VIEW v_daily_activity AS"
    " SELECT 'oura' AS provider, record_id, " J("$.day") " AS day, " J("$.day") " AS start_time,"
    "  " J("$.steps") " AS steps, " J("$.active_calories") " AS active_calories_kcal,"
    "  " J("$.total_calories") " AS total_calories_kcal,"
    "  " J("$.medium_activity_time") " + " J("$.high_activity_time") " AS active_time_s,"
    "  " J("$.equivalent_walking_distance") " AS distance_m"
    " FROM records WHERE provider = 'oura' AND resource = 'daily_activity'"
    " UNION ALL"
    " SELECT 'withings', record_id, " J("$.date") ", " J("$.date") ", " J("$.steps") ","
    "  " J("$.calories") ", " J("$.totalcalories") ","
    "  " J("$.moderate") " + " J("$.intense") ", " J("$.distance")
    " FROM records WHERE provider = 'withings' AND resource = 'activity'"
    /* Apple Health: per local day, the source that counted most (phone
     * and watch both count the same steps; the Health app shows one), the
     * exercise minutes and, without energy samples, the energy of the
     * day's activity summary. */
    " UNION ALL"
    " SELECT 'apple_health', d.day, d.day, d.day, d.steps,"
    "  COALESCE(d.kcal, (SELECT " AH_KCAL("json_extract(a.payload_json, '$.activeEnergyBurned')",
    "json_extract(a.payload_json, '$.activeEnergyBurnedUnit')") " FROM records a"
    "   WHERE a.provider = 'apple_health' AND a.resource = 'activity_summaries'"
    "   AND a.record_id = d.day)),"
    "  NULL,"
    "  (SELECT json_extract(a.payload_json, '$.appleExerciseTime') * 60 FROM records a"
    "   WHERE a.provider = 'apple_health' AND a.resource = 'activity_summaries'"
    "   AND a.record_id = d.day),"
    "  d.distance"
    " FROM (SELECT day, MAX(CASE resource WHEN 'step_count' THEN total END) AS steps,"
    "   ROUND(MAX(CASE resource WHEN 'active_energy_burned' THEN total END), 1) AS kcal,"
    "   ROUND(MAX(CASE resource WHEN 'distance_walking_running' THEN total END)) AS distance"
    "  FROM (SELECT resource, day, source, SUM(v) AS total FROM"
    "    (SELECT resource, " AH_DAY " AS day, " J("$.sourceName") " AS source,"
    "      CASE resource WHEN 'active_energy_burned' THEN " AH_KCAL(AH_VALUE, J("$.unit"))
    "       WHEN 'distance_walking_running' THEN " AH_M(AH_VALUE, J("$.unit"))
    "       ELSE " AH_VALUE " END AS v"
    "     FROM records WHERE provider = 'apple_health'"
    "     AND resource IN ('step_count', 'active_energy_burned', 'distance_walking_running'))"
    "   GROUP BY resource, day, source)"
    "  GROUP BY day) d;"

    /* ---- workouts ---- */
    "DROP VIEW IF EXISTS v_workouts;"
    "CREATE VIEW v_workouts AS"
    " SELECT 'hevy' AS provider, record_id, 'strength_training' AS sport, " J("$.title") " AS name,"
    "  " ISO("start_time") " AS start_time, " ISO("end_time") " AS end_time,"
    "  CAST(ROUND((julianday(end_time) - julianday(start_time)) * 86400) AS INTEGER) AS duration_s,"
    "  NULL AS distance_m, NULL AS calories_kcal,"
    "  (SELECT SUM(json_extract(s.value, '$.weight_kg') * json_extract(s.value, '$.reps'))"
    "   FROM json_each(" J("$.exercises") ") e, json_each(e.value, '$.sets') s) AS volume_kg"
    " FROM records WHERE provider = 'hevy' AND resource = 'workouts'"
    " UNION ALL"
    " SELECT 'strava', record_id, COALESCE(" J("$.sport_type") ", " J("$.type") "), " J("$.name") ","
    "  " ISO(J("$.start_date")) ","
    "  strftime('%Y-%m-%dT%H:%M:%SZ', " J("$.start_date") ", '+' || " J("$.elapsed_time")
    " || ' seconds'),"
    "  " J("$.elapsed_time") ", " J("$.distance") ","
    "  COALESCE(" J("$.calories") ", ROUND(" J("$.kilojoules") " / 4.184)), NULL"
    " FROM records WHERE provider = 'strava' AND resource = 'activities'"
    " UNION ALL"
    " SELECT 'oura', record_id, " J("$.activity") ", " J("$.label") ","
    "  " ISO(J("$.start_datetime")) ", " ISO(J("$.end_datetime")) ","
    "  CAST(ROUND((julianday(" J("$.end_datetime") ") - julianday(" J("$.start_datetime")
    ")) * 86400) AS INTEGER),"
    "  " J("$.distance") ", " J("$.calories") ", NULL"
    " FROM records WHERE provider = 'oura' AND resource = 'workout'"
    " UNION ALL"
    " SELECT 'withings', record_id,"
    "  CASE " J("$.category") " WHEN 1 THEN 'walk' WHEN 2 THEN 'run' WHEN 3 THEN 'hiking'"
    "   WHEN 6 THEN 'cycling' WHEN 7 THEN 'swimming' WHEN 16 THEN 'weights'"
    "   WHEN 28 THEN 'yoga' WHEN 187 THEN 'rowing' WHEN 188 THEN 'zumba'"
    "   ELSE 'category ' || " J("$.category") " END, NULL,"
    "  " ISO_EPOCH(J("$.startdate")) ", " ISO_EPOCH(J("$.enddate")) ","
    "  " J("$.enddate") " - " J("$.startdate") ", " J("$.data.distance") ", "
    J("$.data.calories") ", NULL"
    " FROM records WHERE provider = 'withings' AND resource = 'workouts'"
    /* Apple Health: totals as attributes (exports before iOS 16) or as the
     * workout's statistics (later ones). */
    " UNION ALL"
    " SELECT 'apple_health', record_id, substr(" J("$.workoutActivityType") ", 22), NULL,"
    "  start_time, end_time,"
    "  CAST(ROUND((julianday(end_time) - julianday(start_time)) * 86400) AS INTEGER),"
    "  ROUND(COALESCE(" AH_M(J("$.totalDistance"), J("$.totalDistanceUnit")) ","
    "   " AH_M(AH_STAT("sum", "HKQuantityTypeIdentifierDistance%"),
             AH_STAT("unit", "HKQuantityTypeIdentifierDistance%")) "), 1),"
    "  ROUND(COALESCE(" AH_KCAL(J("$.totalEnergyBurned"), J("$.totalEnergyBurnedUnit")) ","
    "   " AH_KCAL(AH_STAT("sum", "HKQuantityTypeIdentifierActiveEnergyBurned"),
                AH_STAT("unit", "HKQuantityTypeIdentifierActiveEnergyBurned")) "), 1),"
    "  NULL"
    " FROM records WHERE provider = 'apple_health' AND resource = 'workouts'"
    " UNION ALL"
    " SELECT 'whoop', record_id, " J("$.sport_name") ", NULL,"
    "  " ISO(J("$.start")) ", " ISO(J("$.end")) ","
    "  CAST(ROUND((julianday(" J("$.end") ") - julianday(" J("$.start") ")) * 86400) AS INTEGER),"
    "  " J("$.score.distance_meter") ", ROUND(" J("$.score.kilojoule") " / 4.184), NULL"
    " FROM records WHERE provider = 'whoop' AND resource = 'workouts';"

    /* ---- one row per provider and day: how recovered the body is ---- */
    "DROP VIEW IF EXISTS v_recovery;"
    "CREATE VIEW v_recovery AS"
    /* Oura: a day with a readiness or a main sleep: the readiness score, the
     * night's HRV and lowest heart rate (its main sleep, filed under the same
     * day) and the day's SpO2.  Oura reports skin temperature only as a
     * deviation: no absolute value. */
    " SELECT 'oura' AS provider,"
    "  (SELECT r.record_id FROM records r WHERE r.provider = 'oura'"
    "   AND r.resource = 'daily_readiness' AND r.start_time = d.day LIMIT 1) AS record_id,"
    "  d.day AS day,"
    "  (SELECT json_extract(r.payload_json, '$.score') FROM records r WHERE r.provider = 'oura'"
    "   AND r.resource = 'daily_readiness' AND r.start_time = d.day LIMIT 1) AS score,"
    "  (SELECT json_extract(s.payload_json, '$.average_hrv') FROM records s"
    "   WHERE s.provider = 'oura' AND s.resource = 'sleep' AND s.start_time = d.day"
    "    AND " OURA_MAIN_SLEEP("s") " LIMIT 1) AS hrv_ms,"
    "  (SELECT json_extract(s.payload_json, '$.lowest_heart_rate') FROM records s"
    "   WHERE s.provider = 'oura' AND s.resource = 'sleep' AND s.start_time = d.day"
    "    AND " OURA_MAIN_SLEEP("s") " LIMIT 1) AS resting_hr_bpm,"
    "  (SELECT json_extract(o.payload_json, '$.spo2_percentage.average') FROM records o"
    "   WHERE o.provider = 'oura' AND o.resource = 'daily_spo2' AND o.start_time = d.day"
    "   LIMIT 1) AS spo2_pct,"
    "  NULL AS skin_temp_c"
    " FROM (SELECT DISTINCT start_time AS day FROM records d"
    "  WHERE d.provider = 'oura' AND (d.resource = 'daily_readiness'"
    "   OR (d.resource = 'sleep' AND " OURA_MAIN_SLEEP("d") "))) d"
    /* WHOOP: a scored recovery, filed under the local day its sleep ended. */
    " UNION ALL"
    " SELECT 'whoop', r.record_id,"
    "  COALESCE(" WHOOP_LOCAL_DATE("s.payload_json", "json_extract(s.payload_json, '$.end')") ","
    "   date(json_extract(r.payload_json, '$.created_at'))),"
    "  json_extract(r.payload_json, '$.score.recovery_score'),"
    "  json_extract(r.payload_json, '$.score.hrv_rmssd_milli'),"
    "  json_extract(r.payload_json, '$.score.resting_heart_rate'),"
    "  json_extract(r.payload_json, '$.score.spo2_percentage'),"
    "  json_extract(r.payload_json, '$.score.skin_temp_celsius')"
    " FROM records r LEFT JOIN records s ON s.provider = 'whoop' AND s.resource = 'sleep'"
    "  AND s.record_id = json_extract(r.payload_json, '$.sleep_id')"
    " WHERE r.provider = 'whoop' AND r.resource = 'recoveries'"
    "  AND json_extract(r.payload_json, '$.score_state') = 'SCORED';"

    /* ---- body measurements: Withings measure groups ---- */
    "DROP VIEW IF EXISTS v_measure_types;"
    "CREATE VIEW v_measure_types (type_id, name, unit) AS VALUES"
    " (1, 'weight', 'kg'), (4, 'height', 'm'), (5, 'fat_free_mass', 'kg'),"
    " (6, 'fat_ratio', '%'), (8, 'fat_mass', 'kg'), (9, 'diastolic_blood_pressure', 'mmHg'),"
    " (10, 'systolic_blood_pressure', 'mmHg'), (11, 'heart_pulse', 'bpm'),"
    " (12, 'temperature', 'C'), (54, 'spo2', '%'), (71, 'body_temperature', 'C'),"
    " (73, 'skin_temperature', 'C'), (76, 'muscle_mass', 'kg'), (77, 'hydration', 'kg'),"
    " (88, 'bone_mass', 'kg'), (91, 'pulse_wave_velocity', 'm/s'), (123, 'vo2max', 'ml/min/kg'),"
    " (130, 'atrial_fibrillation_ecg', NULL), (135, 'qrs_interval', 'ms'),"
    " (136, 'pr_interval', 'ms'), (137, 'qt_interval', 'ms'),"
    " (138, 'corrected_qt_interval', 'ms'), (139, 'atrial_fibrillation_ppg', NULL),"
    " (155, 'vascular_age', 'years'), (167, 'nerve_health_score_feet', 'uS'),"
    " (168, 'extracellular_water', 'kg'), (169, 'intracellular_water', 'kg'),"
    " (170, 'visceral_fat', 'index'), (173, 'fat_free_mass_segments', 'kg'),"
    " (174, 'fat_mass_segments', 'kg'), (175, 'muscle_mass_segments', 'kg'),"
    " (196, 'electrodermal_activity_feet', NULL), (226, 'basal_metabolic_rate', 'kcal'),"
    " (227, 'metabolic_age', 'years'), (229, 'electrochemical_skin_conductance', 'uS');"
    "DROP VIEW IF EXISTS v_body_measures;"
    "CREATE VIEW v_body_measures AS"
    " SELECT 'withings' AS provider, r.record_id, " ISO_EPOCH("json_extract(r.payload_json, '$.date')")
    " AS start_time,"
    "  json_extract(m.value, '$.type') AS type_id, COALESCE(t.name, 'type ' || json_extract(m.value,"
    " '$.type')) AS type_name,"
    "  ROUND(json_extract(m.value, '$.value') * power(10, json_extract(m.value, '$.unit')),"
    "   MAX(0, -json_extract(m.value, '$.unit'))) AS value,"
    "  t.unit AS unit"
    " FROM records r, json_each(r.payload_json, '$.measures') m"
    " LEFT JOIN v_measure_types t ON t.type_id = json_extract(m.value, '$.type')"
    " WHERE r.provider = 'withings' AND r.resource = 'measures';"
    "DROP VIEW IF EXISTS v_body;"
    "CREATE VIEW v_body AS"
    " SELECT provider, record_id, start_time,"
    "  MAX(CASE type_id WHEN 1 THEN value END) AS weight_kg,"
    "  MAX(CASE type_id WHEN 6 THEN value END) AS fat_ratio_pct,"
    "  MAX(CASE type_id WHEN 8 THEN value END) AS fat_mass_kg,"
    "  MAX(CASE type_id WHEN 5 THEN value END) AS fat_free_mass_kg,"
    "  MAX(CASE type_id WHEN 76 THEN value END) AS muscle_mass_kg,"
    "  MAX(CASE type_id WHEN 88 THEN value END) AS bone_mass_kg,"
    "  MAX(CASE type_id WHEN 77 THEN value END) AS hydration_kg,"
    "  MAX(CASE type_id WHEN 10 THEN value END) AS systolic_mmhg,"
    "  MAX(CASE type_id WHEN 9 THEN value END) AS diastolic_mmhg,"
    "  MAX(CASE type_id WHEN 11 THEN value END) AS heart_pulse_bpm,"
    "  MAX(CASE type_id WHEN 54 THEN value END) AS spo2_pct,"
    "  MAX(CASE type_id WHEN 71 THEN value END) AS body_temperature_c,"
    "  MAX(CASE type_id WHEN 73 THEN value END) AS skin_temperature_c,"
    "  MAX(CASE type_id WHEN 91 THEN value END) AS pulse_wave_velocity_m_s,"
    "  MAX(CASE type_id WHEN 123 THEN value END) AS vo2max_ml_min_kg,"
    "  MAX(CASE type_id WHEN 4 THEN value END) AS height_m,"
    "  MAX(CASE type_id WHEN 170 THEN value END) AS visceral_fat_index,"
    "  MAX(CASE type_id WHEN 226 THEN value END) AS basal_metabolic_rate_kcal,"
    "  MAX(CASE type_id WHEN 227 THEN value END) AS metabolic_age_years,"
    "  MAX(CASE type_id WHEN 155 THEN value END) AS vascular_age_years,"
    "  MAX(CASE type_id WHEN 168 THEN value END) AS extracellular_water_kg,"
    "  MAX(CASE type_id WHEN 169 THEN value END) AS intracellular_water_kg,"
    "  MAX(CASE type_id WHEN 167 THEN value END) AS nerve_health_score_us"
    " FROM v_body_measures GROUP BY provider, record_id, start_time"
    /* Apple Health: one sample a row (fractions of one as percentages). */
    " UNION ALL"
    " SELECT 'apple_health', record_id, start_time,"
    "  CASE resource WHEN 'body_mass' THEN " AH_KG(AH_VALUE, J("$.unit")) " END,"
    "  CASE resource WHEN 'body_fat_percentage' THEN ROUND(" AH_VALUE " * 100, 2) END, NULL,"
    "  CASE resource WHEN 'lean_body_mass' THEN " AH_KG(AH_VALUE, J("$.unit")) " END,"
    "  NULL, NULL, NULL,"
    "  CASE resource WHEN 'blood_pressure' THEN " AH_MEMBER("BloodPressureSystolic") " END,"
    "  CASE resource WHEN 'blood_pressure' THEN " AH_MEMBER("BloodPressureDiastolic") " END,"
    "  NULL,"
    "  CASE resource WHEN 'oxygen_saturation' THEN ROUND(" AH_VALUE " * 100, 1) END,"
    "  CASE resource WHEN 'body_temperature' THEN ROUND(CASE " J("$.unit") " WHEN 'degF' THEN"
    " (" AH_VALUE " - 32) / 1.8 ELSE " AH_VALUE " END, 2) END,"
    "  NULL, NULL,"
    "  CASE resource WHEN 'vo2_max' THEN " AH_VALUE " END,"
    "  CASE resource WHEN 'height' THEN ROUND(" AH_M(AH_VALUE, J("$.unit")) ", 3) END,"
    "  NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM records WHERE provider = 'apple_health' AND resource IN ('body_mass',"
    "  'body_fat_percentage', 'lean_body_mass', 'blood_pressure', 'oxygen_saturation',"
    "  'body_temperature', 'vo2_max', 'height');"

    /* ---- heart rate samples ---- */
    "DROP VIEW IF EXISTS v_heart_rate;"
    "CREATE VIEW v_heart_rate AS"
    " SELECT 'oura' AS provider, " ISO(J("$.timestamp")) " AS start_time, " J("$.bpm") " AS bpm,"
    "  " J("$.source") " AS source"
    " FROM records WHERE provider = 'oura' AND resource = 'heartrate'"
    " UNION ALL"
    " SELECT 'eightsleep', " ISO("json_extract(h.value, '$[0]')") ", json_extract(h.value, '$[1]'),"
    "  'sleep'"
    " FROM records r, json_each(r.payload_json, '$.timeseries.heartRate') h"
    " WHERE r.provider = 'eightsleep' AND r.resource = 'intervals'"
    " UNION ALL"
    " SELECT 'apple_health', start_time, " AH_VALUE ", " J("$.sourceName")
    " FROM records WHERE provider = 'apple_health' AND resource = 'heart_rate';";

const char *const view_names[] = {"v_sleep",          "v_daily_activity", "v_workouts",
                                  "v_measure_types",  "v_body_measures",  "v_body",
                                  "v_heart_rate",     "v_recovery",       NULL};
