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

head -c 4096 /dev/urandom >not-a-db.sqlite
check "a file that is not a database is refused clearly" eval 'run 1 --db not-a-db.sqlite status && has "not-a-db.sqlite"'
check "...and left as it was" eval '[ "$(stat -c %s not-a-db.sqlite)" = 4096 ]'
check "the real database still works" run 0 status
finish
