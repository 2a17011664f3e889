#!/usr/bin/env bash
# kill -9 at random moments of a backfill, again and again, then one normal
# sync: the database must equal the one an uninterrupted sync writes (no lost,
# duplicated or stale rows) and stay usable.  The clock is pinned so that both
# see the same upstream and the same "now".
source "$(dirname "$0")/lib.sh"
export HEALTH_SYNC_NOW=2026-06-15T12:00:00Z
start_fake --years 2 --latency-ms 5
write_config hevy oura eightsleep
sed -i 's/^\[oura\]$/[oura]\naccess_token = "fake-oura-SECRET-pat-4d2a"/' "$tmp/health-sync.toml"
conf="$tmp/health-sync.toml"
rows() { # every row that mirrors upstream, in a stable order (Hevy's workout_events is an
         # audit log of the events each sync read: it depends on when syncs ran)
    sqlite3 "$1" "SELECT provider, resource, record_id, start_time, end_time, source_updated_at,
                  payload_json FROM records WHERE resource <> 'workout_events' ORDER BY 1, 2, 3"
}

# The reference: one uninterrupted sync into its own database.
sed "s#^db = .*#db = \"$tmp/reference.sqlite\"#" "$conf" >"$tmp/reference.toml"
chmod 600 "$tmp/reference.toml"
t0=$(date +%s%N)
"$HS" --config "$tmp/reference.toml" sync >"$tmp/reference.out" 2>&1
ref_rc=$?
ref_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ref_rc" -eq 0 ] || sed 's/^/# /' "$tmp/reference.out"
check "the reference sync completes" eq "$ref_rc" 0

kills=0
for i in $(seq 12); do
    "$HS" --config "$conf" -q sync >/dev/null 2>&1 &
    pid=$!
    # A random moment within the time an uninterrupted sync takes (later
    # runs resume, so they are shorter: aim at the first fifth).
    ms=$((RANDOM % (ref_ms / 5 + 1) + 5))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
    check "after kill -9 number $i the database is intact" eq "$(sql 'PRAGMA integrity_check')" ok
done
echo "# $kills of 12 runs were killed mid-sync (an uninterrupted sync: $ref_ms ms)"
check "most runs were killed mid-sync" eval '[ "$kills" -ge 6 ]'
check "a normal sync after the kills completes" run 0 sync
check "...and the database equals the uninterrupted one" eq "$(rows "$tmp/health.sqlite" | md5sum)" "$(rows "$tmp/reference.sqlite" | md5sum)"
diff <(rows "$tmp/reference.sqlite") <(rows "$tmp/health.sqlite") | cut -c1-400 | head -10 | sed 's/^/# /' 
check "...with no run left 'running'" eq "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'")" 0
check "...and the token store usable (a further sync works)" run 0 sync
finish
