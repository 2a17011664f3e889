/* fake/oura.c: the Oura Cloud API v2 (api.ouraring.com) and its OAuth2
 * endpoints, as documented in Oura's OpenAPI (v2, 1.2x-1.3x).
 *
 *   GET  /oauth/v2/ext/oauth-authorize   (moi.ouraring.com's path; the older
 *        /oauth/authorize too)   302 to redirect_uri?code=&state=&iss=<fake>/oauth-issuer
 *   POST /oauth/v2/ext/oauth-token       (and the older /oauth/token) HTTP Basic
 *                                client auth; authorization_code and refresh_token
 *                                grants; refresh tokens are single use
 *   GET  /oauth-issuer/.well-known/openid-configuration   names /oauth-issuer/token
 *   POST /oauth-issuer/token     the same token endpoint, found by discovery
 *   GET  /v2/usercollection/<collection>
 *
 * Collections answer {"data": [...], "next_token": null|"..."} (personal_info:
 * one object), 50 documents a page ordered by day (heart rate: --heartrate-page-size,
 * 100 by default),
 * filtered by start_date/end_date (inclusive; heart rate by start_datetime/
 * end_datetime, at most 30 days apart, else 400).  A token is granted the
 * scopes asked at authorize; a collection outside them answers 401 with a
 * `detail` naming the missing scope, an expired token 401 too.
 *
 * Admin actions (POST /_admin/oura/<action>):
 *   edit-day?resource=R&day=D     new values for R's documents of day D
 *   delete-day?resource=R&day=D   removes them (a sleep turns type "deleted")
 *   add-day?resource=R&day=D      one more document of R on day D
 *   expire-tokens                 every access token expires (refresh tokens live)
 *   issuer?enabled=0|1            whether authorize adds `iss` to the redirect
 *   order?newest=0|1              documents listed oldest first (as Oura does) or newest */
#include "fake.h"

#include "buf.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A personal access token the fake accepts with every scope (tests only). */
#define FAKE_OURA_PAT "fake-oura-SECRET-pat-4d2a"
#define PAGE_SIZE 50
#define HEARTRATE_MAX_SPAN (30 * 86400)
#define DAY 86400
#define LOCAL_OFFSET "+02:00" /* the user's zone; timestamps stay on the UTC date */

/* ---------------------------------------------------------------- documents */

struct doc {
    int coll;
    long day;   /* day index (0 = first day of history) */
    int serial; /* > 0 for documents added later */
    int version;
    bool gone;
    bool sleep_deleted; /* a sleep the user deleted: listed with type "deleted" */
};

typedef json_t *(*build_fn)(const struct doc *d, const char *id, uint64_t s);

struct collection {
    const char *name;
    const char *scope;
    double share;      /* of worn days that have one; 0 = none generated */
    bool by_start_day; /* filtered on start_day rather than day */
    build_fn build;
};

static struct doc *docs;
static size_t ndocs, capdocs;
static bool issuer_enabled = true;
static bool newest_first; /* admin oura/order: list documents in reverse day order */

static struct doc *doc_add(int coll, long day, int serial)
{
    if (ndocs == capdocs) {
        capdocs = capdocs ? capdocs * 2 : 4096;
        docs = realloc(docs, capdocs * sizeof *docs);
    }
    docs[ndocs] = (struct doc){.coll = coll, .day = day, .serial = serial};
    return &docs[ndocs++];
}

static bool day_worn(long d)
{
    uint64_t s = fake_hash((uint64_t)d, 0x0A1);
    return fake_uniform(&s) < fake_opt.density;
}

/* ---- value helpers: deterministic per document and version ---- */

static int pick(uint64_t *s, int lo, int hi)
{
    return lo + (int)(fake_rand(s) % (uint64_t)(hi - lo + 1));
}

static double pick_real(uint64_t *s, int lo, int hi, int decimals)
{
    double scale = decimals == 1 ? 10 : decimals == 2 ? 100 : 1000;
    return pick(s, (int)(lo * scale), (int)(hi * scale)) / scale;
}

static void day_date(long d, char out[16])
{
    fake_date(fake_day_start(d), out);
}

/* "YYYY-MM-DDTHH:MM:SS+02:00" for second `sec` of day d (sec may be negative). */
static json_t *local_time(long d, long sec)
{
    char iso[32], out[48];
    fake_iso(fake_day_start(d) + sec, iso);
    snprintf(out, sizeof out, "%.19s%s", iso, LOCAL_OFFSET);
    return json_string(out);
}

static json_t *day_timestamp(long d)
{
    return local_time(d, 0);
}

static json_t *sample(uint64_t *s, json_t *timestamp, double interval, int n, int lo, int hi)
{
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, i == 3 ? json_null() : json_integer(pick(s, lo, hi)));
    return json_pack("{s:f,s:o,s:o}", "interval", interval, "items", items, "timestamp", timestamp);
}

static json_t *met_sample(uint64_t *s, long d)
{
    json_t *items = json_array();
    for (int i = 0; i < 8; i++)
        json_array_append_new(items, json_real(pick_real(s, 0, 6, 1)));
    return json_pack("{s:f,s:o,s:o}", "interval", 60.0, "items", items, "timestamp",
                     local_time(d, 4 * 3600));
}

static char *digits(uint64_t *s, int n, char lo, char hi)
{
    static __thread char out[128];
    for (int i = 0; i < n && i < 127; i++)
        out[i] = (char)(lo + pick(s, 0, hi - lo));
    out[n < 127 ? n : 127] = '\0';
    return out;
}

/* ---- one builder per collection (field order as Oura sends them) ---- */

