#!/usr/bin/env bash
# The files a user names: export never replaces the database, its companions,
# the lock or the config (by name, symlink or hard link), writes whole files
# only, 0600, `--output -` is standard output; a relative [app].db lives
# beside the config file that names it; status and export never create a
# database; everything created is 0600 whatever the umask; a shared
# database gets the chmod line; the lock never follows a symlink.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config hevy
umask 022
check "a first sync stores the workouts" run 0 sync
db="$tmp/health.sqlite"
rows() { sql "SELECT COUNT(*) FROM records"; }
before=$(rows)
size=$(stat -c %s "$db")
check "...and leaves nothing readable by others (umask 022)" \
    eval '[ -z "$(find "$tmp" -maxdepth 1 -name "health.sqlite*" -perm /077)" ]'

# export over the database and its companions
check "export --output DATABASE is refused as a usage error" \
    eval 'run 2 export v_workouts --output "$db" && has "refusing" && has "$db (the database)"'
check "...and the database keeps its size and rows" \
    eval '[ "$(stat -c %s "$db")" = "$size" ] && [ "$(rows)" = "$before" ]'
ln -s "$db" "$tmp/innocent.csv"
check "a symlink to the database is refused too" \
    eval 'run 2 export v_workouts --output innocent.csv && has "(the database)"'
ln "$db" "$tmp/hard.csv"
check "a hard link to the database is refused too" \
    eval 'run 2 export v_workouts --output hard.csv && has "(the database)"'
rm -f "$tmp/hard.csv"
sqlite3 "$db" "PRAGMA journal_mode" >/dev/null
for companion in -wal -shm -journal .lock; do
    touch "$db$companion"
    check "export over $companion is refused" eval 'run 2 export v_workouts --output "$db$companion" && has "refusing"'
done
check "export over the config file is refused" \
    eval 'run 2 export v_workouts --output health-sync.toml && has "(the config file)" && grep -q "^\[hevy\]" health-sync.toml'
check "after all that the data is intact" eval '[ "$(rows)" = "$before" ] && run 0 status'

# a real export
check "export --output FILE writes the file" run 0 export hevy/workouts --output w.csv
check "...mode 0600 under umask 022" eq "$(stat -c %a w.csv)" 600
check "...with every row" eq "$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))' w.csv)" "$(sql "SELECT COUNT(*) FROM records WHERE resource='workouts'")"
check "...and no temporary file left beside it" eval '[ -z "$(ls | grep tmp-)" ]'
chmod 644 w.csv
check "replacing an existing export makes it 0600" eval 'run 0 export hevy/workouts --output w.csv && [ "$(stat -c %a w.csv)" = 600 ]'
check "--output - writes to standard output" eval 'run 0 export hevy/workouts --output - && head -1 "$OUT" | grep -q "^provider,resource,record_id" && ! [ -e ./- ]'
check "an export into a missing directory fails and creates nothing" \
    eval 'run 1 export hevy/workouts --output nodir/w.csv && has "nodir/w.csv" && ! [ -e nodir ]'
echo "keep me" >old.csv
check "a failing export leaves the old file as it was" \
    eval 'run 2 export hevy/workouts --format csv --since 2020-13-01 --output old.csv; [ "$(cat old.csv)" = "keep me" ]'

# targets that are not plain files
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
rm -f "$db-wal" "$db-shm" "$db-journal"
check "export over a -wal not there yet is refused by its name" \
    eval 'run 2 export v_workouts --output "$db-wal" && has "write-ahead log" && ! [ -e "$db-wal" ]'
mkfifo pipe
(timeout 20 cat pipe >from-pipe) &
reader=$!
check "export to a FIFO writes through it" eval 'run 0 export hevy/workouts --output pipe; wait $reader; [ -p pipe ] && head -1 from-pipe | grep -q "^provider,resource"'
echo "old" >real.csv
ln -s real.csv via-link.csv
check "export through a symlink replaces the file it names, the link stays a link" \
    eval 'run 0 export hevy/workouts --output via-link.csv && [ -L via-link.csv ] && head -1 real.csv | grep -q "^provider,resource"'
mkdir adir
check "export to a directory is an error naming it" eval 'run 1 export hevy/workouts --output adir && has "adir is a directory"'

