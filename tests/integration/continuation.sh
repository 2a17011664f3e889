#!/usr/bin/env bash
# A listing whose next page cannot be asked for (here: a continuation token
# too long to put in a URL) fails; it never ends as if complete, because a
# complete full listing deletes what it did not see.
source "$(dirname "$0")/lib.sh"
export HEALTH_SYNC_NOW=2025-06-15T12:00:00Z
start_fake --years 1
write_config oura
sed -i '/^\[oura\]/a access_token = "fake-oura-SECRET-pat-4d2a"' "$tmp/health-sync.toml"
check "a first sync stores every Oura collection" run 0 sync
before=$(sql "SELECT resource, COUNT(*) FROM records GROUP BY resource ORDER BY resource")
check "...daily sleep over more than one page" test "$(sql "SELECT COUNT(*) FROM records WHERE resource = 'daily_sleep'")" -gt 100

curl -s -X POST "$FAKE/_admin/config?next_token_pad=20000" >/dev/null
check "a full sync whose continuations cannot be built fails (exit 1)" run 1 sync --full
check "...saying the listing is incomplete" has "the listing is incomplete"
check "...and deletes nothing: every record is still there" \
    eq "$(sql "SELECT resource, COUNT(*) FROM records GROUP BY resource ORDER BY resource")" "$before"
check "...its failed listing not booked a success" \
    eq "$(sql "SELECT status FROM sync_runs WHERE resource = 'daily_sleep' ORDER BY id DESC LIMIT 1")" error
curl -s -X POST "$FAKE/_admin/config?next_token_pad=0" >/dev/null
check "with ordinary tokens the full sync succeeds again" run 0 sync --full
check "no secret printed" no_secrets
finish
