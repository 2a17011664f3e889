/* Unit tests of the Apple Health export reader: the snake_case rule for
 * resource names, export dates to UTC, the number forms, and whole
 * elements read from a small export into records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apple_health.h"
#include "timeutil.h"

static void expect_name(const char *type, const char *expected)
{
    struct buf b = BUF_INIT;
    assert_int_equal(apple_health_resource_name(type, &b), 0);
    if (strcmp(b.data, expected) != 0)
        fail_msg("%s -> \"%s\", expected \"%s\"", type, b.data, expected);
    buf_free(&b);
}

static void test_resource_names(void **state)
{
    (void)state;
    expect_name("HKQuantityTypeIdentifierStepCount", "step_count");
    expect_name("HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "heart_rate_variability_sdnn");
    expect_name("HKQuantityTypeIdentifierVO2Max", "vo2_max");
    expect_name("HKCategoryTypeIdentifierSleepAnalysis", "sleep_analysis");
    expect_name("HKCorrelationTypeIdentifierBloodPressure", "blood_pressure");
    expect_name("HKQuantityTypeIdentifierUVExposure", "uv_exposure");
    expect_name("HKQuantityTypeIdentifierBodyMassIndex", "body_mass_index");
    expect_name("HKQuantityTypeIdentifierAppleSleepingWristTemperature",
                "apple_sleeping_wrist_temperature");
    expect_name("HKCategoryTypeIdentifierAppleStandHour", "apple_stand_hour");
    expect_name("HKQuantityTypeIdentifierSixMinuteWalkTestDistance",
                "six_minute_walk_test_distance");
    expect_name("HKDataTypeSleepDurationGoal", "data_type_sleep_duration_goal");
    expect_name("HKQuantityTypeIdentifierPEFR", "pefr");
    expect_name("HKQuantityTypeIdentifierABCDef", "abc_def");
    expect_name("HKQuantityTypeIdentifierA1B", "a1_b");
}

static void expect_utc(const char *s, const char *expected)
{
    time_t t;
    char out[TIME_ISO_LEN];
    if (apple_health_parse_date(s, &t) != 0)
        fail_msg("rejected \"%s\"", s);
    time_format_iso(t, out);
    if (strcmp(out, expected) != 0)
        fail_msg("\"%s\" -> %s, expected %s", s, out, expected);
}

static void test_dates(void **state)
{
    (void)state;
    expect_utc("2024-10-25 07:05:11 -0500", "2024-10-25T12:05:11Z");
    expect_utc("2024-10-25 07:05:11 +0000", "2024-10-25T07:05:11Z");
    expect_utc("2024-03-10 01:30:00 +0530", "2024-03-09T20:00:00Z");
    expect_utc("2024-01-01 00:15:00 +0100", "2023-12-31T23:15:00Z");
    expect_utc("2024-12-31 23:59:59 -1000", "2025-01-01T09:59:59Z");
    expect_utc("2024-02-29 12:00:00 -0930", "2024-02-29T21:30:00Z");
    expect_utc("2024-10-25T07:05:11-05:00", "2024-10-25T12:05:11Z");
    expect_utc("2024-10-25 07:05:11.750 -0500", "2024-10-25T12:05:11Z");
    expect_utc("2024-10-25 07:05:11Z", "2024-10-25T07:05:11Z");
    expect_utc("2024-10-25 07:05:11 +02", "2024-10-25T05:05:11Z");
    expect_utc("2024-10-25 07:05:11", "2024-10-25T07:05:11Z");
    expect_utc("2024-10-25 07:05 -0500", "2024-10-25T12:05:00Z");
    const char *bad[] = {"", "2024-10-25", "2024-13-01 00:00:00 +0000",
                         "2023-02-29 00:00:00 +0000", "2024-10-25 24:00:00 +0000",
                         "2024-10-25 07:05:11 -05000", "2024-10-25 07:05:11 EST",
                         "25/10/2024 07:05:11", "2024-10-25 07:05:11 -0500 x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t t;
        if (apple_health_parse_date(bad[i], &t) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void expect_number(const char *s, const char *expected)
{
    struct buf b = BUF_INIT;
    int rc = apple_health_json_number(s, &b);
    if (expected && (rc != 1 || strcmp(b.data, expected) != 0))
        fail_msg("\"%s\" -> %d \"%s\", expected \"%s\"", s, rc, b.data, expected);
    if (!expected && (rc != 0 || b.len != 0))
        fail_msg("\"%s\" taken as the number \"%s\"", s, b.data);
    buf_free(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    expect_number("72", "72");
    expect_number("72.5", "72.5");
    expect_number("-0.25", "-0.25");
    expect_number("0.0375", "0.0375");
    expect_number("1e-05", "1e-05");
    expect_number("1.5E+2", "1.5E+2");
    expect_number("+250", "250");
    expect_number("007", "7");
    expect_number("-007", "-7");
    expect_number("-0", "-0");
    expect_number("+0", "0");
    expect_number(".5", "0.5");
    expect_number("5.", "5.0");
    expect_number("-.25e1", "-2.5");
    expect_number("1e400", NULL);
    expect_number("NaN", NULL);
    expect_number("inf", NULL);
    expect_number("", NULL);
    expect_number("1,5", NULL);
    expect_number("17.1.2", NULL);
    expect_number("0x10", NULL);
    expect_number("12 count", NULL);
    expect_number(".", NULL);
    expect_number("1e", NULL);
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/test_apple_health_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char small_export[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE HealthData [\n<!ELEMENT HealthData ANY>\n]>\n"
    "<HealthData locale=\"en_US\">\n"
    " <ExportDate value=\"2024-10-26 09:00:00 -0500\"/>\n"
    " <Me HKCharacteristicTypeIdentifierBiologicalSex=\"HKBiologicalSexFemale\"/>\n"
    " <Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"Watch &amp; co\""
    " sourceVersion=\"10.1\" unit=\"count/min\" startDate=\"2024-10-25 07:05:11 -0500\""
    " endDate=\"2024-10-25 07:05:11 -0500\" value=\"72\">\n"
    "  <MetadataEntry key=\"HKMetadataKeyHeartRateMotionContext\" value=\"0\"/>\n"
    "  <MetadataEntry key=\"note\" value=\"a &quot;b&quot;\"/>\n"
    " </Record>\n"
    " <Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"x\""
    " startDate=\"yesterday\" endDate=\"2024-10-25 07:05:11 -0500\" value=\"1\"/>\n"
    " <Workout workoutActivityType=\"HKWorkoutActivityTypeRunning\" duration=\"30\""
    " sourceName=\"Watch\" startDate=\"2024-10-25 18:00:00 +0200\""
    " endDate=\"2024-10-25 18:30:00 +0200\">\n"
    "  <WorkoutEvent type=\"HKWorkoutEventTypePause\" date=\"2024-10-25 18:10:00 +0200\"/>\n"
    "  <WorkoutStatistics type=\"HKQuantityTypeIdentifierDistanceWalkingRunning\" sum=\"5.2\""
    " unit=\"km\"/>\n"
    "  <WorkoutRoute sourceName=\"Watch\">\n"
    "   <FileReference path=\"/workout-routes/route_1.gpx\"/>\n"
    "  </WorkoutRoute>\n"
    " </Workout>\n"
    " <ActivitySummary dateComponents=\"2024-10-25\" appleStandHours=\"12\"/>\n"
    "</HealthData>\n";

static void test_reader(void **state)
{
    (void)state;
    char *path = write_temp(small_export);
    struct hs_error err = HS_ERROR_INIT;
    struct apple_health_reader *r = apple_health_open(path, &err);
    assert_non_null(r);
    struct record rec;

    assert_int_equal(apple_health_next(r, &rec, &err), 1);
    assert_string_equal(rec.provider, "apple_health");
    assert_string_equal(rec.resource, "heart_rate");
    assert_string_equal(rec.start_time, "2024-10-25T12:05:11Z");
    assert_string_equal(rec.end_time, "2024-10-25T12:05:11Z");
    assert_int_equal(strncmp(rec.record_id, "20241025T120511Z-", 17), 0);
    assert_int_equal(strlen(rec.record_id), 17 + 16);
    assert_string_equal(rec.payload_json,
                        "{\"type\":\"HKQuantityTypeIdentifierHeartRate\",\"sourceName\":"
                        "\"Watch & co\",\"sourceVersion\":\"10.1\",\"unit\":\"count/min\","
                        "\"startDate\":\"2024-10-25 07:05:11 -0500\",\"endDate\":"
                        "\"2024-10-25 07:05:11 -0500\",\"value\":72,\"metadata\":{"
                        "\"HKMetadataKeyHeartRateMotionContext\":0,\"note\":\"a \\\"b\\\"\"}}");

    /* The record with an unreadable date is left out and counted. */
    assert_int_equal(apple_health_next(r, &rec, &err), 1);
    assert_int_equal(apple_health_skipped(r), 1);
    assert_string_equal(rec.resource, "workouts");
    assert_string_equal(rec.start_time, "2024-10-25T16:00:00Z");
    assert_string_equal(rec.end_time, "2024-10-25T16:30:00Z");
    assert_string_equal(rec.payload_json,
                        "{\"workoutActivityType\":\"HKWorkoutActivityTypeRunning\","
                        "\"duration\":30,\"sourceName\":\"Watch\",\"startDate\":"
                        "\"2024-10-25 18:00:00 +0200\",\"endDate\":\"2024-10-25 18:30:00 +0200\","
                        "\"events\":[{\"type\":\"HKWorkoutEventTypePause\",\"date\":"
                        "\"2024-10-25 18:10:00 +0200\"}],\"statistics\":[{\"type\":"
                        "\"HKQuantityTypeIdentifierDistanceWalkingRunning\",\"sum\":5.2,"
                        "\"unit\":\"km\"}],\"routes\":[{\"sourceName\":\"Watch\",\"file\":"
                        "\"/workout-routes/route_1.gpx\"}]}");

    assert_int_equal(apple_health_next(r, &rec, &err), 1);
    assert_string_equal(rec.resource, "activity_summaries");
    assert_string_equal(rec.record_id, "2024-10-25");
    assert_string_equal(rec.start_time, "2024-10-25");
    assert_null(rec.end_time);
    assert_string_equal(rec.payload_json,
                        "{\"dateComponents\":\"2024-10-25\",\"appleStandHours\":12}");

    assert_int_equal(apple_health_next(r, &rec, &err), 0);
    assert_string_equal(apple_health_export_date(r), "2024-10-26T14:00:00Z");
    uint64_t done, total;
    apple_health_progress(r, &done, &total);
    assert_int_equal(done, total);
    assert_int_equal(total, strlen(small_export));
    apple_health_close(r);
    unlink(path);
    free(path);
}

