#!/usr/bin/env bash
# Withings against the fake: signed OAuth (nonce + HMAC signature), the
# backfill of every resource, lastupdate deltas, deletions seen only by a full
# pass, the in-body statuses (401 refresh, 601 wait, other errors), injected
# 429/5xx, non-ASCII text, and no secret in any output.
source "$(dirname "$0")/lib.sh"

# A fixed "now" makes the fake's history (and so the values below) the same on every run.
export HEALTH_SYNC_NOW=2025-06-15T12:00:00Z
start_fake --years 1
write_config withings
cfg="$tmp/health-sync.toml"

# api_count PATH ACTION ITEMS_KEY [FIELD=VALUE...]: items the fake lists from
# lastupdate=0, read with the stored token by an independent client.
api_count() {
    local token
    token=$(sql "SELECT access_token FROM oauth_tokens WHERE provider='withings'")
    python3 - "$FAKE" "$token" "$@" <<'PY'
import json, sys, urllib.parse, urllib.request
base, token, path, action, key, *extra = sys.argv[1:]
offset, total = 0, 0
while True:
    form = {"action": action, "lastupdate": "0", "offset": str(offset)}
    form.update(kv.split("=", 1) for kv in extra)
    req = urllib.request.Request(base + path, data=urllib.parse.urlencode(form).encode(),
                                 headers={"Authorization": "Bearer " + token})
    reply = json.load(urllib.request.urlopen(req))
    assert reply["status"] == 0, reply
    total += len(reply["body"][key])
    if reply["body"].get("more") in (1, True) and reply["body"].get("offset"):
        offset = reply["body"]["offset"]
    else:
        break
print(total)
PY
}
# measures_upstream: every measure group the fake holds (category 1, no type
# filter, as upstream answers every type then) equals its stored row's
# payload, and no other group is stored.
measures_upstream() {
    local token
    token=$(sql "SELECT access_token FROM oauth_tokens WHERE provider='withings'")
    python3 - "$FAKE" "$token" "$tmp/health.sqlite" <<'PY'
import json, sqlite3, sys, urllib.parse, urllib.request
base, token, db = sys.argv[1:]
offset, upstream = 0, {}
while True:
    form = {"action": "getmeas", "category": "1", "lastupdate": "0", "offset": str(offset)}
    req = urllib.request.Request(base + "/measure", data=urllib.parse.urlencode(form).encode(),
                                 headers={"Authorization": "Bearer " + token})
    body = json.load(urllib.request.urlopen(req))["body"]
    upstream.update((str(g["grpid"]), g) for g in body["measuregrps"])
    if body.get("more") in (1, True) and body.get("offset"):
        offset = body["offset"]
    else:
        break
stored = {rid: json.loads(p) for rid, p in sqlite3.connect(db).execute(
    "SELECT record_id, payload_json FROM records WHERE provider='withings' AND resource='measures'")}
types = {m["type"] for g in upstream.values() for m in g["measures"]}
assert {170, 226, 227, 155, 168, 169, 167} <= types, sorted(types)
missing = sorted(set(upstream) - set(stored))
extra = sorted(set(stored) - set(upstream))
differ = sorted(k for k in upstream if k in stored and stored[k] != upstream[k])
if missing or extra or differ:
    print("# missing %d, extra %d, differing %d (e.g. %s)" % (len(missing), len(extra), len(differ),
          (missing + extra + differ)[:3]))
    sys.exit(1)
PY
}
# copy_tokens FROM TO: the stored tokens of database FROM replace those of TO.
copy_tokens() {
    sqlite3 "$2" "DELETE FROM oauth_tokens; ATTACH '$1' AS src; INSERT INTO oauth_tokens SELECT * FROM src.oauth_tokens"
}
count() { sql "SELECT COUNT(*) FROM records WHERE provider='withings' AND resource='$1'"; }
path_count() { stats | python3 -c "import json,sys; print(json.load(sys.stdin)['paths'].get('withings $1', 0))"; }

# ---- auth: scopes normalised, signed token calls, the secret never sent
sed -i '/^\[withings\]/a scopes = "user.metrics user.sleep, user.metrics"' "$cfg"
check "auth withings stores a token (nonce + signature)" eval 'oauth_login withings && has "Stored Withings token"'
check "the authorize URL asks for the normalised scopes" has 'scope=user.metrics%2Cuser.activity&state='
check "one getnonce and one requesttoken call, no client_secret" \
    eq "$(path_count /v2/signature)|$(path_count /v2/oauth2)|$(path_count 'client_secret sent')" "1|1|0"
check "the token row keeps userid in extra_json" \
    eq "$(sql "SELECT token_type, json_extract(extra_json, '\$.userid') FROM oauth_tokens WHERE provider='withings'")" "Bearer|36356"

