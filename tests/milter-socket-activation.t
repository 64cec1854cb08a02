#!/bin/bash
# The socket deptmilter listens on may come from systemd (deptmilter.socket,
# the sd_listen_fds protocol: descriptor 3, LISTEN_FDS, LISTEN_PID): it is
# served, it must be the socket deptmilter.conf names (another is refused,
# nothing changed), LISTEN_* meant for another process are ignored, and at
# the stop it stays, with its path, for the next deptmilter.  drain_time is
# checked like every key; deptmilter -R refuses what it cannot hand over.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"
command -v python3 >/dev/null || skip_all "needs python3"

plan 12

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock
log=$TEST_TMP/activated.log

# activated SOCKET-PATH [PID-OFFSET] - run deptmilter -f as systemd would,
# with a unix socket bound at SOCKET-PATH as descriptor 3 (LISTEN_PID off
# by PID-OFFSET: meant for another process); in the background, pid in $!
activated() {
    python3 - "$1" "${2:-0}" "$MILTER_BIN" "$MILTER_CONF" 2>>"$log" <<'PY' &
import os, socket, sys
path, off, binary, conf = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid() + off),
           LISTEN_FDNAMES="deptmilter.socket")
os.execve(binary, [binary, "-f", "-c", conf], env)
PY
}

# negotiate PATH - a milter option negotiation; prints "answered" or why not
negotiate() {
    PYTHONPATH="$here/milter" python3 - "$1" 2>&1 <<'PY'
import sys
from mtclient import Milter
try:
    m = Milter(sys.argv[1], timeout=5)
    m.negotiate()
    print("answered")
except Exception as e:
    print("no answer: %s" % e)
PY
}

wait_log() {
    local i
    for ((i = 0; i < 200; i++)); do
        grep -q -- "$1" "$log" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

milter_conf "$TEST_TMP" "unix:$sock"
: >"$log"
activated "$sock"
pid=$!
cleanup_add "kill $pid 2>/dev/null"
wait_log '^socket: listening on the socket systemd passed'
ok $? "deptmilter takes the socket systemd passed (logged)"
is "$(negotiate "$sock")" answered "and serves on it"
is "$(stat -c '%U:%G %a' "$sock")" "nobody:postfix 660" "the socket gets user, group postfix and socket_mode"
kill -TERM "$pid"; wait "$pid"; rc=$?
is "$rc/$(tail -1 "$log")" "0/stopping deptmilter" "SIGTERM: a clean stop"
ok "$([ -S "$sock" ]; echo $?)" "the socket's path stays at the stop: it is systemd's"

milter_conf "$TEST_TMP" "unix:$TEST_TMP/other.sock"
: >"$log"
activated "$sock"
wait $!; rc=$?
like "$rc/$(cat "$log")" "^1/.*fatal: the socket passed to deptmilter does not listen where deptmilter.conf says \(socket = unix:$TEST_TMP/other.sock\); nothing changed" \
    "a passed socket that is not deptmilter.conf's is refused, exit 1"
ok "$([ ! -e "$TEST_TMP/other.sock" ]; echo $?)" "and no socket of its own is made"

milter_conf "$TEST_TMP" "unix:$sock"
: >"$log"
activated "$sock" 1
pid=$!
wait_log '^starting deptmilter'
for ((i = 0; i < 100; i++)); do grep -q '^fatal\|^stopping' "$log" && break; sleep 0.05; done
kill -TERM "$pid" 2>/dev/null; wait "$pid"
like "$(cat "$log")" "fatal: already running: something answers on $sock; nothing changed" \
    "LISTEN_PID naming another process: not ours, ignored (and the socket someone holds is not replaced)"

printf 'socket = unix:%s\nmap = %s\ndrain_time = 601\n' "$sock" "$MILTER_MAP" >"$TEST_TMP/d.conf"
out=$("$MILTER_BIN" -t -c "$TEST_TMP/d.conf" 2>&1); rc=$?
is "$rc/$out" "1/$TEST_TMP/d.conf:3: drain_time: 601 is above 600" "drain_time above 600: refused with FILE:LINE"
printf 'socket = unix:%s\nmap = %s\ndrain_time = soon\n' "$sock" "$MILTER_MAP" >"$TEST_TMP/d.conf"
out=$("$MILTER_BIN" -t -c "$TEST_TMP/d.conf" 2>&1); rc=$?
is "$rc/$out" "1/$TEST_TMP/d.conf:3: drain_time: \"soon\" is not a decimal number" "drain_time not a number: refused"

# deptmilter -R: with nothing running it starts as usual; it refuses to
# hand over a socketmap
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/d.pid"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
first=$MILTER_PID
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/d.pid" socketmap="unix:$TEST_TMP/sm.sock"
out=$("$MILTER_BIN" -R -f -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*fatal: -R: the socketmap socket cannot be handed over yet; stop deptmilter, then start it; nothing changed" \
    "-R with a socketmap: refused, exit 1"
is "$(cat "$TEST_TMP/run/d.pid")/$(negotiate "$sock")" "$first/answered" \
    "and the running deptmilter still serves, its pid file untouched"
