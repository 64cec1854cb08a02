#!/bin/bash
# Stopping deptmilter: SIGTERM and SIGHUP stop it at once when no session
# is open (libmilter by itself notices a stop only when its 5-second poll
# on the listening socket runs out, so a restart left Postfix that long
# without its filter); no new connection is taken after the signal, and a
# session open at the signal is served to its end (at most drain_time).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (user change)"
command -v python3 >/dev/null || skip_all "needs python3"

plan 13

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock"

# stop_ms SIGNAL - start deptmilter, send SIGNAL; set ms to the
# milliseconds until it has exited and rc to its exit status
stop_ms() {
    local t0
    ms=99999 rc=
    milter_start "$TEST_TMP" || return 1
    t0=$(now_ms)
    kill "-$1" "$MILTER_PID"
    wait "$MILTER_PID"
    rc=$?
    ms=$(( $(now_ms) - t0 ))
    MILTER_PID=
}

# (not SIGINT: a shell starts background jobs with SIGINT ignored)
for sig in TERM HUP; do
    stop_ms "$sig"
    note "SIG$sig: deptmilter exited $rc after $ms ms"
    ok "$([ "$ms" -lt 2000 ] && [ "$rc" = 0 ]; echo $?)" \
        "SIG$sig stops it within 2 s, exit 0 (libmilter alone: up to 5 s)" ||
        diag "exit $rc after $ms ms"
done
is "$(grep -c '^stopping deptmilter$' "$MILTER_LOG")" 1 "the stop is logged"

# SIGTERM while it is still starting (signals blocked, not yet serving):
# held until serving begins, then a clean stop, not a death by signal.
: >"$TEST_TMP/early.log"
"$MILTER_BIN" -f -c "$MILTER_CONF" 2>>"$TEST_TMP/early.log" &
pid=$!
for ((i = 0; i < 500; i++)); do
    blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [ -n "$blk" ] && (( 0x$blk & 0x4000 )) && break
    sleep 0.01
done
kill -TERM "$pid"
wait "$pid"; rc=$?
is "$rc/$(tail -1 "$TEST_TMP/early.log")" "0/stopping deptmilter" \
    "SIGTERM during start-up: held, then a clean stop (exit 0, logged)"

# A session in progress when SIGTERM arrives: libmilter alone closes it at
# once (Postfix then applies milter_default_action: a 4xx for the client);
# deptmilter lets it end first (drain_time), takes no new session
# meanwhile (it waits in the socket's queue), and exits as soon as the
# last session has ended.  drain_time = 0 keeps the old stop; a session
# still open after drain_time is closed then.
# session_at_stop - open a session, SIGTERM, probe a new connection, then
# send RCPT on the open session after HOLD seconds and close it; prints
# what happened, one line each
session_at_stop() {
    PYTHONPATH="$here/milter" python3 - "$sock" "$MILTER_PID" "$1" 2>&1 <<'PY'
import os, signal, socket, sys, time
from mtclient import Milter
path, pid, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
m = Milter(path, timeout=10)
m.negotiate(steps=0x1FFFFF & ~0xFF080)   # no SMFIP_NR_*: MAIL is answered,
m.connect("client.test", "192.0.2.7")    # so deptmilter has the message
m.mail("<s@example.net>")                # before the signal
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(0.5)
    s.connect(path)
    s.sendall(b"\0\0\0\x0dO\0\0\0\x06\0\0\x01\xff\0\x1f\xff\xff")
    print("new connection: answered" if s.recv(100) else "new connection: closed")
except socket.timeout:
    print("new connection: waiting")
except OSError:
    print("new connection: refused")
time.sleep(hold)
t0 = time.monotonic()
try:
    print("rcpt: answered", m.rcpt("<alice@sales.example.com>")[0])
    m.close()
except (OSError, EOFError):
    print("rcpt: connection closed after %d ms" % ((time.monotonic() - t0) * 1000))
t0 = time.monotonic()
while os.path.exists("/proc/%d" % pid):
    with open("/proc/%d/stat" % pid) as f:
        if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
            break
    time.sleep(0.005)
print("exit: %d ms after the session ended" % ((time.monotonic() - t0) * 1000))
PY
}

milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
out=$(session_at_stop 0.5)
note "$out"
like "$out" "new connection: waiting" \
    "after SIGTERM no new session is taken: a new connection waits in the queue"
like "$out" "rcpt: answered" "a session open at SIGTERM is still served (drain)"
ms=$(sed -n 's/^exit: \([0-9]*\) ms after the session ended$/\1/p' <<<"$out")
wait "$MILTER_PID"; rc=$?
MILTER_PID=
ok "$([ "$rc" = 0 ] && [ -n "$ms" ] && [ "$ms" -lt 1000 ]; echo $?)" \
    "deptmilter exits 0 within 1 s of the last session's end" || diag "exit $rc after $ms ms"
like "$(milter_log_lines '^stop: ')" \
    "stop: taking no new session; waiting for 1 open session to end \(drain_time=20s\).*stop: every session ended after [0-9]+ ms" \
    "the drain is logged"
is "$(grep -Ec '(^|: )(warning|error|fatal):' "$MILTER_LOG")" 0 "and no warning or error"

milter_conf "$TEST_TMP" "unix:$sock" drain_time=1
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
out=$(session_at_stop 3)
note "$out"
like "$out" "rcpt: connection closed" "drain_time=1: a session still open after 1 s is closed"
wait "$MILTER_PID"; rc=$?
MILTER_PID=
like "$rc/$(milter_log_lines '^warning: stop: ')" \
    "^0/warning: stop: drain_time=1s passed: closing 1 open session" \
    "then deptmilter exits 0, saying how many sessions it closed"

milter_conf "$TEST_TMP" "unix:$sock" drain_time=0
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
t0=$(now_ms)
out=$(session_at_stop 0)
note "$out"
ms=$(sed -n 's/^rcpt: connection closed after \([0-9]*\) ms$/\1/p' <<<"$out")
ok "$([ -n "$ms" ] && [ "$ms" -lt 2000 ]; echo $?)" \
    "drain_time=0: a session open at SIGTERM is closed at once, not left hanging"
wait "$MILTER_PID"; rc=$?
MILTER_PID=
is "$rc" 0 "then deptmilter exits 0"
