#!/usr/bin/env bash
# Hevy against the fake: backfill, the events delta (updates, deletions),
# a no-change sync making only the minimal requests, --full reconciling a
# deletion the feed never announced, a bad key, 429/5xx, non-ASCII text.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config hevy
key=fake-hevy-SECRET-key-5e1b
api() { curl -s -H "api-key: $key" "$FAKE/v1/$1"; }
upstream_count() { api workouts/count | python3 -c 'import json,sys; print(json.load(sys.stdin)["workout_count"])'; }
# rows.py upstream PATH KEY PAGE_SIZE | rows.py stored RESOURCE: one line per
# record, "id<TAB>payload" (canonical JSON), sorted: what Hevy lists, page
# by page as a client reads it, against what the database holds.
cat >"$tmp/rows.py" <<'PY'
import json, sqlite3, sys, urllib.request
canon = lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False)
if sys.argv[1] == "upstream":
    base, key, path, items_key, size = sys.argv[2:7]
    rows, page, pages = [], 1, 1
    while page <= pages:
        req = urllib.request.Request(f"{base}/v1/{path}?page={page}&pageSize={size}",
                                     headers={"api-key": key})
        reply = json.load(urllib.request.urlopen(req))
        rows += [f"{item['id']}\t{canon(item)}" for item in reply[items_key]]
        pages, page = reply["page_count"], page + 1
else:
    db, resource = sys.argv[2:4]
    rows = [f"{rid}\t{canon(json.loads(payload))}" for rid, payload in sqlite3.connect(db).execute(
        "SELECT record_id, payload_json FROM records WHERE provider = 'hevy' AND resource = ?",
        (resource,))]
print("\n".join(sorted(rows)))
PY
# The page sizes Hevy allows: 10, and 100 for exercise templates.
PAGE_SIZE=10
TEMPLATES_PAGE_SIZE=100
upstream_rows() { python3 "$tmp/rows.py" upstream "$FAKE" "$key" "$1" "${2:-$1}" "${3:-$PAGE_SIZE}"; }
stored_rows() { python3 "$tmp/rows.py" stored "$tmp/health.sqlite" "$1"; }
# equal_to_upstream: every stored workout is one Hevy lists, with the same
# JSON, and none is missing (the rows compared, not their count).
equal_to_upstream() {
    local up st
    up=$(upstream_rows workouts) && st=$(stored_rows workouts) || return 1
    [ -n "$up" ] && [ "$up" = "$st" ] ||
        { echo "# workouts differ from upstream:"; diff <(echo "$up") <(echo "$st") | head -5 | sed 's/^/# /'; return 1; }
}

check "auth hevy checks the key" eval 'run 0 auth hevy && has "API key works"'
check "first sync backfills every workout" eval 'run 0 sync && has "hevy/workouts"'
check "...the workouts equal what Hevy lists, row for row" equal_to_upstream
check "...routines too" eq "$(stored_rows routines)" "$(upstream_rows routines)"
check "...routine folders too" eq "$(stored_rows routine_folders)" "$(upstream_rows routine_folders)"
check "...exercise templates too" eq "$(stored_rows exercise_templates)" \
    "$(upstream_rows exercise_templates exercise_templates "$TEMPLATES_PAGE_SIZE")"
custom_upstream=$(upstream_rows exercise_templates exercise_templates "$TEMPLATES_PAGE_SIZE" | grep -c '"is_custom": true')
check "...custom exercise templates included ($custom_upstream upstream)" eval \
    '[ "$custom_upstream" -gt 0 ] && [ "$(sql "SELECT COUNT(*) FROM records WHERE resource='"'exercise_templates'"' AND json_extract(payload_json,'"'\$.is_custom'"')=1")" = "$custom_upstream" ]'
first=$(api "workouts?page=1&pageSize=1" | python3 -c 'import json,sys; w=json.load(sys.stdin)["workouts"][0]; print(w["id"], w["start_time"], w["updated_at"])')
set -- $first
check "...with the row's id, start time and updated_at as sent" eq "$(sql "SELECT record_id, start_time, source_updated_at FROM records WHERE resource='workouts' AND record_id='$1'")" "$1|$2|$3"
check "...and the payload equal to the API's JSON" eq \
    "$(sql "SELECT payload_json FROM records WHERE resource='workouts' AND record_id='$1'" | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True))')" \
    "$(api "workouts?page=1&pageSize=1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["workouts"][0], sort_keys=True))')"
check "non-ASCII notes stored intact" eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts' AND json_extract(payload_json,'\$.exercises[0].notes') = 'Grip felt good — keep elbows tucked 💪'")" "$(upstream_count)"
check "payload_json is ASCII with \\u escapes, as the Python tool writes it" eval "sql \"SELECT payload_json FROM records WHERE resource='workouts' LIMIT 1\" | grep -q '\\\\u2014'"

