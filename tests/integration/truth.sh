#!/usr/bin/env bash
# status tells the truth: a provider's last success is the last sync in
# which all its resources succeeded (STALE follows from it); a run left
# 'running' by a process that is gone shows as interrupted; Ctrl-C books the
# unfinished runs as interrupted and says one line, -q or not, exit 130.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config hevy
summary() { # summary FIELD: hevy's provider summary field from status --json
    run 0 status --json && python3 -c "
import json, sys
doc = json.load(open(sys.argv[1]))
p = [p for p in doc['providers'] if p['name'] == 'hevy'][0]
v = p[sys.argv[2]]
print('null' if v is None else str(v).lower() if isinstance(v, bool) else v)" "$OUT" "$1"
}

export HEALTH_SYNC_NOW=2026-03-01T08:00:00Z
check "a first sync of every resource succeeds" run 0 sync
check "...and is hevy's last success" eq "$(summary last_success)" 2026-03-01T08:00:00Z

# Three days later one resource fails: the provider did not succeed then.
export HEALTH_SYNC_NOW=2026-03-04T08:00:00Z
sql "CREATE TRIGGER no_routines BEFORE INSERT ON records WHEN NEW.resource='routines' BEGIN SELECT RAISE(ABORT, 'the disk says no'); END;"
check "a sync where routines fail and the other resources succeed exits 1" run 1 sync --full
check "...its resources' successes do not make it hevy's last success" \
    eq "$(summary last_success)" 2026-03-01T08:00:00Z
check "...so hevy is STALE (72 h > 48 h)" eq "$(summary stale)" true
check "...and the table says so" eval 'run 0 status && grep -E "^hevy +yes +2026-03-01T08:00:00Z +3d .*STALE" "$OUT" >/dev/null'
sql "DROP TRIGGER no_routines"
export HEALTH_SYNC_NOW=2026-03-04T09:00:00Z
check "once all resources succeed again" run 0 sync --full
check "...that sync is the last success" eq "$(summary last_success)" 2026-03-04T09:00:00Z
check "...and hevy is fresh" eq "$(summary stale)" false
check "...its own pass row not repeated in the resource table once it succeeded" \
    eval 'run 0 status && ! grep -qE "^hevy +\* " "$OUT"'
unset HEALTH_SYNC_NOW

# kill -9: the runs it left 'running' are shown as interrupted.
curl -s -X POST "$FAKE/_admin/config?latency_ms=1500" >/dev/null
"$HS" --config "$tmp/health-sync.toml" sync --full >"$tmp/killed.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 100); do [ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='running'")" -gt 0 ] && break; sleep 0.05; done
check "while a sync runs, status shows its runs as running" eval 'run 0 status && grep -q "running" "$OUT"'
kill -9 "$pid"; wait "$pid" 2>/dev/null
check "after kill -9 the rows still say running in the database" test "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='running'")" -gt 0
check "...but status shows them interrupted, not running for ever" \
    eval 'run 0 status && grep -q "interrupted" "$OUT" && ! grep -q "running" "$OUT"'
check "...in --json too" eval 'run 0 status --json && ! grep -q "\"running\"" "$OUT" && grep -q "\"interrupted\"" "$OUT"'
check "...and in status --runs" eval 'run 0 status --runs 3 && grep -q "interrupted" "$OUT" && ! grep -q "running" "$OUT"'
check "the next sync books them interrupted" eval 'run 0 sync && [ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status IN ('"'"'running'"'"', '"'"'aborted'"'"')")" = 0 ]'

# Ctrl-C, quietly: one line, exit 130, the unfinished runs booked interrupted.
write_config hevy strava eightsleep
curl -s -X POST "$FAKE/_admin/config?latency_ms=300" >/dev/null
oauth_login strava
before_errors=$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='error'")
"$HS" --config "$tmp/health-sync.toml" -q sync --full >"$OUT" 2>&1 </dev/null &
pid=$!
for _ in $(seq 200); do [ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='running'")" -ge 3 ] && break; sleep 0.05; done
sleep 0.3
kill -INT "$pid"
wait "$pid"
check "Ctrl-C ends the sync with exit 130" eq "$?" 130
cat "$OUT" >>"$tmp/all-output"
check "...printing exactly one line with -q" eq "$(cat "$OUT")" "interrupted: progress kept, the next sync resumes"
check "...its unfinished runs booked interrupted, none as errors" eval \
    '[ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='"'"'error'"'"'")" = "$before_errors" ] && [ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='"'"'interrupted'"'"'")" -gt 0 ] && [ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='"'"'running'"'"'")" = 0 ]'
"$HS" --config "$tmp/health-sync.toml" sync --full >"$OUT" 2>&1 </dev/null &
pid=$!
for _ in $(seq 200); do [ "$(sql "SELECT COUNT(*) FROM sync_runs WHERE status='running'")" -ge 3 ] && break; sleep 0.05; done
sleep 0.3
kill -INT "$pid"
wait "$pid"
cat "$OUT" >>"$tmp/all-output"
check "without -q: no error lines and no failed-providers summary, the one line at the end" eval \
    '! grep -q "^error:" "$OUT" && ! grep -q "providers failed" "$OUT" && [ "$(tail -1 "$OUT")" = "interrupted: progress kept, the next sync resumes" ] && [ "$(grep -c "^interrupted" "$OUT")" = 1 ]'
curl -s -X POST "$FAKE/_admin/config?latency_ms=0" >/dev/null
check "the next sync resumes and succeeds" run 0 sync
check "no secret printed" no_secrets
finish