static json_t *build_daily_activity(const struct doc *d, const char *id, uint64_t s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "class_5_min", json_string(digits(&s, 48, '0', '5')));
    json_object_set_new(o, "score", json_integer(pick(&s, 55, 99)));
    json_object_set_new(o, "active_calories", json_integer(pick(&s, 100, 900)));
    json_object_set_new(o, "average_met_minutes", json_real(pick_real(&s, 1, 3, 3)));
    json_object_set_new(o, "contributors",
                        json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "meet_daily_targets",
                                  pick(&s, 1, 100), "move_every_hour", pick(&s, 1, 100),
                                  "recovery_time", pick(&s, 1, 100), "stay_active",
                                  pick(&s, 1, 100), "training_frequency", pick(&s, 1, 100),
                                  "training_volume", pick(&s, 1, 100)));
    json_object_set_new(o, "equivalent_walking_distance", json_integer(pick(&s, 2000, 15000)));
    json_object_set_new(o, "high_activity_met_minutes", json_integer(pick(&s, 0, 60)));
    json_object_set_new(o, "high_activity_time", json_integer(pick(&s, 0, 3600)));
    json_object_set_new(o, "inactivity_alerts", json_integer(pick(&s, 0, 3)));
    json_object_set_new(o, "low_activity_met_minutes", json_integer(pick(&s, 50, 300)));
    json_object_set_new(o, "low_activity_time", json_integer(pick(&s, 3600, 20000)));
    json_object_set_new(o, "medium_activity_met_minutes", json_integer(pick(&s, 0, 200)));
    json_object_set_new(o, "medium_activity_time", json_integer(pick(&s, 0, 7200)));
    json_object_set_new(o, "met", met_sample(&s, d->day));
    json_object_set_new(o, "meters_to_target", json_integer(pick(&s, -2000, 6000)));
    json_object_set_new(o, "non_wear_time", json_integer(pick(&s, 0, 7200)));
    json_object_set_new(o, "resting_time", json_integer(pick(&s, 20000, 40000)));
    json_object_set_new(o, "sedentary_met_minutes", json_integer(pick(&s, 10, 60)));
    json_object_set_new(o, "sedentary_time", json_integer(pick(&s, 10000, 40000)));
    json_object_set_new(o, "steps", json_integer(pick(&s, 1500, 22000)));
    json_object_set_new(o, "target_calories", json_integer(500));
    json_object_set_new(o, "target_meters", json_integer(10000));
    json_object_set_new(o, "total_calories", json_integer(pick(&s, 1800, 3500)));
    char day[16];
    day_date(d->day, day);
    json_object_set_new(o, "day", json_string(day));
    json_object_set_new(o, "timestamp", local_time(d->day, 4 * 3600));
    return o;
}

static json_t *build_daily_sleep(const struct doc *d, const char *id, uint64_t s)
{
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:{s:i,s:i,s:i,s:i,s:i,s:i,s:i},s:s,s:i,s:o}", "id", id, "contributors",
                     "deep_sleep", pick(&s, 1, 100), "efficiency", pick(&s, 1, 100), "latency",
                     pick(&s, 1, 100), "rem_sleep", pick(&s, 1, 100), "restfulness",
                     pick(&s, 1, 100), "timing", pick(&s, 1, 100), "total_sleep", pick(&s, 1, 100),
                     "day", day, "score", pick(&s, 50, 98), "timestamp", day_timestamp(d->day));
}

static json_t *readiness_contributors(uint64_t *s)
{
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "activity_balance", pick(s, 1, 100),
                     "body_temperature", pick(s, 1, 100), "hrv_balance", pick(s, 1, 100),
                     "previous_day_activity", pick(s, 1, 100), "previous_night", pick(s, 1, 100),
                     "recovery_index", pick(s, 1, 100), "resting_heart_rate", pick(s, 1, 100),
                     "sleep_balance", pick(s, 1, 100), "sleep_regularity", pick(s, 1, 100));
}

static json_t *build_daily_readiness(const struct doc *d, const char *id, uint64_t s)
{
    char day[16];
    day_date(d->day, day);
    return json_pack(
        "{s:s,s:o,s:s,s:i,s:f,s:f,s:o}", "id", id, "contributors", readiness_contributors(&s),
        "day", day, "score", pick(&s, 50, 98), "temperature_deviation", pick_real(&s, -1, 1, 2),
        "temperature_trend_deviation", pick_real(&s, -1, 1, 2), "timestamp", day_timestamp(d->day));
}

/* A night filed under the day it ends: bed the evening before. */
static json_t *build_sleep(const struct doc *d, const char *id, uint64_t s)
{
    long bed = -3600 + pick(&s, 0, 5400) - (d->serial ? 36000 : 0);
    long wake = 7 * 3600 + pick(&s, 0, 3600) - (d->serial ? 36000 : 0);
    char day[16];
    day_date(d->day, day);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "average_breath", json_real(pick_real(&s, 12, 18, 3)));
    json_object_set_new(o, "average_heart_rate", json_real(pick_real(&s, 48, 70, 3)));
    json_object_set_new(o, "average_hrv", json_integer(pick(&s, 20, 90)));
    json_object_set_new(o, "awake_time", json_integer(pick(&s, 600, 4000)));
    json_object_set_new(o, "bedtime_end", local_time(d->day, wake));
    json_object_set_new(o, "bedtime_start", local_time(d->day, bed));
    json_object_set_new(o, "day", json_string(day));
    json_object_set_new(o, "deep_sleep_duration", json_integer(pick(&s, 2000, 8000)));
    json_object_set_new(o, "efficiency", json_integer(pick(&s, 70, 98)));
    json_object_set_new(o, "heart_rate", sample(&s, local_time(d->day, bed), 300.0, 8, 45, 70));
    json_object_set_new(o, "hrv", sample(&s, local_time(d->day, bed), 300.0, 8, 15, 110));
    json_object_set_new(o, "latency", json_integer(pick(&s, 60, 1800)));
    json_object_set_new(o, "light_sleep_duration", json_integer(pick(&s, 8000, 16000)));
    json_object_set_new(o, "low_battery_alert", json_false());
    json_object_set_new(o, "lowest_heart_rate", json_integer(pick(&s, 40, 55)));
    json_object_set_new(o, "movement_30_sec", json_string(digits(&s, 40, '1', '4')));
    json_object_set_new(o, "period", json_integer(d->serial));
    json_object_set_new(o, "readiness",
                        json_pack("{s:o,s:i,s:f,s:f}", "contributors", readiness_contributors(&s),
                                  "score", pick(&s, 50, 98), "temperature_deviation",
                                  pick_real(&s, -1, 1, 2), "temperature_trend_deviation",
                                  pick_real(&s, -1, 1, 2)));
    json_object_set_new(o, "readiness_score_delta", json_integer(pick(&s, -3, 3)));
    json_object_set_new(o, "rem_sleep_duration", json_integer(pick(&s, 3000, 9000)));
    json_object_set_new(o, "restless_periods", json_integer(pick(&s, 50, 300)));
    json_object_set_new(o, "sleep_phase_5_min", json_string(digits(&s, 40, '1', '4')));
    json_object_set_new(o, "sleep_score_delta", json_integer(pick(&s, -3, 3)));
    json_object_set_new(o, "sleep_algorithm_version", json_string("v2"));
    json_object_set_new(o, "time_in_bed", json_integer(wake - bed));
    json_object_set_new(o, "total_sleep_duration", json_integer(pick(&s, 18000, 30000)));
    json_object_set_new(o, "type",
                        json_string(d->sleep_deleted ? "deleted"
                                    : d->serial      ? "late_nap"
                                                     : "long_sleep"));
    return o;
}

