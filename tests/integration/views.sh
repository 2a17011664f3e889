#!/usr/bin/env bash
# The typed views return known values: records in each provider's real
# shape are written straight into a database, then read back through the
# views (and through export).
source "$(dirname "$0")/lib.sh"
db="$tmp/health.sqlite"
"$HS" --db "$db" init-db >/dev/null 2>&1
put() { # put PROVIDER RESOURCE ID START JSON
    sqlite3 "$db" "INSERT INTO records VALUES ('$1', '$2', '$3', '$4', NULL, NULL, '$5', '2026-01-01T00:00:00Z')"
}
v() { sqlite3 "$db" "$1"; }

put oura sleep s1 2024-03-02 '{"id":"s1","type":"long_sleep","day":"2024-03-02","bedtime_start":"2024-03-01T23:30:00+02:00","bedtime_end":"2024-03-02T07:00:00+02:00","total_sleep_duration":25200,"deep_sleep_duration":5400,"light_sleep_duration":14400,"rem_sleep_duration":5400,"awake_time":1800,"efficiency":93,"average_heart_rate":52.5,"lowest_heart_rate":44,"average_hrv":61}'
put oura sleep s2 2024-03-02 '{"id":"s2","type":"late_nap","day":"2024-03-02","bedtime_start":"2024-03-02T14:00:00+02:00","bedtime_end":"2024-03-02T14:30:00+02:00","total_sleep_duration":1500}'
put withings sleep_summary 77 2024-03-01T22:00:00Z '{"id":77,"startdate":1709330400,"enddate":1709359200,"date":"2024-03-02","data":{"lightsleepduration":14000,"deepsleepduration":6000,"remsleepduration":5000,"wakeupduration":1200,"hr_average":55,"hr_min":47}}'
put eightsleep trends 'u1:2024-03-02' 2024-03-02 '{"day":"2024-03-02","presenceStart":"2024-03-01T23:00:00.000Z","presenceEnd":"2024-03-02T07:00:00.000Z","presenceDuration":28800,"sleepDuration":25920,"deepDuration":5000,"lightDuration":15000,"remDuration":5920,"sleepQualityScore":{"heartRate":{"current":58},"hrv":{"current":40}}}'
check "v_sleep: an Oura night in UTC with durations in seconds" eq \
    "$(v "SELECT start_time, end_time, total_sleep_s, deep_s, light_s, rem_s, awake_s, efficiency_pct, hr_avg_bpm, hr_lowest_bpm, hrv_ms FROM v_sleep WHERE provider='oura'")" \
    "2024-03-01T21:30:00Z|2024-03-02T05:00:00Z|25200|5400|14400|5400|1800|93|52.5|44|61"
check "v_sleep: naps are not nights" eq "$(v "SELECT COUNT(*) FROM v_sleep WHERE provider='oura'")" 1
check "v_sleep: a Withings night from its summary" eq \
    "$(v "SELECT day, start_time, end_time, total_sleep_s, awake_s, efficiency_pct, hr_avg_bpm, hr_lowest_bpm FROM v_sleep WHERE provider='withings'")" \
    "2024-03-02|2024-03-01T22:00:00Z|2024-03-02T06:00:00Z|25000|1200|87.0|55|47"
check "v_sleep: an Eight Sleep night from its trend day" eq \
    "$(v "SELECT start_time, total_sleep_s, awake_s, efficiency_pct, hr_avg_bpm, hrv_ms FROM v_sleep WHERE provider='eightsleep'")" \
    "2024-03-01T23:00:00Z|25920|2880|90.0|58|40"

put oura daily_activity a1 2024-03-02 '{"id":"a1","day":"2024-03-02","steps":12345,"active_calories":456,"total_calories":2345,"medium_activity_time":1800,"high_activity_time":600,"equivalent_walking_distance":9876}'
put withings activity 2024-03-02 2024-03-02 '{"date":"2024-03-02","steps":8000,"distance":6100.5,"calories":300.25,"totalcalories":2100.75,"soft":3000,"moderate":1200,"intense":300}'
check "v_daily_activity: Oura and Withings days" eq \
    "$(v "SELECT provider, day, steps, active_calories_kcal, total_calories_kcal, active_time_s, distance_m FROM v_daily_activity ORDER BY provider")" \
    "oura|2024-03-02|12345|456|2345|2400|9876
