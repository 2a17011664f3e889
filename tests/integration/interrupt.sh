#!/usr/bin/env bash
# Interruptions: Ctrl-C ends with 130 and rolls back only the page in flight;
# a process killed mid-backfill resumes where it stopped.
source "$(dirname "$0")/lib.sh"
HEVY_PAGE_SIZE=10 # the most Hevy lists a page
start_fake --years 2 --latency-ms 40
write_config hevy
count() { sql "SELECT COUNT(*) FROM records WHERE resource='workouts'"; }

"$HS" --config "$tmp/health-sync.toml" sync >"$OUT" 2>&1 </dev/null &
pid=$!
for _ in $(seq 100); do grep -q "page 3 of" "$OUT" && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
check "SIGINT ends the sync with exit 130" eq "$rc" 130
check "...saying so in one line" eval 'has "^interrupted: progress kept, the next sync resumes$"'
check "...with the database intact" eq "$(sql 'PRAGMA integrity_check')" ok
stored=$(count)
check "...and only whole pages stored (the open page rolled back)" eval '[ "$stored" -gt 0 ] && [ $((stored % HEVY_PAGE_SIZE)) -eq 0 ]'

curl -s -X POST "$FAKE/_admin/config?latency_ms=0" >/dev/null
reset_stats
check "a later sync completes the backfill" run 0 sync
pages=$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["paths"].get("hevy /v1/workouts", 0))')
total_pages=$(( ($(count) + HEVY_PAGE_SIZE - 1) / HEVY_PAGE_SIZE ))
check "...resuming after the pages already stored" eval '[ "$pages" -lt "$total_pages" ] || { echo "# fetched $pages of $total_pages pages"; false; }'
check "...ending with every workout" eq "$(count)" "$(curl -s -H 'api-key: fake-hevy-SECRET-key-5e1b' "$FAKE/v1/workouts/count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workout_count"])')"

rm -f "$tmp/health.sqlite"*
# One resource at a time, so that the 4 commits are workouts pages.
sed -i 's/^max_concurrency = .*//; s/^\[app\]$/[app]\nmax_concurrency = 1/' "$tmp/health-sync.toml"
COMMITS=4
HEALTH_SYNC_FAIL_AFTER_COMMITS=$COMMITS "$HS" --config "$tmp/health-sync.toml" sync >"$OUT" 2>&1 </dev/null
check "a process that dies after $COMMITS page commits..." eq "$?" 99
check "...keeps exactly those $COMMITS pages" eq "$(count)" $((COMMITS * HEVY_PAGE_SIZE))
check "...and its cursor (the next page, when the listing began)" eq "$(sql "SELECT substr(cursor, 1, 7) FROM sync_state WHERE resource='workouts'")" "page:$((COMMITS + 1)) "
reset_stats
check "the next sync resumes there" run 0 sync
first_page=$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["paths"].get("hevy /v1/workouts", 0))')
check "...without fetching the stored pages again" eq "$first_page" "$(( total_pages - 4 ))"
# One sync at a time: a second one fails at once (or waits), status still works.
curl -s -X POST "$FAKE/_admin/config?latency_ms=150" >/dev/null
"$HS" --config "$tmp/health-sync.toml" sync --full >"$tmp/first.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 100); do grep -q "page 2 of" "$tmp/first.out" && break; sleep 0.05; done
check "a second sync while one runs exits 1 naming the other process" eval 'run 1 sync && has "pid $pid"'
check "status works meanwhile" run 0 status
check "--lock-timeout waits for the first to finish" run 0 sync --lock-timeout 60
wait "$pid"
check "...and the first one finished fine" eq "$?" 0
check "a killed run is marked interrupted by the next sync" eq "$(sql "SELECT COUNT(*) > 0, SUM(status = 'running') FROM sync_runs WHERE status IN ('running','interrupted')")" "1|0"
# Ctrl-C while Oura's heart rate runs and its later resources (sleep, ...)
# have pages set aside: those were never committed, so their runs are not
# booked as successes, and the next sync fetches them again.
curl -s -X POST "$FAKE/_admin/config?latency_ms=20" >/dev/null
write_config oura
sed -i '/^\[oura\]/a access_token = "fake-oura-SECRET-pat-4d2a"' "$tmp/health-sync.toml"
sed -i "s|^db = .*|db = \"$tmp/held.sqlite\"|" "$tmp/health-sync.toml"
"$HS" --config "$tmp/health-sync.toml" -v sync >"$OUT" 2>&1 </dev/null &
pid=$!
for _ in $(seq 200); do grep -q "oura/sleep: its pages are set aside" "$OUT" && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
check "SIGINT while pages are set aside ends with 130" eq "$?" 130
held() { sqlite3 "$tmp/held.sqlite" "$1"; }
check "...their resource not booked a success" eq \
    "$(held "SELECT COUNT(*) FROM sync_runs WHERE resource = 'sleep' AND status = 'success'")" 0
check "...none of its rows stored" eq "$(held "SELECT COUNT(*) FROM records WHERE resource = 'sleep'")" 0
check "...and no file of them left" eval '[ -z "$(find "$tmp" -maxdepth 1 -name "*-held-*")" ]'
curl -s -X POST "$FAKE/_admin/config?latency_ms=0" >/dev/null
check "the next sync completes" run 0 sync
check "...storing the nights" test "$(held "SELECT COUNT(*) FROM records WHERE resource = 'sleep'")" -gt 0
finish
