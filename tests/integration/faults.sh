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
sed "s#^db = .*#db = \"$tmp/reference.sqlite\"#" "$conf" >"$tmp/reference.toml"
chmod 600 "$tmp/reference.toml"
"$HS" --config "$tmp/reference.toml" -q sync >"$tmp/reference.out" 2>&1
check "the fault-free reference sync completes" eq "$?" 0
# Rows sorting after oura/heartrate in the records indexes (Oura's sleep,
# Strava, Withings, ...) wait while its backfill runs, so that its samples are
# appended at the indexes' end: each of those rows came after the last sample.
check "...committing every row that sorts after heart rate after its last sample" eq "$(sqlite3 "$tmp/reference.sqlite" \
    "SELECT (SELECT MIN(rowid) FROM records WHERE (provider, resource) > ('oura', 'heartrate'))
          > (SELECT MAX(rowid) FROM records WHERE provider = 'oura' AND resource = 'heartrate')")" 1

curl -s -X POST "$FAKE/_admin/config?error_rate=0.05&drop_rate=0.05&rate429=0.05&garbage_rate=0.03&token_ttl=2" >/dev/null
for p in oura withings strava eightsleep; do curl -s -X POST "$FAKE/_admin/expire?provider=$p" >/dev/null; done
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
check "...refreshing the expired tokens" eval 'cat "$tmp/all-output" | grep -qiE "HTTP 401|refresh"'
curl -s -X POST "$FAKE/_admin/config?error_rate=0&drop_rate=0&rate429=0&garbage_rate=0&token_ttl=3600" >/dev/null
check "...and the database equals the fault-free one" eq "$(rows "$tmp/health.sqlite" | md5sum)" "$(rows "$tmp/reference.sqlite" | md5sum)"
check "no secret appears in any output" no_secrets
finish
