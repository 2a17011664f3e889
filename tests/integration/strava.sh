#!/usr/bin/env bash
# Strava against the fake: OAuth with comma-joined scopes, an empty first sync
# keeping its start_date anchor, the daily budget stopping a backfill with its
# pages kept, exact rows, minimal re-syncs, changes inside the re-fetch window
# and (with --full) anywhere, token refresh (expired, rejected, rotated), a
# static access token, injected 429/5xx, and the 15-minute budget wait.
source "$(dirname "$0")/lib.sh"

toml="$tmp/health-sync.toml"
# strava_set KEY VALUE: sets a key of the [strava] section (TOML literal value).
strava_set() {
    sed -i "/^\[strava\]/,/^\[/{/^$1 = /d}" "$toml"
    sed -i "/^\[strava\]/a $1 = $2" "$toml"
}
strava_unset() { sed -i "/^\[strava\]/,/^\[/{/^$1 = /d}" "$toml"; }
activities() { sql "select count(*) from records where provider='strava' and resource='activities'"; }
watermark() { sql "select watermark from sync_state where provider='strava' and resource='$1'"; }
token_field() { sql "select $1 from oauth_tokens where provider='strava'"; }
payload_field() { # payload_field ID JSONPATH
    sql "select json_extract(payload_json, '$2') from records where provider='strava' and record_id='$1'"
}
fake_config() { curl -s -X POST "$FAKE/_admin/config?$1" >/dev/null; }
json_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
athlete_sql() { sql "select $1 from records where provider='strava' and resource='athlete'"; }

# same_as_fake: the stored activities are exactly the fake's list, stored as
# the Python tool stores them (str(id), start_date, NULL, first(updated_at,
# start_date), json.dumps with its default ASCII escaping).
same_as_fake() {
    python3 - "$FAKE" "$tmp/health.sqlite" <<'PY'
import json, sqlite3, sys, urllib.request
fake, db = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
token = con.execute("select access_token from oauth_tokens where provider='strava'").fetchone()[0]
items, page = [], 1
while True:
    req = urllib.request.Request(f"{fake}/strava/api/v3/athlete/activities?page={page}&per_page=200",
                                 headers={"Authorization": "Bearer " + token})
    batch = json.load(urllib.request.urlopen(req))
    items += batch
    if len(batch) < 200:
        break
    page += 1
want = {str(a["id"]): (a["start_date"], None, a.get("updated_at") or a["start_date"],
                       json.dumps(a, separators=(",", ":"))) for a in items}
got = {r[0]: tuple(r[1:]) for r in con.execute(
    "select record_id, start_time, end_time, source_updated_at, payload_json from records"
    " where provider='strava' and resource='activities'")}
if want != got:
    print(f"# the fake has {len(want)} activities, the database {len(got)}")
    for k in sorted(set(want) ^ set(got))[:5]:
        print("# only in the", "fake:" if k in want else "database:", k)
    for k in sorted(set(want) & set(got)):
        if want[k] != got[k]:
            print("# differs:", k, want[k], got[k])
            break
    sys.exit(1)
PY
}

# ---- an empty first sync, then an old activity uploaded late ----
start_fake --years 1 --density 0
write_config strava
strava_set scopes '"read  activity:read_all,read"'
check "auth strava joins the scopes with commas, once each" eval \
    'oauth_login strava && has "scope=read%2Cactivity%3Aread_all&" && has "Stored Strava token"'
check "the token keeps expires_in and the athlete in extra" eval \
    '[ -n "$(token_field refresh_token)" ] && [ -n "$(token_field expires_at)" ] &&
     eq "$(token_field "json_extract(extra_json, \"\$.athlete.firstname\")")" "Zoë" &&
     eq "$(token_field "json_type(extra_json, \"\$.expires_in\")")" integer'
check "an empty first sync succeeds" eval 'run 0 sync && eq "$(activities)" 0'
check "... and keeps the start_date anchor as its watermark (not now)" \
    eq "$(watermark activities)" "$(date -u -d 2010-01-01 +%s)"
late=$(admin "strava/add?start=$(($(date +%s) - 200 * 86400))" | json_id)
check "an old activity uploaded later is found by the next plain sync" eval \
    'run 0 sync && eq "$(activities)" 1 && [ -n "$(payload_field "$late" "\$.id")" ]'
stop_fake
rm -f "$tmp"/health.sqlite*

# ---- a year of data ----
start_fake --years 1
write_config strava
strava_set page_size 50
check "auth strava against the new fake" oauth_login strava

admin "strava/set-usage?short=0&long=997" >/dev/null
check "the daily budget stops the backfill: exit 1, a clear message" eval \
    'run 1 sync && has "daily rate limit reached; progress kept, run sync again tomorrow"'
check "... keeping the pages fetched before it" eval \
    'eq "$(activities)" 100 && eq "$(athlete_sql "count(*)")" 1'

admin "strava/set-usage?short=0&long=0" >/dev/null
check "the next sync finishes the backfill" eval 'run 0 sync && has "strava/activities:"'
check "every activity is stored exactly as the fake has it" same_as_fake
newest=$(sql "select max(start_time) from records where resource='activities'")
check "the watermark is the latest start, as decimal epoch text" \
    eq "$(watermark activities)" "$(date -u -d "$newest" +%s)"