static json_t *build_workout(const struct doc *d, const char *id, uint64_t s)
{
    static const char *const activities[] = {"running", "cycling", "walking", "yoga", "hiking"};
    static const char *const intensities[] = {"hard", "moderate", "easy", "moderate", "moderate"};
    static const char *const labels[] = {"Course du matin", "Vélo au bord du lac", NULL,
                                         "Yoga 🧘", NULL};
    int k = pick(&s, 0, 4);
    long start = 17 * 3600 + pick(&s, 0, 7200);
    char day[16];
    day_date(d->day, day);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "activity", json_string(activities[k]));
    json_object_set_new(o, "calories", json_real(pick_real(&s, 80, 900, 1)));
    json_object_set_new(o, "day", json_string(day));
    json_object_set_new(o, "distance",
                        k == 3 ? json_null() : json_real(pick_real(&s, 500, 20000, 1)));
    json_object_set_new(o, "end_datetime", local_time(d->day, start + pick(&s, 1200, 5400)));
    json_object_set_new(o, "intensity", json_string(intensities[k]));
    json_object_set_new(o, "label", labels[k] ? json_string(labels[k]) : json_null());
    json_object_set_new(o, "source", json_string(k == 1 ? "manual" : "autodetected"));
    json_object_set_new(o, "start_datetime", local_time(d->day, start));
    return o;
}

static json_t *build_session(const struct doc *d, const char *id, uint64_t s)
{
    static const char *const types[] = {"breathing", "meditation", "relaxation", "rest"};
    static const char *const moods[] = {"bad", "worse", "same", "good", "great"};
    long start = 12 * 3600 + pick(&s, 0, 3600);
    char day[16];
    day_date(d->day, day);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "day", json_string(day));
    json_object_set_new(o, "start_datetime", local_time(d->day, start));
    json_object_set_new(o, "end_datetime", local_time(d->day, start + 600));
    json_object_set_new(o, "type", json_string(types[pick(&s, 0, 3)]));
    json_object_set_new(o, "heart_rate", sample(&s, local_time(d->day, start), 5.0, 6, 50, 80));
    json_object_set_new(o, "heart_rate_variability", json_null());
    json_object_set_new(o, "mood", json_string(moods[pick(&s, 0, 4)]));
    json_object_set_new(o, "motion_count", sample(&s, local_time(d->day, start), 5.0, 6, 0, 4));
    return o;
}

static json_t *build_tag(const struct doc *d, const char *id, uint64_t s)
{
    static const char *const texts[] = {"Café tard ☕", "Dîner copieux", "Migraine 🤕",
                                        "Sauna — 20 min"};
    static const char *const tags[] = {"tag_generic_caffeine", "tag_generic_late_meal",
                                       "tag_generic_headache", "tag_generic_sauna"};
    int k = pick(&s, 0, 3);
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:s,s:s,s:o,s:[s]}", "id", id, "day", day, "text", texts[k], "timestamp",
                     local_time(d->day, 20 * 3600 + pick(&s, 0, 3000)), "tags", tags[k]);
}

static json_t *build_enhanced_tag(const struct doc *d, const char *id, uint64_t s)
{
    static const char *const codes[] = {"tag_generic_alcohol", "tag_generic_nocturnal_eating",
                                        "custom"};
    int k = pick(&s, 0, 2);
    long start = 19 * 3600 + pick(&s, 0, 3600);
    char day[16];
    day_date(d->day, day);
    bool span = k == 0;
    return json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o}", "id", id, "tag_type_code", codes[k],
                     "start_time", local_time(d->day, start), "end_time",
                     span ? local_time(d->day, start + 3600) : json_null(), "start_day", day,
                     "end_day", span ? json_string(day) : json_null(), "comment",
                     k == 1 ? json_string("Grignotage à minuit 🍫") : json_null(), "custom_name",
                     k == 2 ? json_string("Étirements") : json_null());
}

static json_t *build_daily_spo2(const struct doc *d, const char *id, uint64_t s)
{
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:s,s:{s:f},s:i}", "id", id, "day", day, "spo2_percentage", "average",
                     pick_real(&s, 94, 99, 3), "breathing_disturbance_index", pick(&s, 0, 20));
}

static json_t *build_daily_stress(const struct doc *d, const char *id, uint64_t s)
{
    static const char *const summaries[] = {"restored", "normal", "stressful"};
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:s,s:i,s:i,s:s}", "id", id, "day", day, "stress_high",
                     pick(&s, 0, 20000), "recovery_high", pick(&s, 0, 20000), "day_summary",
                     summaries[pick(&s, 0, 2)]);
}

static json_t *build_daily_resilience(const struct doc *d, const char *id, uint64_t s)
{
    static const char *const levels[] = {"limited", "adequate", "solid", "strong", "exceptional"};
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:s,s:{s:f,s:f,s:f},s:s}", "id", id, "day", day, "contributors",
                     "sleep_recovery", pick_real(&s, 0, 100, 1), "daytime_recovery",
                     pick_real(&s, 0, 100, 1), "stress", pick_real(&s, 0, 100, 1), "level",
                     levels[pick(&s, 0, 4)]);
}