mkfifo dbpipe
check "--db naming a FIFO is refused, leaving no journal beside it" \
    eval 'run 1 --db "$tmp/dbpipe" init-db && has "not a regular file" && ! ls dbpipe-* 2>/dev/null | grep -q .'
check "--db naming a directory is refused the same way" eval 'run 1 --db "$tmp/adir" status && has "adir is not a regular file"'

# names
check "an unknown resource is a usage error listing the valid names" \
    eval 'run 2 export oura/dailysleep && has "oura/dailysleep" && has "oura/daily_sleep" && has "v_sleep"'
check "an unknown view is a usage error too" eval 'run 2 export v_slep && has "v_sleep"'
check "an empty result still writes the CSV header" \
    eval 'run 0 export oura/daily_sleep --output empty.csv && [ "$(cat empty.csv)" = "$(printf "provider,resource,record_id,start_time,end_time,source_updated_at,payload_json,fetched_at\r")" ]'
check "...and an empty view its columns" eval 'run 0 export v_sleep && head -1 "$OUT" | grep -q "^provider,record_id,day"'

# status and export never create a database
check "status on a mistyped --db is an error naming it" \
    eval 'run 1 --db "$tmp/helth.sqlite" status && has "$tmp/helth.sqlite"'
check "export on a mistyped --db too" eval 'run 1 --db "$tmp/helth.sqlite" export v_sleep && has "$tmp/helth.sqlite"'
check "...and neither created the file" eval '! [ -e "$tmp/helth.sqlite" ]'

# a relative [app].db is beside the config file that names it
mkdir -p conf elsewhere
sed "s|^db = .*|db = \"./rel.sqlite\"|" health-sync.toml >conf/health-sync.toml
chmod 600 conf/health-sync.toml
check "with db = ./rel.sqlite and --config conf/..., sync from another directory" \
    eval '(cd elsewhere && "$HS" --config ../conf/health-sync.toml sync >"$OUT" 2>&1)'
check "...writes conf/rel.sqlite, not one in the working directory" \
    eval '[ -s conf/rel.sqlite ] && ! [ -e elsewhere/rel.sqlite ]'
check "...and status from a third directory finds it, printing the absolute path" \
    eval '(cd / && "$HS" --config "$tmp/conf/health-sync.toml" status --json >"$OUT" 2>&1) && has "\"database\": \"$tmp/conf/rel.sqlite\""'
check "--db stays relative to the working directory" \
    eval '(cd elsewhere && "$HS" --config ../conf/health-sync.toml --db here.sqlite init-db >"$OUT" 2>&1) && [ -s elsewhere/here.sqlite ] && has "$tmp/elsewhere/here.sqlite"'

# permissions whatever the umask
umask 000
check "init-db under umask 000 creates a 0600 database" \
    eval 'run 0 --db "$tmp/open.sqlite" init-db && [ "$(stat -c %a "$tmp/open.sqlite")" = 600 ]'
check "a sync under umask 000 leaves the lock and the database 0600" \
    eval 'rm -f "$db".lock && run 0 sync && [ "$(stat -c %a "$db".lock)" = 600 ] && [ "$(stat -c %a "$db")" = 600 ]'
check "an export under umask 000 is 0600" eval 'run 0 export v_workouts --output w2.csv && [ "$(stat -c %a w2.csv)" = 600 ]'
umask 022
chmod 644 "$db"
check "a database readable by others gets a warning with the chmod line" \
    eval 'run 0 status && has "readable by other users" && has "chmod 600 $db"'
chmod 600 "$db"
check "...and none once it is private" eval 'run 0 status && ! grep -q "readable by other" "$OUT"'

# the lock never follows a symlink
echo "precious" >precious.txt
rm -f "$db.lock"
ln -s "$tmp/precious.txt" "$db.lock"
check "a symlink planted as the lock fails the sync clearly" eval 'run 1 sync && has "lock" && has "symbolic link"'
check "...and the file it points at is untouched" eq "$(cat precious.txt)" "precious"
rm -f "$db.lock"
ln precious.txt "$db.lock"
check "a hard link planted as the lock is refused too" eval 'run 1 sync && has "lock"'
check "...and its other name is untouched" eq "$(cat precious.txt)" "precious"
rm -f "$db.lock"
check "the data survived everything" eval 'run 0 sync && [ "$(rows)" -ge "$before" ]'
check "no secret printed" no_secrets
finish
