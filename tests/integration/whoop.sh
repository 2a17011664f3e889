#!/usr/bin/env bash
# WHOOP against the fake developer API v2: OAuth2 with the client credentials
# in the body and single-use refresh tokens (offline scope), the backfill
# exact against the fake's data, the npm tool's record ids, pages of 25 with
# next_token, late scores and deletions in the re-listed window, older
# re-scores left to sync --full, the X-RateLimit budgets (minute waited out,
# day stops), 401/429/5xx, a kill after N commits, the views.
. "$(dirname "$0")/lib.sh"

start_fake --days 90
write_config whoop
CONF="$tmp/health-sync.toml"
token_field() { sql "select $1 from oauth_tokens where provider='whoop'"; }
fake_config() { curl -s -X POST "$FAKE/_admin/config?$1" >/dev/null; }
count() { sql "select count(*) from records where provider='whoop' and resource='$1'"; }
path_count() { # PATH: requests the fake answered on it since the last reset
    stats | python3 -c "import json,sys; print(json.load(sys.stdin)['paths'].get('whoop $1', 0))"
}
set_key() { # KEY VALUE: in [whoop]
    python3 - "$CONF" "$1" "$2" <<'PY'
import re, sys
path, key, value = sys.argv[1:]
text = open(path).read()
head, rest = text.split("[whoop]\n", 1)
body, sep, tail = rest.partition("\n[")
body = re.sub(rf"(?m)^{key} = .*\n?", "", body).rstrip("\n") + f"\n{key} = {value}\n"
open(path, "w").write(head + "[whoop]\n" + body + sep + tail)
PY
}

# ---- sign-in
set_key scopes '"read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement"'
check "auth without the offline scope works" oauth_login whoop
check "...says no refresh token will come" has 'lacks "offline"'
check "...and stores none" eq "$(token_field "refresh_token IS NULL")" 1
set_key scopes '"offline read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement"'
check "auth whoop (offline scope)" oauth_login whoop
check "...asks with a state of at least 8 characters" \
    eval 'grep -qE "[?&]state=[A-Za-z0-9_-]{8,}" "$OUT"'
check "...stores an access and a refresh token with their expiry" \
    eval '[ -n "$(token_field refresh_token)" ] && [ -n "$(token_field expires_at)" ]'

# ---- backfill
reset_stats
check "the first sync backfills every resource" run 0 sync -v
check "...exactly the fake's records" exact whoop
check "...the npm tool's record ids" eval '
    eq "$(sql "select record_id from records where resource=\"profile_basic\"")" 10129 &&
    eq "$(sql "select record_id from records where resource=\"body_measurement\"")" me &&
    eq "$(sql "select count(*) from records where resource=\"recoveries\" and record_id =
        json_extract(payload_json, \"\$.cycle_id\")")" "$(count recoveries)" &&
    eq "$(sql "select count(*) from records where resource=\"cycles\" and record_id =
        json_extract(payload_json, \"\$.id\")")" "$(count cycles)"'
check "...the current cycle stored without an end" \
    eq "$(sql "select count(*) from records where resource='cycles' and end_time is null")" 1
check "...pages of 25 records asked with limit=25 and continued by nextToken" eval '
    grep -q "v2/cycle?limit=25&start=" "$OUT" && grep -q "&nextToken=" "$OUT"'
check "the fake refuses more than 25 a page, as WHOOP does" eq \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(token_field access_token)" \
        "$FAKE/whoop/developer/v2/cycle?limit=26")" 400

# ---- nothing changed
reset_stats
check "a sync with nothing changed" run 0 sync
check "...asks one page per resource (6 requests)" eq "$(requests whoop)" 6
check "...and changes nothing" eval 'grep -qE "^whoop +ok +6/6 +0 +0 +0 " "$OUT"'

