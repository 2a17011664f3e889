#!/usr/bin/env bash
# make fuzz builds its targets from the library's own sources: every source
# and every fuzz target must compile with the flags scripts/fuzz uses (a
# directory added to src/ without them broke `make fuzz` once).
source "$(dirname "$0")/lib.sh"
if command -v clang >/dev/null; then
    check "every library source and fuzz target compiles with scripts/fuzz's flags" \
        eval '(cd "$ROOT" && FUZZ_SYNTAX_ONLY=1 scripts/fuzz) >fuzz.out 2>&1 || { sed "s/^/# /" fuzz.out | head -5; false; }'
else
    echo "ok 1 - # SKIP clang is not installed (make fuzz needs it)"
    n=1
fi
finish
