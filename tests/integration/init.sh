#!/usr/bin/env bash
# A newcomer's `health-sync init` on a terminal (a pseudo-terminal, answers
# typed at the prompts) against the fake: Oura by OAuth2 (the browser played
# by curl), Hevy by key, the first sync, then `status`; init again shows what
# is set up and keeps what Enter keeps.  Then the non-interactive form for
# scripts, with values from flags, a file and standard input.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
DRIVE="$ROOT/tests/integration/pty_drive.py"
# drive LOG SCRIPT-JSON ARGS...: health-sync init on a terminal; output in LOG
drive() {
    local log=$1 script=$2; shift 2
    printf '%s' "$script" >"$tmp/script.json"
    python3 "$DRIVE" "$tmp/script.json" "$log" -- "${VG[@]}" "$HS" --config "$tmp/health-sync.toml" "$@"
    local rc=$?
    cat "$log" >>"$tmp/all-output"
    return $rc
}

# What a person has before init: a config of their own, with comments, that
# only points the providers at the fake (a real one would not even need that).
cat >"$tmp/health-sync.toml" <<T
# My health data.   Comments and spacing are mine.
[app]
db = "$tmp/health.sqlite"   # beside the config

[oura]
authorize_url = "$FAKE/oauth/authorize"
token_url = "$FAKE/oauth/token"
base_url = "$FAKE"
redirect_uri = "http://localhost:$(free_port)/callback"

# Hevy: the key comes later.
[hevy]
base_url = "$FAKE"
T
chmod 644 "$tmp/health-sync.toml"
cp "$tmp/health-sync.toml" "$tmp/before.toml"

first='[
 ["1\\) oura +off +missing client_id, client_secret", null],
 ["Set up which provider\\? \\(number or name; Enter when done\\): $", "oura"],
 ["Register an application at: https://developer.ouraring.com/applications", null],
 ["Redirect URI to register \\(exactly\\): http://localhost:[0-9]+/callback", null],
 ["\\(client_id\\): $", "fake-oura-client"],
 ["\\(client_secret\\): $", "fake-oura-SECRET-c13f"],
 ["Saved \\[oura\\]", null],
 ["Open this URL in a browser to authorize Oura:\\s+https?://\\S+", "<browser>"],
 ["Oura: [0-9]+ days of sleep in the last 30 days\\.", null],
 ["Set up which provider\\? .*: $", "3"],
 ["Create an API key at: https://hevy.com/settings\\?developer", null],
 ["\\(api_key\\): $", "fake-hevy-SECRET-key-5e1b"],
 ["Hevy API key works: the account holds [0-9]+ workouts", null],
 ["Set up which provider\\? .*: $", ""],
 ["Run the first sync now \\(Oura, Hevy\\)\\? \\[Y/n\\] $", "y"],
 ["Sync completed", null]
]'
check "init on a terminal: Oura by OAuth2, Hevy by key, the first sync" drive "$tmp/pty1.log" "$first" init
check "...the client id is echoed as typed, the secrets are not" eval \
    'grep -q "fake-oura-client" "$tmp/pty1.log" && ! grep -q "SECRET" "$tmp/pty1.log"'
check "...the config keeps every line it had, in order, and gains the values" eval \
    '[ -z "$(diff "$tmp/before.toml" "$tmp/health-sync.toml" | grep "^[<-]")" ] && grep -q "^client_id = \"fake-oura-client\"$" "$tmp/health-sync.toml" && grep -q "^api_key = \"fake-hevy-SECRET-key-5e1b\"$" "$tmp/health-sync.toml"'
check "...each section's new keys after its last key, before the next one's comment" eq \
    "$(diff "$tmp/before.toml" "$tmp/health-sync.toml" | grep -v "^>" | tr '\n' ' ')" "9a10,12 13a17,18 "
check "...and is 0600 now that it holds secrets" eq "$(stat -c %a "$tmp/health-sync.toml")" 600
check "status after init shows both providers synced" eval \
    'run 0 status && grep -qE "^oura +yes +20" "$OUT" && grep -qE "^hevy +yes +20" "$OUT"'
check "...with their records" eval '[ "$(sql "SELECT COUNT(DISTINCT provider) FROM records")" = 2 ]'