# ---- the nights' detail is on by default, walked newest first within the
# history budget (here 40 nights a sync, HEALTH_SYNC_HISTORY_STEPS, so that
# where it stops does not depend on speed); later syncs go on
defaults="$tmp/defaults.sqlite"
run 0 --db "$defaults" init-db
copy_tokens "$tmp/health.sqlite" "$defaults"
sleep_history() { # "oldest_day complete" of withings/sleep from status --json
    run 0 --db "$defaults" status --json && python3 -c "import json,sys
for r in json.load(open(sys.argv[1]))['resources']:
    if r['provider'] == 'withings' and r['resource'] == 'sleep':
        h = r['history']; print(h['oldest_day'], str(h['complete']).lower())" "$OUT"
}
dcount() { sqlite3 "$defaults" "SELECT COUNT(*) FROM records WHERE provider='withings' AND resource='$1'"; }
reset_stats
check "a backfill with the default config and a small history budget" eval 'HEALTH_SYNC_HISTORY_STEPS=40 run 0 --db "$defaults" sync'
check "... stores the 40 newest nights' detail" eq \
    "$(sqlite3 "$defaults" "SELECT COUNT(*), MIN(start_time) >= (SELECT start_time FROM records WHERE resource='sleep_summary' ORDER BY start_time DESC LIMIT 1 OFFSET 39) FROM records WHERE resource='sleep'")" "40|1"
check "... and says the history is incomplete" eq "$(sleep_history | cut -d' ' -f2)" false
syncs=1
while [ "$(sleep_history | cut -d' ' -f2)" = false ] && [ "$syncs" -lt 40 ]; do
    HEALTH_SYNC_HISTORY_STEPS=40 run 0 --db "$defaults" sync || break
    syncs=$((syncs + 1))
done
check "later syncs complete it ($syncs syncs): one night record per summary" eq "$(dcount sleep)" "$(dcount sleep_summary)"
check "... status says complete, back to the first night" eq "$(sleep_history)" \
    "$(sqlite3 "$defaults" "SELECT substr(MIN(start_time), 1, 10) FROM records WHERE resource='sleep_summary'") true"
sed -i '/^\[withings\]/a sleep_detail = false' "$cfg"
reset_stats
run 0 --db "$tmp/nodetail.sqlite" init-db
copy_tokens "$tmp/health.sqlite" "$tmp/nodetail.sqlite"
check "sleep_detail = false: a backfill" run 0 --db "$tmp/nodetail.sqlite" sync
check "... with no request per night" test "$(path_count /v2/sleep)" -lt 10
sed -i '/^sleep_detail = false/d' "$cfg"

# ---- first backfill
check "the first sync backfills every resource (-v)" run 0 sync -v
for spec in "measures /measure getmeas measuregrps category=1" \
    "activity /v2/measure getactivity activities" "workouts /v2/measure getworkouts series" \
    "sleep_summary /v2/sleep getsummary series"; do
    set -- $spec
    r=$1; shift
    check "$r: as many rows as the fake lists" eq "$(count "$r")" "$(api_count "$@")"
done
check "sleep: one night record per sleep summary" eq "$(count sleep)" "$(count sleep_summary)"
check "a measure group: id, times as ISO Z, non-ASCII comment intact" eq \
    "$(sql "SELECT start_time, end_time IS NULL, source_updated_at, json_extract(payload_json, '\$.comment') FROM records WHERE resource='measures' AND record_id='5000000000'")" \
    "2024-06-16T09:00:00Z|1|2024-06-16T09:00:30Z|Taille mesurée à la maison — pieds nus 📏"
check "payloads keep non-ASCII as \\u escapes, keys in received order" \
    eq "$(sql "SELECT substr(payload_json, 1, 24), instr(payload_json, '\\u00e9e \\u00e0 la') > 0 FROM records WHERE record_id='5000000000'")" '{"grpid":5000000000,"att|1'
check "goals (category 2) are not fetched" \
    eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='measures' AND record_id='5000000001'")" 0
check "every measure group equals upstream's, every type included (visceral fat, BMR, ...)" measures_upstream
check "... and the typed view names the newer types" eq \
    "$(sql "SELECT COUNT(visceral_fat_index) > 100, COUNT(basal_metabolic_rate_kcal) = COUNT(visceral_fat_index) FROM v_body")" "1|1"
check "workout ids beyond 2^32, times as ISO Z" \
    eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts' AND CAST(record_id AS INTEGER) > 4294967296 AND start_time LIKE '____-__-__T__:__:__Z' AND end_time > start_time AND source_updated_at > end_time")" "$(count workouts)"
