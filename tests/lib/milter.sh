# tests/lib/milter.sh -- start deptmilter for tests and read its log.
#
# Source after tap.sh (and postfix.sh for the Postfix helpers):
#
#   milter_require
#       skip_all unless ./deptmilter and ./deptmap are built.
#   milter_map DIR [RULES]
#       compile RULES (default tests/milter/departments.rules) into
#       DIR/departments.cdb (sets MILTER_MAP).
#   milter_conf DIR SOCKET [KEY=VALUE...]
#       write DIR/deptmilter.conf: socket SOCKET, map MILTER_MAP, user
#       nobody, no pid file, log_level info, stats off, plus the given
#       "key = value" lines (a given key replaces the default).
#       Sets MILTER_CONF.
#   milter_start DIR
#       run deptmilter -f -c DIR/deptmilter.conf in the background, stderr
#       in DIR/milter.log (MILTER_LOG); wait until its socket is there and
#       the start line is logged; stop it at exit.  Sets MILTER_PID.
#   milter_stop
#       SIGTERM and wait.
#   milter_wait_log REGEX [SECONDS [COUNT]]
#       wait (default 10 s) until COUNT lines (default 1) of MILTER_LOG
#       match REGEX (grep -E); 1 on timeout.
#   milter_log_lines REGEX
#       the lines of MILTER_LOG that match REGEX (grep -E).
#   milter_postfix DIR SMTPD_PORT SINK_PORT POSTFIX_SOCKET [EXTRA_CF...]
#       start the sink and a private Postfix with the milter-only setup,
#       postfix/milter-only.cf.snippet, appended VERBATIM, then
#       DIR/deptmilter-site.cf which sets only the snippet's two
#       placeholders: deptmilter_socket = POSTFIX_SOCKET and
#       deptmilter_domains = DIR/domains (from deptmap domains), then any
#       EXTRA_CF files (a test's own limits, say).
#   milter_postfix_recommended DIR SMTPD_PORT SINK_PORT POSTFIX_SOCKET SOCKETMAP [EXTRA_CF...]
#       the same with INSTALL's recommended setup, postfix/main.cf.snippet
#       appended VERBATIM, then DIR/deptmilter-site.cf setting its two
#       placeholders: deptmilter_socket = POSTFIX_SOCKET and
#       deptmilter_socketmap = socketmap:SOCKETMAP (deptmilter.conf's
#       "socketmap" in Postfix syntax: unix:PATH or inet:HOST:PORT).
#       "smtpd_milters =" in an EXTRA_CF file gives the socketmap-only
#       setup.
#   milter_submission PORT SOCKETMAP_PATH
#       append postfix/master.cf.snippet VERBATIM to the running
#       instance's master.cf, its service address "submission" replaced
#       by 127.0.0.1:PORT (pf_master_append).  The snippet's service is
#       chrooted (column 5 "y", as on Debian) and resolves main.cf's
#       socketmap path inside the queue directory, as a production smtpd
#       does; the test's socket lives outside it, so a hard link puts
#       SOCKETMAP_PATH (a unix socket) at the same path inside.
#   milter_postfix_require [PROGRAM...]
#       skip_all unless deptmilter, deptmap, Postfix (as root) and the
#       programs the test sends mail with (default: swaks) are there.
#   milter_postfix_up [KEY=VALUE...]
#       the usual start of a test: TEST_TMP, SMTPD_PORT and SINK_PORT, the
#       map of MILTER_RULES (default tests/milter/departments.rules),
#       deptmilter on the unix socket $sock with the given config lines,
#       and Postfix attached to it; bails out when either does not start.
#   smtp_send FROM RCPT[,RCPT...] [SWAKS-ARGS...]
#       swaks to the private Postfix; prints the whole dialogue.
#   load_check NAME QUERY...
#       tests/milter/loadcheck.py's account of a load run: the jobs and
#       results of tests/milter/smtpload.py in $TEST_TMP/jobs.NAME and
#       results.NAME (plain jobs and results when NAME is empty), the
#       sink in $TEST_TMP/sink, one QUERY file per rule set.  Writes
#       $TEST_TMP/check.NAME (check), sets LOAD_SUMMARY (its first line,
#       "sent=N delivered=N ...") and LOAD[KEY] from it, and shows up to
#       10 of its problems as diagnostics.
#   milter_memory_slack
#       prints 8 when deptmilter is built with AddressSanitizer (make
#       check SANITIZE=1: its quarantine and shadow memory), else 1: the
#       factor for a bound on deptmilter's memory growth.
# SPDX-License-Identifier: BSD-2-Clause

MILTER_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MILTER_BIN=${MILTER_BIN:-$MILTER_TOP/deptmilter}
DEPTMAP_BIN=${DEPTMAP_BIN:-$MILTER_TOP/deptmap}

milter_memory_slack() {
    if nm "$MILTER_BIN" 2>/dev/null | grep -q __asan_init; then echo 8; else echo 1; fi
}

milter_require() {
    [ -x "$MILTER_BIN" ] || skip_all "deptmilter not built (make deptmilter)"
    [ -x "$DEPTMAP_BIN" ] || skip_all "deptmap not built (make deptmap)"
}

milter_map() {
    local dir=$1 rules=${2:-$MILTER_TOP/tests/milter/departments.rules}
    MILTER_MAP=$dir/departments.cdb
    cp "$rules" "$dir/departments.rules" || return 1
    "$DEPTMAP_BIN" compile -o "$MILTER_MAP" "$dir/departments.rules" || return 1
    chmod 0644 "$MILTER_MAP"
}

