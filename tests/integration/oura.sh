#!/usr/bin/env bash
# Oura against the fake: OAuth with issuer discovery, a backfill that skips
# empty years, rows equal to the fake's documents (by the rules of docs/providers.md), a
# minimal second sync, edits/deletions inside the overlap window and with
# --full, token refresh (single-use refresh tokens), bad credentials, 429/5xx,
# a crash and resume, a personal access token, a missing scope.
source "$(dirname "$0")/lib.sh"

export HEALTH_SYNC_NOW=2025-06-15T12:00:00Z # the fake and the client share "today"
TODAY=2025-06-15
PAT=fake-oura-SECRET-pat-4d2a
start_fake --years 1
write_config oura
CONF="$tmp/health-sync.toml"

day() { date -u -d "$TODAY $1 days" +%F; } # day -3 => three days ago
# use_db FILE: the config and sql() both use $tmp/FILE from now on
use_db() { sed -i "s|^db = .*|db = \"$tmp/$1\"|" "$CONF"; DB="$tmp/$1"; }
DB="$tmp/health.sqlite"
sql() { sqlite3 "$DB" "$@"; }
oura_set() { sed -i "/^\[oura\]/a $1" "$CONF"; }   # oura_set 'key = "v"'
oura_unset() { sed -i "/^$1 = /d" "$CONF"; }
path_count() { stats | python3 -c "import json,sys; print(json.load(sys.stdin)['paths'].get('oura $1', 0))"; }
dump() { sql "SELECT resource, record_id, ifnull(start_time,'-'), ifnull(end_time,'-'),
              ifnull(source_updated_at,'-'), payload_json FROM records ORDER BY 1, 2" | md5sum; }
# day_before ISO: the heart-rate start_datetime parameter a day before it
day_before() { python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1]) - datetime.timedelta(days=1); print(t.strftime('%Y-%m-%dT%H%%3A%M%%3A%SZ'))" "$1"; }
payload() { sql "SELECT payload_json FROM records WHERE resource='$1' AND start_time='$2'"; }

# check.py DB: every collection in the database equals what the fake serves
# (asked with the PAT), record ids, times and payloads computed independently
# by the rules of docs/providers.md; prints the first difference.
cat >"$tmp/check.py" <<'PY'
import datetime, hashlib, json, sqlite3, sys, urllib.request
fake, db, pat, skip = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
def get(path):
    req = urllib.request.Request(fake + path, headers={"Authorization": "Bearer " + pat})
    return json.load(urllib.request.urlopen(req))
def listing(path):
    docs, token = [], None
    while True:
        reply = get(path + ("&next_token=" + token if token else ""))
        docs += reply["data"]
        token = reply.get("next_token")
        if not token:
            return docs
def first(d, *keys):
    for k in keys:
        if d.get(k):
            return d[k]
def s(v):
    return None if v is None else str(v)
def dumps(v):
    return json.dumps(v, separators=(",", ":"))