check "athlete: record_id str(id), no times, source_updated_at = now" eval \
    'eq "$(athlete_sql "record_id, start_time is null, end_time is null")" "48213907|1|1" &&
     eq "$(athlete_sql source_updated_at)" "$(watermark athlete)"'
check "non-ASCII text is stored intact (escaped as Python does)" eval \
    'eq "$(payload_field 48213907 "\$.firstname") $(payload_field 48213907 "\$.lastname")" "Zoë Gonçalves" &&
     eq "$(payload_field 48213907 "\$.bio")" "Corro à beira-Tejo 🏃‍♀️" &&
     athlete_sql payload_json | grep -qF "\"Zo\\u00eb\""'
check "activity ids above 2^32 are kept exactly" eval \
    '[ "$(sql "select min(cast(record_id as integer)) from records where resource = \"activities\"")" -gt 4294967296 ]'

reset_stats
check "a sync with no change re-lists only the overlap window" eval \
    'run 0 sync && eq "$(requests strava)" 2 && has "0 new, 0 updated, 0 deleted"'

new1=$(admin strava/add | json_id)
new2=$(admin strava/add | json_id)
check "new activities are picked up by a plain sync" eval 'run 0 sync && has "2 new" && same_as_fake'
admin "strava/edit?id=$new1" >/dev/null
admin "strava/delete?id=$new2" >/dev/null
check "edits and deletions inside the re-fetch window: a plain sync" eval \
    'run 0 sync && has "1 updated, 1 deleted" && same_as_fake'

oldest=$(sql "select record_id from records where resource='activities' order by start_time limit 1")
second=$(sql "select record_id from records where resource='activities' order by start_time limit 1 offset 1")
admin "strava/edit?id=$oldest" >/dev/null
admin "strava/delete?id=$second" >/dev/null
check "changes older than the window stay unseen by a plain sync" eval \
    'run 0 sync && has "0 new, 0 updated, 0 deleted" && ! same_as_fake >/dev/null'
check "sync --full picks them up: the old edit and deletion" eval \
    'run 0 sync --full && has "1 updated, 1 deleted" && same_as_fake &&
     eq "$(payload_field "$oldest" "\$.name")" "Editada $oldest ✓"'

middle=$(sql "select record_id from records where resource='activities' order by start_time limit 1 offset 60")
admin "strava/edit?id=$middle" >/dev/null
admin "strava/delete?id=$oldest" >/dev/null
fake_config "rate429=0.3"
check "429s injected: sync --full still ends with the changes" eval \
    'run 0 sync --full && has "rate limited (429), retrying" && has "1 updated, 1 deleted"'
fake_config "rate429=0&error_rate=0.2"
admin "strava/add?start=$(($(date +%s) - 100 * 86400))" >/dev/null
check "5xx injected: sync --full still ends with the changes" eval \
    'run 0 sync --full && has "server error, retrying" && has "1 new"'
fake_config "error_rate=0"
check "... with exact data" same_as_fake

# ---- tokens ----
old_refresh=$(token_field refresh_token)
admin strava/expire-tokens >/dev/null
check "a rejected access token is refreshed once (-v) and the sync goes on" eval \
    'run 0 sync -v && has "HTTP 401, refreshing" && has "POST .*/strava/oauth/token"'
check "... and the rotated refresh token is stored" eval \
    '[ "$(token_field refresh_token)" != "$old_refresh" ] && [ -n "$(token_field refresh_token)" ]'
fake_config "token_ttl=30"
admin strava/expire-tokens >/dev/null
run 0 sync >/dev/null
check "a token expiring within 60 s is refreshed before the sync" eval \
    'run 0 sync -v && has "expires soon, refreshing" && hasnt "HTTP 401"'
fake_config "token_ttl=3600"

sql "update oauth_tokens set refresh_token='strava-refresh-999-bogus', expires_at='2000-01-01T00:00:00Z'"
check "a refresh token Strava rejects: exit 1, telling to run auth" eval \
    'run 1 sync && has "Strava token refresh failed" && has "health-sync auth strava" &&
     has "message=Bad Request"'
check "auth again" oauth_login strava

live=$(token_field access_token)
strava_set access_token "\"$live\""
check "auth with a static access_token stores it as such" eval \
    'run 0 auth strava && eq "$(token_field extra_json)" "{\"method\":\"static_access_token\"}" &&
     eq "$(token_field refresh_token)" ""'
check "sync uses the static access_token" eval 'run 0 sync && has "strava/activities:"'
strava_set access_token '"not-a-valid-strava-token"'
check "a bad static access_token: exit 1 and a clear message" eval \
    'run 1 sync && has "rejected the static access token in \[strava\].access_token" && has "health-sync auth strava"'
strava_unset access_token
check "auth by OAuth again" oauth_login strava

# ---- the 15-minute budget ----
admin "strava/set-usage?short=99&long=0" >/dev/null
export HEALTH_SYNC_NOW=$(($(date +%s) / 900 * 900)) # a quarter hour: the wait is a whole window
check "a spent 15-minute budget: a visible wait until the next quarter hour, then on" eval \
    'run 0 sync && has "15-minute rate limit reached (read requests 100/100); waiting 901 s" &&
     has "strava/activities: 0 new"'
unset HEALTH_SYNC_NOW
check "... with exact data" same_as_fake

tok=$(token_field access_token)
check "the fake: per_page above 200 is a 400" eval \
    '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" \
        "$FAKE/strava/api/v3/athlete/activities?per_page=201")" = 400 ]'

check "no secret in any output" no_secrets
finish
