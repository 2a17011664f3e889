#!/usr/bin/env bash
# health-sync report: a small hand-made database gives exact numbers in the
# page's tables; the page is well formed, names nothing outside itself, is
# accessible, never lands on the database or config; headless Chromium (when
# installed: scripts/install-deps adds it) draws its charts at desktop and
# phone widths, in light and dark mode, with no console errors.
source "$(dirname "$0")/lib.sh"
export TZ=UTC HEALTH_SYNC_NOW=2024-03-10T12:00:00Z
FAKE=http://127.0.0.1:9 # nothing is fetched: the config only names the database
write_config
db="$tmp/health.sqlite"
run 0 init-db
put() { # put PROVIDER RESOURCE ID START JSON
    sql "INSERT INTO records VALUES ('$1', '$2', '$3', '$4', NULL, NULL, '$5', '2024-03-10T00:00:00Z')"
}
ran() { # ran PROVIDER RESOURCE FINISHED: a successful sync run
    sql "INSERT INTO sync_runs (provider, resource, status, started_at, finished_at) VALUES ('$1', '$2', 'success', '$3', '$3')"
}
oura_night() { # DAY TOTAL DEEP LIGHT REM AWAKE EFFICIENCY HRV LOWEST_HR
    put oura sleep "s-$1" "$1" "{\"id\":\"s-$1\",\"type\":\"long_sleep\",\"day\":\"$1\",\"bedtime_start\":\"$1T00:00:00+00:00\",\"bedtime_end\":\"$1T08:00:00+00:00\",\"total_sleep_duration\":$2,\"deep_sleep_duration\":$3,\"light_sleep_duration\":$4,\"rem_sleep_duration\":$5,\"awake_time\":$6,\"efficiency\":$7,\"average_hrv\":$8,\"lowest_heart_rate\":$9}"
}
oura_night 2024-03-01 25200 3600 14400 7200 1800 90 50 48
oura_night 2024-03-02 27000 5400 14400 7200 900 95 60 50
oura_night 2024-03-03 21600 3600 12600 5400 3600 80 40 52
withings_night() { # DAY LIGHT DEEP REM
    put withings sleep_summary "w-$1" "$1T00:00:00Z" "{\"id\":1,\"startdate\":1709251200,\"enddate\":1709280000,\"date\":\"$1\",\"data\":{\"lightsleepduration\":$2,\"deepsleepduration\":$3,\"remsleepduration\":$4,\"wakeupduration\":600}}"
}
withings_night 2024-03-01 12600 3600 5400
withings_night 2024-03-02 16200 5400 7200
put oura daily_activity a1 2024-03-01 '{"day":"2024-03-01","steps":10000,"active_calories":500}'
put oura daily_activity a2 2024-03-02 '{"day":"2024-03-02","steps":5000,"active_calories":250}'
put oura daily_activity a4 2024-03-04 '{"day":"2024-03-04","steps":8000,"active_calories":400}'
for s in "01T10:00 60" "01T10:05 70" "01T10:10 80" "01T10:15 90" "02T10:00 55" "02T10:05 75" "02T10:10 65"; do
    set -- $s
    put oura heartrate "hr-$1" "2024-03-$1:00+00:00" "{\"bpm\":$2,\"source\":\"awake\",\"timestamp\":\"2024-03-$1:00+00:00\"}"
