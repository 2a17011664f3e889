/* metadata: the Datasette metadata document (see metadata.h). */
#include "metadata.h"

#include <stdlib.h>
#include <string.h>

struct table_doc {
    const char *name, *title, *description;
    bool hidden;
};

/* A column's meaning; view NULL for every view with such a column. unit is
 * what the description says; pint the unit Datasette displays (its Pint
 * name), NULL where Pint's rendering would not help (seconds would show as
 * "25.2 ks", beats per minute is no Pint unit). */
struct column_doc {
    const char *view, *column, *description, *unit, *pint;
};

static const struct table_doc tables[] = {
    {"v_sleep", "Sleep",
     "One row per night and source: Oura long sleeps, Withings sleep "
     "summaries, Eight Sleep trend days."},
    {"v_daily_activity", "Daily activity",
     "One row per day and source (Oura, Withings): steps "
     "and calories."},
    {"v_workouts", "Workouts", "One row per workout from Hevy, Strava, Oura and Withings."},
    {"v_body", "Body measurements",
     "One row per Withings measure group: weight, composition, "
     "blood pressure and the rest, one column each."},
    {"v_body_measures", "Body measures",
     "One row per Withings measure, its unit exponent applied."},
    {"v_measure_types", "Withings measure types",
     "The Withings measure type ids, their names "
     "and units."},
    {"v_heart_rate", "Heart rate samples",
     "One row per sample: Oura's daytime and night heart "
     "rate, Eight Sleep's per-night series."},
    {"v_recovery", "Recovery",
     "One row per day and source: readiness or recovery score, HRV "
     "and resting heart rate."},
    {"records", "Records", "Every provider record as it came: its id, times and raw JSON payload."},
    {"sync_state", "Sync state", "Per provider and resource: where the next sync starts."},
    {"sync_runs", "Sync runs",
     "One row per resource run of a sync: when, how it ended, what "
     "changed."},
    {"oauth_tokens", "OAuth tokens", "Access and refresh tokens: secrets, hidden.", true},
    {NULL, NULL, NULL},
};

