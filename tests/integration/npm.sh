#!/usr/bin/env bash
# Switching from the npm health-sync (0.3.x): its database has our tables
# but its own index names, no schema version, every time normalised to ISO Z
# (epoch and date watermarks too), payloads with sorted keys, and no tokens:
# those sit in .health-sync.creds beside the config.  Such a database and
# token file sync without a new `auth`; the file is never written.
source "$(dirname "$0")/lib.sh"
start_fake --years 1
write_config oura withings strava hevy eightsleep
oauth_login oura && oauth_login withings && oauth_login strava
check "a first sync fills the database" run 0 sync

# as_npm_left_it: rewrites the database the way the npm tool leaves one it
# opened (its db.js: init, timestamp normalisation, tokens moved to the file).
as_npm_left_it() {
    python3 - "$tmp/health.sqlite" "$tmp/.health-sync.creds" <<'PY'
import json, re, sqlite3, sys
from datetime import datetime, timezone
db = sqlite3.connect(sys.argv[1])

def iso(v):  # the tool's normalizeTimestamp / normalizeWatermark
    if v is None or v == "":
        return v
    if re.fullmatch(r"\d+", v):
        t = datetime.fromtimestamp(int(v), timezone.utc)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        t = datetime.fromisoformat(v + "T00:00:00+00:00")
    else:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def sorted_json(text):  # the tool's stableJsonStringify
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('view', 'index') AND name NOT LIKE 'sqlite_%'").fetchall():
    kind = db.execute("SELECT type FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    db.execute(f"DROP {kind} {name}")
db.executescript("""
CREATE INDEX idx_records_provider_resource_start_time ON records(provider, resource, start_time);
CREATE INDEX idx_records_provider_resource_source_updated_at ON records(provider, resource, source_updated_at);
CREATE INDEX idx_sync_runs_provider_resource_started_at ON sync_runs(provider, resource, started_at DESC);
CREATE INDEX idx_sync_runs_status_started_at ON sync_runs(status, started_at DESC);
PRAGMA user_version = 0;
""")
rows = db.execute("SELECT rowid, start_time, end_time, source_updated_at, fetched_at, payload_json FROM records").fetchall()
for rowid, *times, payload in rows:
    db.execute("UPDATE records SET start_time=?, end_time=?, source_updated_at=?, fetched_at=?, payload_json=? WHERE rowid=?",
               (*[iso(t) for t in times], sorted_json(payload), rowid))
for p, r, wm, up in db.execute("SELECT provider, resource, watermark, updated_at FROM sync_state").fetchall():
    db.execute("UPDATE sync_state SET watermark=?, updated_at=? WHERE provider=? AND resource=?", (iso(wm), iso(up), p, r))
tokens = {}
for p, at, rt, tt, sc, exp, obt, extra in db.execute("SELECT * FROM oauth_tokens ORDER BY provider"):
    tokens[p] = {"accessToken": at, "refreshToken": rt, "tokenType": tt, "scope": sc,
                 "expiresAt": iso(exp), "obtainedAt": iso(obt),
                 "extra": json.loads(extra) if extra else None}
db.execute("DELETE FROM oauth_tokens")
db.commit()
with open(sys.argv[2], "w") as f:
    f.write(json.dumps({"version": 1, "updatedAt": "2026-01-01T00:00:00Z", "tokens": tokens},
                       sort_keys=True, separators=(",", ":")) + "\n")
PY
    chmod 600 "$tmp/.health-sync.creds"
}
reset_stats
run 0 sync
own_second=$(stats | python3 -c "import json,sys; print(sum(json.load(sys.stdin)['providers'].values()))")
sql "SELECT provider || '/' || resource || '/' || record_id FROM records ORDER BY 1" >"$tmp/ids.before"
as_npm_left_it
check "the npm tool's layout: no token in the database, four in its file" eval \
    '[ "$(sql "SELECT COUNT(*) FROM oauth_tokens")" = 0 ] && [ "$(grep -o accessToken "$tmp/.health-sync.creds" | wc -l)" = 4 ]'
sha_before=$(sha256sum <"$tmp/.health-sync.creds")
reset_stats
check "sync runs on the npm tool's database without a new auth" run 0 sync
check "...saying once per provider that it uses the file's token" eval \
    '[ "$(grep -c "token the npm health-sync left in $tmp/.health-sync.creds" "$OUT")" = 4 ] && has "Using the Oura token"'
check "...copying the tokens into oauth_tokens" eq "$(sql "SELECT group_concat(provider) FROM (SELECT provider FROM oauth_tokens ORDER BY provider)")" \
    "eightsleep,oura,strava,withings"
npm_second=$(stats | python3 -c "import json,sys; print(sum(json.load(sys.stdin)['providers'].values()))")
check "...carrying on from its watermarks (no more requests than a second sync of our own: $npm_second, $own_second)" \
    test "$npm_second" -le "$own_second"
check "...never writing the token file" eq "$(sha256sum <"$tmp/.health-sync.creds")" "$sha_before"
sql "SELECT provider || '/' || resource || '/' || record_id FROM records ORDER BY 1" >"$tmp/ids.after"
check "...keeping every record it had" eval '[ -z "$(comm -23 "$tmp/ids.before" "$tmp/ids.after")" ]'
check "...with one index per purpose (the npm tool's, not ours beside them)" eq \
    "$(sql "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND name NOT LIKE 'sqlite_%'")" 2
check "...and the views back" eval '[ "$(sql "SELECT COUNT(*) FROM v_sleep")" -gt 0 ]'
check "the next sync says nothing of the file" eval 'run 0 sync && hasnt "npm health-sync"'

# A token the database already holds wins over the file's.
sql "UPDATE oauth_tokens SET access_token = access_token WHERE provider = 'strava'"
strava_token=$(sql "SELECT access_token FROM oauth_tokens WHERE provider = 'strava'")
python3 - "$tmp/.health-sync.creds" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["tokens"]["strava"]["accessToken"] = "npm-stale-token"
open(sys.argv[1], "w").write(json.dumps(doc))
PY
check "a token in the database is kept, whatever the file holds" eval \
    'run 0 sync --providers strava && [ "$(sql "SELECT access_token FROM oauth_tokens WHERE provider = '\''strava'\''")" = "$strava_token" ]'

# An expired token from the file is refreshed with its refresh token.
sql "DELETE FROM oauth_tokens WHERE provider = 'withings'"
python3 - "$tmp/.health-sync.creds" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["tokens"]["withings"]["expiresAt"] = "2020-01-01T00:00:00Z"
open(sys.argv[1], "w").write(json.dumps(doc))
PY
check "an expired token from the file is refreshed and the sync goes on" eval \
    'run 0 sync --providers withings && has "Using the Withings token" && [ "$(sql "SELECT expires_at > '\''2026'\'' FROM oauth_tokens WHERE provider = '\''withings'\''")" = 1 ]'
echo '{"version": 1, "tokens": [' >"$tmp/.health-sync.creds"
sql "DELETE FROM oauth_tokens WHERE provider = 'oura'"
check "a broken token file is a warning naming it, then the usual hint to run auth" eval \
    'run 1 sync --providers oura && has "not using $tmp/.health-sync.creds" && has "health-sync auth oura"'
check "no secret appears in any output" no_secrets
finish