done
put withings measures g1 2024-03-01T07:00:00Z '{"grpid":1,"date":1709276400,"measures":[{"value":80000,"type":1,"unit":-3},{"value":200,"type":6,"unit":-1}]}'
put withings measures g2 2024-03-02T07:00:00Z '{"grpid":2,"date":1709362800,"measures":[{"value":120,"type":10,"unit":0},{"value":80,"type":9,"unit":0}]}'
put withings measures g3 2024-03-03T07:00:00Z '{"grpid":3,"date":1709449200,"measures":[{"value":79000,"type":1,"unit":-3}]}'
sql "INSERT INTO records VALUES ('hevy', 'workouts', 'h1', '2024-03-01T18:00:00+00:00', '2024-03-01T19:00:00+00:00', NULL, '{\"id\":\"h1\",\"title\":\"Legs <&>\",\"exercises\":[{\"sets\":[{\"weight_kg\":100,\"reps\":5},{\"weight_kg\":100,\"reps\":5}]}]}', '2024-03-10T00:00:00Z')"
sql "INSERT INTO records VALUES ('hevy', 'workouts', 'h2', '2024-03-05T18:00:00+00:00', '2024-03-05T18:45:00+00:00', NULL, '{\"id\":\"h2\",\"exercises\":[{\"sets\":[{\"weight_kg\":50,\"reps\":10}]}]}', '2024-03-10T00:00:00Z')"
put strava activities 1 2024-03-02T08:00:00Z '{"id":1,"name":"Run","sport_type":"Run","start_date":"2024-03-02T08:00:00Z","elapsed_time":1800,"distance":5000}'
put strava activities 2 2024-03-03T08:00:00Z '{"id":2,"name":"<b>Ride</b>","sport_type":"Ride & <Roll>","start_date":"2024-03-03T08:00:00Z","elapsed_time":3600,"distance":20000}'
# A shared Eight Sleep pod: the account holder ("me") slept nowhere in range,
# the partner on the other side did; their night is not the holder's.
put eightsleep users_me me 2024-01-01T00:00:00Z '{"userId":"me"}'
put eightsleep trends partner:2024-03-01 2024-03-01 '{"day":"2024-03-01","presenceStart":"2024-03-01T00:00:00Z","presenceEnd":"2024-03-01T08:00:00Z","presenceDuration":28800,"sleepDuration":27000,"deepDuration":5400,"lightDuration":14400,"remDuration":7200}'
ran oura sleep 2024-03-10T11:00:00Z
ran oura heartrate 2024-03-10T11:00:00Z
ran oura daily_activity 2024-03-09T12:00:00Z
ran withings measures 2024-03-07T12:00:00Z
ran hevy workouts 2024-03-10T11:30:00Z
ran strava activities 2024-03-10T11:55:00Z
# Oura's latest whole pass failed (one resource did not) and the one before
# went well: its last successful sync is the earlier one.  Strava has no
# whole-pass rows (an older database): its resources' runs tell.
sql "INSERT INTO sync_runs (provider, resource, status, started_at, finished_at) VALUES
     ('oura', '*', 'success', '2024-03-10T06:00:00Z', '2024-03-10T06:00:00Z'),
     ('oura', '*', 'error', '2024-03-10T11:00:00Z', '2024-03-10T11:00:00Z')"

page="$tmp/health-report.html"
check "report writes the page to --output" run 0 report --since 2024-02-20 --until 2024-03-10 --output "$page"
check "the page file is mode 0600" eq "$(stat -c %a "$page")" 600
python3 "$ROOT/tests/integration/report_html.py" rows "$page" >rows.txt
row() { grep -qxF -- "$1" rows.txt || { echo "# no row '$1' in:"; sed 's/^/# /' rows.txt; return 1; }; }
check "sleep: a night's stages, efficiency and 7-night average" \
    row "2024-03-03|6 h 00 min|1 h 00 min|1 h 30 min|3 h 30 min|1 h 00 min|80|6 h 50 min"
check "sleep: the first night averages itself" \
    row "2024-03-01|7 h 00 min|1 h 00 min|2 h 00 min|4 h 00 min|30 min|90|7 h 00 min"
check "sleep by source: each device and their spread" \
    row "2024-03-01|7 h 00 min|6 h 00 min|1 h 00 min"
check "sleep by source: a partner's nights on a shared Eight Sleep are not the account holder's" \
    eval '! grep -q "Eight Sleep" rows.txt && ! grep -q "Eight Sleep" "$page"'
check "sleep by source: a night one device missed has no spread" \
    row "2024-03-03|6 h 00 min|—|—"
check "recovery: HRV and resting HR with 7- and 60-day baselines" \
    row "2024-03-03|40|50.0|50.0|52|50.0|50.0|—"