/* The same identity gives the same id; another value another one. */
static void test_identity(void **state)
{
    (void)state;
    char *path = write_temp(
        "<HealthData>"
        "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" value=\"10\""
        " startDate=\"2024-10-25 07:05:11 -0500\" endDate=\"2024-10-25 07:15:11 -0500\"/>"
        "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" value=\"10\""
        " creationDate=\"2024-10-26 00:00:00 +0000\""
        " startDate=\"2024-10-25 14:05:11 +0200\" endDate=\"2024-10-25 14:15:11 +0200\"/>"
        "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\" value=\"11\""
        " startDate=\"2024-10-25 07:05:11 -0500\" endDate=\"2024-10-25 07:15:11 -0500\"/>"
        "</HealthData>");
    struct hs_error err = HS_ERROR_INIT;
    struct apple_health_reader *r = apple_health_open(path, &err);
    assert_non_null(r);
    struct record rec;
    char ids[3][64];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(apple_health_next(r, &rec, &err), 1);
        snprintf(ids[i], sizeof ids[i], "%s", rec.record_id);
    }
    assert_string_equal(ids[0], ids[1]); /* the same instants written in another zone */
    assert_string_not_equal(ids[0], ids[2]);
    assert_int_equal(apple_health_next(r, &rec, &err), 0);
    apple_health_close(r);
    unlink(path);
    free(path);
}