check "activity: one row per day, keyed by its date" \
    eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='activity' AND record_id = start_time AND json_extract(payload_json, '\$.steps') > 0")" "$(count activity)"
check "sleep: record id = the night's start epoch, series within the night" \
    eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='sleep' AND record_id = CAST(strftime('%s', start_time) AS TEXT) AND json_extract(payload_json, '\$.series[0].startdate') = CAST(record_id AS INTEGER) AND json_extract(payload_json, '\$.series[0].hr') IS NOT NULL")" "$(count sleep)"
check "sleep summaries carry the requested data fields" \
    eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='sleep_summary' AND json_extract(payload_json, '\$.data.sleep_score') > 0")" "$(count sleep_summary)"
check "watermarks are ISO UTC" eq "$(sql "SELECT COUNT(*) FROM sync_state WHERE provider='withings' AND watermark LIKE '____-__-__T__:__:__Z'")" 5

# ---- an interrupted sleep backfill resumes at the last committed night
resume="$tmp/resume.sqlite"
run 0 --db "$resume" init-db
copy_tokens "$tmp/health.sqlite" "$resume"
# About 22 page commits come before the sleep resource: die ~100 nights into it.
check "a backfill killed in the middle of the nights" eval 'HEALTH_SYNC_FAIL_AFTER_COMMITS=120 run 99 --db "$resume" sync'
stored=$(sqlite3 "$resume" "SELECT COUNT(*) FROM records WHERE resource='sleep'")
check "... kept the nights it had committed" test "$stored" -gt 0 -a "$stored" -lt "$(count sleep)"
reset_stats
check "the next sync" run 0 --db "$resume" sync
check "... completes the nights" eq "$(sqlite3 "$resume" "SELECT COUNT(*) FROM records WHERE resource='sleep'")" "$(count sleep)"
check "... fetching only those still missing (and the last one again)" \
    test "$(path_count /v2/sleep)" -le "$(($(count sleep) - stored + 10))"

# ---- nothing changed: one call per resource
reset_stats
check "a second sync succeeds" run 0 sync
check "... with one request per resource" eq "$(requests withings)" 5

# ---- upstream changes: new and edited groups by lastupdate, deletions by a full pass
old=$(sql "SELECT record_id FROM records WHERE resource='measures' AND payload_json LIKE '%\"type\":1,%' ORDER BY start_time LIMIT 1 OFFSET 3")
gone=$(sql "SELECT record_id FROM records WHERE resource='measures' ORDER BY start_time LIMIT 1 OFFSET 20")
weight() { sql "SELECT json_extract(payload_json, '\$.measures[0].value') FROM records WHERE resource='measures' AND record_id='$1'"; }
before=$(weight "$old")
new=$(admin withings/add-measure | python3 -c "import json,sys; print(json.load(sys.stdin)['grpid'])")
admin "withings/edit-measure?grpid=$old" >/dev/null
admin "withings/delete-measure?grpid=$gone" >/dev/null
check "a plain sync after upstream changes" run 0 sync
check "... picks up the new group" eq "$(sql "SELECT COUNT(*) FROM records WHERE record_id='$new'")" 1
check "... and the edit of an old group (300 g more)" eq "$(weight "$old")" "$((before + 300))"
check "... but cannot see the deletion (no feed)" eq "$(sql "SELECT COUNT(*) FROM records WHERE record_id='$gone'")" 1
check "sync --full" run 0 sync --full
check "... deletes the vanished group" eq "$(sql "SELECT COUNT(*) FROM records WHERE record_id='$gone'")" 0
check "... and keeps the rest equal to the fake" eq "$(count measures)" "$(api_count /measure getmeas measuregrps category=1)"
check "... every group equal to upstream's" measures_upstream

# ---- sleep nights: a full pass deletes stored nights upstream no longer has, without re-fetching
nights=$(count sleep)
sql "INSERT INTO records VALUES ('withings','sleep','1000','2001-01-01T00:00:00Z',NULL,NULL,'{}','x'),
     ('withings','sleep','1718600000','2024-06-17T04:53:20Z',NULL,NULL,'{}','x'),
     ('withings','sleep','1900000000','2030-03-17T17:46:40Z',NULL,NULL,'{}','x')"
reset_stats
check "sync --full with unlisted nights stored" run 0 sync --full
check "... deletes them and keeps every listed night" eq "$(count sleep)" "$nights"
summary_pages=$(( ($(count sleep_summary) + 99) / 100 ))
check "... without fetching any night again (only the two summary listings)" eq "$(path_count /v2/sleep)" "$((2 * summary_pages))"

