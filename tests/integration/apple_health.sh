#!/usr/bin/env bash
# health-sync import apple-health on exports this test writes: a small
# hand-written one (exact rows, UTC times, attributes, number forms,
# metadata, correlations, workouts), and generated ones (scripts/
# gen-apple-health-export: duplicates, daylight-saving changes, a later
# cumulative export written in another zone) as export.xml and export.zip.
# Also: idempotence, --prune, a truncated export, files that are not
# exports, an interrupted import resumed, the views, and the same database
# as the straightforward Python importer (tests/bench/apple_import.py).
source "$(dirname "$0")/lib.sh"
GEN="$ROOT/scripts/gen-apple-health-export"
PYIMPORT="$ROOT/tests/bench/apple_import.py"
printf '[app]\ndb = "%s/health.sqlite"\n' "$tmp" >"$tmp/health-sync.toml"
chmod 600 "$tmp/health-sync.toml"

import() { run "$1" import apple-health "${@:2}"; }
rows() { sql "SELECT COUNT(*) FROM records WHERE provider='apple_health'${1:+ AND resource='$1'}"; }
# Everything stored but fetched_at, in order: two databases with the same content print the same.
content() {
    sqlite3 "$1" "SELECT resource, record_id, start_time, quote(end_time), payload_json FROM records
                  WHERE provider='apple_health' ORDER BY resource, record_id" | sha256sum
}
# per_resource MANIFEST: does the database hold exactly the distinct records the generator wrote?
per_resource() {
    python3 - "$1" "$tmp/health.sqlite" <<'PY'
import json, sqlite3, sys
want = json.load(open(sys.argv[1]))['distinct']
got = dict(sqlite3.connect(sys.argv[2]).execute(
    "SELECT resource, COUNT(*) FROM records WHERE provider='apple_health' AND resource != 'import'"
    " GROUP BY resource"))
if got != want:
    print('# got  ', got)
    print('# wanted', want)
sys.exit(got != want)
PY
}

# ---- a small export written by hand: exact rows ----
cat >small.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-11-04 08:00:00 -0600"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth=""/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="17.1" unit="count" creationDate="2024-11-02 23:59:00 -0500" startDate="2024-11-02 23:50:00 -0500" endDate="2024-11-03 00:10:00 -0500" value="412"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="17.1" unit="count" creationDate="2024-11-02 23:59:00 -0500" startDate="2024-11-02 23:50:00 -0500" endDate="2024-11-03 00:10:00 -0500" value="412"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="17.1" unit="count" startDate="2024-11-03 01:30:00 -0500" endDate="2024-11-03 01:40:00 -0500" value="+20"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="17.1" unit="count" startDate="2024-11-03 01:30:00 -0600" endDate="2024-11-03 01:40:00 -0600" value="30"/>
 <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Watch" sourceVersion="10.1" unit="ms" startDate="2024-11-03 03:00:00 -0600" endDate="2024-11-03 03:01:00 -0600" value="4.25e1">
  <MetadataEntry key="HKAlgorithmVersion" value="2"/>
  <HeartRateVariabilityMetadataList>
   <InstantaneousBeatsPerMinute bpm="61" time="3:00:00.10 AM"/>
   <InstantaneousBeatsPerMinute bpm="63" time="3:00:01.05 AM"/>
  </HeartRateVariabilityMetadataList>
 </Record>
 <Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" sourceVersion="17.1" unit="lb" startDate="2024-11-03 07:00:00 -0600" endDate="2024-11-03 07:00:00 -0600" value="154.5"/>
 <Record type="HKQuantityTypeIdentifierVO2Max" sourceName="Watch" unit="mL/min·kg" startDate="2024-11-03 07:00:00 -0600" endDate="2024-11-03 07:00:00 -0600" value=".45e2"/>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" startDate="2024-11-02 23:00:00 -0500" endDate="2024-11-03 01:00:00 -0500" value="HKCategoryValueSleepAnalysisAsleepCore"/>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" startDate="2024-11-03 01:00:00 -0500" endDate="2024-11-03 01:30:00 -0600" value="HKCategoryValueSleepAnalysisAsleepDeep"/>
 <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Cuff" unit="mmHg" startDate="2024-11-03 08:00:00 -0600" endDate="2024-11-03 08:00:00 -0600" value="121"/>
 <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Cuff" unit="mmHg" startDate="2024-11-03 08:00:00 -0600" endDate="2024-11-03 08:00:00 -0600" value="79"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Cuff" startDate="2024-11-03 08:00:00 -0600" endDate="2024-11-03 08:00:00 -0600">
  <MetadataEntry key="HKWasUserEntered" value="1"/>
  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Cuff" unit="mmHg" startDate="2024-11-03 08:00:00 -0600" endDate="2024-11-03 08:00:00 -0600" value="121"/>
  <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Cuff" unit="mmHg" startDate="2024-11-03 08:00:00 -0600" endDate="2024-11-03 08:00:00 -0600" value="79"/>
 </Correlation>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30.5" durationUnit="min" sourceName="Watch" sourceVersion="10.1" startDate="2024-11-03 17:00:00 -0600" endDate="2024-11-03 17:31:00 -0600">
  <MetadataEntry key="HKIndoorWorkout" value="0"/>
  <WorkoutEvent type="HKWorkoutEventTypePause" date="2024-11-03 17:10:00 -0600" duration="1" durationUnit="min"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="2024-11-03 17:00:00 -0600" endDate="2024-11-03 17:31:00 -0600" sum="1300" unit="kJ"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2024-11-03 17:00:00 -0600" endDate="2024-11-03 17:31:00 -0600" sum="3.1" unit="mi"/>
  <WorkoutRoute sourceName="Watch" startDate="2024-11-03 17:00:00 -0600" endDate="2024-11-03 17:31:00 -0600">
   <FileReference path="/workout-routes/route_2024-11-03_5.31pm.gpx"/>
  </WorkoutRoute>
 </Workout>
 <ActivitySummary dateComponents="2024-11-03" activeEnergyBurned="512.5" activeEnergyBurnedUnit="kcal" appleExerciseTime="31" appleStandHours="9"/>
