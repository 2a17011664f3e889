#!/usr/bin/env bash
# The OAuth2 authorization step, with Strava and Oura against the fake: the
# browser redirect, paste mode (URL, query, bare code), a wrong state, an
# error= callback, other paths, a timeout, and a revoked refresh token.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config strava oura

# start_auth PROVIDER [options]: `auth` in the background, stdin from a fifo;
# waits for the authorize URL and sets AUTH_URL, AUTH_PID.
start_auth() {
    rm -f "$tmp/in" && mkfifo "$tmp/in"
    : >"$OUT"
    "${VG[@]}" "$HS" --config "$tmp/health-sync.toml" auth "$@" --no-browser <"$tmp/in" >"$OUT" 2>&1 &
    AUTH_PID=$!
    exec 7>"$tmp/in" # keep the fifo open: stdin stays readable
    AUTH_URL=$(authorize_url "$OUT")
    # The listener starts right after the URL is printed: wait until it accepts.
    local port
    port=$(sed 's/.*redirect_uri=http%3A%2F%2F[^%]*%3A\([0-9]*\).*/\1/' <<<"$AUTH_URL")
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
}
finish_auth() { exec 7>&-; wait "$AUTH_PID"; local rc=$?; cat "$OUT" >>"$tmp/all-output"; return $rc; }
# The redirect the fake's authorize endpoint answers with (what a browser would follow).
redirect_of() { curl -s -o /dev/null -w '%{redirect_url}' "$1"; }

start_auth strava
check "the authorize URL carries client_id, redirect_uri, scope, approval_prompt and a state" eval \
    '[[ "$AUTH_URL" == *client_id=fake-strava-client* && "$AUTH_URL" == *redirect_uri=* && "$AUTH_URL" == *scope=read%2Cactivity%3Aread_all* && "$AUTH_URL" == *approval_prompt=auto* && "$AUTH_URL" =~ state=[A-Za-z0-9_-]{22} ]]'
state=$(sed 's/.*state=\([^&]*\).*/\1/' <<<"$AUTH_URL")
strava_port=$(sed 's/.*redirect_uri=http%3A%2F%2F[^%]*%3A\([0-9]*\).*/\1/' <<<"$AUTH_URL")
check "...the listener answers 404 on other paths" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$strava_port/favicon.ico")" 404
redirect=$(redirect_of "$AUTH_URL")
echo "$redirect" >&7
check "paste mode: the pasted redirect URL completes the authorization" eval 'finish_auth && has "Stored Strava token"'
check "...and the token is stored with its expiry" eq "$(sql "SELECT provider, expires_at IS NOT NULL FROM oauth_tokens")" "strava|1"

start_auth strava
redirect=$(redirect_of "$AUTH_URL")
echo "?${redirect#*\?}" >&7
check "paste mode: a pasted query string works too" eval 'finish_auth && has "Stored Strava token"'

start_auth strava
redirect=$(redirect_of "$AUTH_URL")
code=$(sed 's/.*code=\([^&]*\).*/\1/' <<<"$redirect")
printf 'not a code\n%s\n' "$code" >&7
check "paste mode: a line with spaces is refused, then a bare code is accepted" eval 'finish_auth && has "still waiting" && has "Stored Strava token"'

# The listener trusts nothing: a callback without this authorization's state
# is answered 400 and the wait goes on, whatever else it carries.
start_auth strava
redirect=$(redirect_of "$AUTH_URL")
state=$(sed 's/.*state=\([^&]*\).*/\1/' <<<"$AUTH_URL")
forged=$(curl -s -w ' %{http_code}' "${redirect/state=/state=forged}")
check "a callback whose state differs is answered 400" eval '[[ "$forged" == *" 400" ]]'
check "...its page says it is not this request" eval '[[ "$forged" == *"not this request"* ]]'
nostate=$(curl -s -o /dev/null -w '%{http_code}' "$(sed 's/&state=[^&]*//' <<<"$redirect")")
check "a callback without a state is answered 400" eq "$nostate" 400
hostile=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$strava_port/callback?error=%1b%5b2J%1b%5d0%3bpwned%07&state=WRONG")
check "an error= callback with a wrong state is answered 400 too" eq "$hostile" 400
kill -0 "$AUTH_PID" 2>/dev/null
check "...and the wait goes on" test $? -eq 0
page=$(curl -s "$redirect")
check "the real redirect still completes the authorization" eval 'finish_auth && has "Stored Strava token"'
check "...its page says the provider authorized health-sync" eval '[[ "$page" == *"Strava authorized health-sync"* ]]'
check "...and the terminal was told callbacks were turned away" has "turned away"
check "no raw control character reached the terminal" eval '! grep -q "$(printf "\033")" "$OUT" && ! grep -q "$(printf "\007")" "$OUT"'

