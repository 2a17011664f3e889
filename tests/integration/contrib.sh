#!/usr/bin/env bash
# What ships under contrib/ and man/: the systemd units verify, the man page
# renders, the completions load and offer the commands.
source "$(dirname "$0")/lib.sh"
mkdir units
cp "$ROOT"/contrib/systemd/health-sync.* units/
sed -i "s#/usr/local/bin/health-sync#$HS#" units/health-sync.service
if command -v systemd-analyze >/dev/null; then
    check "the systemd service and timer pass systemd-analyze verify" \
        systemd-analyze verify --man=no units/health-sync.timer units/health-sync.service
else
    echo "# systemd-analyze not installed: unit verification not run"
fi
check "the timer runs the service's sync with a lock timeout" eval 'grep -q "sync --lock-timeout" units/health-sync.service && grep -q "OnCalendar=" units/health-sync.timer'
check "the cron example runs sync with a lock timeout" grep -q "sync --lock-timeout" "$ROOT/contrib/cron.example"
# The service and cron start elsewhere than the config's directory: a
# relative [app].db must still be the one beside the config.
mkdir -p home/.config/health-sync home/.local/share/health-sync cwd
printf '[app]\ndb = "./health.sqlite"\n' >home/.config/health-sync/health-sync.toml
exec_start=$(sed -n 's/^ExecStart=//p' units/health-sync.service | sed "s#%h#$tmp/home#g; s# sync .*# init-db#")
check "the service's command line, run elsewhere, finds the database beside its config" \
    eval '(cd cwd && HOME="$tmp/home" $exec_start >/dev/null 2>&1) && [ -s home/.config/health-sync/health.sqlite ] && ! [ -e cwd/health.sqlite ]'
cron_line=$(grep -v '^#' "$ROOT/contrib/cron.example" | grep health-sync | sed "s#^[0-9* ]*##; s#/usr/local/bin/health-sync#$HS#; s# sync .*# status#")
check "the cron line, run from \$HOME, reads that same database" \
    eval '(cd home && HOME="$tmp/home" eval "$cron_line" >/dev/null 2>&1)'

if command -v man >/dev/null; then
    check "man ./man/health-sync.1 renders every command" eval 'MANWIDTH=80 man -l "$ROOT/man/health-sync.1" 2>/dev/null >man.txt && for c in init init-db auth sync status export providers report metadata import; do grep -q "^ *$c" man.txt || exit 1; done'
else
    echo "# man not installed: rendering not checked"
fi
check "bash completion offers the commands" eval \
    'out=$(bash -c "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync s); COMP_CWORD=1; _health_sync; echo \${COMPREPLY[*]}") && [ "$out" = "sync status" ]'
check "bash completion offers report's options" eval \
    'out=$(bash -c "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync report --o); COMP_CWORD=2; _health_sync; echo \${COMPREPLY[*]}") && [ "$out" = "--output" ]'
check "bash completion offers providers after sync --providers" eval \
    'out=$(PATH="$ROOT/$BUILD:$PATH" bash -c "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync sync o); COMP_CWORD=2; _health_sync; echo \${COMPREPLY[*]}") && [ "$out" = "oura" ]'
touch export.zip notes.txt
check "bash completion offers apple-health after import, then the zip or xml" eval \
    'out=$(bash -c "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync import a); COMP_CWORD=2; _health_sync; echo \${COMPREPLY[*]}") && [ "$out" = "apple-health" ] &&
     out=$(bash -c "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync import apple-health ex); COMP_CWORD=3; _health_sync; echo \${COMPREPLY[*]}") && [ "$out" = "export.zip" ]'
check "bash completion offers providers after init --provider" eval \
    'out=$(PATH="$ROOT/$BUILD:$PATH" bash -c "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync init --provider h); COMP_CWORD=3; _health_sync; echo \${COMPREPLY[*]}") && [ "$out" = "hevy" ]'
# The completions take the providers from the program (its table, as
# `sync --help` prints it), so a new provider needs no edit there.
table=$("$HS" sync --help | awk '/^  --providers P/ { getline; print }' | xargs)
check "sync --help lists the provider table" eval '[ -n "$table" ] && case " $table " in *" oura "*" strava "*) true ;; *) false ;; esac'
check "the bash completion offers exactly the table's providers" eq "$(PATH="$ROOT/$BUILD:$PATH" bash -c \
    "source \"$ROOT/contrib/completion/health-sync.bash\"; COMP_WORDS=(health-sync auth ''); COMP_CWORD=2; _health_sync; echo \${COMPREPLY[*]}" |
    tr ' ' '\n' | grep -v '^-' | xargs)" "$table"
check "neither completion lists the providers itself" eval \
    '! grep -E "provider.*[^a-z/](oura|withings|hevy|strava|eightsleep)[^a-z/]" "$ROOT/contrib/completion/health-sync.bash" "$ROOT/contrib/completion/_health-sync"'
check "the zsh completion is a #compdef file naming every command" eval \
    'head -1 "$ROOT/contrib/completion/_health-sync" | grep -q "#compdef health-sync" && for c in init init-db auth sync status export providers report metadata import; do grep -q "$c:" "$ROOT/contrib/completion/_health-sync" || exit 1; done'
finish
