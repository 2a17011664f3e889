#!/usr/bin/env bash
# What `providers` and `status --runs N` show: each provider's switch,
# credentials and resources; each resource's last runs with their times,
# counts, watermarks and the first line of an error.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config oura hevy strava
sed -i '/^client_secret = "fake-withings/d' "$tmp/health-sync.toml"
check "providers lists every provider" eval 'run 0 providers && [ "$(grep -c "^[a-z]* (.*): \(en\|dis\)abled$" "$OUT")" = "$("$HS" sync --help | awk "/^  --providers P/ { getline; print NF }")" ]'
check "...an OAuth2 provider without a token: run auth" has "no token: run \`health-sync auth oura\`"
check "...a provider whose config lacks a key names it" has "missing client_secret in the config"
check "...a key provider: key set" has "key set in the config"
check "...a password provider: signs in at the next sync" has "credentials set; signs in at the next sync"
check "...every resource selected by default" eval 'grep -A2 "^oura" "$OUT" | grep -q "daily_sleep .*(all selected)"'
oauth_login oura
run 0 providers
check "after auth: the token's expiry, renewed when due" has "token expires 20[0-9-]*T[0-9:]*Z (renewed when due)"
run 0 auth eightsleep
run 0 providers
check "a password provider's stored token: it signs in again when due" eval \
    'grep -A1 "^eightsleep" "$OUT" | grep -qE "token expires 20[0-9T:-]+Z \(signs in again when due\)"'
sed -i '/^\[hevy\]/a resources = ["workouts", "routines"]' "$tmp/health-sync.toml"
run 0 providers
check "a [hevy].resources selection: the others are left out" eval \
    'grep -A3 "^hevy" "$OUT" | grep -q "^  left out:  routine_folders exercise_templates (not in \[hevy\].resources)"'
check "...and the selected ones listed" eval 'grep -A3 "^hevy" "$OUT" | grep -q "^  resources: workouts routines$"'

run 0 sync --providers oura hevy
curl -s -X POST "$FAKE/_admin/config?error_rate=1" >/dev/null
run 1 sync --providers hevy
curl -s -X POST "$FAKE/_admin/config?error_rate=0" >/dev/null
check "status --runs 2" run 0 status --runs 2
check "...has a runs table" has "^Last 2 runs of each resource:"
check "...two runs of hevy/workouts, the newer first: an error, then the backfill" eval \
    '[ "$(grep -c "^hevy  *workouts  *20[0-9-]*T" "$OUT")" = 2 ] && grep "^hevy  *workouts  *20[0-9-]*T" "$OUT" | head -1 | grep -q " error " && grep "^hevy  *workouts  *20[0-9-]*T" "$OUT" | tail -1 | grep -q " success  *[1-9][0-9]* "'
check "...the backfill's watermark moved from none to a time" eval \
    'grep "^hevy  *workouts  *20[0-9-]*T" "$OUT" | tail -1 | grep -qE " - -> 20[0-9-]+T[0-9:]+Z$"'
check "...the error's first line under its run" eval 'grep -A1 "^hevy  *workouts  *20[0-9-]*T.* error " "$OUT" | grep -qE "^ +error: HTTP 5[0-9][0-9]"'
check "...a provider's whole pass has lines of its own, its error included" eval \
    'grep -A1 "^hevy  *(whole pass)  *20[0-9-]*T.* error " "$OUT" | grep -qE "^ +error: hevy/"'
check "...one run of a resource synced once" eval '[ "$(grep -c "^oura  *daily_sleep  *20[0-9-]*T" "$OUT")" = 1 ]'
check "status --runs 1 --json: a runs array, one per resource" eval 'run 0 status --runs 1 --json && python3 -c "
import json, sys
runs = json.load(open(sys.argv[1]))[\"runs\"]
w = [r for r in runs if (r[\"provider\"], r[\"resource\"]) == (\"hevy\", \"workouts\")]
assert len(w) == 1 and w[0][\"status\"] == \"error\", w
assert \"\\n\" not in w[0][\"error\"] and w[0][\"error\"].startswith(\"HTTP 5\"), w
assert w[0][\"watermark_before\"] == w[0][\"watermark_after\"] and w[0][\"duration_seconds\"] >= 0, w
assert all(k in w[0] for k in (\"started_at\", \"finished_at\", \"inserted\", \"updated\", \"deleted\", \"unchanged\"))
" "$OUT"'
check "--runs 0 is a usage error" eval 'run 2 status --runs 0 && has "runs needs a number"'
check "no secret appears in any output" no_secrets
finish