milter_conf() {
    local dir=$1 socket=$2 kv key val
    shift 2
    declare -A conf=(
        [socket]=$socket [map]=$MILTER_MAP [user]=nobody [pid_file]=
        [log_level]=info [stats_interval]=0 [socket_mode]=0660
    )
    for kv in "$@"; do
        key=${kv%%=*} val=${kv#*=}
        conf[$key]=$val
    done
    MILTER_CONF=$dir/deptmilter.conf
    {
        echo "# written by tests/lib/milter.sh"
        for key in "${!conf[@]}"; do
            echo "$key = ${conf[$key]}"
        done
    } >"$MILTER_CONF"
}

_milter_socket_ready() {
    local spec
    spec=$(sed -n 's/^socket = //p' "$MILTER_CONF")
    case $spec in
    unix:*|local:*) [ -S "${spec#*:}" ] ;;
    /*) [ -S "$spec" ] ;;
    inet:*) spec=${spec#inet:}; ss -Hltn "sport = :${spec%%@*}" | grep -q . ;;
    *) return 0 ;;
    esac
}

milter_start() {
    local dir=$1 tries=200
    MILTER_LOG=$dir/milter.log
    : >"$MILTER_LOG"
    "$MILTER_BIN" -f -c "$MILTER_CONF" 2>>"$MILTER_LOG" &
    MILTER_PID=$!
    cleanup_add "milter_stop"
    while [ "$tries" -gt 0 ]; do
        if ! kill -0 "$MILTER_PID" 2>/dev/null; then
            echo "milter_start: deptmilter exited:" >&2
            cat "$MILTER_LOG" >&2
            return 1
        fi
        _milter_socket_ready && grep -q '^starting deptmilter' "$MILTER_LOG" && return 0
        sleep 0.05
        tries=$((tries - 1))
    done
    echo "milter_start: no socket after 10 s:" >&2
    cat "$MILTER_LOG" >&2
    return 1
}

milter_stop() {
    [ -n "${MILTER_PID:-}" ] || return 0
    kill -TERM "$MILTER_PID" 2>/dev/null
    wait "$MILTER_PID" 2>/dev/null
    MILTER_PID=
}

milter_wait_log() {
    local re=$1 tries=$(( ${2:-10} * 20 )) count=${3:-1} n
    while [ "$tries" -gt 0 ]; do
        n=$(grep -Ecs -- "$re" "$MILTER_LOG")
        [ "${n:-0}" -ge "$count" ] && return 0
        sleep 0.05
        tries=$((tries - 1))
    done
    return 1
}

milter_log_lines() {
    grep -E -- "$1" "$MILTER_LOG"
}

milter_postfix() {
    local dir=$1 smtpd_port=$2 sink_port=$3 socket=$4
    shift 4
    "$DEPTMAP_BIN" domains "$MILTER_MAP" >"$dir/domains" || return 1
    cat >"$dir/deptmilter-site.cf" <<EOT
# the two site-specific values of postfix/main.cf.snippet, for this test
deptmilter_socket = $socket
deptmilter_domains = $dir/domains
EOT
    sink_start "$dir" "$sink_port" || return 1
    pf_start "$dir" "$smtpd_port" "$sink_port" \
        "$MILTER_TOP/postfix/milter-only.cf.snippet" "$dir/deptmilter-site.cf" "$@"
}

milter_postfix_recommended() {
    local dir=$1 smtpd_port=$2 sink_port=$3 socket=$4 socketmap=$5
    shift 5
    cat >"$dir/deptmilter-site.cf" <<EOT
# the two site-specific values of postfix/main.cf.snippet, for this test
deptmilter_socket = $socket
deptmilter_socketmap = socketmap:$socketmap
EOT
    sink_start "$dir" "$sink_port" || return 1
    pf_start "$dir" "$smtpd_port" "$sink_port" \
        "$MILTER_TOP/postfix/main.cf.snippet" "$dir/deptmilter-site.cf" "$@"
}

milter_submission() {
    local port=$1 sm=$2
    mkdir -p "$PF_QUEUE$(dirname "$sm")" && ln -f "$sm" "$PF_QUEUE$sm" || return 1
    pf_master_append "$MILTER_TOP/postfix/master.cf.snippet" submission "127.0.0.1:$port"
}

milter_postfix_require() {
    local prog
    milter_require
    pf_require || skip_all "needs root, postfix, postconf and smtp-sink"
    for prog in "${@:-swaks}"; do
        command -v "$prog" >/dev/null || skip_all "needs $prog"
    done
}

milter_postfix_up() {
    tmpdir_make || bail_out "no temporary folder"
    read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
    milter_map "$TEST_TMP" ${MILTER_RULES:+"$MILTER_RULES"} ||
        bail_out "the test map did not compile"
    sock=$TEST_TMP/deptmilter.sock
    milter_conf "$TEST_TMP" "unix:$sock" "$@"
    milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
    milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" \
        || bail_out "Postfix did not start"
}

declare -A LOAD=()
load_check() {
    local name=${1:+.$1} kv
    shift
    python3 "$MILTER_TOP/tests/milter/loadcheck.py" "$TEST_TMP/jobs$name" \
        "$TEST_TMP/results$name" "$TEST_TMP/sink" "$@" >"$TEST_TMP/check$name"
    LOAD_SUMMARY=$(head -1 "$TEST_TMP/check$name")
    LOAD=()
    for kv in $LOAD_SUMMARY; do LOAD[${kv%%=*}]=${kv#*=}; done
    sed -n 's/^problem: /  /p' "$TEST_TMP/check$name" | head -10 |
        while IFS= read -r kv; do diag "$kv"; done
}

smtp_send() {
    local from=$1 to=$2
    shift 2
    swaks --server "127.0.0.1:$PF_SMTPD_PORT" --from "$from" --to "$to" \
          --header "Subject: deptmilter test" "$@" 2>&1
}