check "heart rate: lowest, median (even count) and highest" row "2024-03-01|60|75.0|90|4"
check "heart rate: an odd count's median" row "2024-03-02|55|65.0|75|3"
check "activity: a day's steps and active calories" row "2024-03-04|8000|400"
check "activity: weekly totals from Monday" row "2024-02-26|15,000|750|2"
check "body: weight, its 7-day average and fat ratio" row "2024-03-01|80.00|80.00|20.0|—|—|—|—"
check "body: the moving average spans the week" row "2024-03-03|79.00|79.50|—|—|—|—|—"
check "body: blood pressure" row "2024-03-02|—|80.00|—|—|—|120|80"
check "training: strength volume per week" row "2024-02-26|1|1000"
check "training: minutes and km by sport and provider" row "Run|Strava|1|30|5.0"
check "training: names from the data are escaped, not markup" row "Ride & <Roll>|Strava|1|60|20.0"
check "training: Hevy's sessions" row "strength_training|Hevy|2|105|—"
check "freshness: the last sync in which all of a provider's resources succeeded, its age, last day with data" \
    row "Oura|2024-03-10T06:00:00Z (6 h ago)|2024-03-04"
check "freshness: a provider synced minutes ago" row "Strava|2024-03-10T11:55:00Z (5 min ago)|2024-03-03"
check "the page says each panel's sentence" eval 'grep -q "6 h 50 min asleep on average over 3 nights at 88 % efficiency" "$page"'
check "markup from the data is escaped" eval '! grep -q "<Roll>" "$page" && grep -q "Ride &amp; &lt;Roll&gt;" "$page"'
check "the HTML nests properly and every SVG fragment parses as XML" \
    python3 "$ROOT/tests/integration/report_html.py" wellformed "$page"
check "nothing is fetched: no src, href, @import or url() outside the page" \
    python3 "$ROOT/tests/integration/report_html.py" offline "$page"
check "each chart is role=img with a title and a description" \
    python3 "$ROOT/tests/integration/report_html.py" accessible "$page"
check "dark mode, print and phone width are styled" eval \
    'grep -q "prefers-color-scheme:dark" "$page" && grep -q "@media print{@page{size:A4" "$page" && grep -q "name=\"viewport\"" "$page"'
check "every panel with data is there" eval \
    'for id in sleep sleep-sources recovery heart-rate activity body training freshness; do grep -q "<section id=\"$id\">" "$page" || exit 1; done'

# With a v_recovery view of another shape (the real one replaced), the recovery
# panel reads it, score included; its columns are looked up by name.
sql "DROP VIEW IF EXISTS v_recovery; CREATE VIEW v_recovery AS SELECT 'whoop' AS provider, '2024-03-0' || n AS day, 40 + n AS hrv_ms, 60 - n AS resting_hr_bpm, 70 + n AS score FROM (SELECT 1 AS n UNION ALL SELECT 2)"
check "report reads v_recovery when the database has it" \
    run 0 report --since 2024-02-20 --until 2024-03-10 --output "$tmp/recovery.html"
python3 "$ROOT/tests/integration/report_html.py" rows "$tmp/recovery.html" >rows.txt
check "recovery: the view's HRV, resting HR and score" row "2024-03-02|42|41.5|41.5|58|58.5|58.5|72"
check "recovery: the score has its chart" eval 'grep -q "<title>Readiness or recovery score</title>" "$tmp/recovery.html"'
check "recovery: the source and its latest score are named" eval \
    'grep -qi "from whoop against.*the latest score 72 on 2024-03-02" "$tmp/recovery.html"'
sql "DROP VIEW v_recovery"

# Past 400 days a chart slot and a table row stand for a week (Monday on):
# the means of its days.
check "report of a long range" run 0 report --since 2023-01-01 --until 2024-03-10 --output "$tmp/long.html"
python3 "$ROOT/tests/integration/report_html.py" rows "$tmp/long.html" >rows.txt
check "long range: a week's row holds the means of its nights" \
    row "2024-02-26|6 h 50 min|1 h 10 min|1 h 50 min|3 h 50 min|35 min|88|7 h 02 min"
check "long range: heart rate by week" row "2024-02-26|58|70.0|82|4"
check "long range: no table a day, the axes say week" eval \
    '! grep -q "Activity per day" "$tmp/long.html" && grep -q "week (Monday)</text>" "$tmp/long.html"'

