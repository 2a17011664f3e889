#!/usr/bin/env bash
# scripts/tap-check, which scripts/run-tests runs on every test's output: a
# test passes only with exactly one plan "1..N" and N results.
source "$(dirname "$0")/lib.sh"
tap_check() { "$ROOT/scripts/tap-check" "$1" >"$tmp/counts" 2>"$tmp/why"; }

printf 'ok 1 - a\nnot ok 2 - b\nok 3 - c\n1..3\n' >whole.tap
check "a plan matching the results holds" tap_check whole.tap
check "...and the counts are the ok and not ok lines" eq "$(cat "$tmp/counts")" "2 1"
printf '1..2\nok 1 - a\nok 2 - b\n' >first.tap
check "a plan may come first" tap_check first.tap

printf 'ok 1 - a\nok 2 - b\n' >noplan.tap
check "no plan fails" eval '! tap_check noplan.tap'
check "...saying so" eq "$(cat "$tmp/why")" "no TAP plan (1..N)"
printf 'ok 1 - a\nok 2 - b\n1..3\n' >short.tap
check "fewer results than planned (a script that stopped early) fails" eval '! tap_check short.tap'
check "...naming both numbers" eq "$(cat "$tmp/why")" "TAP plan 1..3 but 2 results"
printf 'ok 1 - a\nok 2 - b\nok 3 - c\n1..2\n' >long.tap
check "more results than planned fails" eval '! tap_check long.tap'
printf '1..1\nok 1 - a\n1..1\n' >twice.tap
check "two plans fail" eval '! tap_check twice.tap'
printf '1..1\n# ok 1 - in a comment\n ok 1 - indented\n' >comments.tap
check "a result inside a comment or indented does not count" eval '! tap_check comments.tap'
printf 'ok 1 - a\n# 1..1 in a comment\n' >comment-plan.tap
check "nor does a plan inside a comment" eval '! tap_check comment-plan.tap'
finish
