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
check "bench-apple-health runs both importers on a small export and compares them" eval \
    'BENCH_APPLE_DAYS=8 BENCH_APPLE_MIN=1 TMPDIR="$tmp/scratch" "$ROOT/scripts/bench-apple-health" >apple.out 2>&1'
check "it prints the speed ratio, the rows alike in both and the growth per million" eval \
    'grep -q "against the Python importer on the same export: .*x the speed" apple.out &&
     grep -q "Database growth: .* MB per million records" apple.out &&
     ! grep -q " 0 of the " apple.out'
check "and leaves nothing behind" eval '[ -z "$(ls -A scratch)" ]'
finish