static json_t *build_daily_cardiovascular_age(const struct doc *d, const char *id, uint64_t s)
{
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:s,s:f,s:i}", "id", id, "day", day, "pulse_wave_velocity",
                     pick_real(&s, 5, 9, 2), "vascular_age", pick(&s, 25, 55));
}

static json_t *build_vo2_max(const struct doc *d, const char *id, uint64_t s)
{
    char day[16];
    day_date(d->day, day);
    return json_pack("{s:s,s:s,s:o,s:i}", "id", id, "day", day, "timestamp",
                     local_time(d->day, 9 * 3600), "vo2_max", pick(&s, 35, 55));
}

static json_t *build_sleep_time(const struct doc *d, const char *id, uint64_t s)
{
    char day[16];
    day_date(d->day, day);
    bool found = pick(&s, 0, 3) > 0;
    return json_pack("{s:s,s:s,s:o,s:s,s:s}", "id", id, "day", day, "optimal_bedtime",
                     found
                         ? json_pack("{s:i,s:i,s:i}", "day_tz", 7200, "end_offset",
                                     pick(&s, -1800, 1800), "start_offset", pick(&s, -5400, -1800))
                         : json_null(),
                     "recommendation", found ? "follow_optimal_bedtime" : "improve_efficiency",
                     "status", found ? "optimal_found" : "not_enough_nights");
}

static json_t *build_rest_mode_period(const struct doc *d, const char *id, uint64_t s)
{
    char day[16], end_day[16];
    day_date(d->day, day);
    day_date(d->day + 2, end_day);
    return json_pack("{s:s,s:s,s:o,s:[{s:[s],s:o}],s:s,s:o}", "id", id, "end_day", end_day,
                     "end_time", local_time(d->day + 2, 9 * 3600), "episodes", "tags",
                     pick(&s, 0, 1) ? "tag_generic_fever" : "tag_generic_sick", "timestamp",
                     local_time(d->day, 10 * 3600), "start_day", day, "start_time",
                     local_time(d->day, 10 * 3600));
}

static json_t *build_ring_configuration(const struct doc *d, const char *id, uint64_t s)
{
    (void)s;
    char at[32];
    fake_iso(fake_day_start(d->day) + 15 * 3600, at);
    char set_up_at[48];
    snprintf(set_up_at, sizeof set_up_at, "%.19s+00:00", at);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "id", id, "color", "stealth_black", "design",
                     "horizon", "firmware_version", "2.9.21", "hardware_type", "gen3", "set_up_at",
                     set_up_at, "size", 9);
}

enum { C_PERSONAL_INFO, C_SLEEP = 4, C_RING_CONFIGURATION = 16, C_HEARTRATE = 17, N_COLL };

static const struct collection collections[N_COLL] = {
    {"personal_info", "personal", 0, false, NULL},
    {"daily_activity", "daily", 1, false, build_daily_activity},
    {"daily_sleep", "daily", 1, false, build_daily_sleep},
    {"daily_readiness", "daily", 1, false, build_daily_readiness},
    {"sleep", "daily", 1, false, build_sleep},
    {"workout", "workout", 0.3, false, build_workout},
    {"session", "session", 0.15, false, build_session},
    {"tag", "tag", 0.1, false, build_tag},
    {"enhanced_tag", "tag", 0.1, true, build_enhanced_tag},
    {"daily_spo2", "spo2", 1, false, build_daily_spo2},
    {"daily_stress", "daily", 1, false, build_daily_stress},
    {"daily_resilience", "daily", 1, false, build_daily_resilience},
    {"daily_cardiovascular_age", "daily", 1, false, build_daily_cardiovascular_age},
    {"vO2_max", "daily", 0.1, false, build_vo2_max},
    {"sleep_time", "daily", 1, false, build_sleep_time},
    {"rest_mode_period", "daily", 0.01, true, build_rest_mode_period},
    {"ring_configuration", "personal", 0, false, build_ring_configuration},
    {"heartrate", "heartrate", 0, false, NULL},
};

static int collection_index(const char *name)
{
    for (int c = 0; name && c < N_COLL; c++)
        if (!strcmp(collections[c].name, name))
            return c;
    return -1;
}

static void doc_id(const struct doc *d, char out[40])
{
    uint64_t a =
        fake_hash((uint64_t)d->coll * 100000 + (uint64_t)d->day, 0x0A2 + (uint64_t)d->serial);
    uint64_t b = fake_hash(a, 0x0A3);
    snprintf(out, 40, "%08llx-%04llx-4%03llx-a%03llx-%012llx", (unsigned long long)(a >> 32),
             (unsigned long long)(a & 0xFFFF), (unsigned long long)((a >> 16) & 0xFFF),
             (unsigned long long)(b & 0xFFF), (unsigned long long)(b >> 16) & 0xFFFFFFFFFFFFULL);
}

static json_t *doc_json(const struct doc *d)
{
    char id[40];
    doc_id(d, id);
    uint64_t s = fake_hash((uint64_t)d->coll * 100000 + (uint64_t)d->day,
                           (uint64_t)d->serial * 7919 + (uint64_t)d->version * 104729);
    return collections[d->coll].build(d, id, s);
}

