#!/bin/bash
# Over TCP every connection deptmilter accepts gets TCP_NODELAY, and
# TCP_QUICKACK after a read (seen with strace on the running process), by
# binding libmilter's own calls at link time: deptmilter defines no
# function of the C library (nm -D shows no accept, read or sigwait
# defined, and libmilter is not a shared library it loads).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (strace of a process that changed user)"
command -v strace >/dev/null || skip_all "needs strace"

plan 5

# nm -D: what the binary exports (would redirect every caller); nm: what
# it defines at all (would redirect every caller inside it)
defined=$({ nm -D --defined-only "$MILTER_BIN"; nm --defined-only "$MILTER_BIN"; } 2>/dev/null |
    awk '{ print $NF }' | grep -xE 'accept|accept4|read|__read_chk|sigwait|sigtimedwait|close' |
    sort -u | tr '\n' ' ')
is "$defined" "" "deptmilter defines no accept, read, sigwait or close of the C library, exported or not"
ldd "$MILTER_BIN" | grep -q libmilter
ok $((! $?)) "libmilter is linked in (its calls bound), not loaded as a shared library"

tmpdir_make
read -r port <<<"$(free_port 1)"
milter_map "$TEST_TMP"
milter_conf "$TEST_TMP" "inet:$port@127.0.0.1"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"

trace=$TEST_TMP/strace.out
strace -f -qq -e trace=accept,accept4,setsockopt -o "$trace" -p "$MILTER_PID" 2>"$TEST_TMP/strace.err" &
spid=$!
cleanup_add "kill $spid 2>/dev/null"
# strace has attached when the tracer shows in the process's status
for _ in $(seq 200); do
    grep -q "^TracerPid:[[:space:]]*$spid\$" "/proc/$MILTER_PID/status" && break
    sleep 0.05
done
python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\0")            # one byte of a milter packet: a read of 1 byte
time.sleep(0.2)
s.close()
PY
for _ in $(seq 100); do
    grep -q TCP_QUICKACK "$trace" && break
    sleep 0.05
done
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
fd=$(sed -n 's/.*accept4\?(.*) = \([0-9][0-9]*\)$/\1/p' "$trace" | head -1)
ok "$([ -n "$fd" ]; echo $?)" "the connection was accepted (fd ${fd:-none})" || diag "$(cat "$trace")"
grep -q "setsockopt($fd, SOL_TCP, TCP_NODELAY, \[1\], 4) = 0" "$trace"
ok $? "the accepted connection gets TCP_NODELAY" || diag "$(cat "$trace")"
grep -q "setsockopt($fd, SOL_TCP, TCP_QUICKACK, \[1\], 4) = 0" "$trace"
ok $? "and TCP_QUICKACK" || diag "$(cat "$trace")"