def row(d):
    rid = s(first(d, "id", "day", "timestamp")) or hashlib.sha256(
        json.dumps(d, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return rid, (s(first(d, "day", "start_datetime", "timestamp", "start_time")),
                 s(first(d, "end_datetime", "end_time")),
                 s(first(d, "updated_at", "modified_at", "timestamp")), dumps(d))
want = {"personal_info": {"me": (None, None, None, dumps(get("/v2/usercollection/personal_info")))}}
for res in ["daily_activity", "daily_sleep", "daily_readiness", "sleep", "workout", "session",
            "tag", "enhanced_tag", "daily_spo2", "daily_stress", "daily_resilience",
            "daily_cardiovascular_age", "vO2_max", "sleep_time", "rest_mode_period",
            "ring_configuration"]:
    docs = listing("/v2/usercollection/%s?start_date=2000-01-01&end_date=2100-01-01" % res)
    want[res] = dict(row(d) for d in docs if d.get("type") != "deleted")
hr = {}
for k in range(14):  # 14 windows of 30 days back from now cover the fake's year
    e = datetime.datetime(2025, 6, 15, 12) - datetime.timedelta(days=30 * k)
    b = e - datetime.timedelta(days=30)
    for d in listing("/v2/usercollection/heartrate?start_datetime=%sZ&end_datetime=%sZ"
                     % (b.isoformat(), e.isoformat())):
        hr[d["timestamp"]] = (d["timestamp"], None, d["timestamp"], dumps(d))
want["heartrate"] = hr
con = sqlite3.connect(db)
bad = 0
for res, rows in want.items():
    if res in skip:
        rows = {}
    have = {r[0]: tuple(r[1:]) for r in con.execute(
        "SELECT record_id, start_time, end_time, source_updated_at, payload_json FROM records"
        " WHERE provider='oura' AND resource=?", (res,))}
    if have != rows:
        bad += 1
        missing = sorted(set(rows) - set(have))[:2]
        extra = sorted(set(have) - set(rows))[:2]
        diff = [k for k in rows if k in have and rows[k] != have[k]][:1]
        print("# %s: %d stored, %d served; missing %s extra %s differ %s" % (
            res, len(have), len(rows), missing, extra,
            [(have[k], rows[k]) for k in diff]))
sys.exit(1 if bad else 0)
PY
matches_fake() { python3 "$tmp/check.py" "$FAKE" "${1:-$tmp/health.sqlite}" "$PAT" "${@:2}"; }

# ---- no token yet, then OAuth with issuer discovery
check "sync before auth fails with a hint" run 1 sync
check "  ... naming health-sync auth oura" has 'run `health-sync auth oura`'
check "auth oura by redirect" oauth_login oura
check "  ... exchanged at the discovered token endpoint" eq "$(path_count /oauth-issuer/token)" 1
check "  ... not at the configured one" eq "$(path_count /oauth/token)" 0
check "  ... endpoint kept in the token's extra" \
    eq "$(sql "SELECT json_extract(extra_json, '$.token_endpoint') FROM oauth_tokens")" \
    "$FAKE/oauth-issuer/token"

# ---- first backfill
reset_stats
check "first backfill" run 0 sync -v
backfill_stats=$(stats)
check "every collection equals the fake's documents" matches_fake
check "  ... counting every row new: none unchanged (overlapping windows are not counted twice)" eq \
    "$(sql "SELECT SUM(unchanged_count), SUM(updated_count) FROM sync_runs WHERE provider='oura' AND status='success'")" "0|0"
check "  ... heart rate's line says so" has 'oura/heartrate: [0-9]* new, 0 updated, 0 deleted, 0 unchanged'
check "sleep rows exist" eq "$(sql "SELECT count(*) > 300 FROM records WHERE resource='sleep'")" 1
check "heartrate samples stored" eq "$(sql "SELECT count(*) > 10000 FROM records WHERE resource='heartrate'")" 1
asked() { python3 -c "import json,sys; print(json.load(sys.stdin)['paths']['oura /v2/usercollection/$1'])" <<<"$backfill_stats"; }
# daily_activity: the first page from 2010 to today (its first day is the
# earliest), one confirming nothing before it, then the task's windows (7
# pages, 1 page); not 15 empty years one after another.
check "the first data day found in two requests, once for all collections" \
    eq "$(asked daily_activity)" 10
check "  ... the whole range first" has "daily_activity?start_date=2010-01-01&end_date=$TODAY ->"
check "  ... the others start at the first data day" eq "$(asked daily_readiness)" 8
first_day=$(sql "SELECT min(start_time) FROM records WHERE resource='daily_activity'")
hr_start=$(date -u -d "$first_day -7 days" +%F)
check "heartrate backfill starts a week before the first data day" \
    has "heartrate?start_datetime=${hr_start}T00%3A00%3A00Z&end_datetime=$(date -u -d "$hr_start +30 days" +%F)T00%3A00%3A00Z ->"
# That first window takes several pages (a chain of requests), so the later
# ones are sized to about a page each and fetched side by side.
check "  ... the first window is paged" eval \
    '[ "$(grep -c "heartrate?start_datetime=${hr_start}T00%3A00%3A00Z[^ ]*next_token" "$OUT")" -gt 2 ]'
hr_windows=$(grep -c 'heartrate?start_datetime=[^ ]*Z ->' "$OUT")
hr_pages=$(grep -c 'heartrate?start_datetime=[^ ]* ->' "$OUT")
check "  ... the later windows are shorter than 30 days ($hr_windows windows)" eval '[ "$hr_windows" -gt 13 ]'
check "  ... and mostly one page each ($hr_pages requests)" eval '[ "$hr_pages" -lt $((hr_windows * 3 / 2)) ]'
check "a sleep row by the rules" eq "$(sql "SELECT start_time IS NOT NULL AND end_time IS NULL AND
    source_updated_at IS NULL FROM records WHERE resource='sleep' LIMIT 1")" 1
check "a workout row by the rules" eq "$(sql "SELECT start_time = substr(payload_json, instr(payload_json, '\"day\":\"') + 7, 10)
    AND end_time LIKE '%T%+02:00' FROM records WHERE resource='workout' LIMIT 1")" 1
check "date watermark is today" eq "$(sql "SELECT watermark FROM sync_state WHERE resource='daily_sleep'")" "$TODAY"
check "non-ASCII tag text stored intact" \
    eq "$(sql "SELECT count(*) > 0 FROM records WHERE resource='tag' AND json_extract(payload_json, '$.text') = 'Café tard ☕'")" 1
check "  ... escaped as the Python tool did" eq "$(sql "SELECT count(*) > 0 FROM records WHERE resource='tag' AND payload_json LIKE '%Caf\\u00e9 tard \\u2615%'")" 1
check "personal_info is 'me'" eq "$(sql "SELECT json_extract(payload_json, '$.email') FROM records WHERE resource='personal_info' AND record_id='me'")" "léa.dupont@example.com"

# ---- second sync: one request per collection, nothing changes
last_hr=$(sql "SELECT max(start_time) FROM records WHERE resource='heartrate'")
reset_stats
check "second sync" run 0 sync -v
# Oura's collections as the binary lists them (`providers`), one request each.
collections=$("$HS" --config "$tmp/health-sync.toml" providers | sed -n '/^oura /,/resources:/s/^ *resources: *//p' |
    sed 's/ (.*//' | wc -w)
check "  ... one request per collection ($collections)" eval \
    '[ "$collections" -gt 0 ] && [ "$(requests oura)" = "$collections" ]'
check "  ... changes nothing" hasnt ' [1-9][0-9]* \(new\|updated\|deleted\)'
check "  ... heart rate asked from the last stored sample minus a day" has "heartrate?start_datetime=$(day_before "$last_hr")&"
check "  ... date collections asked from the watermark minus overlap_days" has "daily_sleep?start_date=$(day -7)&end_date=$TODAY"
check "  ... sleep asked through tomorrow (filed under the wake-up day)" has "/sleep?start_date=$(day -7)&end_date=$(day +1)"

# ---- upstream changes inside the overlap window: a plain sync sees them
old_ds=$(payload daily_sleep "$(day -2)")
wday=$(sql "SELECT start_time FROM records WHERE resource='workout' AND start_time >= '$(day -6)' ORDER BY 1 LIMIT 1")
admin "oura/edit-day?resource=daily_sleep&day=$(day -2)" >/dev/null
admin "oura/delete-day?resource=workout&day=$wday" >/dev/null
admin "oura/delete-day?resource=sleep&day=$(day -3)" >/dev/null   # turns type "deleted"
admin "oura/add-day?resource=tag&day=$TODAY" >/dev/null
admin "oura/add-day?resource=sleep&day=$(day +1)" >/dev/null      # filed under tomorrow
check "plain sync after changes" run 0 sync
check "  ... edited daily_sleep updated" test "$(payload daily_sleep "$(day -2)")" != "$old_ds"
check "  ... deleted workout swept" eq "$(sql "SELECT count(*) FROM records WHERE resource='workout' AND start_time='$wday'")" 0
check "  ... sleep of type deleted removed" eq "$(sql "SELECT count(*) FROM records WHERE resource='sleep' AND start_time='$(day -3)'")" 0
check "  ... new tag stored" eq "$(sql "SELECT count(*) FROM records WHERE resource='tag' AND start_time='$TODAY'")" 1
check "  ... tomorrow's sleep stored" eq "$(sql "SELECT count(*) FROM records WHERE resource='sleep' AND start_time='$(day +1)'")" 1
check "  ... equals the fake" matches_fake

# ---- older changes: only --full sees them
old_day=$(day -200)
old_ds=$(payload daily_sleep "$old_day")
admin "oura/edit-day?resource=daily_sleep&day=$old_day" >/dev/null
admin "oura/delete-day?resource=daily_activity&day=$old_day" >/dev/null
check "plain sync" run 0 sync
check "  ... misses an edit 200 days back" eq "$(payload daily_sleep "$old_day")" "$old_ds"
check "sync --full" run 0 sync --full
check "  ... picks up the old edit" test "$(payload daily_sleep "$old_day")" != "$old_ds"
check "  ... and the old deletion" eq "$(sql "SELECT count(*) FROM records WHERE resource='daily_activity' AND start_time='$old_day'")" 0
check "  ... equals the fake" matches_fake

# ---- expired access token: one refresh, rotated refresh token stored at once
refresh1=$(sql "SELECT refresh_token FROM oauth_tokens")
admin oura/expire-tokens >/dev/null
reset_stats
check "sync with an expired access token" run 0 sync
check "  ... refreshed once at the discovered endpoint" eq "$(path_count /oauth-issuer/token)" 1
refresh2=$(sql "SELECT refresh_token FROM oauth_tokens")
check "  ... rotated refresh token stored" test "$refresh2" != "$refresh1"
admin oura/expire-tokens >/dev/null
check "a second expiry refreshes with the new refresh token" run 0 sync
curl -s -X POST "$FAKE/_admin/config?token_ttl=30" >/dev/null
admin oura/expire-tokens >/dev/null
check "refresh to a token living 30 s" run 0 sync
reset_stats
check "next sync refreshes before it expires" run 0 sync
check "  ... without a 401 first" eq "$(path_count /oauth-issuer/token)" 1
curl -s -X POST "$FAKE/_admin/config?token_ttl=3600" >/dev/null

# ---- bad credentials
sed -i 's/^client_secret = .*/client_secret = "wrong-SECRET"/' "$CONF"
admin oura/expire-tokens >/dev/null
check "refresh with a wrong client secret fails" run 1 sync
check "  ... clearly" has 'Oura credentials rejected (run `health-sync auth oura`)'
check "  ... naming the token endpoint" has "POST $FAKE/oauth-issuer/token"
sed -i 's/^client_secret = .*/client_secret = "fake-oura-SECRET-c13f"/' "$CONF"
check "auth again" oauth_login oura
oura_set 'access_token = "not-a-valid-pat"'
check "a rejected personal access token fails" run 1 sync
check "  ... clearly" has 'Oura rejected the personal access token in \[oura\].access_token; replace it'
oura_unset access_token

# ---- 429 and 5xx on the way: exact data
faults() { curl -s -X POST "$FAKE/_admin/config?rate429=$1&error_rate=$2" >/dev/null; }
admin "oura/edit-day?resource=sleep&day=$(day -1)" >/dev/null
admin "oura/add-day?resource=workout&day=$TODAY" >/dev/null
faults 0.3 0
check "plain sync through 429s" run 0 sync
faults 0 0
check "  ... took the changes" matches_fake
before=$(dump)
faults 0.1 0.05
check "full sync through 429s and 5xx" run 0 sync --full
faults 0 0
check "  ... ends with exactly the same rows" eq "$(dump)" "$before"
# Pages cut off after a whole record (heart-rate windows stream their
# samples): retried, and nothing of the cut-off page is kept.
curl -s -X POST "$FAKE/_admin/config?garbage_rate=0.2&garbage_kind=4" >/dev/null
check "full sync through pages cut off mid-list" run 0 sync --full
curl -s -X POST "$FAKE/_admin/config?garbage_rate=0&garbage_kind=-1" >/dev/null
check "  ... retried them" has "the reply is not JSON (invalid JSON at byte"
check "  ... keeps no record of a cut-off page" \
    eq "$(sql "SELECT count(*) FROM records WHERE record_id = 'cut-off-record'")" 0
check "  ... ends with exactly the same rows" eq "$(dump)" "$before"

# ---- crash after a few commits, then resume: same rows
use_db crash.sqlite
oura_set "access_token = \"$PAT\""
# One resource at a time, so that "the N-th commit" is the same place every run.
sed -i 's/^\[app\]$/[app]\nmax_concurrency = 1/' "$CONF"
killed_after() { HEALTH_SYNC_FAIL_AFTER_COMMITS=$1 "$HS" --config "$CONF" sync >/dev/null 2>&1; [ $? -eq 99 ]; }
check "a backfill killed after 8 commits (in heart rate, the second resource)" killed_after 8
last_hr=$(sql "SELECT max(start_time) FROM records WHERE resource='heartrate'")
reset_stats
check "resumed" run 0 sync -v
check "  ... finished collections asked once" eq "$(path_count /v2/usercollection/personal_info)" 1
check "  ... heart rate from the last stored sample" has "heartrate?start_datetime=$(day_before "$last_hr")&"
check "  ... equals the fake" matches_fake "$tmp/crash.sqlite"
rm -f "$tmp/crash.sqlite"*
# Heart rate (the second resource) commits once a window; daily_activity
# comes next.  Kill after a few more commits than heart rate has windows,
# one at a time, until daily_activity stands between its two windows.
"$HS" --config "$CONF" -v sync >"$tmp/count.out" 2>&1
hr_windows=$(grep -c 'heartrate?start_datetime=[^ ]*Z ->' "$tmp/count.out")
da_cursor() { sql "SELECT cursor FROM sync_state WHERE resource='daily_activity'"; }
for k in $(seq "$hr_windows" $((hr_windows + 8))); do
    rm -f "$tmp/crash.sqlite"*
    killed_after "$k" && [ "$(da_cursor)" = "window:$(day -5)" ] && break
done
check "a backfill killed between two windows of daily_activity (after $k commits)" eq "$(da_cursor)" "window:$(day -5)"
check "  ... with heart rate done" eq "$(sql "SELECT watermark FROM sync_state WHERE resource='heartrate'")" \
    "$(sql "SELECT watermark FROM sync_state WHERE resource='personal_info'")"
reset_stats
check "  ... resumed there" run 0 sync -v
check "  ... with the last window" has "daily_activity?start_date=$(day -5)&end_date=$TODAY ->"
check "  ... not the first one again" hasnt "daily_activity?start_date=$hr_start&"
check "  ... then the cursor is cleared" eq "$(sql "SELECT cursor FROM sync_state WHERE resource='daily_activity'")" ""
check "  ... equals the fake" matches_fake "$tmp/crash.sqlite"

# ---- a personal access token in the config works without auth
use_db pat.sqlite
reset_stats
check "sync with a personal access token, no auth" run 0 sync
check "  ... equals the fake" matches_fake "$tmp/pat.sqlite"
check "  ... no token endpoint asked" eq "$(( $(path_count /oauth/token) + $(path_count /oauth-issuer/token) ))" 0
check "  ... nothing stored as a token" eq "$(sql "SELECT count(*) FROM oauth_tokens")" 0
check "auth oura with a personal access token stores it" run 0 auth oura --no-browser
check "  ... marked as such, never refreshed" eq "$(sql "SELECT extra_json, refresh_token IS NULL,
    expires_at IS NULL FROM oauth_tokens")" '{"method":"pat"}|1|1'
oura_unset access_token

# ---- a server listing newest first: the two-request probe cannot trust its
# first page, walks the years instead, and misses nothing
use_db newest.sqlite
oura_set "access_token = \"$PAT\""
admin "oura/order?newest=1" >/dev/null
reset_stats
check "backfill from a server listing newest first" run 0 sync -v
check "  ... walks the years from start_date" has "daily_activity?start_date=2010-01-01&end_date=2010-12-31 ->"
check "  ... equals the fake" matches_fake "$tmp/newest.sqlite"
admin "oura/order?newest=0" >/dev/null
oura_unset access_token

# ---- a token without the spo2 scope: that collection is skipped
use_db scope.sqlite
oura_set 'scopes = "personal daily heartrate workout tag session"'
admin "oura/issuer?enabled=0" >/dev/null
reset_stats
check "auth without spo2 (and without iss)" oauth_login oura
check "  ... exchanged at the configured token endpoint" eq "$(path_count /oauth/token)" 1
check "sync with a missing scope still succeeds" run 0 sync
check "  ... warns about the skipped collection" has 'oura/daily_spo2 skipped: the token lacks the scope'
check "  ... everything else stored" matches_fake "$tmp/scope.sqlite" daily_spo2

# ---- Oura's current sign-in by default: moi.ouraring.com and the extapi: scopes
use_db signin.sqlite
oura_unset scopes
oura_unset authorize_url
oura_unset token_url
check "auth with the default endpoints prints Oura's current authorize URL" eval \
    'run 1 auth oura --no-browser --timeout 1 && has "^https://moi.ouraring.com/oauth/v2/ext/oauth-authorize?response_type=code&"'
check "  ... asking for the extapi: scopes" \
    has "&scope=extapi%3Adaily%20extapi%3Aheartrate%20extapi%3Apersonal%20extapi%3Aworkout%20extapi%3Asession%20extapi%3Atag%20extapi%3Aspo2&state="
oura_set "authorize_url = \"$FAKE/oauth/v2/ext/oauth-authorize\""
check "the code goes to Oura's current token endpoint by default (unreachable here)" eval \
    '! oauth_login oura >/dev/null && has "https://moi.ouraring.com/oauth/v2/ext/oauth-token"'
oura_set "token_url = \"$FAKE/oauth/v2/ext/oauth-token\""
oura_set 'scopes = "personal daily heartrate workout tag session spo2"'
check "auth under the old scope names" oauth_login oura
oura_unset scopes
admin oura/expire-tokens >/dev/null
reset_stats
check "that token, with the extapi: scopes now configured, syncs" run 0 sync
check "  ... refreshed at the configured token endpoint" eq "$(path_count /oauth/v2/ext/oauth-token)" 1
check "  ... nothing skipped for want of a scope" hasnt 'skipped'
check "  ... everything stored" matches_fake "$DB"

# ---- heart-rate windows in flight: side by side, but at most 6 (their
# replies are the big ones, parsed one at a time)
sed -i '/^max_concurrency = 1$/d' "$CONF" # the crash tests' one request at a time
admin "config?latency_ms=100" >/dev/null
reset_stats
check "with 100 ms a request, sync --full asks for heart-rate windows side by side" eval \
    'run 0 sync --full && [ "$(route_max /v2/usercollection/heartrate)" -ge 2 ]'
check "  ... at most 6 at once" eval '[ "$(route_max /v2/usercollection/heartrate)" -le 6 ]'
admin "config?latency_ms=0" >/dev/null

# ---- a young account (30 days of data, start_date years before them): the
# first page of daily activity holds every day, so it alone tells the first
# one; no second request to confirm the days before it are empty
stop_fake
start_fake --days 30
sed -i "s|http://127.0.0.1:[0-9]*|$FAKE|g" "$CONF"
use_db young.sqlite
oura_set "access_token = \"$PAT\""
reset_stats
check "backfill of a 30-day account" run 0 sync -v
backfill_stats=$(stats)
check "  ... the first data day found in one request (then one window)" eq "$(asked daily_activity)" 2
check "  ... equals the fake" matches_fake "$tmp/young.sqlite"

# ---- replies that take 200 ms: the resources that sort after heart rate
# are held back all the same, their listings going on with the pages set
# aside (faults.sh checks the order and the set-aside pages)
stop_fake
start_fake --days 120 --latency-ms 200
sed -i "s|http://127.0.0.1:[0-9]*|$FAKE|g" "$CONF"
use_db slow.sqlite
check "a backfill with 200 ms replies" run 0 -v sync
check "  ... sets aside the pages of the resources after heart rate" \
    has 'oura/sleep: its pages are set aside until the bulk listing that sorts before it ends'
check "  ... equals the fake" matches_fake "$DB"

# ---- a server without some of the newer collections (an older API version,
# or one serving only the Python tool's set): those are skipped with a
# warning and the sync succeeds; a collection of the Python tool's set that is
# missing still fails it
use_db absent.sqlite
admin "config?absent=/v2/usercollection/session,/v2/usercollection/vO2_max,/v2/usercollection/ring_configuration" >/dev/null
check "sync against a server without session, vO2_max and ring_configuration succeeds" run 0 sync
check "  ... warns that session is skipped" has 'oura/session skipped: the server has no such endpoint'
check "  ... and ring_configuration" has 'oura/ring_configuration skipped: the server has no such endpoint'
check "  ... three runs recorded as skipped" \
    eq "$(sql "SELECT group_concat(resource) FROM (SELECT resource FROM sync_runs WHERE status='skipped' ORDER BY 1)")" \
    "$(printf '%s\n' session vO2_max ring_configuration | sort | paste -sd,)"
admin "config?absent=" >/dev/null # check.py reads the fake
check "  ... everything else stored" matches_fake "$DB" session vO2_max ring_configuration
admin "config?absent=/v2/usercollection/sleep" >/dev/null
check "a server without sleep (a collection the Python tool reads) fails the sync" run 1 sync
check "  ... naming it" has 'oura/sleep: HTTP 404'
admin "config?absent=" >/dev/null
oura_unset access_token

check "no secret in any output" no_secrets
finish