start_auth strava
state=$(sed 's/.*state=\([^&]*\).*/\1/' <<<"$AUTH_URL")
page=$(curl -s "http://127.0.0.1:$strava_port/callback?error=access_denied%1b%5b2J&state=$state")
check "an error= callback with our state ends with the provider's refusal, once prefixed" eval \
    '! finish_auth && has "^error: strava auth failed: Strava refused: access_denied" && hasnt "auth failed: .*auth failed"'
check "...its text escaped on the terminal" eval 'has "access_denied\\\\x1b\[2J" && ! grep -q "$(printf "\033")" "$OUT"'
check "...and the page says the provider refused, and why" eval '[[ "$page" == *"Strava refused: access_denied"* ]]'

start_auth strava
redirect=$(redirect_of "$AUTH_URL")
echo "${redirect/state=/state=stale}" >&7
sleep 0.3
echo "$redirect" >&7
check "a pasted URL with another state is refused and the wait goes on" eval 'finish_auth && has "not this authorization" && has "Stored Strava token"'

start_auth strava
redirect=$(redirect_of "$AUTH_URL")
code=$(sed 's/.*code=\([^&]*\).*/\1/' <<<"$redirect")
head -c 5000 /dev/zero | tr '\0' 'A' >&7
echo >&7
echo "$code" >&7
check "a pasted line over 4 KB is refused, then a real code is taken" eval 'finish_auth && has "longer than 4096 bytes" && has "Stored Strava token"'

start_auth strava --timeout 1
check "no callback within --timeout ends with a clear message" eval '! finish_auth && has "no authorization within 1 s"'

start_auth oura
curl -s -L -o /dev/null "$AUTH_URL"
check "auth oura by browser redirect" eval 'finish_auth && has "Stored Oura token"'
check "the tokens of both providers are stored" eq "$(sql "SELECT COUNT(*) FROM oauth_tokens")" 2
check "a sync with both works" run 0 sync
curl -s -X POST "$FAKE/_admin/config?token_ttl=0" >/dev/null
check "expired access tokens are refreshed (rotated refresh tokens kept)" run 0 sync
curl -s -X POST "$FAKE/_admin/config?token_ttl=3600" >/dev/null
check "...the stored refresh tokens changed" eval '[ "$(sql "SELECT COUNT(DISTINCT refresh_token) FROM oauth_tokens")" = 2 ]'
curl -s -X POST "$FAKE/_admin/revoke?provider=strava" >/dev/null
check "a revoked refresh token fails Strava with a hint to run auth, exit 1" eval 'run 1 sync && has "health-sync auth strava"'
check "...while Oura still syncs" eval 'grep -Eq "^oura +ok " "$OUT"'
# `auth` enables the provider it authorized: one value of the file changes,
# every comment and space around it stays.
write_config oura
{ echo "# My health-sync config: hand-written, keep my notes."; cat "$tmp/health-sync.toml"; } >"$tmp/c"
sed -i 's/^client_id = "fake-strava-client"$/client_id   =  "fake-strava-client"   # from the portal/' "$tmp/c"
mv "$tmp/c" "$tmp/health-sync.toml" && chmod 600 "$tmp/health-sync.toml"
cp "$tmp/health-sync.toml" "$tmp/before.toml"
start_auth strava
curl -s -L -o /dev/null "$AUTH_URL"
check "auth strava with Strava disabled says it enabled it" eval 'finish_auth && has "Enabled Strava in"'
awk '/^\[/ { s = $0 } s == "[strava]" && $0 == "enabled = false" { $0 = "enabled = true" } 1' \
    "$tmp/before.toml" >"$tmp/want.toml"
check "...the config is byte for byte the same but for [strava].enabled" cmp "$tmp/health-sync.toml" "$tmp/want.toml"
check "...and still 0600" eq "$(stat -c %a "$tmp/health-sync.toml")" 600
check "...so a plain sync now includes Strava" eval 'run 0 sync && grep -Eq "^strava +ok " "$OUT"'
start_auth strava
curl -s -L -o /dev/null "$AUTH_URL"
check "auth of an enabled provider leaves the file alone" eval 'finish_auth && hasnt "Enabled" && cmp -s "$tmp/health-sync.toml" "$tmp/want.toml"'
check "no secret appears in any output" no_secrets
finish