cp "$tmp/health-sync.toml" "$tmp/after1.toml"
again='[
 ["1\\) oura +enabled +token expires 20", null],
 ["2\\) withings +off", null],
 ["3\\) hevy +enabled +key set in the config", null],
 ["Set up which provider\\? .*: $", "oura"],
 ["\\(client_id\\) \\[fake-oura-client; Enter keeps it\\]: $", ""],
 ["\\(client_secret\\) \\[set; Enter keeps it\\]: $", ""],
 ["\\[oura\\] in .* unchanged", null],
 ["Oura is signed in\\. Sign in again\\? \\[y/N\\] $", ""],
 ["Oura: [0-9]+ days of sleep in the last 30 days\\.", null],
 ["Set up which provider\\? .*: $", "hevy"],
 ["\\(api_key\\) \\[set; Enter keeps it\\]: $", ""],
 ["\\[hevy\\] in .* unchanged", null],
 ["Set up which provider\\? .*: $", "nonsense"],
 ["No provider .nonsense.", null],
 ["Set up which provider\\? .*: $", ""],
 ["Run the first sync now \\(Oura, Hevy\\)\\? \\[Y/n\\] $", "n"]
]'
check "init again shows what is set up; Enter keeps a value" drive "$tmp/pty2.log" "$again" init
check "...and the config is byte for byte what it was" cmp "$tmp/after1.toml" "$tmp/health-sync.toml"
check "...Oura, kept signed in, went through no browser" eval '! grep -q "Open this URL" "$tmp/pty2.log"'

printf 'hevy\n\n\nn\n' >"$tmp/answers"
check "answers piped in (no terminal) work too" eval \
    '"$HS" --config "$tmp/health-sync.toml" init <"$tmp/answers" >"$OUT" 2>&1 && cat "$OUT" >>"$tmp/all-output" && has "Hevy API key works" && has "Run the first sync now (Hevy)"'
check "...and change nothing when every answer keeps" cmp "$tmp/after1.toml" "$tmp/health-sync.toml"

# For scripts, OAuth2 providers from flags and a file, the browser played by
# curl as in oauth_login.  fake_section P: the fake's [P] without its
# credentials and switch (what a person's config might hold before init).
fake_section() {
    printf '\n'
    "$FAKE_BIN" --print-config "$FAKE" | sed -n "/^\[$1\]/,/^\$/p" | grep -vE '^(enabled|client_id|client_secret) '
}
# init_oauth P CLIENT SECRET: init --provider P, the secret from a file
init_oauth() {
    echo "$3" >"$tmp/$1-secret"
    : >"$OUT"
    "${VG[@]}" "$HS" --config "$tmp/health-sync.toml" init --provider "$1" --client-id "$2" \
        --client-secret-file "$tmp/$1-secret" --no-browser </dev/null >"$OUT" 2>&1 &
    local pid=$! url=""
    url=$(authorize_url "$OUT")
    for _ in $(seq 300); do [ -n "$url" ] && curl -s -L -o /dev/null "$url" && break; sleep 0.1; done
    wait "$pid"; local rc=$?
    cat "$OUT" >>"$tmp/all-output"
    return $rc
}
fake_section withings >>"$tmp/health-sync.toml"
check "init --provider withings: signs in and says what the account holds" eval \
    'init_oauth withings fake-withings-client fake-withings-SECRET-77a2 && grep -qE "^Withings: [0-9]+ measurements in the last 30 days\.$" "$OUT"'
fake_section whoop >>"$tmp/health-sync.toml"
check "init --provider whoop: shows where to register, signs in, counts the cycles" eval \
    'init_oauth whoop fake-whoop-client fake-whoop-SECRET-4a7d && has "Register an application at: https://developer-dashboard.whoop.com" && grep -qE "^WHOOP: (over )?[0-9]+ cycles? in the last 30 days\.$" "$OUT"'

# For scripts: Eight Sleep's four values from a flag, a file and standard input.
cat >>"$tmp/health-sync.toml" <<T

[eightsleep]
auth_url = "$FAKE/eightsleep/v1/tokens"
client_api_url = "$FAKE/eightsleep/v1"
T
echo "fake-eightsleep-SECRET-0b3c" >"$tmp/es-secret"
check "init --provider eightsleep is told what it lacks" eval \
    'run 2 init --provider eightsleep --email sleeper@example.com && has "eightsleep needs --password"'
check "init --provider eightsleep with --email, --client-id, --client-secret-file and --password-stdin" eval \
    'echo "fake-eightsleep-SECRET-pw" | "$HS" --config "$tmp/health-sync.toml" init --provider eightsleep --email sleeper@example.com \
        --client-id fake-eightsleep-client --client-secret-file "$tmp/es-secret" --password-stdin --sync >"$OUT" 2>&1; rc=$?; cat "$OUT" >>"$tmp/all-output"; [ $rc = 0 ]'
check "...signs in, says whose account it is, syncs, and prints no secret" eval \
    'grep -qE "^Eight Sleep: signed in as [^ ]+, [0-9]+ devices?\.$" "$OUT" && grep -Eq "^eightsleep +ok " "$OUT" && ! grep -q SECRET "$OUT"'
check "...the config has its values and [eightsleep].enabled" eval \
    'grep -q "^password = \"fake-eightsleep-SECRET-pw\"$" "$tmp/health-sync.toml" && [ "$(grep -c "^enabled = true$" "$tmp/health-sync.toml")" = 5 ]'
check "no secret appears in any output" no_secrets
finish