static void expect_refused(const char *text, const char *words)
{
    char *path = write_temp(text);
    struct hs_error err = HS_ERROR_INIT;
    struct apple_health_reader *r = apple_health_open(path, &err);
    struct record rec;
    int rc = r ? apple_health_next(r, &rec, &err) : -1;
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    if (!strstr(err.msg, words))
        fail_msg("\"%s\" lacks \"%s\"", err.msg, words);
    apple_health_close(r);
    unlink(path);
    free(path);
}

static void test_not_an_export(void **state)
{
    (void)state;
    expect_refused("<gpx><trk/></gpx>", "not an Apple Health export: its root element is <gpx>");
    expect_refused("name,value\nsteps,10\n", "not an Apple Health export: not XML");
    expect_refused("", "not an Apple Health export");
}

static void test_truncated(void **state)
{
    (void)state;
    char *path = write_temp("<HealthData>\n"
                            "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"P\""
                            " startDate=\"2024-10-25 07:05:11 -0500\""
                            " endDate=\"2024-10-25 07:15:11 -0500\" value=\"3\"/>\n"
                            "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceN");
    struct hs_error err = HS_ERROR_INIT;
    struct apple_health_reader *r = apple_health_open(path, &err);
    struct record rec;
    assert_int_equal(apple_health_next(r, &rec, &err), 1);
    assert_int_equal(apple_health_next(r, &rec, &err), -1);
    assert_int_equal(err.kind, HS_ERR_FINAL);
    if (!strstr(err.msg, "stops being readable at line 3 (byte "))
        fail_msg("%s", err.msg);
    apple_health_close(r);
    unlink(path);
    free(path);
}

