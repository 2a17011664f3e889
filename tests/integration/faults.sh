#!/usr/bin/env bash
# Everything at once against all five providers: 5% server errors, 5% dropped
# connections, 5% 429s, 3% 200 replies that are not JSON (HTML, cut off,
# invalid UTF-8, empty) and access tokens that expire after two seconds.  The
# sync completes with exactly the rows a fault-free sync writes, or stops
# with a clear message keeping all progress (then the next sync completes it).
source "$(dirname "$0")/lib.sh"
export HEALTH_SYNC_NOW=2026-06-15T12:00:00Z
start_fake --years 1 --latency-ms 2
write_config oura withings hevy strava eightsleep
sed -i 's/^\[withings\]$/[withings]\nsleep_detail = false/' "$tmp/health-sync.toml"
conf="$tmp/health-sync.toml"
rows() { # the rows that mirror upstream (Hevy's workout_events is an audit log)
    sqlite3 "$1" "SELECT provider, resource, record_id, start_time, end_time, source_updated_at,
                  payload_json FROM records WHERE resource <> 'workout_events' ORDER BY 1, 2, 3"
}
for p in oura withings strava; do check "auth $p" oauth_login "$p"; done
check "auth eightsleep" run 0 auth eightsleep

# The reference: a fault-free sync into its own database (same tokens).
cp "$tmp/health.sqlite" "$tmp/reference.sqlite"
cp "$tmp/health.sqlite" "$tmp/crash.sqlite"
sed "s#^db = .*#db = \"$tmp/reference.sqlite\"#" "$conf" >"$tmp/reference.toml"
chmod 600 "$tmp/reference.toml"
"$HS" --config "$tmp/reference.toml" -v sync >"$tmp/reference.out" 2>&1
check "the fault-free reference sync completes" eq "$?" 0
# Rows sorting after oura/heartrate in the records indexes (Oura's sleep,
# Strava, Withings, ...) wait while its backfill runs, so that its samples are
# appended at the indexes' end: each of those rows came after the last sample.
check "...committing every row that sorts after heart rate after its last sample" eq "$(sqlite3 "$tmp/reference.sqlite" \
    "SELECT (SELECT MIN(rowid) FROM records WHERE (provider, resource) > ('oura', 'heartrate'))
          > (SELECT MAX(rowid) FROM records WHERE provider = 'oura' AND resource = 'heartrate')")" 1
# Meanwhile their listings went on, each page set aside in a file beside the
# database, and committed from it at the end; the file is gone.
check "...their pages set aside meanwhile, then committed" eval \
    'grep -qE "^debug: withings/measures: [0-9]+ pages set aside committed" "$tmp/reference.out"'
# A resource whose pages are set aside ends after its provider's others, so
# the one after it need not wait (Strava's activities come after its athlete).
line_of() { grep -n -m1 -E "$1" "$tmp/reference.out" | cut -d: -f1; }
check "...and the resources after them go on meanwhile" test \
    "$(line_of 'GET [^ ]*/athlete/activities')" -lt "$(line_of '^oura/heartrate: [0-9]+ new')"
check "...leaving no file beside the database" eval \
    '[ -z "$(find "$tmp" -maxdepth 1 -name "*-held-*")" ]'

# Killed while heart rate runs: what was set aside was never committed, and
# the next sync fetches it again.
sed "s#^db = .*#db = \"$tmp/crash.sqlite\"#" "$conf" >"$tmp/crash.toml"
chmod 600 "$tmp/crash.toml"
HEALTH_SYNC_FAIL_AFTER_COMMITS=12 "$HS" --config "$tmp/crash.toml" sync >/dev/null 2>&1
check "a backfill killed after 12 commits, heart rate not done" eq "$?" 99
check "...has none of the rows set aside" eq "$(sqlite3 "$tmp/crash.sqlite" \
    "SELECT COUNT(*) FROM records WHERE (provider, resource) > ('oura', 'heartrate')")" 0
check "...and leaves no file of them" eval '[ -z "$(find "$tmp" -maxdepth 1 -name "*-held-*")" ]'
check "the next sync completes" eval '"$HS" --config "$tmp/crash.toml" -q sync >/dev/null 2>&1'
check "...with the fault-free rows" eq "$(rows "$tmp/crash.sqlite" | md5sum)" "$(rows "$tmp/reference.sqlite" | md5sum)"

curl -s -X POST "$FAKE/_admin/config?error_rate=0.05&drop_rate=0.05&rate429=0.05&garbage_rate=0.03&token_ttl=2" >/dev/null
for p in oura withings strava eightsleep; do curl -s -X POST "$FAKE/_admin/expire?provider=$p" >/dev/null; done
tokens_before=$(sql "SELECT provider || ' ' || access_token FROM oauth_tokens ORDER BY provider")
attempts=0
until run 0 -v sync || [ "$attempts" -ge 4 ]; do
    attempts=$((attempts + 1))
    # A stop must say why in one clear line per failure, and keep what it stored.
    grep -E '^warning: .* sync failed: ' "$OUT" | sed 's/^/# stopped: /' | cut -c1-200
done
check "under faults the sync completes (within a few runs)" eval '[ "$attempts" -lt 4 ]'
echo "# $attempts extra run(s) were needed"
check "...retrying what failed (5xx, drops, 429s, non-JSON replies) visibly" eval \
    'cat "$tmp/all-output" | grep -qE "retrying in"'
# Every provider that signs in (all but Hevy's API key) had its token
# expired above: each must hold a new access token now.
tokens_after=$(sql "SELECT provider || ' ' || access_token FROM oauth_tokens ORDER BY provider")
renewed=$(comm -13 <(echo "$tokens_before") <(echo "$tokens_after") | cut -d' ' -f1 | paste -sd' ')
check "...refreshing the expired tokens (a new one for each signed-in provider)" eq "$renewed" \
    "eightsleep oura strava withings"
curl -s -X POST "$FAKE/_admin/config?error_rate=0&drop_rate=0&rate429=0&garbage_rate=0&token_ttl=3600" >/dev/null
check "...leaving no file of pages set aside" eval '[ -z "$(find "$tmp" -maxdepth 1 -name "*-held-*")" ]'
check "...and the database equals the fault-free one" eq "$(rows "$tmp/health.sqlite" | md5sum)" "$(rows "$tmp/reference.sqlite" | md5sum)"
check "no secret appears in any output" no_secrets
finish