/* --oura-collections: is collection c among those served? */
static bool collection_served(int c)
{
    const char *list = fake_opt.oura_collections;
    if (!list)
        return true;
    size_t n = strlen(collections[c].name);
    for (const char *p = list; (p = strstr(p, collections[c].name)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static void oura_init(void)
{
    long days = fake_day_count();
    for (int c = 0; c < N_COLL; c++) {
        if (collections[c].share <= 0 || !collection_served(c))
            continue;
        for (long d = 0; d < days; d++) {
            uint64_t s = fake_hash((uint64_t)d, 0x0B00 + (uint64_t)c);
            if (day_worn(d) && fake_uniform(&s) < collections[c].share)
                doc_add(c, d, 0);
        }
    }
    if (collection_served(C_RING_CONFIGURATION))
        doc_add(C_RING_CONFIGURATION, 0, 0); /* the ring, set up on the first day */
}

/* ---------------------------------------------------------------- tokens */

struct grant {
    char access[64];
    char refresh[64];
    char scope[256];
    bool expired;
};

struct code {
    char code[48];
    char redirect_uri[512];
    char scope[256];
    bool used;
};

#define MAX_GRANTS 1024
#define MAX_CODES 64
static struct grant grants[MAX_GRANTS];
static int ngrants;
static struct code codes[MAX_CODES];
static int ncodes;
static unsigned long code_counter;
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;

/* Issues a token pair with `scope` and answers it as Oura does. */
static int issue(struct fake_response *resp, const char *scope)
{
    struct fake_token tok;
    fake_issue_token("oura", &tok);
    pthread_mutex_lock(&token_lock);
    struct grant *g = &grants[ngrants++ % MAX_GRANTS];
    snprintf(g->access, sizeof g->access, "%s", tok.access);
    snprintf(g->refresh, sizeof g->refresh, "%s", tok.refresh);
    snprintf(g->scope, sizeof g->scope, "%s", scope);
    g->expired = false;
    pthread_mutex_unlock(&token_lock);
    return fake_json(resp, 200,
                     json_pack("{s:s,s:s,s:i,s:s}", "token_type", "bearer", "access_token",
                               tok.access, "expires_in", fake_opt.token_ttl, "refresh_token",
                               tok.refresh));
}

/* The grant's scope (copied) for a refresh token; false when unknown. */
static bool scope_of_refresh(const char *refresh, char scope[256])
{
    bool found = false;
    pthread_mutex_lock(&token_lock);
    for (int i = 0; i < ngrants && i < MAX_GRANTS && !found; i++)
        if (!strcmp(grants[i].refresh, refresh)) {
            snprintf(scope, 256, "%s", grants[i].scope);
            found = true;
        }
    pthread_mutex_unlock(&token_lock);
    return found;
}

enum access { ACCESS_DENIED, ACCESS_EXPIRED, ACCESS_OK };

/* Checks the bearer token; on success copies its granted scopes. */
static enum access check_access(const char *bearer, char scope[256])
{
    if (bearer && !strcmp(bearer, FAKE_OURA_PAT)) {
        snprintf(scope, 256, "personal daily heartrate workout tag session spo2");
        return ACCESS_OK;
    }
    if (!bearer || !fake_token_valid("oura", bearer))
        return ACCESS_DENIED;
    enum access a = ACCESS_DENIED;
    pthread_mutex_lock(&token_lock);
    for (int i = 0; i < ngrants && i < MAX_GRANTS; i++)
        if (!strcmp(grants[i].access, bearer)) {
            a = grants[i].expired ? ACCESS_EXPIRED : ACCESS_OK;
            snprintf(scope, 256, "%s", grants[i].scope);
        }
    pthread_mutex_unlock(&token_lock);
    return a;
}

/* Scopes are space-separated; the later "extapi:" spelling and Oura's
 * "spo2Daily" count too. */
static bool scope_granted(const char *granted, const char *needed)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", granted);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        if (!strncmp(tok, "extapi:", 7))
            tok += 7;
        if (!strcmp(tok, needed) || (!strcmp(needed, "spo2") && !strcmp(tok, "spo2Daily")))
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- OAuth */

static void base_url(const struct fake_request *req, char *out, size_t n)
{
    const char *host = fake_header(req, "Host");
    snprintf(out, n, "http://%s", host ? host : "127.0.0.1");
}

static void url_encode(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, n - o, "%%%02X", c);
    }
    out[o] = '\0';
}

static int authorize(struct fake_request *req, struct fake_response *resp)
{
    const char *client = fake_arg(req, "client_id"), *redirect = fake_arg(req, "redirect_uri");
    const char *state = fake_arg(req, "state"), *type = fake_arg(req, "response_type");
    const char *scope = fake_arg(req, "scope");
    if (!redirect || strncmp(redirect, "http", 4))
        return fake_text(resp, 400, "text/plain", "missing redirect_uri\n");
    char location[2048], enc_state[256], iss[256], enc_iss[512];
    url_encode(state ? state : "", enc_state, sizeof enc_state);
    if (!client || strcmp(client, FAKE_OURA_CLIENT_ID) || !type || strcmp(type, "code")) {
        snprintf(location, sizeof location, "%s?error=%s&state=%s", redirect,
                 type && !strcmp(type, "code") ? "invalid_client" : "unsupported_response_type",
                 enc_state);
    } else {
        pthread_mutex_lock(&token_lock);
        struct code *c = &codes[ncodes++ % MAX_CODES];
        unsigned long n = ++code_counter;
        snprintf(c->code, sizeof c->code, "oura-code-%lu-%llx", n,
                 (unsigned long long)fake_hash(n, 0x0C0DE) & 0xFFFFFFULL);
        snprintf(c->redirect_uri, sizeof c->redirect_uri, "%s", redirect);
        snprintf(c->scope, sizeof c->scope, "%s", scope ? scope : "");
        c->used = false;
        snprintf(location, sizeof location, "%s?code=%s&state=%s", redirect, c->code, enc_state);
        pthread_mutex_unlock(&token_lock);
        if (issuer_enabled) {
            base_url(req, iss, sizeof iss);
            strncat(iss, "/oauth-issuer", sizeof iss - strlen(iss) - 1);
            url_encode(iss, enc_iss, sizeof enc_iss);
            strncat(location, "&iss=", sizeof location - strlen(location) - 1);
            strncat(location, enc_iss, sizeof location - strlen(location) - 1);
        }
    }
    fake_text(resp, 302, "text/html", "<html><body>Redirecting</body></html>\n");
    fake_add_header(resp, "Location", location);
    return 0;
}

static bool client_authenticated(const struct fake_request *req)
{
    static const char creds[] = FAKE_OURA_CLIENT_ID ":" FAKE_OURA_CLIENT_SECRET;
    unsigned char expected[128];
    EVP_EncodeBlock(expected, (const unsigned char *)creds, (int)sizeof creds - 1);
    const char *auth = fake_header(req, "Authorization");
    return auth && !strncasecmp(auth, "Basic ", 6) && !strcmp(auth + 6, (char *)expected);
}

/* Consumes an authorization code; copies its scope.  False when unknown,
 * used, or asked with another redirect_uri. */
static bool use_code(const char *code, const char *redirect_uri, char scope[256])
{
    bool ok = false;
    pthread_mutex_lock(&token_lock);
    for (int i = 0; code && i < ncodes && i < MAX_CODES && !ok; i++)
        if (!strcmp(codes[i].code, code) && !codes[i].used && redirect_uri &&
            !strcmp(codes[i].redirect_uri, redirect_uri)) {
            codes[i].used = true;
            snprintf(scope, 256, "%s", codes[i].scope);
            ok = true;
        }
    pthread_mutex_unlock(&token_lock);
    return ok;
}

static int token(struct fake_request *req, struct fake_response *resp)
{
    if (strcmp(req->method, "POST"))
        return fake_json(resp, 405, json_pack("{s:s}", "error", "method_not_allowed"));
    if (!client_authenticated(req))
        return fake_json(resp, 401, json_pack("{s:s}", "error", "invalid_client"));
    /* fake_arg's form values share one buffer: copy each before the next. */
    char grant[64], scope[256];
    snprintf(grant, sizeof grant, "%s",
             fake_arg(req, "grant_type") ? fake_arg(req, "grant_type") : "");
    if (!strcmp(grant, "authorization_code")) {
        char code[64];
        snprintf(code, sizeof code, "%s", fake_arg(req, "code") ? fake_arg(req, "code") : "");
        if (!use_code(code, fake_arg(req, "redirect_uri"), scope))
            return fake_json(resp, 400, json_pack("{s:s}", "error", "invalid_grant"));
        return issue(resp, scope);
    }
    if (!strcmp(grant, "refresh_token")) {
        const char *refresh = fake_arg(req, "refresh_token");
        if (!refresh || !scope_of_refresh(refresh, scope) || !fake_refresh_use("oura", refresh))
            return fake_json(resp, 400, json_pack("{s:s}", "error", "invalid_grant"));
        return issue(resp, scope);
    }
    return fake_json(resp, 400, json_pack("{s:s}", "error", "unsupported_grant_type"));
}

static int openid_configuration(struct fake_request *req, struct fake_response *resp)
{
    char base[256], issuer[300], authz[300], tok[300];
    base_url(req, base, sizeof base);
    snprintf(issuer, sizeof issuer, "%s/oauth-issuer", base);
    snprintf(authz, sizeof authz, "%s/oauth/authorize", base);
    snprintf(tok, sizeof tok, "%s/oauth-issuer/token", base);
    return fake_json(resp, 200,
                     json_pack("{s:s,s:s,s:s,s:[s],s:[s,s],s:[s]}", "issuer", issuer,
                               "authorization_endpoint", authz, "token_endpoint", tok,
                               "response_types_supported", "code", "grant_types_supported",
                               "authorization_code", "refresh_token",
                               "token_endpoint_auth_methods_supported", "client_secret_basic"));
}

/* ---------------------------------------------------------------- listing */

/* next_token: the offset, bound to the query it continues. */
static void make_next_token(const char *query, long offset, char out[64])
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = query; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(out, 64, "%lx.%llx", offset, (unsigned long long)fake_hash(h, (uint64_t)offset));
}