# ---- in-body status 401: refresh once, retry
admin withings/expire-tokens >/dev/null
refresh_before=$(sql "SELECT refresh_token FROM oauth_tokens WHERE provider='withings'")
reset_stats
check "status 401 on a data call: refresh and retry (-v)" eval 'run 0 sync -v && has "status 401 for getmeas, refreshing"'
check "... one signed refresh (getnonce + requesttoken)" eval '[ "$(path_count /v2/signature)" = 1 ] && [ "$(path_count /v2/oauth2)" = 1 ]'
check "... the rotated refresh token is stored" test "$(sql "SELECT refresh_token FROM oauth_tokens WHERE provider='withings'")" != "$refresh_before"

# ---- a token about to expire is refreshed before syncing
curl -s -X POST "$FAKE/_admin/config?token_ttl=30" >/dev/null
admin withings/expire-tokens >/dev/null
run 0 sync >/dev/null
reset_stats
check "a token expiring within 60 s" run 0 sync
check "... is refreshed before the data calls (none answered 401)" eq "$(path_count /v2/oauth2)|$(requests withings)" "1|7"
curl -s -X POST "$FAKE/_admin/config?token_ttl=3600" >/dev/null
run 0 sync >/dev/null

# ---- status 601: wait and retry; other statuses: a clear error
admin "withings/burst601?n=3" >/dev/null
check "status 601 three times: waits and retries" eval 'run 0 sync && has "too many requests (status 601), waiting"'
check "... and the data is intact" eq "$(count measures)" "$(api_count /measure getmeas measuregrps category=1)"
admin "withings/burst601?n=50" >/dev/null
check "status 601 that does not stop: exit 1 naming it" eval 'run 1 sync && has "Withings status 601 for POST .*/measure (action=getmeas): Too Many Requests"'
admin "withings/burst601?n=0" >/dev/null
admin "withings/burst?status=2555&n=1" >/dev/null # the listings run side by side: whichever asks first gets it
check "status 2555: exit 1 naming status and text" eval 'run 1 sync && has "withings/[a-z_]*: Withings status 2555 for POST .*: An unknown error occurred"'

# ---- HTTP 429 and 5xx from the server: retried, same data
curl -s -X POST "$FAKE/_admin/config?rate429=0.3&error_rate=0.05" >/dev/null
check "sync --full through injected 429/5xx" run 0 sync --full
curl -s -X POST "$FAKE/_admin/config?rate429=0&error_rate=0" >/dev/null
for spec in "measures /measure getmeas measuregrps category=1" \
    "activity /v2/measure getactivity activities" "workouts /v2/measure getworkouts series" \
    "sleep_summary /v2/sleep getsummary series"; do
    set -- $spec
    r=$1; shift
    check "$r: still as many rows as the fake lists" eq "$(count "$r")" "$(api_count "$@")"
done
check "... and one sleep record per night" eq "$(count sleep)" "$(count sleep_summary)"

# ---- bad credentials
check "no token stored: exit 1 with the fix" eval 'run 1 --db "$tmp/empty.sqlite" sync && has "no Withings token stored; run .health-sync auth withings."'
cp "$cfg" "$tmp/good.toml"
sed -i 's/fake-withings-SECRET-77a2/fake-withings-SECRET-wrong/' "$cfg"
admin withings/expire-tokens >/dev/null
check "a wrong client secret: exit 1, signature rejected, auth hint" \
    eval 'run 1 sync && has "invalid signature" && has "health-sync auth withings"'
cp "$tmp/good.toml" "$cfg"
check "the right secret works again (the refresh token was not spent)" run 0 sync

# ---- meastypes narrows the set (the default asks for every type)
sed -i '/^\[withings\]/a meastypes = [1, 170]' "$cfg"
check "meastypes = [1, 170] with sync --full" run 0 sync --full
check "... fetches type 170 and drops groups without either type" eq \
    "$(sql "SELECT COUNT(*) = SUM(payload_json LIKE '%\"type\":170%' OR payload_json LIKE '%\"type\":1,%') FROM records WHERE resource='measures'")|$(count measures)" \
    "1|$(api_count /measure getmeas measuregrps meastypes=1,170 category=1)"

sed -i 's/^meastypes = .*/meastypes = "1"/' "$cfg"
check "meastypes = \"1\" with sync --full" run 0 sync --full
check "... narrows to weight alone" eq "$(sql "SELECT COUNT(*) FROM records WHERE resource='measures' AND json_array_length(payload_json, '\$.measures') != 1")" 0
check "... with as many groups as upstream has weights" eq "$(count measures)" "$(api_count /measure getmeas measuregrps meastypes=1 category=1)"

check "the client secret was never sent" eq "$(path_count 'client_secret sent')" 0
check "no secret in any output" no_secrets
finish
