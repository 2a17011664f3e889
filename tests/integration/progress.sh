#!/usr/bin/env bash
# Progress and counts as a person sees them.  On a terminal (a pseudo-
# terminal here, through python3's pty module) each running provider has
# one line, redrawn in place: resource, records so far, and a percentage
# with the time left where the total is known; normal output scrolls above
# it and the board is gone at the end.  Without a terminal: plain lines, no
# escape sequences.  Either way a summary table ends the sync, and a first
# backfill counts no row "unchanged".  Only the output is checked, never
# how long anything took.
source "$(dirname "$0")/lib.sh"
export HEALTH_SYNC_NOW=2025-06-15T12:00:00Z
start_fake --years 1 --latency-ms 5
write_config oura hevy eightsleep
sed -i '/^\[oura\]/a access_token = "fake-oura-SECRET-pat-4d2a"' "$tmp/health-sync.toml"

# pty_run OUTFILE ARGS...: runs health-sync on a pseudo-terminal, raw bytes to OUTFILE
pty_run() {
    local out=$1; shift
    python3 - "$out" "$HS" --config "$tmp/health-sync.toml" "$@" <<'PY'
import os, pty, sys
out = open(sys.argv[1], "wb")
def read(fd):
    data = os.read(fd, 65536)
    out.write(data)
    return data
sys.stdout = open(os.devnull, "w")  # pty.spawn copies what it reads to fd 1 too
os.dup2(sys.stdout.fileno(), 1)
status = pty.spawn(sys.argv[2:], read)
out.close()
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

# screen.py RAW: replays the bytes as a terminal would (\r, \n, ESC[K, ESC[nA,
# ESC[J) and checks what a person saw.
cat >"$tmp/screen.py" <<'PY'
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace").replace("\r\n", "\n")
lines, row, col = [""], 0, 0
boards = []          # each redraw of the board: its rows
board, drawing, board_line = [], False, False
i = 0
token = re.compile(r"\x1b\[(\d*)([AKJ])|\r|\n|[^\x1b\r\n]+")
for m in token.finditer(raw):
    t = m.group(0)
    if m.group(2) == "A":
        row -= int(m.group(1) or 1); drawing = True; board = []
    elif m.group(2) == "K":
        lines[row] = lines[row][:col]
        if col == 0:
            board_line = True
    elif m.group(2) == "J":
        lines[row] = lines[row][:col]; del lines[row + 1:]
    elif t == "\r":
        col = 0
    elif t == "\n":
        if drawing and board_line and lines[row].strip():
            board.append(lines[row])
        board_line = False
        row += 1; col = 0
        if row == len(lines):
            lines.append("")
    else:
        cur = lines[row]
        lines[row] = cur[:col] + t + cur[col + len(t):]
        col += len(t)
        continue
    if t == "\n" and board:
        boards.append(list(board))
final = [l for l in lines if l.strip()]
board_row = re.compile(r"^(oura|hevy|eightsleep) +\S+ +\d+ records")
checks = {
    "redrawn": len(boards) > 0,
    "one line per provider": all(len({r.split()[0] for r in b}) == len(b) for b in boards),
    "two providers at once": any(len(b) >= 2 for b in boards),
    "records on every line": all(board_row.match(r) for b in boards for r in b),
    "percent and time left": any(re.search(r" \d+%  ETA \d+:\d\d ", r) for b in boards for r in b),
    "board gone at the end": not any(board_row.match(l) for l in final),
    "summary table last": bool(re.search(r"^PROVIDER +RESULT +RESOURCES +NEW +UPDATED +DELETED +UNCHANGED +SECONDS",
                                         "\n".join(final), re.M)) and final[-1] == "Sync completed.",
    "each resource's line once": all(sum(1 for l in final if l.startswith(p + ":")) <= 1
                                     for p in {l.split(":")[0] for l in final if "/" in l.split(":")[0]}),
}
which = sys.argv[2]
if not checks[which]:
    print("# screen:\n" + "\n".join("#   " + l for l in final[-30:]))
    sys.exit(1)
PY
screen() { python3 "$tmp/screen.py" "$tmp/tty.raw" "$1"; }

check "a first sync on a terminal" pty_run "$tmp/tty.raw" sync
for what in "redrawn" "one line per provider" "two providers at once" "records on every line" \
    "percent and time left" "board gone at the end" "summary table last" "each resource's line once"; do
    check "... $what" screen "$what"
done
check "... a first backfill counts no row unchanged" eq \
    "$(sql "SELECT COUNT(*), SUM(unchanged_count) FROM sync_runs WHERE status='success' AND unchanged_count > 0")" "0|"
check "... and the table says so for each provider" eval \
    'grep -aE "^(oura|hevy|eightsleep) +ok +[0-9]+/[0-9]+ +[0-9]+ +0 +0 +0 " "$tmp/tty.raw" | [ "$(wc -l)" = 3 ]'

rm -f "$tmp/health.sqlite"*
check "not a terminal: a first sync" run 0 sync
check "... plain progress lines" has '^hevy/workouts: page 1 of [0-9]*$'
check "... no escape sequence at all" eval '! grep -q $'"'"'\033'"'"' "$OUT"'
check "... the summary table" has '^PROVIDER  *RESULT  *RESOURCES'
check "... hevy's row" eval 'grep -Eq "^hevy +ok +[0-9]+/[0-9]+ +[0-9]+ +0 +0 +0 +[0-9]+\.[0-9]$" "$OUT"'
check "a second sync counts what it listed again as unchanged" eval \
    'run 0 sync && grep -Eq "^oura +ok +[0-9]+/[0-9]+ +0 +0 +0 +[1-9][0-9]* " "$OUT"'
check "no secret in any output" no_secrets
finish
