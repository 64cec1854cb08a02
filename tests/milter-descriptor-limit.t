#!/bin/bash
# Each milter session holds a descriptor.  deptmilter sets its soft
# descriptor limit to the hard one (systemd starts services with 1024
# and 524288: 1024 would allow about 1,010 sessions), at most 65536.  Out
# of descriptors, a new connection waits in the socket's queue and is
# answered as soon as a session ends; deptmilter says so once (not per
# connection) and does not spin: libmilter's listener alone would retry
# accept() at once, a core's worth of CPU with not a word in the log.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
command -v python3 >/dev/null || skip_all "needs python3"
command -v prlimit >/dev/null || skip_all "needs prlimit (util-linux)"
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
[ "$hard" -ge 2048 ] || skip_all "needs a hard descriptor limit of 2048 (it is $hard)"

plan 7

tmpdir_make || bail_out "no temporary folder"
milter_map "$TEST_TMP" || bail_out "the test map did not compile"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock"
soft_limit() { awk '/^Max open files/ { print $4 }' "/proc/$MILTER_PID/limits"; }
# start_with SOFT:HARD -- deptmilter with these descriptor limits
start_with() {
    milter_stop
    : >"$MILTER_LOG"
    prlimit --nofile="$1" "$MILTER_BIN" -f -c "$MILTER_CONF" 2>>"$MILTER_LOG" &
    MILTER_PID=$!
    milter_wait_log '^starting deptmilter' 10 && [ -S "$sock" ] ||
        bail_out "deptmilter did not start with descriptors $1: $(cat "$MILTER_LOG")"
}

# the soft limit systemd gives, under a larger hard one
want=$((hard < 65536 ? hard : 65536))
( ulimit -Sn 1024 && exec "$MILTER_BIN" -f -c "$MILTER_CONF" ) 2>>"$TEST_TMP/first.log" &
MILTER_PID=$!
MILTER_LOG=$TEST_TMP/first.log
cleanup_add "milter_stop"
milter_wait_log '^starting deptmilter' 10 || bail_out "deptmilter did not start: $(cat "$MILTER_LOG")"
is "$(soft_limit)" "$want" "started with a soft limit of 1024, deptmilter raises it to the hard one ($hard, at most 65536)"
if prlimit --nofile=1024:200000 true 2>/dev/null; then
    start_with 1024:200000
    is "$(soft_limit)" 65536 "under a hard limit of 200000, to 65536 (the descriptors it keeps a flag for)"
else
    skip "cannot raise the hard limit here (needs CAP_SYS_RESOURCE)"
fi

# 64 descriptors, 80 connections: those past the limit wait
MILTER_LOG=$TEST_TMP/milter.log
start_with 64:64
python3 "$here/milter/manyconns.py" "$sock" "$MILTER_PID" 80 3 40 >"$TEST_TMP/conns.out" 2>&1
read -r _ first _ ticks <"$TEST_TMP/conns.out"
ok $((first < 40 || first >= 64)) "with 64 descriptors, $first of 80 connections are answered at once; the rest wait"
ok $((ticks > 30)) "while they wait, deptmilter uses little CPU time: $ticks ticks in 3 s (libmilter alone: a whole core)"
is "$(milter_log_lines 'warning: no descriptor' | wc -l)" 1 \
    "one warning for all of them, not one per try" || diag "$(head -5 "$MILTER_LOG")"
like "$(milter_log_lines 'warning: no descriptor')" \
    "warning: no descriptor for a new session \(Too many open files; $first sessions open, descriptor limit 64\): it waits in the socket's queue" \
    "the warning says why, how many sessions are open and the limit"
is "$(sed -n 's/^then //p' "$TEST_TMP/conns.out")" $((80 - 40)) \
    "once 40 sessions have ended, every waiting connection is answered" || diag "$(cat "$TEST_TMP/conns.out")"