</HealthData>
XML
check "a hand-written export imports" import 0 small.xml
one() { sql "SELECT $1 FROM records WHERE provider='apple_health' AND resource='$2' ${3:+AND $3}"; }
check "exact duplicates are one row; a correlation's members only from the top level" eval \
    '[ "$(rows)" = 13 ] && [ "$(rows step_count)" = 3 ] && [ "$(rows blood_pressure_systolic)" = 1 ] && [ "$(rows blood_pressure)" = 1 ]'
check "the summary says so: 14 read, 13 new, 1 unchanged" has "14 records read in .*: 13 new, 0 changed, 1 unchanged"
check "times in UTC, across the end of daylight saving time" eval \
    '[ "$(one "start_time || \" \" || end_time" step_count "json_extract(payload_json, \"\$.value\") = 412")" = "2024-11-03T04:50:00Z 2024-11-03T05:10:00Z" ] &&
     [ "$(one start_time step_count "json_extract(payload_json, \"\$.value\") = 20")" = "2024-11-03T06:30:00Z" ] &&
     [ "$(one start_time step_count "json_extract(payload_json, \"\$.value\") = 30")" = "2024-11-03T07:30:00Z" ]'
check "numbers are JSON numbers, normalised where JSON would not take them" eval \
    '[ "$(one "group_concat(json_type(payload_json, \"\$.value\") || \"=\" || json_extract(payload_json, \"\$.value\"), \" \")" step_count)" = "integer=412 integer=20 integer=30" ] &&
     [ "$(one "json_extract(payload_json, \"\$.value\")" heart_rate_variability_sdnn)" = 42.5 ] &&
     [ "$(one "json_extract(payload_json, \"\$.value\")" vo2_max)" = 45.0 ]'
check "attributes as written, names and versions kept as text" eval \
    '[ "$(one "json_extract(payload_json, \"\$.startDate\") || \"|\" || json_type(payload_json, \"\$.sourceVersion\")" body_mass)" = "2024-11-03 07:00:00 -0600|text" ]'
check "metadata pairs and the beat list in the payload" eval \
    '[ "$(one "json_extract(payload_json, \"\$.metadata.HKAlgorithmVersion\") || \" \" || json_extract(payload_json, \"\$.beats[1].bpm\") || \" \" || json_extract(payload_json, \"\$.beats[1].time\")" heart_rate_variability_sdnn)" = "2 63 3:00:01.05 AM" ]'
check "a workout with its events, statistics and route file" eval \
    '[ "$(one "json_extract(payload_json, \"\$.events[0].type\") || \" \" || json_array_length(payload_json, \"\$.statistics\") || \" \" || json_extract(payload_json, \"\$.routes[0].file\") || \" \" || start_time || \" \" || end_time" workouts)" = "HKWorkoutEventTypePause 2 /workout-routes/route_2024-11-03_5.31pm.gpx 2024-11-03T23:00:00Z 2024-11-03T23:31:00Z" ]'
check "a correlation with its member records in the payload" eval \
    '[ "$(one "json_extract(payload_json, \"\$.records[0].value\") || \"/\" || json_extract(payload_json, \"\$.records[1].value\") || \" \" || json_extract(payload_json, \"\$.metadata.HKWasUserEntered\")" blood_pressure)" = "121/79 1" ]'
check "an activity summary is its day" eval \
    '[ "$(one "record_id || \" \" || start_time || \" \" || quote(end_time) || \" \" || json_extract(payload_json, \"\$.appleStandHours\")" activity_summaries)" = "2024-11-03 2024-11-03 NULL 9" ]'
v() { sql "SELECT $1 FROM $2 WHERE provider='apple_health' ${3:-}" | tr '\n' ' '; }
check "v_daily_activity: steps per local day from the samples, exercise and energy from the summary" eval \
    '[ "$(v "day || \":\" || steps || \":\" || COALESCE(active_calories_kcal, \"\") || \":\" || COALESCE(active_time_s, \"\")" v_daily_activity "ORDER BY day")" = "2024-11-02:412:: 2024-11-03:50:512.5:1860 " ]'
check "v_body: weight in kg, blood pressure, VO2 max" eval \
    '[ "$(v "COALESCE(weight_kg, \"\") || \"|\" || COALESCE(systolic_mmhg, \"\") || \"/\" || COALESCE(diastolic_mmhg, \"\") || \"|\" || COALESCE(vo2max_ml_min_kg, \"\")" v_body "ORDER BY start_time, weight_kg IS NULL")" = "70.08|/| |/|45.0 |121/79| " ]'
check "v_sleep: a night's stages, the night of the day woken up on" eval \
    '[ "$(v "day || \" \" || total_sleep_s || \" \" || deep_s || \" \" || light_s || \" \" || start_time || \" \" || end_time" v_sleep)" = "2024-11-03 12600 5400 7200 2024-11-03T04:00:00Z 2024-11-03T07:30:00Z " ]'
check "v_workouts: the distance and energy of the statistics, in metres and kcal" eval \
    '[ "$(v "sport || \" \" || duration_s || \" \" || distance_m || \" \" || calories_kcal" v_workouts)" = "Running 1860 4989.0 310.7 " ]'
small_content=$(content "$tmp/health.sqlite")
check "re-importing the same export changes nothing" eval \
    'import 0 small.xml && has "14 records read in .*: 0 new, 0 changed, 14 unchanged" && [ "$(content "$tmp/health.sqlite")" = "$small_content" ]'

# ---- --prune: a newer export without two of the records ----
grep -v -e 'value="30"' -e 'BodyMass' small.xml >newer.xml
check "records absent from a newer export stay without --prune" eval \
    'import 0 newer.xml && [ "$(rows)" = 13 ] && has " 0 deleted"'
check "--prune deletes those inside its date range" eval \
    'import 0 newer.xml --prune && [ "$(rows)" = 11 ] && has " 2 deleted" && [ "$(rows body_mass)" = 0 ]'
sed -e '/<Correlation/,/<\/Correlation>/d' -e '/SleepAnalysis/d' -e '/value="412"/d' -e '/ActivitySummary/d' newer.xml >later.xml
check "--prune deletes what the export's range holds, a summary by its day, and leaves what starts before" eval \
    'import 0 later.xml --prune && has " 2 deleted" && [ "$(rows step_count)" = 2 ] && [ "$(rows sleep_analysis)" = 2 ] &&
     [ "$(rows activity_summaries)" = 0 ] && [ "$(rows blood_pressure)" = 0 ]'

# ---- files that are not exports ----
rm -f "$tmp"/health.sqlite*
printf '<?xml version="1.0"?>\n<gpx version="1.1"><trk/></gpx>\n' >route.gpx
check "a GPX file is refused (exit 2)" eval 'import 2 route.gpx && has "not an Apple Health export: its root element is <gpx>"'
printf 'date,steps\n2024-01-01,100\n' >steps.csv
check "a CSV file is refused" eval 'import 2 steps.csv && has "not an Apple Health export: not XML"'
(mkdir -p z/apple_health_export && cp route.gpx z/apple_health_export/route.gpx && cd z && zip -q -r ../other.zip apple_health_export)
check "a zip without export.xml is refused" eval 'import 2 other.zip && has "the zip holds no export.xml"'
check "a missing file is refused" eval 'import 2 nothere.zip && has "cannot open nothere.zip"'
check "nothing was stored from them" eval '[ "$(rows)" = 0 ]'
check "an unknown source is a usage error" eval 'run 2 import google-fit x.zip && has "unknown source"'

# ---- generated exports: 10 days over the start of daylight saving time ----
"$GEN" e1.xml --start 2024-03-05 --days 10 --manifest m1.json 2>/dev/null
(mkdir -p zz/apple_health_export && cp e1.xml zz/apple_health_export/export.xml &&
 cd zz && zip -q -r ../e1.zip apple_health_export)
"$GEN" e1g.zip --start 2024-03-05 --days 10 2>/dev/null
check "a generated export imports with progress" eval 'import 0 e1.xml && has "100% of e1.xml read"'
check "exactly the distinct records per resource" per_resource m1.json
xml_content=$(content "$tmp/health.sqlite")
check "export takes an imported type, with --since/--until" eval \
    'run 0 export apple_health/heart_rate --format jsonl --since 2024-03-06 --until 2024-03-06 --output hr.jsonl &&
     [ "$(wc -l <hr.jsonl)" = "$(sql "SELECT COUNT(*) FROM records WHERE resource=\"heart_rate\" AND substr(start_time, 1, 10) = \"2024-03-06\"")" ] &&
     [ "$(wc -l <hr.jsonl)" -gt 0 ]'
check "an absent type is refused, naming the imported ones" eval \
    'run 2 export apple_health/no_such_type && has "apple_health/step_count"' 
check "re-importing changes nothing" eval \
    'import 0 e1.xml && has ": 0 new, 0 changed, " && [ "$(content "$tmp/health.sqlite")" = "$xml_content" ]'
mv "$tmp/health.sqlite" xml.sqlite; rm -f "$tmp"/health.sqlite-*
check "the same export as a zip gives the same rows" eval \
    'import 0 e1.zip && [ "$(content "$tmp/health.sqlite")" = "$xml_content" ]'
rm -f "$tmp"/health.sqlite*
check "as does the zip the generator writes (export_cda.xml and routes beside it)" eval \
    'import 0 e1g.zip && [ "$(content "$tmp/health.sqlite")" = "$xml_content" ]'
"$HS" --db py.sqlite init-db >/dev/null 2>&1
python3 "$PYIMPORT" e1g.zip py.sqlite 2>/dev/null
check "the Python importer stores the same rows" eval '[ "$(content py.sqlite)" = "$xml_content" ] ||
    python3 -c "
import json, sqlite3, sys
q = \"SELECT resource, record_id, start_time, end_time, payload_json FROM records WHERE provider=\x27apple_health\x27\"
a, b = ({r[:4]: json.loads(r[4]) for r in sqlite3.connect(p).execute(q)} for p in sys.argv[1:])
sys.exit(a != b)" py.sqlite "$tmp/health.sqlite"'

# Memory does not grow with the export (not under a sanitizer or valgrind, whose own
# bookkeeping is the most of it).
if [ -z "${HEALTH_SYNC_VALGRIND:-}" ] && ! ldd "$HS" | grep -q -e libasan -e libubsan; then
    "$GEN" month.zip --start 2024-01-01 --days 60 --heart-rate 400 2>/dev/null
    check "a 60-day export imports in under 64 MB" eval \
        '/usr/bin/time -f %M -o rss "$HS" --db month.sqlite import apple-health month.zip >/dev/null 2>&1 &&
         [ "$(cat rss)" -lt 65536 ] || { echo "# peak RSS $(cat rss) KB"; false; }'
fi

# ---- a later cumulative export, written in another zone ----
"$GEN" e2.zip --start 2024-03-05 --days 15 --tz Europe/Paris --manifest m2.json 2>/dev/null
new=$(python3 -c "import json; a, b = (sum(json.load(open(f))['distinct'].values()) for f in ('m1.json', 'm2.json')); print(b - a)")
check "a later cumulative export adds only what is new ($new)" eval \
    'import 0 e2.zip && has ": $new new, "'
check "and then holds exactly its distinct records" per_resource m2.json
check "its instants did not move with the zone" eval \
    '[ "$(sql "SELECT COUNT(*) FROM records r WHERE provider=\"apple_health\" AND start_time <> (SELECT start_time FROM records q WHERE q.provider=r.provider AND q.resource=r.resource AND q.record_id=r.record_id)")" = 0 ]'

check "the report shows Apple Health's nights, steps, heart rate and body" eval \
    'run 0 report --since 2024-03-05 --until 2024-03-19 --output report.html &&
     grep -q "sleep from Apple Health, its stages" report.html && grep -q "Steps and active calories per day from Apple Health" report.html &&
     grep -q "<h2>Heart rate</h2>" report.html && grep -q "Body measurements on" report.html'

# ---- what the Health app writes since iOS 16: a broken DTD, vertical tabs ----
rm -f "$tmp"/health.sqlite*
"$GEN" quirks.zip --start 2024-03-05 --days 10 --health-app-quirks --manifest mq.json 2>/dev/null
check "an export with the iOS 16 DTD and vertical tabs imports" eval \
    'import 0 quirks.zip && [ "$(sql "SELECT COUNT(*) FROM records WHERE payload_json LIKE \"%Water sparkling%\"")" = 10 ]'
check "every record of it" per_resource mq.json

# ---- a truncated export ----
rm -f "$tmp"/health.sqlite*
size=$(stat -c %s e1.xml)
head -c $((size * 6 / 10)) e1.xml >cut.xml
check "a truncated export fails (exit 1) saying where it stopped" eval \
    'import 1 cut.xml && has "export.xml stops being readable at line [0-9]* (byte [0-9]*)" && has "kept the [0-9]* complete records before that point"'
kept=$(rows)
check "what came before was kept, and matches the full import" eval \
    '[ "$kept" -gt 0 ] && [ "$(sqlite3 "$tmp/health.sqlite" "ATTACH \"xml.sqlite\" AS f; SELECT COUNT(*) FROM records r WHERE provider=\"apple_health\" AND NOT EXISTS (SELECT 1 FROM f.records q WHERE q.resource=r.resource AND q.record_id=r.record_id AND q.payload_json=r.payload_json)")" = 0 ]'
head -c $(($(stat -c %s e1.zip) / 2)) e1.zip >cut.zip
rm -f "$tmp"/health.sqlite*
check "a truncated zip too" eval 'import 1 cut.zip && has "cannot read export.xml in cut.zip" && [ "$(rows)" -gt 0 ]'
check "the complete export then completes it" eval \
    'import 0 e1.xml && [ "$(content "$tmp/health.sqlite")" = "$xml_content" ]'

# ---- an import killed after its second batch, resumed ----
rm -f "$tmp"/health.sqlite*
check "killed right after its second committed batch" eval \
    'HEALTH_SYNC_FAIL_AFTER_COMMITS=2 import 99 e1.zip --batch 400'
check "the two batches are there" eval '[ "$(rows)" -gt 0 ] && [ "$(rows)" -le 800 ]'
check "a re-run completes it" eval \
    'import 0 e1.zip --batch 400 && [ "$(content "$tmp/health.sqlite")" = "$xml_content" ]'
check "status shows the import" eval 'run 0 status && has "apple_health"'
finish
