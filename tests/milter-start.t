#!/bin/bash
# deptmilter's start: -V, -t on a good setup, config errors as FILE:LINE,
# a missing or corrupt map refuses to start (exit 1, clear message), the
# socket gets its owner and mode, and SIGTERM stops it; without -f it
# detaches, writes its pid file, and a failed start still exits 1.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"

plan 22

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock

like "$("$MILTER_BIN" -V)" '^deptmilter [0-9.]+ \(libmilter [0-9.]+\)$' "-V prints the version"

milter_conf "$TEST_TMP" "unix:$sock"
check "-t accepts a good config and map" "$MILTER_BIN" -t -c "$MILTER_CONF"

printf 'socket = unix:%s\nmap = %s\n# a comment\n\nstats_interval = often\n' \
    "$sock" "$MILTER_MAP" >"$TEST_TMP/bad.conf"
out=$("$MILTER_BIN" -t -c "$TEST_TMP/bad.conf" 2>&1); rc=$?
is "$rc/$out" "1/$TEST_TMP/bad.conf:5: stats_interval: \"often\" is not a decimal number" \
    "config error: exit 1, FILE:LINE: text"

printf 'map = %s\nsyslog_level = info\n' "$MILTER_MAP" >"$TEST_TMP/unknown.conf"
out=$("$MILTER_BIN" -t -c "$TEST_TMP/unknown.conf" 2>&1); rc=$?
is "$rc/$out" "1/$TEST_TMP/unknown.conf:2: unknown key \"syslog_level\"" \
    "unknown key is an error"

milter_conf "$TEST_TMP" "unix:$TEST_TMP/nonexistent/deptmilter.sock"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "1/fatal: socket directory $TEST_TMP/nonexistent: No such file or directory" \
    "-t checks that the socket's directory exists"
milter_conf "$TEST_TMP" "unix:$sock" user=nosuchuser
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "1/fatal: user nosuchuser: no such user" "-t checks that the user exists"

milter_conf "$TEST_TMP" "unix:$sock" map="$TEST_TMP/missing.cdb"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc" 1 "-t with a missing map exits 1"
like "$out" "map: cannot load $TEST_TMP/missing.cdb: .*not starting" "-t names the missing map"

out=$(timeout 10 "$MILTER_BIN" -f -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc" 1 "missing map at start: refuses to start (exit 1)"
like "$out" "map: cannot load $TEST_TMP/missing.cdb: .*; not starting" "missing map at start: clear message"
[ ! -e "$sock" ]; ok $? "missing map at start: no socket created"

head -c 3000 /dev/urandom >"$TEST_TMP/corrupt.cdb"
milter_conf "$TEST_TMP" "unix:$sock" map="$TEST_TMP/corrupt.cdb"
out=$(timeout 10 "$MILTER_BIN" -f -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc" 1 "corrupt map at start: refuses to start (exit 1)"

milter_conf "$TEST_TMP" "unix:$sock" socket_mode=0660 stats_interval=1
milter_start "$TEST_TMP"
ok $? "starts with a good map"
milter_wait_log '^stats: department=sales\.example\.com pass=0 reject=0 rewrite=0 tempfail=0$' 4
ok $? "stats_interval = 1: a stats line per department every second"
is "$(stat -c '%U:%G %a' "$sock")" "nobody:postfix 660" "socket owned by user nobody, group postfix, mode 0660"
is "$(awk '/^Uid:/ { print $2 "/" $3 }' "/proc/$MILTER_PID/status")" "65534/65534" \
    "runs as user nobody after the start"
milter_stop
[ ! -e "$sock" ] || [ -S "$sock" ]
milter_wait_log '^stopping deptmilter' 5
ok $? "SIGTERM stops it, logged"

# Without -f: the starting command waits for the daemon to be ready.
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"	# as tmpfiles.d does
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/deptmilter.pid"
out=$(timeout 10 "$MILTER_BIN" -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "0/" "daemon: the starting command exits 0, silently"
read -r dpid <"$TEST_TMP/run/deptmilter.pid"
cleanup_add "kill $dpid"
[ -n "$dpid" ] && [ "$(readlink "/proc/$dpid/exe")" = "$(readlink -f "$MILTER_BIN")" ]
ok $? "daemon: pid file names the running deptmilter"
[ -S "$sock" ]; ok $? "daemon: socket ready when the command returns"
kill "$dpid"
for i in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$dpid" 2>/dev/null; ok $? "daemon: SIGTERM stops it"

milter_conf "$TEST_TMP" "unix:$TEST_TMP/no/such/dir/deptmilter.sock"
out=$(timeout 10 "$MILTER_BIN" -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*fatal: socket directory $TEST_TMP/no/such/dir: No such file or directory" \
    "daemon: a start that fails after detaching exits 1 with the reason"
