#!/usr/bin/env bash
# `make bench`'s own program, small: bench-floor stores and parses every
# sample it is given (it exits non-zero when a count comes out short), and
# prints its five lines.  What it measures is not checked here.
source "$(dirname "$0")/lib.sh"
FLOOR="$ROOT/$BUILD/bench-floor"
mkdir scratch
check "bench-floor stores and parses 20000 samples" eval 'TMPDIR="$tmp/scratch" "$FLOOR" 20000 >floor.out 2>&1'
check "it prints the two stores, SQLite alone and the two parses, each of 20000 samples" \
    eval '[ "$(grep -c " 20000 in " floor.out)" -eq 5 ]'
check "it leaves no database behind" eval '[ -z "$(ls -A scratch)" ]'
finish
