#!/usr/bin/env bash
# The command line: help, version, usage errors and exit codes, config
# errors naming file:line:key, init-db on a database the Python tool wrote.
set -u
BUILD=${BUILD:-build}
root="$(cd "$(dirname "$0")/../.." && pwd)"
HS="$root/$BUILD/health-sync"
VG=()
[ -n "${HEALTH_SYNC_VALGRIND:-}" ] && VG=(valgrind -q --error-exitcode=97 --leak-check=full
    --show-leak-kinds=definite --errors-for-leak-kinds=definite)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
n=0; failures=0
check() { # check DESC COMMAND...: the command must succeed
    local desc=$1; shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failures=$((failures + 1)); fi
}
finish() { # the TAP plan and the verdict
    echo "1..$n"
    echo "# $n tests, $failures failed"
    [ "$failures" -eq 0 ]
}
run() { # run EXPECTED_EXIT ARGS...: output in $tmp/out
    local want=$1; shift
    "${VG[@]}" "$HS" "$@" >"$tmp/out" 2>&1 </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || { echo "# exit $got, wanted $want: $*"; sed 's/^/# /' "$tmp/out"; return 1; }
}
has() { grep -q -- "$1" "$tmp/out" || { echo "# missing '$1' in:"; sed 's/^/# /' "$tmp/out"; return 1; }; }

check "--help exits 0 and lists the commands" eval 'run 0 --help && has "init-db" && has "status"'
check "--version prints the version" eval 'run 0 --version && has "health-sync [0-9]"'
check "sync --help is the command's help" eval 'run 0 sync --help && has "--providers"'
check "no command is a usage error (2)" run 2
check "an unknown command is a usage error" eval 'run 2 frobnicate && has "unknown command"'
check "an unknown provider is a usage error" eval 'run 2 sync --providers fitbit && has "fitbit"'
check "a missing --config file is an error naming it" eval 'run 2 --config nope.toml status && has "nope.toml"'

check "init-db without a config uses defaults and creates the db" eval 'run 0 init-db && has "Initialized DB at: $tmp/health.sqlite"'
check "the new database is mode 0600" test "$(stat -c %a health.sqlite)" = 600
check "init-db is idempotent" run 0 init-db
check "--db after the command wins" eval 'run 0 --db a.sqlite init-db --db b.sqlite && test -f b.sqlite && ! test -f a.sqlite'
check "sync with nothing enabled says so and exits 0" eval 'run 0 sync && has "Nothing to sync"'
check "naming a disabled provider says so" eval 'run 0 sync --providers hevy && has "Skipping hevy: disabled"'

printf '[strava]\nenabled = true\npage_size = "lots"\n' >bad.toml
check "a wrong type names file, line and key" eval 'run 2 --config bad.toml status && has "bad.toml:3" && has "page_size"'
printf '[oura]\nenabled = true\nstart_date = "2020-02-30"\n' >bad.toml
check "an impossible date is rejected" eval 'run 2 --config bad.toml status && has "start_date"'
printf '[oura\nenabled = true\n' >bad.toml
check "a TOML syntax error names the line" eval 'run 2 --config bad.toml status && has "bad.toml" && has "line 1"'
printf '[hevy]\nenabled = true\ncolour = "blue"\n' >warn.toml
check "an unknown key is a warning with file:line" eval 'run 0 --config warn.toml --db w.sqlite init-db && has "warn.toml:3"'
printf '[hevy]\napi_key = "cli-test-SECRET-4242"\n' >secret.toml
chmod 644 secret.toml
check "a world-readable config with secrets warns" eval 'run 0 --config secret.toml --db w.sqlite init-db && has "chmod 600"'
check "...without printing the secret" eval '! grep -q "cli-test-SECRET-4242" out'

# A database written by the Python tool: its schema and rows survive init-db.
sqlite3 py.sqlite <<'SQL'
CREATE TABLE records (provider TEXT NOT NULL, resource TEXT NOT NULL, record_id TEXT NOT NULL,
  start_time TEXT, end_time TEXT, source_updated_at TEXT, payload_json TEXT NOT NULL,
  fetched_at TEXT NOT NULL, PRIMARY KEY (provider, resource, record_id));