/* What the Health app writes since iOS 16: a DTD that is not well-formed
 * (an ATTLIST without its '>') and vertical tabs in values.  The records
 * still come, and a later fault is still placed on its own line. */
static void test_health_app_quirks(void **state)
{
    (void)state;
    char *path = write_temp("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                            "<!DOCTYPE HealthData [\n"
                            "<!-- HealthKit Export Version: 12 -->\n"
                            "<!ATTLIST VisionPrescription\n"
                            "  type             CDATA #REQUIRED\n"
                            "  dateIssued       CDATA #REQUIRED\n"
                            "<!ELEMENT RightEye EMPTY>\n"
                            "]>\n"
                            "<HealthData locale=\"en_US\">\n"
                            "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"A\vB\""
                            " startDate=\"2024-10-25 07:05:11 -0500\""
                            " endDate=\"2024-10-25 07:15:11 -0500\" value=\"3\"/>\n"
                            "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceN=\"\"\">\n");
    struct hs_error err = HS_ERROR_INIT;
    struct apple_health_reader *r = apple_health_open(path, &err);
    struct record rec;
    assert_int_equal(apple_health_next(r, &rec, &err), 1);
    assert_non_null(strstr(rec.payload_json, "\"sourceName\":\"A B\""));
    assert_int_equal(apple_health_next(r, &rec, &err), -1);
    assert_int_equal(err.kind, HS_ERR_FINAL);
    if (!strstr(err.msg, "at line 11 "))
        fail_msg("%s", err.msg);
    apple_health_close(r);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_names), cmocka_unit_test(test_dates),
        cmocka_unit_test(test_numbers),        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_identity),       cmocka_unit_test(test_not_an_export),
        cmocka_unit_test(test_truncated),      cmocka_unit_test(test_health_app_quirks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
