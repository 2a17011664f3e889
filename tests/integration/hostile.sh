#!/usr/bin/env bash
# Hostile input: replies that are not JSON on every request, a corrupted
# config, a file that is not a database.  Each ends with one clear message
# naming what was wrong, stores nothing wrong and crashes nothing.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config hevy
check "a first sync stores the workouts" run 0 sync
before=$(sql "SELECT COUNT(*), SUM(length(payload_json)) FROM records")

curl -s -X POST "$FAKE/_admin/config?garbage_rate=1" >/dev/null
check "replies that are never JSON fail the sync with exit 1" run 1 sync --full
check "...with one clear line naming the URL and what was wrong" eval \
    'grep -E "^error: hevy/workouts: GET http://127\.0\.0\.1:[0-9]+/v1/workouts\?page=1&pageSize=10: HTTP 200 but the body is not JSON" "$OUT" >/dev/null'
check "...after retrying visibly" has "the reply is not JSON"
check "...and nothing stored changed" eq "$(sql "SELECT COUNT(*), SUM(length(payload_json)) FROM records")" "$before"
curl -s -X POST "$FAKE/_admin/config?garbage_rate=0" >/dev/null
check "once the replies are sane again the sync succeeds" run 0 sync --full

cp health-sync.toml good.toml
head -c 300 /dev/urandom >>health-sync.toml
check "a config with binary garbage appended is refused with exit 2" eval 'run 2 sync && has "health-sync.toml"'
check "...naming a line" eval 'grep -qE "line [0-9]+" "$OUT"'
printf '[hevy]\nenabled = true\napi_key = "caf\xe9"\n' >health-sync.toml
check "a config with invalid UTF-8 is refused naming the line" eval 'run 2 status && has "line 3"'
printf '[hevy]\nenabled = true\npage_size = 99\n' >health-sync.toml
check "an out-of-range value names file, line and key" eval 'run 2 status && has "health-sync.toml:3" && has "page_size"'
cp good.toml health-sync.toml

# Types are enforced at load, each error FILE:LINE: [section].key: expected ..., got ...
rows_before=$(sql "SELECT COUNT(*) FROM records")
bad_config() { # bad_config SECTION KEY VALUE: the good config with one key replaced or added
    python3 - "$1" "$2" "$3" <<'PY'
import re, sys
section, key, value = sys.argv[1:]
text = open("good.toml").read()
head, sep, rest = text.partition("[%s]\n" % section)
body, nxt, tail = rest.partition("\n[")
body = re.sub(r"(?m)^%s = .*\n?" % re.escape(key), "", body)
body = "%s = %s\n" % (key, value) + body
open("health-sync.toml", "w").write(head + sep + body + nxt + tail)
PY
}
bad_config app db true
check "db = true is refused, naming file, line and key (not ignored)" \
    eval 'run 2 sync && has "health-sync.toml:2: \[app\].db: expected a file name in quotes, got true"'
bad_config app db 5
check "db = 5 is refused" eval 'run 2 status && has "\[app\].db: expected a file name in quotes, got 5"'
check "...and no file named 5 was created" test ! -e 5
bad_config hevy enabled 2
check "enabled = 2 is refused (not true)" eval 'run 2 sync && has "\[hevy\].enabled: expected true or false, got 2"'
bad_config hevy enabled '"yes"'
check "the Python tool's enabled = \"yes\" still works" run 0 status
bad_config hevy page_size '"5"'
check "...and numbers as strings too" run 0 status
bad_config withings meastypes '"1,abc"'
check "meastypes = \"1,abc\" is refused at load" \
    eval 'run 2 sync && has "\[withings\].meastypes: expected a list of integers, got \"1,abc\""'
bad_config withings meastypes '"1, 4,6"'
check "...while the comma-separated list of the Python tool works" run 0 status
bad_config eightsleep timezone '"Mars/Olympus_Mons"'
check "a bad [eightsleep].timezone is refused when the file is read" \
    eval 'run 2 sync && has "\[eightsleep\].timezone: expected an IANA time zone"'
check "...before anything ran or was stored" eq "$(sql "SELECT COUNT(*) FROM records")" "$rows_before"
bad_config hevy page_size '"lots"'
check "a config value with control characters is quoted escaped" \
    eval 'printf "[hevy]\\nenabled = true\\npage_size = \"\\\\u001b[2Jlots\"\\n" >health-sync.toml && run 2 status && has "got \"\\\\x1b\[2Jlots\"" && ! grep -q "$(printf "\033")" "$OUT"'
