#!/usr/bin/env bash
# health-sync metadata: a Datasette metadata document naming every view and
# column of the database with a description (and its unit where the name
# carries one), the README's example queries as canned queries that run.
source "$(dirname "$0")/lib.sh"
db="$tmp/health.sqlite"
"$HS" --db "$db" init-db >/dev/null 2>&1
check "metadata prints JSON" eval '"$HS" --db "$db" -q metadata >meta.json 2>/dev/null && python3 -m json.tool meta.json >/dev/null'
cat >meta_check.py <<'PY'
import json, re, sqlite3, sys
meta = json.load(open("meta.json"))
db = meta["databases"]["health"]           # Datasette's name for health.sqlite
con = sqlite3.connect(sys.argv[1])
what = sys.argv[2]
ok = True
if what == "columns":
    for (view,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'"):
        t = db["tables"].get(view)
        if not t or not t.get("title") or not t.get("description"):
            print("# no title/description:", view); ok = False; continue
        for col in [r[1] for r in con.execute(f"PRAGMA table_info({view})")]:
            d = t["columns"].get(col, "")
            if not d:
                print("# no description:", view, col); ok = False
            unit = re.search(r"_(s|ms|bpm|kg|kcal|pct|mmhg|m|c)$", col)
            if unit and ", in " not in d:
                print("# no unit in:", view, col, d); ok = False
elif what == "queries":
    readme = open(sys.argv[3]).read()
    block = re.search(r"```sql\n(.*?)```", readme, re.S).group(1)
    shown = [q.strip() for q in re.split(r"\n\s*\n", block)]
    shown = ["\n".join(l for l in q.splitlines() if not l.startswith("--")) for q in shown]
    canned = [q["sql"] for q in db["queries"].values()]
    if shown != canned:
        print("# README:", shown, "\n# metadata:", canned); ok = False
    for q in canned:
        con.execute(q).fetchall()
elif what == "hidden":
    ok = db["tables"]["oauth_tokens"].get("hidden") is True
    ok = ok and db["tables"]["v_body"]["units"]["weight_kg"] == "kg"
sys.exit(0 if ok else 1)
PY
check "every view and every column has a title or description, units where the name says" \
    python3 meta_check.py "$db" columns
check "the canned queries are the README's examples, and they run" \
    python3 meta_check.py "$db" queries "$ROOT/README.md"
check "the token table is hidden; Pint units for Datasette" python3 meta_check.py "$db" hidden
check "metadata takes no arguments" eval '"$HS" --db "$db" metadata extra >/dev/null 2>&1; [ $? -eq 2 ]'
finish
