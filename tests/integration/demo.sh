#!/usr/bin/env bash
# make demo (scripts/demo) against the bundled fake: it syncs every provider
# and ends by writing the HTML report and printing its path.
source "$(dirname "$0")/lib.sh"
check "the demo runs to the end" eval \
    '(cd "$ROOT" && BUILD="$BUILD" DEMO_YEARS=1 scripts/demo) >"$tmp/demo.out" 2>&1 || { tail -5 "$tmp/demo.out" | sed "s/^/# /"; exit 1; }'
cat "$tmp/demo.out" >>"$tmp/all-output"
report=$(sed -n 's/^The report of the demo data: \(.*\) (open it in a browser)\.$/\1/p' "$tmp/demo.out")
check "it ends with the report's path" eval '[ -n "$report" ] && tail -1 "$tmp/demo.out" | grep -qF "$report"'
check "the report is there, mode 0600, with the sleep and training panels" eval \
    '[ "$(stat -c %a "$report")" = 600 ] && grep -q "<section id=\"sleep\">" "$report" && grep -q "<section id=\"training\">" "$report"'
finish