printf '[strava]\nenabled = true\npage_size = "lots"\n' >health-sync.toml
readme_message=$(python3 -c '
import re, sys
text = " ".join(open(sys.argv[1]).read().split())
print(re.search(r"`(health-sync\.toml:\d+: \[strava\]\.page_size: [^`]*)`", text).group(1))' "$ROOT/README.md")
check "the README's example error is what the program prints" \
    eval 'run 2 status; grep -qF "error: $tmp/${readme_message/:12:/:3:}" "$OUT"'

# No credentials in URLs: refused at load, the password printed and stored nowhere
bad_config hevy base_url "\"http://user:hunter2-SECRET-pw@127.0.0.1:${FAKE##*:}\""
check "a base_url with user:password@ is refused, saying why" \
    eval 'run 2 sync && has "\[hevy\].base_url: a URL must not hold a user name or password"'
check "...without printing the password" eval '! grep -q hunter2 "$OUT"'
check "...or storing it" eq "$(sql "SELECT COUNT(*) FROM sync_runs WHERE error_text LIKE '%hunter2%'")" 0
run 2 -v sync >/dev/null
check "...not even with -v" eval '! grep -q hunter2 "$OUT"'

# sync --providers naming nothing is a usage error, not "nothing enabled"
cp good.toml health-sync.toml
check "sync --providers with no names is a usage error" \
    eval 'run 2 sync --providers && has "--providers needs one or more names"'
check "...also before another option" eval 'run 2 sync --providers --full && has "needs one or more names"'
check "...and --providers= empty" eval 'run 2 sync --providers= && has "needs one or more names"'
cp good.toml health-sync.toml

# One prefix per message: a commit the database refuses is reported once
# as provider/resource, not twice.
cp good.toml health-sync.toml
sql "CREATE TRIGGER no_routines BEFORE INSERT ON records WHEN NEW.resource='routines' BEGIN SELECT RAISE(ABORT, 'the disk says no'); END;"
check "a refused commit fails the sync (exit 1)" eval 'run 1 sync --full && has "the disk says no"'
check "...naming hevy/routines once" eval 'has "^error: hevy/routines: database" && hasnt "hevy/routines: hevy/routines"'
sql "DROP TRIGGER no_routines"
# A message with control characters (an ESC[2J clears the screen) is shown
# escaped wherever it is printed: the sync's error, status, status --runs.
sql "CREATE TRIGGER no_routines BEFORE INSERT ON records WHEN NEW.resource='routines' BEGIN SELECT RAISE(ABORT, 'no$(printf '\033')[2J$(printf '\r')way'); END;"
esc=$(printf '\033'); cr=$(printf '\r')
check "an error holding ESC and CR is printed escaped by sync" \
    eval 'run 1 sync --full && has "no\\\\x1b\[2J\\\\rway" && ! grep -q "$esc" "$OUT" && ! grep -q "$cr" "$OUT"'
check "...by status" eval 'run 0 status && has "no\\\\x1b" && ! grep -q "$esc" "$OUT" && ! grep -q "$cr" "$OUT"'
check "...and by status --runs" eval 'run 0 status --runs 2 && has "no\\\\x1b" && ! grep -q "$esc" "$OUT" && ! grep -q "$cr" "$OUT"'
sql "DROP TRIGGER no_routines"

# A rejected key fails every resource at once: said once, not once each.
bad_config hevy api_key '"wrong-key-0000"'
check "a rejected API key fails the sync (exit 1)" eval 'run 1 sync && has "hevy"'
check "...with one error line" eq "$(grep -c "^error:" "$OUT")" 1
cp good.toml health-sync.toml

check "an empty --db is a usage error, not the working directory" eval 'run 2 --db "" status && has "\-\-db needs a file name"'
check "an empty --config too" eval 'run 2 --config "" status && has "\-\-config needs a file name"'
check "--config /dev/zero is refused, not read for ever" eval 'run 2 --config /dev/zero status && has "larger than 64 MB"'
mkdir -p confdir
check "a --config that is a directory says so" eval 'run 2 --config confdir status && has "confdir: Is a directory"'

head -c 4096 /dev/urandom >not-a-db.sqlite
check "a file that is not a database is refused clearly" eval 'run 1 --db not-a-db.sqlite status && has "not-a-db.sqlite"'
check "...and left as it was" eval '[ "$(stat -c %s not-a-db.sqlite)" = 4096 ]'
check "the real database still works" run 0 status
finish