/* The offset a next_token stands for: 0 without one, -1 when it is not ours. */
static long parse_next_token(const struct fake_request *req, const char *query)
{
    const char *tok = fake_arg(req, "next_token");
    if (!tok || !*tok)
        return 0;
    long offset = strtol(tok, NULL, 16);
    char expected[64];
    make_next_token(query, offset, expected);
    size_t len = strcspn(tok, "~"); /* next_token_pad's padding */
    return offset > 0 && len == strlen(expected) && !strncmp(tok, expected, len) ? offset : -1;
}

static int page_reply(struct fake_response *resp, json_t *data, long offset, long total, long size,
                      const char *query)
{
    json_t *next = json_null();
    if (offset + size < total) {
        char tok[64];
        make_next_token(query, offset + size, tok);
        next = json_string(tok);
        if (fake_opt.next_token_pad > 0) {
            struct buf padded = BUF_INIT;
            buf_adds(&padded, tok);
            for (int i = 0; i < fake_opt.next_token_pad; i++)
                buf_addc(&padded, '~');
            json_decref(next);
            next = json_string(padded.data);
            buf_free(&padded);
        }
    }
    return fake_json(resp, 200, json_pack("{s:o,s:o}", "data", data, "next_token", next));
}

static int cmp_doc(const void *a, const void *b)
{
    const struct doc *x = *(struct doc *const *)a, *y = *(struct doc *const *)b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->serial - y->serial;
}

static int parse_day(const char *s, long *out)
{
    time_t t;
    if (fake_parse_time(s, &t) < 0)
        return -1;
    *out = (long)((t - (t % DAY) - fake_day_start(0)) / DAY);
    return 0;
}

