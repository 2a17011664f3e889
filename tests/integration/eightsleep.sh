#!/usr/bin/env bash
# Eight Sleep against the fake: `auth` and the password login, a backfill
# equal to the fake's nights, a no-change sync making only the minimal
# requests, nights added/edited/deleted (inside the re-fetch window by a
# plain sync, anywhere by --full), a token expiring mid-sync, 429/5xx, a
# changed reply shape, wrong and missing credentials, non-ASCII text.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config eightsleep
ids=$(admin eightsleep/ids)
left=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["left"])' "$ids")
right=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["right"])' "$ids")
today=$(date -u +%F)
yesterday=$(date -u -d yesterday +%F)
# Nights the edits below rely on (409 when the fake already has them).
admin "eightsleep/add-night?user=left&day=$yesterday" >/dev/null
admin "eightsleep/add-night?user=right&day=$yesterday" >/dev/null

# upstream trends|intervals: the fake's rows as record_id|start|end|score,
# read through its API as a client would.
upstream() {
    python3 - "$FAKE/eightsleep/v1" "$1" "$left" "$right" <<'PY'
import json, sys, urllib.parse, urllib.request
base, what, users = sys.argv[1], sys.argv[2], sys.argv[3:]
def call(path, body=None, token=None):
    req = urllib.request.Request(base + path, data=body and json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    return json.load(urllib.request.urlopen(req))
token = call("/tokens", {"client_id": "fake-eightsleep-client",
                         "client_secret": "fake-eightsleep-SECRET-0b3c", "grant_type": "password",
                         "username": "sleeper@example.com",
                         "password": "fake-eightsleep-SECRET-pw"})["access_token"]
rows = []
for u in users:
    if what == "trends":
        for d in call(f"/users/{u}/trends?tz=UTC&from=2010-01-01&to=2100-01-01", token=token)["days"]:
            rows.append((f"{u}:{d['day']}", d["day"], d["presenceEnd"], d["score"]))
        continue
    page = call(f"/users/{u}/intervals", token=token)
    while True:
        for s in page["intervals"]:
            rows.append((f"{u}:{s['id']}", s["ts"], s["presenceEnd"], s["score"]))
        if "next" not in page:
            break
        page = call(f"/users/{u}/intervals?next=" + urllib.parse.quote(page["next"]), token=token)
for r in sorted(rows):
    print("|".join(map(str, r)))
PY
}
stored() {
    sql "SELECT record_id||'|'||start_time||'|'||end_time||'|'||json_extract(payload_json,'\$.score')
         FROM records WHERE provider='eightsleep' AND resource='$1' ORDER BY record_id"
}
count() { sql "SELECT COUNT(*) FROM records WHERE provider='eightsleep' AND resource='$1' ${2:-}"; }
path_hits() { stats | python3 -c "import json,sys; print(json.load(sys.stdin)['paths'].get('eightsleep $1', 0))"; }
score_of() { sql "SELECT json_extract(payload_json,'\$.score') FROM records WHERE resource='$1' AND record_id='$2'"; }

check "auth eightsleep logs in and says the credentials work" eval 'run 0 auth eightsleep && has "Eight Sleep accepted the email/password"'
check "...and stores a Bearer token with its expiry" eq "$(sql "SELECT token_type, expires_at > '$today', refresh_token IS NULL FROM oauth_tokens WHERE provider='eightsleep'")" "Bearer|1|1"
reset_stats
check "first sync backfills every resource" eval 'run 0 sync && has "eightsleep/intervals:" && has "Sync completed."'
trend_hits=$(path_hits "/v1/users/$left/trends") # before upstream() below asks too
check "...reusing the stored token (no second login)" eq "$(path_hits /v1/tokens)" 0
check "...trends equal the fake's nights, per user and day" eq "$(stored trends)" "$(upstream trends)"
check "...intervals equal the fake's sessions" eq "$(stored intervals)" "$(upstream intervals)"
check "...users_me filed under user.userId" eq "$(sql "SELECT record_id FROM records WHERE resource='users_me'")" "$left"
check "...every device of the account, not only the first" eq "$(count devices)" 2
check "...both sleepers' profiles" eq "$(sql "SELECT group_concat(record_id) FROM (SELECT record_id FROM records WHERE resource='users' ORDER BY 1)")" \
    "$(printf '%s\n%s\n' "$left" "$right" | sort | paste -sd,)"
check "...trend times as sent: start = day, end = presenceEnd" eq \
    "$(sql "SELECT start_time, end_time = json_extract(payload_json,'\$.presenceEnd'), source_updated_at = json_extract(payload_json,'\$.presenceStart') FROM records WHERE record_id='$left:$yesterday'")" \
    "$yesterday|1|1"
check "...the trends watermark is today's date" eq "$(sql "SELECT watermark FROM sync_state WHERE resource='trends'")" "${today}T00:00:00Z"
# No night predates the account: the backfill's windows start the day before
# its createdAt, not at start_date (2010), and cover the rest up to tomorrow.
created=$(sql "SELECT substr(MIN(json_extract(payload_json,'\$.user.createdAt')), 1, 10) FROM records WHERE resource='users'")
days=$(( ($(date -u -d "$today +1 day" +%s) - $(date -u -d "$created -1 day" +%s)) / 86400 + 1 ))
check "...fetched in 90-day windows from the account's creation ($created), not 2010" \
    eq "$trend_hits" "$(( (days + 89) / 90 ))"
check "non-ASCII names stored intact" eq "$(sql "SELECT json_extract(payload_json,'\$.user.firstName') FROM records WHERE resource='users' AND record_id='$right'")" "José"
check "...and tags too, \\u-escaped in payload_json" eval \
    "[ \"\$(count trends \"AND json_extract(payload_json,'\\\$.tags[0].name') = 'Café tardío ☕'\")\" -gt 0 ] && sql \"SELECT payload_json FROM records WHERE resource='users_me'\" | grep -q 'Zo\\\\u00eb'"

reset_stats
check "a second sync with nothing new succeeds" run 0 sync
check "...making only the minimal requests (me, 2 devices, 2 users, 1 window and 1 page each)" eq "$(requests eightsleep)" 9
check "...and changing no night" eval 'has "trends: 0 new, 0 updated, 0 deleted"'

admin "config?latency_ms=300" >/dev/null
reset_stats
check "with 300 ms a request, a sync asks for both devices at once" eval \
    'run 0 sync && [ "$(route_max /eightsleep/v1/devices/*)" = 2 ]'
check "...and for both users at once" eq "$(route_max '/eightsleep/v1/users/*')" 2
admin "config?latency_ms=0" >/dev/null

added=$(admin "eightsleep/add-night?user=left&day=$today" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
admin "eightsleep/edit-night?user=right&day=$yesterday" >/dev/null
gone=$(admin "eightsleep/delete-night?user=left&day=$yesterday" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "a plain sync picks up nights added, edited and deleted in the overlap" eval 'run 0 sync && has "trends: 1 new, 1 updated, 1 deleted"'
check "...the new night and its session are stored" eq "$(count trends "AND record_id='$left:$today'")$(count intervals "AND record_id='$left:$added'")" 11
check "...the deleted night and its session are gone" eq "$(count trends "AND record_id='$left:$yesterday'")$(count intervals "AND record_id='$left:$gone'")" 00
check "...the edit is stored" eq "$(stored trends)" "$(upstream trends)"
check "...in the sessions too" eq "$(stored intervals)" "$(upstream intervals)"

old=$(sql "SELECT start_time FROM records WHERE resource='trends' AND record_id LIKE '$left:%' ORDER BY start_time LIMIT 1 OFFSET 50")
oldid=$(admin "eightsleep/delete-night?user=left&day=$old" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
old2=$(sql "SELECT start_time FROM records WHERE resource='trends' AND record_id LIKE '$right:%' ORDER BY start_time LIMIT 1 OFFSET 80")
admin "eightsleep/edit-night?user=right&day=$old2" >/dev/null
check "an old deleted night stays after a plain sync (outside the window)" eval 'run 0 sync && [ "$(count trends "AND record_id='"'$left:$old'"'")" = 1 ]'
check "sync --full removes it" eval 'run 0 sync --full && [ "$(count trends "AND record_id='"'$left:$old'"'")" = 0 ]'
check "...and its session" eq "$(count intervals "AND record_id='$left:$oldid'")" 0
check "...and stores the old edit: trends equal the fake's" eq "$(stored trends)" "$(upstream trends)"
check "...and intervals equal the fake's" eq "$(stored intervals)" "$(upstream intervals)"

reset_stats
admin "eightsleep/expire-tokens?after=4" >/dev/null
check "a token revoked mid-sync: log in again and finish" eval 'run 0 sync && hasnt "failed"'
check "...with exactly one new login" eq "$(path_hits /v1/tokens)" 1
check "...and the new token stored" eq "$(sql "SELECT COUNT(*) FROM oauth_tokens WHERE provider='eightsleep' AND obtained_at >= '$today'")" 1
sql "UPDATE oauth_tokens SET expires_at='2001-01-01T00:00:00Z' WHERE provider='eightsleep'"
reset_stats
check "a stored token past its expiry is replaced before syncing" eval 'run 0 sync && [ "$(path_hits /v1/tokens)" = 1 ]'

admin "eightsleep/burst5xx?n=3" >/dev/null
check "a burst of 503s is retried and a full sync completes" eval 'run 0 sync --full && hasnt "failed"'
curl -s -X POST "$FAKE/_admin/config?rate429=0.3" >/dev/null
admin "eightsleep/add-night?user=right&day=$today" >/dev/null
check "429s are retried and the sync completes" eval 'run 0 -v sync && has "trends: 1 new"'
curl -s -X POST "$FAKE/_admin/config?rate429=0" >/dev/null
check "...with trends equal to the fake's" eq "$(stored trends)" "$(upstream trends)"
check "...and intervals equal to the fake's" eq "$(stored intervals)" "$(upstream intervals)"

before=$(stored trends)
admin "eightsleep/break-trends?on=1" >/dev/null
check "a changed reply shape fails that resource naming the field (exit 1)" eval 'run 1 sync && has "trends: unexpected reply" && has "\`days\` is not an array"'
check "...while the other resources go on" eval 'has "eightsleep/intervals: 0 new"'
check "...and no night is deleted" eq "$(stored trends)" "$before"
admin "eightsleep/break-trends?on=0" >/dev/null

admin "eightsleep/break-device?on=1" >/dev/null
check "a device reply without \`result\` fails devices naming its URL (exit 1)" eval \
    'run 1 sync && has "devices: unexpected reply from GET .*/devices/" && has "no \`result\` object"'
check "...and the resources needing the users are skipped, not run on a partial list" eval \
    'has "users are unknown because devices failed"'
check "...the devices stored stay as they were" eq "$(count devices)" 2
admin "eightsleep/break-device?on=0" >/dev/null
check "...and the next sync completes" run 0 sync

cp health-sync.toml good.toml
write_config eightsleep hevy
sed -i 's/^password = .*/password = "wrong-password-123"/' health-sync.toml
admin "eightsleep/expire-tokens" >/dev/null
check "a wrong password fails with a clear message and exit 1" eval 'run 1 -v sync && has "Eight Sleep rejected the email/password"'
check "...while the other providers go on" eval 'grep -Eq "^hevy +ok " "$OUT" && has "(1/2 providers failed): eightsleep"'
check "auth eightsleep says the credentials do not work" eval 'run 1 auth eightsleep && has "Eight Sleep rejected the email/password"'
sed -i '/^password = /d; /^client_secret = "fake-eightsleep/d' health-sync.toml
check "missing keys are a config error naming them" eval 'run 2 auth eightsleep && has "\[eightsleep\].password, \[eightsleep\].client_secret"'
cp good.toml health-sync.toml
sed -i 's/^\[eightsleep\]$/[eightsleep]\naccess_token = "bogus-static-token"/' health-sync.toml
check "a rejected static access_token says so" eval 'run 1 sync && has "rejected \[eightsleep\].access_token"'
check "...and no data was lost along the way" eq "$(stored trends)" "$(upstream trends)"
# ---- The whole history of sessions by default, a budget at a time: each
# sync fetches the newest pages first, then older pages until its history
# budget is spent (here 3 pages a sync, HEALTH_SYNC_HISTORY_STEPS, so that
# where it stops does not depend on speed); the next sync goes on.
mv health.sqlite full.sqlite && rm -f health.sqlite-*
ES_INTERVALS_DAYS=90 write_config eightsleep
sed -i '/^intervals_days = /d' health-sync.toml
history_of() { # provider/resource history from status --json: "oldest_day complete"
    run 0 status --json && python3 -c "import json,sys
for r in json.load(open(sys.argv[1]))['resources']:
    if r['resource'] == 'intervals':
        h = r['history']; print(h['oldest_day'], str(h['complete']).lower())" "$OUT"
}
# newest_first: each user's stored sessions are the newest of upstream's, none missing between
newest_first() {
    python3 - <(stored intervals) <(upstream intervals) <<'PY'
import sys
def by_user(path):
    out = {}
    for line in open(path):
        rid, start = line.split("|")[:2]
        out.setdefault(rid.split(":")[0], []).append((start, rid))
    return {u: sorted(v, reverse=True) for u, v in out.items()}
have, up = by_user(sys.argv[1]), by_user(sys.argv[2])
for u, rows in have.items():
    if rows != up[u][:len(rows)]:
        sys.exit("user %s: stored %d, not upstream's newest %d" % (u[:8], len(rows), len(rows)))
PY
}
reset_stats
check "a first sync with a small history budget" eval 'HEALTH_SYNC_HISTORY_STEPS=3 run 0 sync'
pages=$(( $(path_hits "/v1/users/$left/intervals") + $(path_hits "/v1/users/$right/intervals") ))
check "...asks each user's newest page, then 3 older ones (got $pages)" eq "$pages" 5
check "...stores each user's newest sessions, none skipped" newest_first
check "...and trends whole" eq "$(stored trends)" "$(upstream trends)"
check "status --json: intervals history incomplete" eval '[ "$(history_of | cut -d" " -f2)" = false ]'
check "status says so, with the oldest day reached" eval 'run 0 status && has "eightsleep/intervals: back to 20..-..-.., incomplete (the next sync goes on)"'
first_oldest=$(history_of | cut -d' ' -f1)
fresh=$(admin "eightsleep/add-night?user=right&day=$(date -u -d tomorrow +%F)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "the next sync (a night added meanwhile)" eval 'HEALTH_SYNC_HISTORY_STEPS=3 run 0 sync'
check "...fetches the new night's session first" eq "$(count intervals "AND record_id='$right:$fresh'")" 1
check "...and goes on further back" eval '[ "$(history_of | cut -d" " -f1)" \< "$first_oldest" ]'
check "...still the newest sessions of each user" newest_first
syncs=2
while [ "$(history_of | cut -d' ' -f2)" = false ] && [ "$syncs" -lt 80 ]; do
    HEALTH_SYNC_HISTORY_STEPS=3 run 0 sync || break
    syncs=$((syncs + 1))
done
check "later syncs complete the history ($syncs syncs)" eq "$(history_of | cut -d' ' -f2)" true
check "...every session equal to upstream's" eq "$(stored intervals)" "$(upstream intervals)"
check "status says complete" eval 'run 0 status && has "eightsleep/intervals: back to .*, complete"'
reset_stats
check "a sync with the history complete" eval 'HEALTH_SYNC_HISTORY_STEPS=3 run 0 sync'
check "...asks only the recent pages (one a user)" eq "$(( $(path_hits "/v1/users/$left/intervals") + $(path_hits "/v1/users/$right/intervals") ))" 2

# --history-budget 0 walks all of it now
mv health.sqlite budget.sqlite && rm -f health.sqlite-*
check "sync --history-budget 0 on a new database" run 0 sync --history-budget 0
check "...stores every session at once" eq "$(stored intervals)" "$(upstream intervals)"
check "...history complete" eq "$(history_of | cut -d' ' -f2)" true
check "--history-budget wants seconds" eval 'run 2 sync --history-budget soon && has "history-budget wants seconds"'

# intervals_days stays an explicit limit: the walk stops that many days back
mv health.sqlite unlimited.sqlite && rm -f health.sqlite-*
sed -i '/^\[eightsleep\]/a intervals_days = 90' health-sync.toml
reset_stats
cutoff=$(date -u -d "$(date -u +%F) -90 days" +%FT%TZ)
check "intervals_days = 90: a first sync" run 0 sync
pages=$(path_hits "/v1/users/$left/intervals") # before upstream() below reads the listing
check "...stores every session since then" eq \
    "$(stored intervals | awk -F'|' -v c="$cutoff" '$2 >= c')" \
    "$(upstream intervals | awk -F'|' -v c="$cutoff" '$2 >= c')"
check "...and at most one page older than that per user" eval \
    '[ "$(count intervals "AND start_time < '"'$cutoff'"'")" -le 20 ]'
check "...in about ten requests per user, not the whole listing (got $pages)" eval \
    '[ "$pages" -le 11 ] && [ "$pages" -ge 9 ]'
check "...its history complete up to the limit" eq "$(history_of | cut -d' ' -f2)" true
check "...while trends cover the whole history" eq "$(stored trends)" "$(upstream trends)"

check "no secret appears in any output" no_secrets
finish