# Default range: the last 365 days up to today (HEALTH_SYNC_NOW), so March 2023 is out.
(cd "$tmp" && "$HS" --config "$tmp/health-sync.toml" -q report) >/dev/null 2>&1
check "default output is health-report.html, the range the last 365 days" eval \
    'grep -q "2023-03-12 to 2024-03-10" "$tmp/health-report.html"'
check "--output - writes to standard output" eval \
    '"$HS" --config "$tmp/health-sync.toml" report --output - --since 2024-03-01 --until 2024-03-03 | grep -q "</html>"'
check "a range without data says so and shows only freshness" eval \
    'run 0 report --since 2020-01-01 --until 2020-02-01 --output "$tmp/empty.html" && grep -q "No data in this range" "$tmp/empty.html" && [ "$(grep -c "<section" "$tmp/empty.html")" = 1 ] && grep -q "<section id=\"freshness\">" "$tmp/empty.html"'
cp "$db" "$tmp/before.sqlite"
check "refuses to write over the database" run 2 report --output "$db"
check "refuses to write over the config" run 2 report --output "$tmp/health-sync.toml"
ln -s "$db" "$tmp/link.html"
check "refuses a symlink to the database" run 2 report --output "$tmp/link.html"
ln "$db" "$tmp/hard.html"
check "refuses a hard link to the database" run 2 report --output "$tmp/hard.html"
check "the database is untouched by the refusals" cmp "$db" "$tmp/before.sqlite"
check "a missing database is an error, never a new empty one" eval \
    'run 1 --db "$tmp/none.sqlite" report --output "$tmp/none.html"; [ ! -e "$tmp/none.sqlite" ] && [ ! -e "$tmp/none.html" ]'
check "a bad date is a usage error" run 2 report --since 2024-13-01
check "--since after --until is a usage error" run 2 report --since 2024-03-02 --until 2024-03-01
check "an unwritable target fails without a partial file" eval \
    'run 1 report --output "$tmp/missing-dir/r.html"; [ ! -e "$tmp/missing-dir" ]'

# A real browser: Chromium from Debian, headless.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
    echo "# chromium not installed (scripts/install-deps adds it): rendering not checked"
else
    shot() { # shot NAME WIDTH [chromium options]: a screenshot; console messages into NAME.log
        local name=$1 width=$2
        shift 2
        timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
            --user-data-dir="$tmp/chrome-$name" --enable-logging=stderr --v=0 "$@" \
            --screenshot="$tmp/$name.png" --window-size="$width,1400" "file://$page" \
            >"$tmp/$name.log" 2>&1
    }
    helper="$ROOT/tests/integration/report_html.py"
    # The Okabe-Ito blue of deep sleep and the orange of the sources' Withings markers.
    check "Chromium draws the charts at desktop width" eval \
        'shot desktop 1280 && python3 "$helper" colours "$tmp/desktop.png" 0,114,178 204,121,167 86,180,233'
    check "Chromium draws the charts at phone width" eval \
        'shot phone 390 && python3 "$helper" colours "$tmp/phone.png" 0,114,178 86,180,233'
    check "the phone screenshot is far from uniform" eval \
        '[ "$(python3 "$helper" distinct "$tmp/phone.png")" -gt 50 ]'
    check "dark mode: a dark page and its lighter blue" eval \
        'shot dark 1280 --force-dark-mode && python3 "$helper" colours "$tmp/dark.png" 21,21,21 59,143,208'
    check "printed, the pages are A4 (595 x 842 pt)" eval \
        'timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chrome-pdf" \
            --no-pdf-header-footer --print-to-pdf="$tmp/report.pdf" "file://$page" >/dev/null 2>&1 &&
         python3 -c "import re, sys; boxes = re.findall(rb\"/MediaBox *\\[0 0 ([0-9.]+) ([0-9.]+)\\]\", open(sys.argv[1], \"rb\").read()); sys.exit(0 if boxes and all(abs(float(w) - 595) < 1 and abs(float(h) - 842) < 1 for w, h in boxes) else 1)" "$tmp/report.pdf"'
    check "no console errors while rendering" eval \
        '! grep -h "CONSOLE\|Uncaught\|Refused to" "$tmp"/desktop.log "$tmp"/phone.log "$tmp"/dark.log | sed "s/^/# /" | grep -q .'
fi
finish
