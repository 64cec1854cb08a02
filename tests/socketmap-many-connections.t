#!/bin/bash
# Many connections to deptmilter's socketmap: 10,000 opened at once and
# dropped, and 10,000 more one after another each dropping half a request,
# leave deptmilter with the descriptors it had before (counted in
# /proc/PID/fd once it settles) and answering; 500 idle connections cost
# the socketmap thread no CPU time (utime + stime of the thread named
# "socketmap" in /proc/PID/task, over 5 s) and little memory (VmRSS of a
# fresh deptmilter), measured and shown.  Past its connection limit (half
# the descriptor limit) a connection is closed at once, with a warning at
# most once a minute, and the ones already open are still answered.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"
# memory bounds get more room under AddressSanitizer
ASAN_SLACK=$(milter_memory_slack)

milter_require
command -v python3 >/dev/null || skip_all "needs python3"
command -v prlimit >/dev/null || skip_all "needs prlimit (util-linux)"
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 20000 ] ||
    skip_all "needs a descriptor limit of 20000 (hard limit $(ulimit -Hn))"

plan 12

tmpdir_make || bail_out "no temporary folder"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
CLIENT=$here/socketmap/smclient.py

fds() { ls "/proc/$MILTER_PID/fd" | wc -l; }
base=$(fds)
# settled BASE -- wait (up to 20 s) until deptmilter holds at most BASE descriptors
settled() {
    local tries=200
    while [ "$(fds)" -gt "$1" ] && [ "$tries" -gt 0 ]; do
        sleep 0.1
        tries=$((tries - 1))
    done
    [ "$(fds)" -le "$1" ]
}
# cpu_ticks -- utime + stime of deptmilter's socketmap thread, in clock ticks
cpu_ticks() {
    local t
    for t in /proc/$MILTER_PID/task/*; do
        [ "$(cat "$t/comm")" = socketmap ] && awk '{ print $14 + $15 }' "$t/stat"
    done
}
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$MILTER_PID/status"; }
answered() {
    is "$(python3 "$CLIENT" "$SM" ask virtual alice@sales.example.com)" "OK alice@example.com" "$1"
}

# 500 idle connections
rss0=$(rss_kib)
python3 "$CLIENT" "$SM" idle 500 120 >"$TEST_TMP/idle.out" &
idle=$!
cleanup_add "kill $idle 2>/dev/null"
for _ in $(seq 600); do grep -q '^opened' "$TEST_TMP/idle.out" && break; sleep 0.1; done
for _ in $(seq 100); do [ "$(fds)" -ge $((base + 500)) ] && break; sleep 0.1; done
is "$(( $(fds) - base ))" 500 "500 idle connections are open"
rss1=$(rss_kib)
t0=$(cpu_ticks)
sleep 5
t1=$(cpu_ticks)
is "$(( t1 - t0 ))" 0 "500 idle connections, 5 s: the socketmap thread used no CPU time ($(( t1 - t0 )) ticks)"
ok $(( rss1 - rss0 > ASAN_SLACK * 1024 )) "500 idle connections: deptmilter's RSS grew by $(( rss1 - rss0 )) KiB ($(( (rss1 - rss0) * 1024 / 500 )) bytes each)"
answered "answered with 500 idle connections open"
kill "$idle"
wait "$idle" 2>/dev/null || true

is "$(python3 "$CLIENT" "$SM" many 10000)" "opened 10000" "10,000 connections opened at once, then dropped"
settled "$base"
ok $? "deptmilter holds no descriptor more than before ($(fds), before $base)"
answered "answered after the 10,000"

is "$(python3 "$CLIENT" "$SM" churn 10000)" "churned 10000" \
    "10,000 connections one after another, each dropping half a request"
settled "$base"
ok $? "deptmilter holds no descriptor more than before ($(fds), before $base)"
answered "answered after the churn"

# the connection limit: deptmilter restarted with 256 descriptors at most
milter_stop
: >"$MILTER_LOG"
prlimit --nofile=256:256 "$MILTER_BIN" -f -c "$MILTER_CONF" 2>>"$MILTER_LOG" &
MILTER_PID=$!
milter_wait_log '^socketmap: listening on .* at most 128 connections\)$' 10 ||
    bail_out "deptmilter did not start with 256 descriptors: $(cat "$MILTER_LOG")"
python3 "$CLIENT" "$SM" idle 127 120 >"$TEST_TMP/idle.out" &
idle=$!
for _ in $(seq 600); do grep -q '^opened' "$TEST_TMP/idle.out" && break; sleep 0.1; done
python3 "$CLIENT" "$SM" many 50 >/dev/null
milter_wait_log 'socketmap: warning: connection closed at once: the connection limit is reached \(128 connections open\)$' 10
ok $? "past 128 connections (half of 256 descriptors): closed at once, with a warning" ||
    diag "$(milter_log_lines 'warning')"
is "$(milter_log_lines 'connection limit' | wc -l)" 1 "the warning is logged once, not per connection"
kill "$idle"
wait "$idle" 2>/dev/null || true