withings|2024-03-02|8000|300.25|2100.75|1500|6100.5"

put hevy workouts h1 2024-03-02T17:00:00+00:00 '{"id":"h1","title":"Leg Day","start_time":"2024-03-02T17:00:00+00:00","end_time":"2024-03-02T18:15:30+00:00","exercises":[{"title":"Squat","sets":[{"weight_kg":100,"reps":5},{"weight_kg":100,"reps":5}]},{"title":"Pull Up","sets":[{"weight_kg":null,"reps":10},{"weight_kg":20.5,"reps":4}]}]}'
sqlite3 "$db" "UPDATE records SET end_time='2024-03-02T18:15:30+00:00' WHERE record_id='h1'"
put strava activities 12345678901 2024-03-03T07:00:00Z '{"id":12345678901,"name":"Morning Run","sport_type":"Run","start_date":"2024-03-03T07:00:00Z","elapsed_time":3600,"moving_time":3500,"distance":10012.5,"kilojoules":836.8}'
put oura workout w1 2024-03-04 '{"id":"w1","activity":"cycling","label":null,"start_datetime":"2024-03-04T10:00:00+01:00","end_datetime":"2024-03-04T11:00:00+01:00","distance":25000.0,"calories":600}'
put withings workouts 99 2024-03-05T08:00:00Z '{"id":99,"category":2,"startdate":1709625600,"enddate":1709627400,"data":{"calories":350,"distance":5000}}'
check "v_workouts: strength volume, run, ride and Withings run" eq \
    "$(v "SELECT provider, sport, start_time, end_time, duration_s, distance_m, calories_kcal, volume_kg FROM v_workouts ORDER BY start_time")" \
    "hevy|strength_training|2024-03-02T17:00:00Z|2024-03-02T18:15:30Z|4530|||1082.0
strava|Run|2024-03-03T07:00:00Z|2024-03-03T08:00:00Z|3600|10012.5|200.0|
oura|cycling|2024-03-04T09:00:00Z|2024-03-04T10:00:00Z|3600|25000.0|600|
withings|run|2024-03-05T08:00:00Z|2024-03-05T08:30:00Z|1800|5000|350|"

put withings measures 5001 2024-03-02T07:00:00Z '{"grpid":5001,"date":1709362800,"category":1,"measures":[{"value":72345,"type":1,"unit":-3},{"value":215,"type":6,"unit":-1},{"value":121,"type":10,"unit":0},{"value":79,"type":9,"unit":0},{"value":9999,"type":4242,"unit":-2}]}'
check "v_body: the unit exponent applied, one row per measure group" eq \
    "$(v "SELECT start_time, weight_kg, fat_ratio_pct, systolic_mmhg, diastolic_mmhg FROM v_body")" \
    "2024-03-02T07:00:00Z|72.345|21.5|121.0|79.0"
check "v_body_measures: type names, and unknown types kept by id" eq \
    "$(v "SELECT type_name || '=' || value || ' ' || COALESCE(unit, '?') FROM v_body_measures ORDER BY type_id")" \
    "weight=72.345 kg
fat_ratio=21.5 %
diastolic_blood_pressure=79.0 mmHg
systolic_blood_pressure=121.0 mmHg
type 4242=99.99 ?"