static const struct column_doc columns[] = {
    {NULL, "provider", "The source: oura, withings, hevy, strava, eightsleep, whoop.", NULL, NULL},
    {NULL, "record_id", "The provider's id of the record (records.record_id).", NULL, NULL},
    {NULL, "day", "The day the record belongs to, as the provider assigns it (YYYY-MM-DD).", NULL,
     NULL},
    {NULL, "start_time", "When it started, ISO 8601 UTC.", NULL, NULL},
    {NULL, "end_time", "When it ended, ISO 8601 UTC.", NULL, NULL},
    {"v_sleep", "total_sleep_s", "Time asleep: light + deep + REM.", "seconds", NULL},
    {"v_sleep", "deep_s", "Deep sleep.", "seconds", NULL},
    {"v_sleep", "light_s", "Light sleep.", "seconds", NULL},
    {"v_sleep", "rem_s", "REM sleep.", "seconds", NULL},
    {"v_sleep", "awake_s", "Time awake in bed.", "seconds", NULL},
    {"v_sleep", "efficiency_pct", "Time asleep as a share of time in bed.", "percent", "percent"},
    {"v_sleep", "hr_avg_bpm", "Average heart rate over the night.", "beats per minute", NULL},
    {"v_sleep", "hr_lowest_bpm", "Lowest heart rate of the night (Oura: resting heart rate).",
     "beats per minute", NULL},
    {"v_sleep", "hrv_ms", "Average heart-rate variability (RMSSD) over the night.", "milliseconds",
     NULL},
    {NULL, "steps", "Steps counted that day.", NULL, NULL},
    {NULL, "active_calories_kcal", "Calories burned by activity.", "kilocalories", "kcal"},
    {NULL, "total_calories_kcal", "Calories burned in all, resting included.", "kilocalories",
     "kcal"},
    {NULL, "active_time_s", "Time in moderate and vigorous activity.", "seconds", NULL},
    {NULL, "distance_m", "Distance covered.", "metres", "m"},
    {NULL, "sport", "The kind of workout as the provider names it (Hevy: strength_training).", NULL,
     NULL},
    {NULL, "name", "The workout's title; in v_measure_types the measure's name.", NULL, NULL},
    {NULL, "duration_s", "From start to end.", "seconds", NULL},
    {NULL, "calories_kcal", "Calories burned (Strava: from kilojoules when it has no calories).",
     "kilocalories", "kcal"},
    {NULL, "volume_kg", "Hevy strength volume: the sum of weight × reps over every set.",
     "kilograms", "kg"},
    {NULL, "type_id", "The Withings measure type id.", NULL, NULL},
    {NULL, "type_name", "The measure type's name.", NULL, NULL},
    {NULL, "value", "The measured value, in the row's unit.", NULL, NULL},
    {NULL, "unit", "The unit of the value.", NULL, NULL},
    {NULL, "weight_kg", "Body weight.", "kilograms", "kg"},
    {NULL, "fat_ratio_pct", "Body fat as a share of weight.", "percent", "percent"},
    {NULL, "fat_mass_kg", "Fat mass.", "kilograms", "kg"},
    {NULL, "fat_free_mass_kg", "Fat-free mass.", "kilograms", "kg"},
    {NULL, "muscle_mass_kg", "Muscle mass.", "kilograms", "kg"},
    {NULL, "bone_mass_kg", "Bone mass.", "kilograms", "kg"},
    {NULL, "hydration_kg", "Water in the body.", "kilograms", "kg"},
    {NULL, "systolic_mmhg", "Systolic blood pressure.", "millimetres of mercury", "mmHg"},
    {NULL, "diastolic_mmhg", "Diastolic blood pressure.", "millimetres of mercury", "mmHg"},
    {NULL, "heart_pulse_bpm", "Heart rate taken with the measurement.", "beats per minute", NULL},
    {NULL, "spo2_pct", "Blood oxygen saturation.", "percent", "percent"},
    {NULL, "body_temperature_c", "Body temperature.", "degrees Celsius", "degC"},
    {NULL, "skin_temperature_c", "Skin temperature.", "degrees Celsius", "degC"},
    {NULL, "pulse_wave_velocity_m_s", "Pulse wave velocity.", "metres per second", "m/s"},
    {NULL, "vo2max_ml_min_kg", "Estimated VO2 max.", "millilitres per minute per kilogram", NULL},
    {NULL, "height_m", "Height.", "metres", "m"},
    {NULL, "visceral_fat_index", "Visceral fat index (a number without a unit).", NULL, NULL},
    {NULL, "basal_metabolic_rate_kcal", "Basal metabolic rate.", "kilocalories per day", NULL},
    {NULL, "metabolic_age_years", "Metabolic age.", "years", NULL},
    {NULL, "vascular_age_years", "Vascular age.", "years", NULL},
    {NULL, "extracellular_water_kg", "Extracellular water.", "kilograms", "kg"},
    {NULL, "intracellular_water_kg", "Intracellular water.", "kilograms", "kg"},
    {NULL, "nerve_health_score_us", "Nerve health score (electrochemical skin conductance).",
     "microsiemens", NULL},
    {NULL, "bpm", "Heart rate.", "beats per minute", NULL},
    {NULL, "source", "What the sample was taken during (Oura: awake, rest, sleep, workout).", NULL,
     NULL},
    {NULL, "hrv_ms", "Heart-rate variability (RMSSD).", "milliseconds", NULL},
    {NULL, "resting_hr_bpm", "Resting heart rate.", "beats per minute", NULL},
    {NULL, "score", "The provider's readiness or recovery score, 0 to 100.", NULL, NULL},
    {NULL, "skin_temp_c", "Skin temperature (WHOOP; Oura reports only a deviation).",
     "degrees Celsius", "degC"},
    {"records", "resource", "The provider's collection: daily_sleep, workouts, ...", NULL, NULL},
    {"records", "source_updated_at", "When the provider last changed it, as it says.", NULL, NULL},
    {"records", "payload_json", "The record's raw JSON, as the provider sent it.", NULL, NULL},
    {"records", "fetched_at", "When health-sync last wrote it, ISO 8601 UTC.", NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* Units a column name ends in, for columns no entry above describes. */
static const struct {
    const char *suffix, *unit, *pint;
} suffixes[] = {
    {"_m_s", "metres per second", "m/s"},
    {"_ms", "milliseconds", NULL},
    {"_s", "seconds", NULL},
    {"_bpm", "beats per minute", NULL},
    {"_kg", "kilograms", "kg"},
    {"_kcal", "kilocalories", "kcal"},
    {"_pct", "percent", "percent"},
    {"_mmhg", "millimetres of mercury", "mmHg"},
    {"_c", "degrees Celsius", "degC"},
    {"_m", "metres", "m"},
    {"_years", "years", NULL},
};

const struct canned_query canned_queries[] = {
    {"sleep_per_month", "Average sleep per month, by provider",
     "SELECT provider, substr(day, 1, 7) AS month, ROUND(AVG(total_sleep_s) / 3600.0, 2) AS hours\n"
     "FROM v_sleep GROUP BY 1, 2 ORDER BY 2 DESC, 1;"},
    {"weight_per_week", "Weight trend: weekly average",
     "SELECT strftime('%Y-%W', start_time) AS week, ROUND(AVG(weight_kg), 1) AS kg\n"
     "FROM v_body WHERE weight_kg IS NOT NULL GROUP BY 1 ORDER BY 1;"},
    {"strength_and_running", "Strength volume per week next to running distance",
     "SELECT strftime('%Y-%W', start_time) AS week,\n"
     "       SUM(CASE WHEN provider = 'hevy' THEN volume_kg END) AS lifted_kg,\n"
     "       SUM(CASE WHEN sport = 'Run' THEN distance_m END) / 1000.0 AS run_km\n"
     "FROM v_workouts GROUP BY 1 ORDER BY 1;"},
    {NULL, NULL, NULL},
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

static const struct column_doc *find_column(const char *table, const char *column)
{
    const struct column_doc *any = NULL;
    for (const struct column_doc *c = columns; c->column; c++)
        if (!strcmp(c->column, column)) {
            if (c->view && !strcmp(c->view, table))
                return c;
            if (!c->view && !any)
                any = c;
        }
    return any;
}

struct build {
    json_t *tables;
    const char *table;
    json_t *descriptions, *units;
};

static void describe_column(struct build *b, const char *column)
{
    const struct column_doc *doc = find_column(b->table, column);
    const char *text = doc ? doc->description : NULL;
    const char *unit = doc ? doc->unit : NULL, *pint = doc ? doc->pint : NULL;
    for (size_t i = 0; !doc && i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with(column, suffixes[i].suffix)) {
            unit = suffixes[i].unit, pint = suffixes[i].pint;
            break;
        }
    char *words = strdup(column);
    if (!words)
        return;
    for (char *p = words; *p; p++)
        if (*p == '_')
            *p = ' ';
    const char *what = text ? text : words;
    size_t len = strlen(what) - (what[0] && what[strlen(what) - 1] == '.');
    json_t *d = unit ? json_sprintf("%.*s, in %s.", (int)len, what, unit) : json_string(what);
    free(words);
    json_object_set_new(b->descriptions, column, d);
    if (pint)
        json_object_set_new(b->units, column, json_string(pint));
}

static int add_column(void *arg, const struct cell *cells, int n)
{
    if (n >= 1 && cells[0].text)
        describe_column(arg, cells[0].text);
    return 0;
}

static int add_name(void *arg, const struct cell *cells, int n)
{
    if (n >= 1 && cells[0].text)
        json_array_append_new(arg, json_string(cells[0].text));
    return 0;
}

static void begin_table(struct build *b, const char *name)
{
    const struct table_doc *doc = NULL;
    for (const struct table_doc *t = tables; t->name && !doc; t++)
        if (!strcmp(t->name, name))
            doc = t;
    json_t *t = json_object();
    json_object_set_new(t, "title", json_string(doc ? doc->title : name));
    json_object_set_new(t, "description",
                        json_string(doc ? doc->description : "A view over the records."));
    if (doc && doc->hidden)
        json_object_set_new(t, "hidden", json_true());
    b->table = name;
    b->descriptions = json_object();
    b->units = json_object();
    json_object_set_new(b->tables, name, t);
}

json_t *metadata_build(struct store *s, const char *db_name, struct hs_error *err)
{
    json_t *root = json_object(), *db = json_object(), *queries = json_object();
    struct build b = {.tables = json_object()};
    /* Tables and views, then each one's columns (read before the next
     * statement: store_each_row takes one at a time). */
    json_t *names = json_array();
    if (store_each_row(s,
                       "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                       " AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name",
                       NULL, 0, add_name, names, err) < 0) {
        json_decref(names), json_decref(root), json_decref(db), json_decref(queries);
        json_decref(b.tables);
        return NULL;
    }
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name)
    {
        begin_table(&b, json_string_value(name));
        const char *params[] = {b.table};
        if (store_each_row(s, "SELECT name FROM pragma_table_info(?1)", params, 1, add_column, &b,
                           err) < 0)
            break;
        json_t *t = json_object_get(b.tables, b.table);
        json_object_set_new(t, "columns", b.descriptions);
        if (json_object_size(b.units))
            json_object_set_new(t, "units", b.units);
        else
            json_decref(b.units);
    }
    for (const struct canned_query *q = canned_queries; q->name; q++)
        json_object_set_new(queries, q->name,
                            json_pack("{s:s, s:s}", "title", q->title, "sql", q->sql));
    json_object_set_new(db, "title", json_string("health-sync"));
    json_object_set_new(db, "description",
                        json_string("Health data synced by health-sync from Oura, Withings, Hevy, "
                                    "Strava, Eight Sleep and WHOOP. Times are ISO 8601 UTC, days "
                                    "YYYY-MM-DD, units in the column names."));
    json_object_set_new(db, "tables", b.tables);
    json_object_set_new(db, "queries", queries);
    json_object_set_new(root, "title", json_string("Health data"));
    json_object_set_new(root, "description",
                        json_string("Synced by health-sync into a SQLite file you control."));
    json_object_set_new(root, "databases", json_pack("{s:o}", db_name, db));
    json_decref(names);
    if (err->kind != HS_OK) {
        json_decref(root);
        return NULL;
    }
    return root;
}
