# Shared by the integration tests: TAP checks, a fake provider server on a
# free loopback port, a config pointing every provider at it, and helpers to
# run the real binary and query the database.  Source it, then call
# start_fake [fake-provider options...] and write_config PROVIDER...
set -u
BUILD=${BUILD:-build}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HS="$ROOT/$BUILD/health-sync"
FAKE_BIN="$ROOT/$BUILD/fake-provider"
export HEALTH_SYNC_SLEEP_SCALE=${HEALTH_SYNC_SLEEP_SCALE:-0.001}
# `make check-valgrind`: every run of the binary under memcheck; an error or a
# definite leak makes the run exit 97.
VG=()
if [ -n "${HEALTH_SYNC_VALGRIND:-}" ]; then
    VG=(valgrind -q --error-exitcode=97 --leak-check=full --show-leak-kinds=definite
        --errors-for-leak-kinds=definite --track-fds=no)
fi
tmp=$(mktemp -d)
FAKE_PID=
cleanup_lib() {
    stop_fake
    # Everything the binary printed, for the suite-wide secret scan.
    mkdir -p "$ROOT/$BUILD/test-logs"
    cp "$tmp/all-output" "$ROOT/$BUILD/test-logs/output-$(basename "$0" .sh).log" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup_lib EXIT
cd "$tmp"
n=0; failures=0
OUT="$tmp/out"

check() { # check DESC COMMAND...: the command must succeed
    local desc=$1; shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failures=$((failures + 1)); fi
}
finish() {
    echo "1..$n"
    echo "# $n tests, $failures failed"
    [ "$failures" -eq 0 ]
}
# run EXPECTED_EXIT ARGS...: runs health-sync with the test config; output in $OUT
run() {
    local want=$1; shift
    "${VG[@]}" "$HS" --config "$tmp/health-sync.toml" "$@" >"$OUT" 2>&1 </dev/null
    local got=$?
    cat "$OUT" >>"$tmp/all-output"
    [ "$got" -eq "$want" ] || { echo "# exit $got, wanted $want: $*"; sed 's/^/# /' "$OUT"; return 1; }
}
has() { grep -q -- "$1" "$OUT" || { echo "# missing '$1' in:"; sed 's/^/# /' "$OUT"; return 1; }; }
hasnt() { ! grep -q -- "$1" "$OUT" || { echo "# unexpected '$1' in:"; sed 's/^/# /' "$OUT"; return 1; }; }
sql() { sqlite3 "$tmp/health.sqlite" "$@"; }
# eq DESC-LESS: eq ACTUAL EXPECTED
eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'"; return 1; }; }

# start_fake [options]: starts the fake server; sets FAKE (its base URL).
start_fake() {
    rm -f "$tmp/fake.port"
    "$FAKE_BIN" --port 0 --port-file "$tmp/fake.port" "$@" 2>"$tmp/fake.log" &
    FAKE_PID=$!
    for _ in $(seq 200); do [ -s "$tmp/fake.port" ] && break; sleep 0.02; done
    [ -s "$tmp/fake.port" ] || { echo "# the fake did not start"; cat "$tmp/fake.log"; exit 1; }
    FAKE="http://127.0.0.1:$(cat "$tmp/fake.port")"
}
# stop_fake: stops the fake server (start_fake may start another).
stop_fake() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=
}
admin() { curl -s -X POST "$FAKE/_admin/$1"; }     # admin hevy/add
stats() { curl -s "$FAKE/_admin/stats"; }          # request counts (JSON)
reset_stats() { curl -s -X POST "$FAKE/_admin/reset-stats" >/dev/null; }
# requests PROVIDER: requests the fake counted for it since the last reset
requests() { stats | python3 -c "import json,sys; print(json.load(sys.stdin)['providers'].get('$1', 0))"; }
# route_max ROUTE: the most requests the fake was answering at once on ROUTE
# (the path with its ids as "*") since the last reset
route_max() { stats | python3 -c "import json,sys; print(json.load(sys.stdin)['max_in_flight_by_route'].get('$1', 0))"; }

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000)) # below the ephemeral range
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

# write_config PROVIDER...: enables the given providers, all pointed at $FAKE
# (the fake's own client config: fake-provider --print-config).
write_config() {
    {
        printf '[app]\ndb = "%s/health.sqlite"\n\n' "$tmp"
        "$FAKE_BIN" --print-config "$FAKE" --enable "$*" \
            --set "eightsleep.intervals_days=${ES_INTERVALS_DAYS:-0}"
    } >"$tmp/health-sync.toml"
    chmod 600 "$tmp/health-sync.toml"
}

# oauth_login PROVIDER: runs `auth PROVIDER --no-browser`, plays the browser
# with curl following the fake's authorize redirect to our listener.
# authorize_url FILE: the authorize URL a backgrounded `auth` (or `init`)
# printed to FILE, once the line after it shows the URL is whole; waits up to
# 30 s (a loaded machine can take seconds to start the binary).  The caller
# empties FILE before starting the command: the redirection that truncates
# it runs in the child, so a URL left by the previous command could be read.
authorize_url() {
    for _ in $(seq 1500); do
        grep -q 'Waiting for the redirect' "$1" && { grep -m1 -E '^https?://' "$1"; return 0; }
        sleep 0.02
    done
    return 1
}
oauth_login() {
    local p=$1 url=""
    : >"$OUT"
    "${VG[@]}" "$HS" --config "$tmp/health-sync.toml" auth "$p" --no-browser </dev/null >"$OUT" 2>&1 &
    local pid=$!
    url=$(authorize_url "$OUT")
    # The listener starts right after the URL is printed: retry until it answers.
    for _ in $(seq 200); do [ -n "$url" ] && curl -s -L -o /dev/null "$url" && break; sleep 0.1; done
    wait "$pid"
    local rc=$?
    cat "$OUT" >>"$tmp/all-output"
    [ "$rc" -eq 0 ] || { echo "# auth $p exited $rc"; sed 's/^/# /' "$OUT"; return 1; }
}

# exact PROVIDER: every resource the fake dumps (POST /_admin/PROVIDER/dump:
# {"<resource>": [payload, ...]} or {"<resource>": {"<id>": payload}}) is in
# the database exactly: as many records, each payload equal (compared as
# JSON values); differences are printed as comments.
exact() {
    curl -s -X POST "$FAKE/_admin/$1/dump" >"$tmp/dump.json"
    sqlite3 -json "$tmp/health.sqlite" \
        "SELECT resource, payload_json FROM records WHERE provider = '$1'" >"$tmp/rows.json"
    python3 - "$tmp/dump.json" "$tmp/rows.json" <<'PY'
import collections, json, sys
want = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().strip()
got = collections.defaultdict(collections.Counter)
key = lambda v: json.dumps(v, sort_keys=True)
for row in json.loads(text) if text else []:
    got[row["resource"]][key(json.loads(row["payload_json"]))] += 1
bad = 0
for resource, items in sorted(want.items()):
    items = items.values() if isinstance(items, dict) else items
    w, g = collections.Counter(key(v) for v in items), got[resource]
    missing, extra = w - g, g - w
    if missing or extra:
        bad += 1
        print(f"# {resource}: {sum(missing.values())} upstream records not stored as they are, "
              f"{sum(extra.values())} stored that upstream does not have")
sys.exit(1 if bad else 0)
PY
}

# no_secrets: nothing the binary printed holds one of the fake's secrets.
no_secrets() {
    ! grep -E 'SECRET|-access-[0-9]|-refresh-[0-9]' "$tmp/all-output" 2>/dev/null |
        sed 's/^/# leaked: /' | grep -q .
}