static int list_documents(struct fake_request *req, struct fake_response *resp, int coll)
{
    const char *sd = fake_arg(req, "start_date"), *ed = fake_arg(req, "end_date");
    long from = 0, to = fake_day_count() - 1;
    bool dated = coll != C_RING_CONFIGURATION;
    if (dated && ed && parse_day(ed, &to) < 0)
        return fake_error(resp, 400, "Invalid end_date: %s", ed);
    from = to - 1;
    if (dated && sd && parse_day(sd, &from) < 0)
        return fake_error(resp, 400, "Invalid start_date: %s", sd);
    if (!dated)
        from = -1000000, to = 1000000;
    if (from > to)
        return fake_error(resp, 400,
                          "Start date is greater than end date: [start_date: %s; "
                          "end_date: %s]",
                          sd ? sd : "", ed ? ed : "");
    char query[160];
    snprintf(query, sizeof query, "%d|%ld|%ld", coll, from, to);
    long offset = parse_next_token(req, query);
    if (offset < 0)
        return fake_error(resp, 400, "Invalid next_token");
    fake_lock();
    struct doc **hits = malloc((ndocs + 1) * sizeof *hits);
    long n = 0;
    for (size_t i = 0; i < ndocs; i++) {
        struct doc *d = &docs[i];
        if (d->coll == coll && !d->gone && d->day >= from && d->day <= to)
            hits[n++] = d;
    }
    qsort(hits, (size_t)n, sizeof *hits, cmp_doc);
    for (long i = 0; newest_first && i < n / 2; i++) {
        struct doc *swap = hits[i];
        hits[i] = hits[n - 1 - i];
        hits[n - 1 - i] = swap;
    }
    json_t *data = json_array();
    for (long i = offset; i < n && i < offset + PAGE_SIZE; i++)
        json_array_append_new(data, doc_json(hits[i]));
    fake_unlock();
    free(hits);
    return page_reply(resp, data, offset, n, PAGE_SIZE, query);
}

static int personal_info(struct fake_response *resp)
{
    return fake_json(resp, 200,
                     json_pack("{s:s,s:i,s:f,s:f,s:s,s:s}", "id", "8f3c2a10-oura-user-5e1b", "age",
                               38, "weight", 71.5, "height", 1.78, "biological_sex", "female",
                               "email", "léa.dupont@example.com"));
}

/* Heart rate: every 5 minutes on worn days, from 06:00 UTC for
 * --heartrate-hours (3 by default; 24 is the whole day, as a ring worn day
 * and night reports). */
#define HR_FIRST (6 * 3600)
#define HR_SAMPLES (fake_opt.hr_hours * 12)

/* One sample as JSON text.  Written directly (the same bytes jansson's
 * compact dump gives): years of samples are most of what a benchmark asks,
 * and the fake shares the machine with the client it serves. */
static void add_heartrate_sample(struct buf *out, time_t t)
{
    uint64_t s = fake_hash((uint64_t)t, 0x0EA7);
    long k = (long)((t % DAY) - HR_FIRST) / 300;
    char iso[32];
    fake_iso(t, iso);
    const char *source = k < 12 ? "rest" : k % 36 < 30 ? "awake" : "workout";
    buf_addf(out, "{\"bpm\":%d,\"source\":\"%s\",\"timestamp\":\"%.19s+00:00\"}",
             pick(&s, 52, 96), source, iso);
}

static int list_heartrate(struct fake_request *req, struct fake_response *resp)
{
    const char *sd = fake_arg(req, "start_datetime"), *ed = fake_arg(req, "end_datetime");
    time_t end = fake_opt.now, start;
    if (ed && fake_parse_time(ed, &end) < 0)
        return fake_error(resp, 400, "Invalid end_datetime: %s", ed);
    start = end - DAY;
    if (sd && fake_parse_time(sd, &start) < 0)
        return fake_error(resp, 400, "Invalid start_datetime: %s", sd);
    if (start > end)
        return fake_error(resp, 400, "Start datetime is greater than end datetime");
    if (end - start > HEARTRATE_MAX_SPAN)
        return fake_error(resp, 400, "Maximum datetime range is 30 days");
    char query[96];
    snprintf(query, sizeof query, "hr|%lld|%lld", (long long)start, (long long)end);
    long offset = parse_next_token(req, query);
    if (offset < 0)
        return fake_error(resp, 400, "Invalid next_token");
    long first = (long)((start - fake_day_start(0)) / DAY) - 1, days = fake_day_count();
    long last = (long)((end - fake_day_start(0)) / DAY);
    struct buf body = BUF_INIT;
    buf_adds(&body, "{\"data\":[");
    long n = 0, page_items = 0;
    for (long d = first < 0 ? 0 : first; d <= last && d < days; d++) {
        if (!day_worn(d))
            continue;
        for (int k = 0; k < HR_SAMPLES; k++) {
            time_t t = fake_day_start(d) + HR_FIRST + k * 300;
            if (t < start || t > end || t > fake_opt.now)
                continue;
            if (n >= offset && n < offset + fake_opt.hr_page_size) {
                if (page_items++)
                    buf_addc(&body, ',');
                add_heartrate_sample(&body, t);
            }
            n++;
        }
    }
    buf_adds(&body, "],\"next_token\":");
    if (offset + fake_opt.hr_page_size < n) {
        char tok[64];
        make_next_token(query, offset + fake_opt.hr_page_size, tok);
        buf_addf(&body, "\"%s\"}", tok);
    } else {
        buf_adds(&body, "null}");
    }
    resp->status = 200;
    resp->content_type = "application/json";
    resp->body = buf_detach(&body);
    return 0;
}

static int api(struct fake_request *req, struct fake_response *resp)
{
    const char *name = req->path + strlen("/v2/usercollection/");
    int coll = collection_index(name);
    if (coll < 0)
        return fake_error(resp, 404, "Not Found");
    char granted[256];
    enum access a = check_access(fake_bearer(req), granted);
    if (a == ACCESS_EXPIRED)
        return fake_error(resp, 401, "Access token expired");
    if (a == ACCESS_DENIED)
        return fake_error(resp, 401, "Invalid access token");
    if (!scope_granted(granted, collections[coll].scope))
        return fake_error(resp, 401,
                          "Missing scope: this token was not granted the '%s' scope "
                          "needed for %s",
                          collections[coll].scope, name);
    if (coll == C_PERSONAL_INFO)
        return personal_info(resp);
    if (coll == C_HEARTRATE)
        return list_heartrate(req, resp);
    return list_documents(req, resp, coll);
}

