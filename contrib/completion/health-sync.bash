# bash completion for health-sync; source it or install it as
# /usr/share/bash-completion/completions/health-sync.
_health_sync()
{
    local cur prev cmd i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="init init-db auth sync status export providers report metadata import"
    # The providers are the program's own table, as `sync --help` lists them.
    local providers
    providers=$("${COMP_WORDS[0]}" sync --help 2>/dev/null | awk '/^  --providers P/ { getline; print }')
    local global="--config --db -v --verbose -q --quiet --help --version"
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --config|--db) ((i++)) ;;
        -*) ;;
        *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $prev in
    --config|--db|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "csv jsonl" -- "$cur")); return ;;
    --listen-host|--listen-port|--since|--until|--lock-timeout|--history-budget|--timeout|--batch|--runs) return ;;
    --provider) COMPREPLY=($(compgen -W "$providers" -- "$cur")); return ;;
    *-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    case $cmd in
    "") COMPREPLY=($(compgen -W "$commands $global" -- "$cur")) ;;
    auth)
        COMPREPLY=($(compgen -W "$providers --listen-host --listen-port --no-browser --timeout --help" -- "$cur")) ;;
    sync)
        COMPREPLY=($(compgen -W "--providers $providers --full --lock-timeout --history-budget --help" -- "$cur")) ;;
    status) COMPREPLY=($(compgen -W "--json --runs --help" -- "$cur")) ;;
    init)
        COMPREPLY=($(compgen -W "--provider --sync --listen-host --listen-port --no-browser --timeout --help" -- "$cur")) ;;
    export)
        local things="hevy/workouts hevy/routines strava/activities oura/daily_sleep oura/heartrate withings/measures"
        COMPREPLY=($(compgen -W "$things --format --since --until --output --help" -- "$cur")) ;;
    report) COMPREPLY=($(compgen -W "--since --until --output --help" -- "$cur")) ;;
    import)
        if [ "$prev" = import ]; then
            COMPREPLY=($(compgen -W "apple-health" -- "$cur"))
        elif [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--prune --batch --help" -- "$cur"))
        else # the export: export.zip or an unpacked export.xml
            COMPREPLY=($(compgen -f -X '!*.zip' -- "$cur") $(compgen -f -X '!*.xml' -- "$cur")
                       $(compgen -d -- "$cur"))
        fi ;;
    *) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
    esac
}
complete -F _health_sync health-sync