CREATE INDEX idx_records_prs ON records(provider, resource, start_time);
CREATE INDEX idx_records_pru ON records(provider, resource, source_updated_at);
CREATE TABLE sync_state (provider TEXT NOT NULL, resource TEXT NOT NULL, watermark TEXT,
  cursor TEXT, extra_json TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (provider, resource));
CREATE TABLE oauth_tokens (provider TEXT PRIMARY KEY, access_token TEXT NOT NULL,
  refresh_token TEXT, token_type TEXT, scope TEXT, expires_at TEXT, obtained_at TEXT NOT NULL,
  extra_json TEXT);
INSERT INTO records VALUES ('oura','daily_sleep','abc','2024-01-01',NULL,'2024-01-02T00:00:00+00:00',
  '{"id":"abc","score":81,"name":"caf\u00e9"}','2024-01-02T08:00:00Z');
INSERT INTO sync_state VALUES ('oura','daily_sleep','2024-01-02',NULL,NULL,'2024-01-02T08:00:00Z');
INSERT INTO oauth_tokens VALUES ('strava','tok-a','tok-r','Bearer','read','2024-01-02T10:00:00Z',
  '2024-01-02T04:00:00Z','{"athlete":{"id":1}}');
SQL
before=$(sqlite3 py.sqlite .dump | grep -v '^PRAGMA\|^BEGIN\|^COMMIT' | grep -v 'sync_runs\|sqlite_sequence\|CREATE VIEW')
check "init-db on a Python tool database succeeds" run 0 --db py.sqlite init-db
after=$(sqlite3 py.sqlite .dump | grep -v '^PRAGMA\|^BEGIN\|^COMMIT' | grep -v 'sync_runs\|sqlite_sequence\|CREATE VIEW')
check "...keeping every row and the schema" test "$before" = "$after"
check "...with no duplicate indexes" test "$(sqlite3 py.sqlite "SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND tbl_name='records' AND sql IS NOT NULL")" = 2
check "status reads it" eval 'run 0 --db py.sqlite status && has "daily_sleep" && has "2024-01-02"'
sqlite3 py.sqlite "PRAGMA user_version = 99"
check "a database from a newer schema is refused" eval 'run 1 --db py.sqlite status && has "newer"'

# The example config: valid, every key known, and every key of the code in it.
cp "$root/health-sync.example.toml" example.toml && chmod 600 example.toml
check "the example config loads without warnings" eval 'run 0 --config example.toml --db ex.sqlite init-db && ! grep -q "warning" "$tmp/out"'
# The keys come from the binary's own tables (--list-config-keys), and each
# must appear, set or commented out, in its own section of the example.
"$HS" --list-config-keys >known-keys
check "--list-config-keys lists the config table, [app] first" eval \
    '[ "$(head -n 1 known-keys)" = app.db ] && grep -qx "oura.client_id" known-keys &&
     ! grep -qvE "^[a-z0-9_]+\.[a-z0-9_]+$" known-keys'
awk '/^\[[a-z0-9_]+\]$/ { section = substr($0, 2, length($0) - 2); next }
     match($0, /^#? ?[a-z0-9_]+ = /) { key = $0; sub(/^#? ?/, "", key); sub(/ = .*/, "", key); print section "." key }' \
    example.toml | sort -u >shown-keys
missing=$(sort -u known-keys | comm -23 - shown-keys)
check "the example config shows every key the code knows, in its section" eval \
    '[ -s known-keys ] && [ -z "$missing" ] || { echo "# missing: ${missing:-no keys listed}"; false; }'

# make install honours DESTDIR and PREFIX.
make -s -C "$root" BUILD="$BUILD" install DESTDIR="$tmp/stage" PREFIX=/opt/hs >/dev/null 2>&1
check "make install puts the binary and man page under DESTDIR/PREFIX" \
    test -x "$tmp/stage/opt/hs/bin/health-sync" -a -f "$tmp/stage/opt/hs/share/man/man1/health-sync.1" -a -f "$tmp/stage/opt/hs/share/bash-completion/completions/health-sync"

finish