put withings measures 5002 2024-03-03T07:00:00Z '{"grpid":5002,"date":1709449200,"category":1,"measures":[{"value":81,"type":170,"unit":-1},{"value":1702,"type":226,"unit":0},{"value":36,"type":227,"unit":0},{"value":39,"type":155,"unit":0},{"value":17350,"type":168,"unit":-3},{"value":24870,"type":169,"unit":-3},{"value":72,"type":167,"unit":0}]}'
check "v_body: the newer Withings types as named columns" eq \
    "$(v "SELECT visceral_fat_index, basal_metabolic_rate_kcal, metabolic_age_years, vascular_age_years, extracellular_water_kg, intracellular_water_kg, nerve_health_score_us FROM v_body WHERE record_id='5002'")" \
    "8.1|1702.0|36.0|39.0|17.35|24.87|72.0"
check "v_body_measures: the newer types by name, with units" eq \
    "$(v "SELECT group_concat(type_name || ' ' || unit, ',') FROM (SELECT type_name, unit FROM v_body_measures WHERE record_id='5002' ORDER BY type_id)")" \
    "vascular_age years,nerve_health_score_feet uS,extracellular_water kg,intracellular_water kg,visceral_fat index,basal_metabolic_rate kcal,metabolic_age years"
sqlite3 "$db" "DELETE FROM records WHERE record_id='5002'"

put oura heartrate 2024-03-02T03:00:00+00:00 2024-03-02T03:00:00+00:00 '{"bpm":51,"source":"rest","timestamp":"2024-03-02T03:00:00+00:00"}'
put eightsleep intervals 'u1:i1' 2024-03-01T23:00:00.000Z '{"id":"i1","ts":"2024-03-01T23:00:00.000Z","timeseries":{"heartRate":[["2024-03-01T23:30:00.000Z",57.5],["2024-03-02T00:30:00.000Z",53]]}}'
check "v_heart_rate: Oura samples and Eight Sleep's per-night series" eq \
    "$(v "SELECT provider, start_time, bpm, source FROM v_heart_rate ORDER BY start_time")" \
    "eightsleep|2024-03-01T23:30:00Z|57.5|sleep
eightsleep|2024-03-02T00:30:00Z|53|sleep
oura|2024-03-02T03:00:00Z|51|rest"

check "export of a view round-trips through a CSV reader" eval \
    '"$HS" --db "$db" export v_workouts --output w.csv 2>/dev/null && python3 -c "
import csv
rows = list(csv.DictReader(open(\"w.csv\", newline=\"\")))
assert [r[\"provider\"] for r in rows] == [\"hevy\", \"strava\", \"oura\", \"withings\"], rows
assert rows[0][\"volume_kg\"] == \"1082.0\" and rows[1][\"name\"] == \"Morning Run\", rows
"'
check "export --since/--until filter a view by start time" eq \
    "$("$HS" --db "$db" export v_workouts --since 2024-03-03 --until 2024-03-04 --format jsonl 2>/dev/null | python3 -c 'import json,sys; print(",".join(json.loads(l)["provider"] for l in sys.stdin))')" "strava,oura"

for view in v_sleep v_daily_activity v_workouts v_body v_body_measures v_measure_types v_heart_rate; do
    check "export $view: every row back through a CSV reader, and as JSON Lines" eval \
        '"$HS" --db "$db" export $view --output $view.csv 2>/dev/null &&
         "$HS" --db "$db" export $view --format jsonl --output $view.jsonl 2>/dev/null &&
         [ "$(python3 -c "import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline=\"\")))))" $view.csv)" = "$(v "SELECT COUNT(*) FROM $view")" ] &&
         [ "$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)))" $view.jsonl)" = "$(v "SELECT COUNT(*) FROM $view")" ]'
done

# An older database (schema 1) gets the views on upgrade.
sqlite3 "$db" "DROP VIEW v_sleep; PRAGMA user_version = 1"
check "init-db upgrades an older database with the views" eval \
    '"$HS" --db "$db" init-db >/dev/null 2>&1 && [ "$(v "SELECT COUNT(*) FROM v_sleep")" = 3 ] && [ "$(v "PRAGMA user_version")" = "$(sed -n "s/^#define STORE_SCHEMA_VERSION //p" "$ROOT/src/store.h")" ]'
finish
