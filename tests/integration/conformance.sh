#!/usr/bin/env bash
# The same scenarios for every provider in the provider table (as `sync
# --help` lists it), each against its fake, compared with the fake's own data
# (POST /_admin/<provider>/dump): the backfill exact, a sync with nothing new
# changing nothing in few requests, an upstream edit and an upstream
# deletion (POST /_admin/<provider>/conform-edit, conform-delete: a recent
# record, inside what a plain sync lists again), a 401 in the middle of a
# listing (OAuth2: the token expires), 429s, 5xxs in the middle of the
# pagination, and a backfill killed after N commits for several N, resumed.
# A new provider is tested by its fake answering those admin calls; this
# script needs no edit.
. "$(dirname "$0")/lib.sh"

table=$("$HS" sync --help | awk '/^  --providers P/ { getline; print }')

# Whether PROVIDER signs in by OAuth2 (auth --help names them first).
is_oauth2() { "$HS" auth --help | grep -m1 -E '^[a-z, ]+:$' | tr -d ',:' | grep -qw "$1"; }
sign_in() { # PROVIDER
    if is_oauth2 "$1"; then oauth_login "$1"; else run 0 auth "$1"; fi
}
fake_config() { curl -s -X POST "$FAKE/_admin/config?$1" >/dev/null; }
unchanged() { # PROVIDER: the last sync's summary row says 0 new and 0 deleted (a
    # record stamped with the sync's time, as Strava's athlete, counts as updated)
    grep -qE "^$1 +ok +[0-9]+/[0-9]+ +0 +[0-9]+ +0 " "$OUT" ||
        { echo "# not unchanged:"; grep -E "^$1 " "$OUT" | sed 's/^/# /'; return 1; }
}
killed_after() { # N: a sync that exits right after its N-th commit
    HEALTH_SYNC_FAIL_AFTER_COMMITS=$1 "$HS" --config "$tmp/health-sync.toml" sync >/dev/null 2>&1
    [ $? -eq 99 ]
}

for p in $table; do
    stop_fake
    rm -f "$tmp/health.sqlite"
    start_fake --days 40
    write_config "$p"
    check "$p: sign in" sign_in "$p"

    reset_stats
    check "$p: backfill" run 0 sync -v
    backfill=$(requests "$p")
    commits=$(sed -n 's/.*database: \([0-9]*\) pages committed.*/\1/p' "$OUT" | tail -1)
    check "$p: ...exactly the fake's data" exact "$p"

    # The first delta after a backfill may still book what the backfill did
    # not (Hevy's audit rows of the events inside its overlap): the second
    # must change nothing.
    run 0 sync >/dev/null
    reset_stats
    check "$p: a sync with nothing new changes nothing" eval 'run 0 sync && unchanged "$p" && exact "$p"'
    resources=$(sql "SELECT COUNT(*) FROM sync_state WHERE provider = '$p'")
    check "$p: ...in at most two requests a resource, no more than the backfill" eval \
        '[ "$(requests "$p")" -le $((2 * resources)) ] && [ "$(requests "$p")" -le "$backfill" ] ||
         { echo "# $(requests "$p") requests, $resources resources, backfill $backfill"; false; }'

    # A change the API lets a plain sync see (the fake says which in
    # "plain_sync_sees_it", true when it does not say) must be
    # stored by one; any other by sync --full.
    for change in edit delete; do
        sees=$(curl -s -X POST "$FAKE/_admin/$p/conform-$change" |
            python3 -c 'import json,sys; print(json.load(sys.stdin).get("plain_sync_sees_it", True))')
        if [ "$sees" = True ]; then
            check "$p: an upstream $change: a plain sync stores it" eval 'run 0 sync && exact "$p"'
        else
            check "$p: an upstream $change (no feed for it): sync --full stores it" eval \
                'run 0 sync && run 0 sync --full && exact "$p"'
        fi
    done

    if is_oauth2 "$p"; then
        curl -s -X POST "$FAKE/_admin/expire?provider=$p" >/dev/null
        check "$p: a 401 in the middle of the listings: refreshed, the sync goes on" eval \
            'run 0 sync --full -v && has "HTTP 401, refreshing" && exact "$p"'
    fi
    fake_config "rate429=0.3"
    check "$p: 429s: sync --full still exact" eval 'run 0 sync --full && exact "$p"'
    fake_config "rate429=0&error_rate=0.3"
    check "$p: 5xxs in the middle of the pagination: sync --full still exact" eval \
        'run 0 sync --full && exact "$p"'
    fake_config "error_rate=0"

    # Killed after the first commit, half-way and before the last one.
    for k in $(printf '%s\n' 1 $((commits / 2)) $((commits - 1)) | awk '$1 >= 1' | sort -nu); do
        rm -f "$tmp/health.sqlite"
        sign_in "$p" >/dev/null
        check "$p: a backfill killed after $k commits" killed_after "$k"
        check "$p: ...resumed, exact" eval 'run 0 sync && exact "$p"'
    done
done
check "no secret in any output" no_secrets
finish
