#!/bin/bash
# The sockets deptmilter listens on may come from systemd (deptmilter.socket,
# the sd_listen_fds protocol: descriptors from 3, LISTEN_FDS, LISTEN_PID):
# each is served, matched by its address to deptmilter.conf's socket and
# socketmap (one that is neither is refused, nothing changed; with no
# socketmap in deptmilter.conf the unit's second socket is left unserved,
# said at info; a socketmap the unit does not hold is made, with a
# warning), LISTEN_* meant for another process are ignored, and at
# the stop they stay, with their paths, for the next deptmilter.
# drain_time is checked like every key; deptmilter -R hands the socketmap's
# socket over too, and refuses when deptmilter.conf no longer has one.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"
command -v python3 >/dev/null || skip_all "needs python3"

plan 23

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock
log=$TEST_TMP/activated.log

# activated SOCKET-PATH[,SOCKET-PATH] [PID-OFFSET] - run deptmilter -f as
# systemd would, with unix sockets bound at the paths as descriptors 3, 4
# (LISTEN_PID off by PID-OFFSET: meant for another process); in the
# background, pid in $!
activated() {
    python3 - "$1" "${2:-0}" "$MILTER_BIN" "$MILTER_CONF" 2>>"$log" <<'PY' &
import fcntl, os, socket, sys
paths, off, binary, conf = sys.argv[1].split(","), int(sys.argv[2]), sys.argv[3], sys.argv[4]
socks = []
for path in paths:
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    socks.append(s)
high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 10) for s in socks]
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
env = dict(os.environ, LISTEN_FDS=str(len(socks)), LISTEN_PID=str(os.getpid() + off),
           LISTEN_FDNAMES=":".join(["deptmilter.socket"] * len(socks)))
os.execve(binary, [binary, "-f", "-c", conf], env)
PY
}

# ask PATH KEY - one socketmap request (virtual); prints the reply
ask() {
    python3 "$here/socketmap/smclient.py" "$1" ask virtual "$2" 2>&1
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
like "$rc/$(cat "$log")" "^1/.*fatal: the socket passed to deptmilter does not listen where deptmilter.conf says \(socket = unix:$TEST_TMP/other.sock; passed: unix:$sock\); nothing changed" \
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

# --- two sockets: the milter's and the socketmap's, in either order
sm=$TEST_TMP/sm.sock
milter_conf "$TEST_TMP" "unix:$sock" socketmap="unix:$sm"
: >"$log"
activated "$sm,$sock"
pid=$!
wait_log '^socketmap: listening on '
ok $? "two sockets: the milter's and the socketmap's taken (the socketmap's passed first)"
is "$(negotiate "$sock")/$(ask "$sm" alice@sales.example.com)" "answered/OK alice@example.com" \
    "each serves what its address says"
kill -TERM "$pid"; wait "$pid"; rc=$?
ok "$([ "$rc" = 0 ] && [ -S "$sock" ] && [ -S "$sm" ]; echo $?)" \
    "a clean stop leaves both paths: they are systemd's"

milter_conf "$TEST_TMP" "unix:$sock"
: >"$log"
activated "$sock,$sm"
pid=$!
wait_log '^starting deptmilter'
wait_log 'socketmap: off in deptmilter.conf'
like "$(cat "$log")" "socketmap: off in deptmilter.conf: the socket systemd passed on unix:$sm is not served" \
    "two sockets, no socketmap in deptmilter.conf: the second is not served, said at info"
is "$(negotiate "$sock")" answered "and the milter serves"
kill -TERM "$pid"; wait "$pid"

: >"$log"
milter_conf "$TEST_TMP" "unix:$sock" socketmap="unix:$sm"
activated "$sock"
pid=$!
wait_log '^socketmap: listening on '
like "$(cat "$log")" "warning: systemd passed no socket for the socketmap \(unix:$sm\): deptmilter makes it, and a restart leaves Postfix without it for a moment" \
    "a socketmap the unit does not hold: made here, with a warning"
is "$(ask "$sm" alice@sales.example.com)" "OK alice@example.com" "and served"
kill -TERM "$pid"; wait "$pid"

milter_conf "$TEST_TMP" "unix:$sock" socketmap="unix:$TEST_TMP/sm2.sock"
: >"$log"
activated "$sock,$sm"
wait $!; rc=$?
like "$rc/$(cat "$log")" "^1/.*fatal: systemd passed a socket on unix:$sm, which is neither the socket \(unix:$sock\) nor the socketmap \(unix:$TEST_TMP/sm2.sock\) of deptmilter.conf; nothing changed" \
    "a passed socket that is neither deptmilter.conf's socket nor its socketmap: refused, exit 1"

# --- deptmilter -R: the socketmap's socket is handed over too
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"
smr=$TEST_TMP/run/sm.sock
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/d.pid" socketmap="unix:$smr"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
first=$MILTER_PID
ino=$(stat -c %i "$smr")
"$MILTER_BIN" -R -c "$MILTER_CONF" 2>"$TEST_TMP/r.log"; rc=$?
for _ in $(seq 500); do kill -0 "$first" 2>/dev/null || break; sleep 0.02; done
second=$(cat "$TEST_TMP/run/d.pid")
cleanup_add "kill $second 2>/dev/null"
is "$rc/$(ask "$smr" bob@sales.example.com)/$(stat -c %i "$smr")" "0/OK bob@example.com/$ino" \
    "-R with a socketmap: the new deptmilter serves the same socketmap socket"
ok "$(! kill -0 "$first" 2>/dev/null && [ "$second" != "$first" ]; echo $?)" "and the old one has exited"
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/d.pid"
out=$("$MILTER_BIN" -R -f -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*fatal: -R: the running deptmilter serves a socketmap and deptmilter.conf sets none: stop deptmilter, then start it; nothing changed" \
    "-R when deptmilter.conf no longer has the socketmap: refused, exit 1"
is "$(cat "$TEST_TMP/run/d.pid")/$(negotiate "$sock")/$(ask "$smr" carol@sales.example.com)" \
    "$second/answered/OK carol@example.com" \
    "and the running deptmilter still serves both, its pid file untouched"
kill -TERM "$second"
for _ in $(seq 500); do kill -0 "$second" 2>/dev/null || break; sleep 0.02; done
ok "$([ ! -e "$smr" ]; echo $?)" "its stop removes the socketmap's path, which a deptmilter made"