static int oura_handle(struct fake_request *req, struct fake_response *resp)
{
    if (!strncmp(req->path, "/v2/usercollection/", 19))
        return api(req, resp), 0;
    if (!strcmp(req->path, "/oauth/authorize") || !strcmp(req->path, "/oauth/v2/ext/oauth-authorize"))
        return authorize(req, resp), 0;
    if (!strcmp(req->path, "/oauth/token") || !strcmp(req->path, "/oauth/v2/ext/oauth-token") ||
        !strcmp(req->path, "/oauth-issuer/token"))
        return token(req, resp), 0;
    if (!strcmp(req->path, "/oauth-issuer/.well-known/openid-configuration"))
        return openid_configuration(req, resp), 0;
    return -1;
}

/* ---------------------------------------------------------------- admin */

static int change_day(const char *action, int coll, long day, struct fake_response *resp)
{
    int n = 0;
    fake_lock();
    for (size_t i = 0; i < ndocs; i++) {
        struct doc *d = &docs[i];
        if (d->coll != coll || d->day != day || d->gone || d->sleep_deleted)
            continue;
        if (!strcmp(action, "edit-day"))
            d->version++;
        else if (coll == C_SLEEP)
            d->sleep_deleted = true;
        else
            d->gone = true;
        n++;
    }
    fake_unlock();
    return fake_json(resp, n ? 200 : 404, json_pack("{s:i}", "changed", n));
}

static int add_day(int coll, long day, struct fake_response *resp)
{
    fake_lock();
    int serial = 1;
    for (size_t i = 0; i < ndocs; i++)
        if (docs[i].coll == coll && docs[i].day == day && docs[i].serial >= serial)
            serial = docs[i].serial + 1;
    char id[40];
    doc_id(doc_add(coll, day, serial), id);
    fake_unlock();
    return fake_json(resp, 200, json_pack("{s:s}", "id", id));
}

/* Every record a complete listing returns, by collection (the conformance
 * suite's exact check): documents (a deleted sleep left out: the client
 * deletes it), personal_info, and every heart-rate sample up to now. */
static int dump(struct fake_response *resp)
{
    json_t *out = json_object();
    fake_lock();
    for (size_t i = 0; i < ndocs; i++) {
        const struct doc *d = &docs[i];
        if (d->gone || d->sleep_deleted || !collection_served(d->coll))
            continue;
        const char *name = collections[d->coll].name;
        if (!json_object_get(out, name))
            json_object_set_new(out, name, json_array());
        json_array_append_new(json_object_get(out, name), doc_json(d));
    }
    fake_unlock();
    struct fake_response info = {0};
    personal_info(&info);
    json_object_set_new(out, "personal_info", json_pack("[o]", json_loads(info.body, 0, NULL)));
    free(info.body);
    json_t *hr = json_array();
    for (long d = 0; d < fake_day_count(); d++)
        for (int k = 0; day_worn(d) && k < HR_SAMPLES; k++) {
            time_t t = fake_day_start(d) + HR_FIRST + k * 300;
            struct buf one = BUF_INIT;
            add_heartrate_sample(&one, t);
            if (t <= fake_opt.now)
                json_array_append_new(hr, json_loads(one.data, 0, NULL));
            buf_free(&one);
        }
    json_object_set_new(out, "heartrate", hr);
    return fake_json(resp, 200, out);
}

/* The conformance suite's upstream change: the latest night's daily_sleep
 * re-scored (edit), or the latest workout gone (delete); both inside the
 * days a plain sync lists again. */
static int conform_change(bool edit, struct fake_response *resp)
{
    struct doc *latest = NULL;
    fake_lock();
    for (size_t i = 0; i < ndocs; i++) {
        struct doc *d = &docs[i];
        if (d->coll == collection_index(edit ? "daily_sleep" : "workout") && !d->gone && (!latest || d->day > latest->day))
            latest = d;
    }
    if (latest && edit)
        latest->version++;
    else if (latest)
        latest->gone = true;
    fake_unlock();
    return fake_json(resp, latest ? 200 : 404, json_pack("{s:b}", "plain_sync_sees_it", 1));
}

static int oura_admin(const char *action, struct fake_request *req, struct fake_response *resp)
{
    if (!strcmp(action, "dump"))
        return dump(resp);
    if (!strcmp(action, "conform-edit") || !strcmp(action, "conform-delete"))
        return conform_change(!strcmp(action, "conform-edit"), resp);
    if (!strcmp(action, "expire-tokens")) {
        pthread_mutex_lock(&token_lock);
        for (int i = 0; i < ngrants && i < MAX_GRANTS; i++)
            grants[i].expired = true;
        pthread_mutex_unlock(&token_lock);
        return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    }
    if (!strcmp(action, "order")) {
        const char *newest = fake_arg(req, "newest");
        newest_first = newest && strcmp(newest, "0");
        return fake_json(resp, 200, json_pack("{s:b}", "newest_first", newest_first));
    }
    if (!strcmp(action, "issuer")) {
        const char *on = fake_arg(req, "enabled");
        issuer_enabled = !on || strcmp(on, "0");
        return fake_json(resp, 200, json_pack("{s:b}", "issuer", issuer_enabled));
    }
    int coll = collection_index(fake_arg(req, "resource"));
    long day;
    const char *day_arg = fake_arg(req, "day");
    if (coll < 0 || !collections[coll].build || !day_arg || parse_day(day_arg, &day) < 0)
        return fake_error(resp, 400, "needs resource=<collection> and day=YYYY-MM-DD");
    if (!strcmp(action, "edit-day") || !strcmp(action, "delete-day"))
        return change_day(action, coll, day, resp);
    if (!strcmp(action, "add-day"))
        return add_day(coll, day, resp);
    return fake_error(resp, 404, "no admin action %s", action);
}

static const struct fake_provider fake_oura = {
    .name = "oura",
    .prefix = "",
    .init = oura_init,
    .handle = oura_handle,
    .admin = oura_admin,
    .client_config = "client_id = \"fake-oura-client\"\n"
                     "client_secret = \"fake-oura-SECRET-c13f\"\n"
                     "redirect_uri = \"http://localhost:@PORT@/callback\"\n"
                     "authorize_url = \"@URL@/oauth/authorize\"\n"
                     "token_url = \"@URL@/oauth/token\"\n"
                     "base_url = \"@URL@\"\n",
};
FAKE_PROVIDER(fake_oura)

