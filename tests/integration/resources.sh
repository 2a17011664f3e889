#!/usr/bin/env bash
# [<provider>].resources: only the named resources are synced (the others
# are not even asked for), an unknown name is a config error naming
# file:line and the valid names, a selection that drops what a kept one
# builds on is refused, and `status` says which resources are off.
source "$(dirname "$0")/lib.sh"
export HEALTH_SYNC_NOW=2025-06-15T12:00:00Z
start_fake --days 60
write_config oura hevy eightsleep
cfg="$tmp/health-sync.toml"
set_key() { sed -i "/^\[$1\]/a $2" "$cfg"; } # set_key SECTION 'key = value'
path_count() { stats | python3 -c "import json,sys; print(json.load(sys.stdin)['paths'].get('$1', 0))"; }
set_key oura 'access_token = "fake-oura-SECRET-pat-4d2a"'

# ---- unknown names: a config error, before anything runs
set_key hevy 'resources = ["workouts", "workout"]'
line=$(grep -n '^resources = \["workouts", "workout"\]' "$cfg" | cut -d: -f1)
check "an unknown resource name: exit 2" run 2 sync
check "... naming file:line, the name and the valid ones" \
    has "$cfg:$line: \[hevy\].resources: unknown resource 'workout' (valid: workouts, routines, routine_folders, exercise_templates)"
check "... and status refuses the config too" run 2 status
check "... nothing was asked upstream" eq "$(requests hevy)" 0
sed -i '/^resources = /d' "$cfg"

# ---- Eight Sleep's nights need the account's ids: dropping those is refused
set_key eightsleep 'resources = ["trends", "intervals"]'
check "eightsleep resources without users_me: exit 2" run 2 sync
check "... saying what trends needs" has '\[eightsleep\].resources: trends needs users_me'
sed -i '/^resources = /d' "$cfg"

# ---- a selection: only those resources are fetched and stored
set_key hevy 'resources = ["workouts"]'
set_key oura 'resources = ["daily_sleep", "sleep"]'
set_key eightsleep 'resources = ["users_me", "devices", "users", "trends"]'
reset_stats
check "sync with a selection per provider" run 0 sync
check "... stores only the selected resources" eq \
    "$(sql "SELECT group_concat(provider || '/' || resource, ' ') FROM (SELECT DISTINCT provider, resource FROM records ORDER BY 1, 2)")" \
    "eightsleep/devices eightsleep/trends eightsleep/users eightsleep/users_me hevy/workouts oura/daily_sleep oura/sleep"
check "... asks for none of the others (Oura heart rate, Hevy routines, Eight Sleep intervals)" eq \
    "$(path_count 'oura /v2/usercollection/heartrate')|$(path_count 'hevy /v1/routines')|$(stats | python3 -c "import json,sys; print(sum(v for k, v in json.load(sys.stdin)['paths'].items() if k.endswith('/intervals')))")" \
    "0|0|0"
check "... records no run for them" eq "$(sql "SELECT COUNT(*) FROM sync_runs WHERE resource IN ('heartrate', 'routines', 'intervals')")" 0
check "status says which are off" eval 'run 0 status && has "Off in \[hevy\].resources: routines, routine_folders, exercise_templates" && has "Off in \[eightsleep\].resources: intervals"'
check "status --json lists them per provider" eval 'run 0 status --json && python3 -c "
import json, sys
off = {p[\"name\"]: p[\"resources_off\"] for p in json.load(open(sys.argv[1]))[\"providers\"]}
assert off[\"hevy\"] == [\"routines\", \"routine_folders\", \"exercise_templates\"], off
assert off[\"eightsleep\"] == [\"intervals\"] and off[\"withings\"] == [] and off[\"strava\"] == [], off
assert \"heartrate\" in off[\"oura\"] and not {\"daily_sleep\", \"sleep\"} & set(off[\"oura\"]), off
" "$OUT"'
check "no secret in any output" no_secrets
finish
