# tests/lib/unit.sh -- deptmilter under its systemd units, without systemd
#
# Source after tap.sh and milter.sh.  tests/milter/sockact.py holds the
# socket as deptmilter.socket would and runs deptmilter.service's own
# commands (ExecStartPre, ExecStart, SIGTERM at stop, stop then start for
# a restart).
#
#   unit_up DIR SPEC[,SPEC]
#       start sockact.py for the socket SPEC (deptmilter.conf's spelling;
#       a second one after a comma: the socketmap's, as deptmilter.socket
#       holds both; without one, DIR/unit-socketmap.sock, which a
#       deptmilter.conf without socketmap leaves unserved) with
#       MILTER_CONF (which must set pid_file), then "start"; the
#       events go to DIR/unit.events (UNIT_EVENTS), deptmilter's stderr to
#       DIR/unit.log.  Stops everything at exit.
#   unit_cmd start|stop|restart [SECONDS]
#       send the command, wait (default 120 s) until it is done; 1 when it
#       failed or timed out.
#   unit_send CMD
#       send the command and return at once.
#   unit_main_pid
#       the main pid now (from the last "start" event).
#   unit_load_restarting HOW RESTARTS PIDFILE LOG JOBS RESULTS
#       tests/milter/smtpload.py's JOBS over 10 sessions to
#       127.0.0.1:SMTPD_PORT (answers to RESULTS) while
#       tests/milter/restart-hook.sh restarts deptmilter RESTARTS times,
#       evenly, HOW: "unit" (unit_cmd restart) or "handover" (-R with
#       MILTER_CONF), a line "OLD-PID NEW-PID" each to LOG; its status.
#   unit_restarts_made NAME HOW RESTARTS LOG
#       one check: LOG has RESTARTS lines and names RESTARTS + 1 processes.
# SPDX-License-Identifier: BSD-2-Clause

UNIT_DIR=$MILTER_TOP/contrib/systemd

_unit_count() {
    grep -Ecs -- "$1" "$UNIT_EVENTS"
}

unit_send() {
    echo "$1" >"$UNIT_FIFO"
}

unit_cmd() {
    local cmd=$1 tries=$(( ${2:-120} * 50 )) re n
    case $cmd in
    stop) re='^stop ' ;;
    *) re='^(start|fail) ' ;;
    esac
    n=$(_unit_count "$re")
    unit_send "$cmd"
    while [ "$tries" -gt 0 ]; do
        [ "$(_unit_count "$re")" -gt "$n" ] && break
        sleep 0.02
        tries=$((tries - 1))
    done
    [ "$tries" -gt 0 ] && ! tail -1 "$UNIT_EVENTS" | grep -q '^fail'
}

unit_main_pid() {
    sed -n 's/^start pid=\([0-9]*\) .*/\1/p' "$UNIT_EVENTS" | tail -1
}

unit_up() {
    local dir=$1 spec=$2
    # as many sockets as deptmilter.socket holds: a socketmap's unused
    # when the test names none (deptmilter.conf without one leaves it)
    if [ "${spec#*,}" = "$spec" ] &&
       [ "$(grep -c '^ListenStream=' "$UNIT_DIR/deptmilter.socket")" -gt 1 ]; then
        spec="$spec,unix:$dir/unit-socketmap.sock"
    fi
    UNIT_EVENTS=$dir/unit.events UNIT_FIFO=$dir/unit.fifo
    : >"$UNIT_EVENTS"
    mkfifo "$UNIT_FIFO" || return 1
    python3 "$MILTER_TOP/tests/milter/sockact.py" "$UNIT_DIR/deptmilter.service" \
        "$spec" 0660 "$MILTER_BIN" "$MILTER_CONF" "$UNIT_FIFO" "$UNIT_EVENTS" \
        2>>"$dir/unit.log" &
    UNIT_PID=$!
    cleanup_add "unit_down"
    unit_cmd start 30
}

unit_down() {
    [ -n "${UNIT_PID:-}" ] || return 0
    unit_send quit &
    local tries=500
    while kill -0 "$UNIT_PID" 2>/dev/null && [ "$tries" -gt 0 ]; do
        sleep 0.02; tries=$((tries - 1))
    done
    kill "$UNIT_PID" 2>/dev/null
    wait "$UNIT_PID" 2>/dev/null
    UNIT_PID=
}

unit_load_restarting() {
    local how=$1 restarts=$2 pidf=$3 log=$4 jobs=$5 results=$6 messages
    messages=$(grep -c . "$jobs")
    RESTART_HOW=$how RESTART_N=$restarts RESTART_LOG=$log \
    UNIT_EVENTS=${UNIT_EVENTS:-} UNIT_FIFO=${UNIT_FIFO:-} MILTER_CONF=$MILTER_CONF \
    LOAD_HOOK_EVERY=$((messages / (restarts + 1))) \
    LOAD_HOOK_CMD="$MILTER_TOP/tests/milter/restart-hook.sh $pidf" \
        python3 "$MILTER_TOP/tests/milter/smtpload.py" "127.0.0.1:$SMTPD_PORT" 10 \
        "$jobs" "$results" 5
}

unit_restarts_made() {
    local pids
    pids=$(tr ' ' '\n' <"$4" | sort -u | wc -l)
    is "$(grep -c . "$4")/$pids" "$3/$(($3 + 1))" \
        "$1: deptmilter restarted ($2) $3 times while the mail flowed, a new process each time"
}