reset_stats
check "a second sync with nothing new succeeds" run 0 sync
check "...making only the minimal requests (events, count, routines, folders)" eq "$(requests hevy)" 4

new=$(admin hevy/add | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
victim=$(sql "SELECT record_id FROM records WHERE resource='workouts' ORDER BY start_time LIMIT 1 OFFSET 5")
edited=$(sql "SELECT record_id FROM records WHERE resource='workouts' ORDER BY start_time LIMIT 1 OFFSET 9")
admin "hevy/delete?id=$victim" >/dev/null
admin "hevy/edit?id=$edited" >/dev/null
check "a delta sync picks up a new, an edited and a deleted workout" run 0 sync
check "...the new one is stored" eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts' AND record_id='$new'")" 1
check "...the deleted one is gone" eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts' AND record_id='$victim'")" 0
check "...and its deletion is recorded in workout_events" eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='workout_events' AND record_id LIKE 'deleted:$victim:%'")" 1
check "...the edit is stored" eq "$(sql "SELECT json_extract(payload_json,'\$.title') FROM records WHERE resource='workouts' AND record_id='$edited'")" "Edited $edited"
check "...and the workouts equal upstream" equal_to_upstream
SYNCS_SO_FAR=3 # the backfill, the no-change sync, the delta
check "sync_runs records each resource's run" eq "$(sql "SELECT COUNT(*) FROM sync_runs WHERE provider='hevy' AND resource='workouts' AND status='success'")" "$SYNCS_SO_FAR"

ghost=$(sql "SELECT record_id FROM records WHERE resource='workouts' ORDER BY start_time LIMIT 1 OFFSET 20")
admin "hevy/stealth-delete?id=$ghost" >/dev/null
check "a deletion without an event is caught by the count check" run 0 sync
check "...the workout is gone" eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts' AND record_id='$ghost'")" 0
ghost=$(sql "SELECT record_id FROM records WHERE resource='workouts' ORDER BY start_time LIMIT 1 OFFSET 30")
admin "hevy/stealth-delete?id=$ghost" >/dev/null
check "sync --full re-lists and reconciles" run 0 sync --full
check "...the workouts equal upstream" equal_to_upstream

curl -s -X POST "$FAKE/_admin/config?rate429=0.1&error_rate=0.05" >/dev/null
admin hevy/add >/dev/null
check "429s and 5xx are retried and the sync completes" run 0 -v sync --full
curl -s -X POST "$FAKE/_admin/config?rate429=0&error_rate=0" >/dev/null
check "...with data equal to upstream" equal_to_upstream

check "status --json parses and reports hevy's last success" eval \
    'run 0 status --json && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=[x for x in d[\"providers\"] if x[\"name\"]==\"hevy\"][0]; assert p[\"last_success\"] and not p[\"stale\"], p" "$OUT"'
check "status flags a provider whose last success is old" eval 'HEALTH_SYNC_NOW=2099-01-01T00:00:00Z run 0 status && grep -q "^hevy .*STALE" "$OUT"'
check "export writes a resource as CSV that a CSV reader reads back" eval \
    'run 0 export hevy/workouts --output workouts.csv && python3 -c "
import csv, json, sqlite3, sys
rows = list(csv.DictReader(open(\"workouts.csv\", newline=\"\")))
db = {r[0]: r[1] for r in sqlite3.connect(\"health.sqlite\").execute(\"SELECT record_id, payload_json FROM records WHERE resource=\x27workouts\x27\")}
assert len(rows) == len(db), (len(rows), len(db))
assert all(db[r[\"record_id\"]] == r[\"payload_json\"] for r in rows)
"'
wcount=$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts'")
check "export --format jsonl --since gives one JSON object per line" eval \
    'run 0 export hevy/workouts --format jsonl --since 2000-01-01 && [ "$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)[\"payload\"][\"id\"]))" "$OUT")" = "$wcount" ]'
# A server without routines (only the workouts the Python tool reads): skipped, not failed.
admin "config?absent=/v1/routines" >/dev/null
check "a server without /v1/routines: the sync succeeds" run 0 sync
check "...warning that routines are skipped" has 'hevy/routines skipped: the server has no such endpoint'
check "...and its routines kept" eq "$(sql "SELECT COUNT(*) > 0 FROM records WHERE resource='routines'")" 1
admin "config?absent=/v1/workouts/events" >/dev/null
check "a server without the workout events (which the Python tool reads) fails the sync" run 1 sync
admin "config?absent=" >/dev/null
sed -i 's/api_key = .*/api_key = "wrong-key-1234"/' health-sync.toml
check "a wrong key fails with a clear message and exit 1" eval 'run 1 sync && has "Hevy rejected the API key"'
check "auth hevy says the key does not work" eval 'run 1 auth hevy && has "Hevy rejected the API key"'
check "...and nothing stored is lost" equal_to_upstream
check "no secret appears in any output" no_secrets
finish