# ---- late scores, deletions, additions inside the overlap; an old re-score outside it
pending=$(sql "select count(*) from records where json_extract(payload_json, '$.score_state') = 'PENDING_SCORE'")
check "the latest sleep and recovery are stored pending" eq "$pending" 2
old_cycle=$(sql "select record_id from records where resource='cycles' order by start_time limit 1 offset 5")
recent_workout=$(sql "select record_id from records where resource='workouts' order by start_time desc limit 1")
admin whoop/score-pending >/dev/null
admin "whoop/delete?resource=workouts&id=$recent_workout" >/dev/null
new_workout=$(admin "whoop/add-workout?days_ago=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
admin "whoop/rescore?resource=cycles&id=$old_cycle" >/dev/null
check "a plain sync after upstream changes" run 0 sync
check "...stores the late scores" eq \
    "$(sql "select count(*) from records where json_extract(payload_json, '$.score_state') = 'PENDING_SCORE'")" 0
check "...deletes the removed workout" eq "$(sql "select count(*) from records where record_id='$recent_workout'")" 0
check "...adds the new one" eq "$(sql "select count(*) from records where record_id='$new_workout'")" 1
check "...but not an old cycle's re-score, outside the overlap" \
    eq "$(exact whoop)" "# cycles: 1 upstream records not stored as they are, 1 stored that upstream does not have"
check "sync --full" run 0 sync --full
check "...is exact again" exact whoop

# ---- tokens
curl -s -X POST "$FAKE/_admin/expire?provider=whoop" >/dev/null
old_refresh=$(token_field refresh_token)
check "an expired access token mid-run: refreshed once and the sync goes on (-v)" eval \
    'run 0 sync -v && has "HTTP 401, refreshing" && has "POST .*/whoop/oauth/oauth2/token"'
check "...the rotated refresh token is stored" eval '[ "$(token_field refresh_token)" != "$old_refresh" ]'
check "...and the spent one is refused by WHOOP" eq "$(curl -s -o /dev/null -w '%{http_code}' \
    -d "grant_type=refresh_token&scope=offline&client_id=fake-whoop-client&client_secret=fake-whoop-SECRET-4a7d&refresh_token=$old_refresh" \
    "$FAKE/whoop/oauth/oauth2/token")" 400
fake_config "token_ttl=30"
admin whoop/score-pending >/dev/null
curl -s -X POST "$FAKE/_admin/expire?provider=whoop" >/dev/null
run 0 sync >/dev/null # gets a 30-second token
check "a token expiring within 60 s is refreshed before the sync" eval \
    'run 0 sync -v && has "expires soon, refreshing" && hasnt "HTTP 401"'
fake_config "token_ttl=3600"
sql "update oauth_tokens set refresh_token='whoop-refresh-999-bogus', expires_at='2000-01-01T00:00:00Z' where provider='whoop'"
check "a refresh token WHOOP refuses: exit 1, telling to run auth" eval \
    'run 1 sync && has "WHOOP token refresh failed" && has "health-sync auth whoop"'
check "auth again" oauth_login whoop

# ---- rate limits
admin "whoop/limit?minute=4" >/dev/null
check "a spent minute budget is waited out (sync --full)" eval \
    'run 0 sync --full && has "rate limit reached; waiting"'
check "...and the data is exact" exact whoop
admin "whoop/limit?minute=100&day=3" >/dev/null
check "a spent daily budget stops the sync, progress kept" eval \
    'run 1 sync && has "daily rate limit reached"'
admin "whoop/limit?minute=100&day=10000" >/dev/null
fake_config "rate429=0.3"
check "429s injected: sync --full completes" run 0 sync --full
fake_config "rate429=0&error_rate=0.3"
check "5xx injected: sync --full completes" run 0 sync --full
fake_config "error_rate=0"
check "...exact" exact whoop

# ---- a kill after N commits, resumed
for k in 2 5 9; do
    rm -f "$tmp/health.sqlite"
    oauth_login whoop >/dev/null
    HEALTH_SYNC_FAIL_AFTER_COMMITS=$k "$HS" --config "$CONF" sync >/dev/null 2>&1
    check "a backfill killed after $k commits exits 99" eq "$?" 99
    check "...resumed, ends exact" eval 'run 0 sync && exact whoop'
done

# ---- views
check "v_sleep: the scored main sleeps, no naps" eq "$(sql "select count(*) from v_sleep where provider='whoop'")" \
    "$(sql "select count(*) from records where resource='sleep' and json_extract(payload_json, '$.nap') = 0
        and json_extract(payload_json, '$.score_state') = 'SCORED'")"
check "v_workouts: every workout" eq "$(sql "select count(*) from v_workouts where provider='whoop'")" "$(count workouts)"
check "v_recovery: one row a day with the scores" eval '
    eq "$(sql "select count(*), count(distinct day), count(hrv_ms), count(skin_temp_c) from v_recovery where provider=\"whoop\"")" \
       "$(count recoveries)|$(count recoveries)|$(count recoveries)|$(count recoveries)"'
check "no secret in any output, -v included" no_secrets
finish
