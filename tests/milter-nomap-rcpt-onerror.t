#!/bin/bash
# An RCPT of a message that began with no map in service gets on_error
# (tempfail: 451 4.3.0; accept: passed untouched) and its log line says
# "no map in service", not "RCPT without MAIL FROM".
#
# No map is in service only while deptmilter stops: the first map must
# load or it does not start, and a reload that fails keeps the old one, but
# libmilter's smfi_main() returns without waiting for the sessions its
# workers are serving, and main() then lets the map go (gen_shutdown)
# before the process exits.  A MAIL FROM that a worker handles in that
# moment finds no map (gen_acquire() returns NULL).  gdb (non-stop mode)
# holds that moment open: the worker that reads the MAIL FROM is held on
# entry to msg_new(), deptmilter gets SIGTERM, and once main() has called
# gen_shutdown() (it is held where it next calls stats_free()) the worker
# goes on (drain_time = 0: a stop that waited for the session would wait
# for the held worker).  The client sends MAIL FROM (no reply agreed, as Postfix does)
# and RCPT in one write, so the RCPT is waiting when the worker goes on.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"
command -v gdb >/dev/null || skip_all "needs gdb"
gdb -q -nx -batch -ex 'python print("ok")' 2>/dev/null | grep -qx ok ||
    skip_all "needs gdb with Python"
command -v python3 >/dev/null || skip_all "needs python3"
# LeakSanitizer (SANITIZE=1) cannot stop the threads of a traced process
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

plan 12

tmpdir_make
milter_map "$TEST_TMP"
cleanup_add "gdb_end"

# serve_under_gdb NAME [KEY=VALUE...] -- start deptmilter with the given
# config lines under gdb, in $TEST_TMP/NAME, with the holds described at
# the top; sets sock, MILTER_LOG, GDB_OUT, GDB_PID and MILTER_PID
serve_under_gdb() {
    local dir=$TEST_TMP/$1 tries=400
    shift
    mkdir "$dir" && mkfifo "$dir/gdb.in" || return 1
    sock=$dir/deptmilter.sock
    milter_conf "$dir" "unix:$sock" drain_time=0 "$@"	# the stop at once
    MILTER_LOG=$dir/milter.log GDB_OUT=$dir/gdb.out MILTER_PID=
    : >"$MILTER_LOG"
    : >"$GDB_OUT"
    cat >"$dir/gdb.cmd" <<EOF
set pagination off
set confirm off
set non-stop on
handle all nostop noprint pass
break msg_new
commands
silent
set \$worker = \$_thread
python import os, signal; os.kill(gdb.selected_inferior().pid, signal.SIGTERM)
end
break stats_free
commands
silent
print 'generation.c'::gen_main.current
eval "thread %d", \$worker
continue &
end
run -f -c $MILTER_CONF 2>>$MILTER_LOG &
python print("inferior pid", gdb.selected_inferior().pid)
EOF
    gdb -q -nx -x "$dir/gdb.cmd" --args "$MILTER_BIN" \
        <"$dir/gdb.in" >"$GDB_OUT" 2>&1 &
    GDB_PID=$!
    exec 7>"$dir/gdb.in"		# gdb reads commands until this closes
    while [ "$tries" -gt 0 ]; do
        MILTER_PID=$(sed -n 's/^inferior pid //p' "$GDB_OUT")
        [ -n "$MILTER_PID" ] && [ -S "$sock" ] &&
            grep -q '^starting deptmilter' "$MILTER_LOG" && return 0
        kill -0 "$GDB_PID" 2>/dev/null || break
        sleep 0.05
        tries=$((tries - 1))
    done
    diag "deptmilter did not start under gdb:" "$(cat "$GDB_OUT" "$MILTER_LOG")"
    return 1
}

# gdb_end -- let every thread of deptmilter go on and wait until it has
# exited; then gdb ends (it kills deptmilter if that has not happened)
gdb_end() {
    local tries=200
    [ -n "${GDB_PID:-}" ] || return 0
    printf 'delete\ncontinue -a &\n' >&7
    while ! grep -q '^\[Inferior 1 (process [0-9]*) exited' "$GDB_OUT" &&
        [ "$tries" -gt 0 ]; do
        sleep 0.05
        tries=$((tries - 1))
    done
    exec 7>&-
    wait "$GDB_PID"
    GDB_PID= MILTER_PID=
}

# rcpt_answer ADDR -- negotiate (deptmilter asks for no reply to connect and
# MAIL), then connect, MAIL FROM and RCPT ADDR in one write; print the reply
# to the RCPT: "c", "t" or "y CODE DSN TEXT"
rcpt_answer() {
    PYTHONPATH="$here/milter" python3 - "$sock" "$1" <<'PY' 2>&1
import struct, sys
from mtclient import Milter, SMFIP_NR_CONN, SMFIP_NR_MAIL
def packet(cmd, data):
    return struct.pack(">I", len(data) + 1) + cmd + data
m = Milter(sys.argv[1], timeout=20)
steps = m.negotiate()[2]
if steps is None or (steps & (SMFIP_NR_CONN | SMFIP_NR_MAIL)) != (SMFIP_NR_CONN | SMFIP_NR_MAIL):
    sys.exit("no reply to connect and MAIL was not agreed (steps %r)" % steps)
m.s.sendall(packet(b"C", b"client.test\0" + b"4" + struct.pack(">H", 25) + b"192.0.2.7\0")
            + packet(b"M", b"<s@example.net>\0")
            + packet(b"R", sys.argv[2].encode() + b"\0"))
code, data = m.read()
print((code + " " + data.rstrip(b"\0").decode()).rstrip())
PY
}

# map_at_mail -- what gdb saw in the current generation (gen_main.current)
# when the held MAIL FROM went on
map_at_mail() {
    grep -o '(struct gen \*) 0x[0-9a-f]*' "$GDB_OUT" | tail -1
}

# no_map NAME CONFIG -- one message through the stop, under CONFIG:
# sets answer (the RCPT's reply) and gen (the current generation at that
# MAIL FROM)
no_map() {
    local name=$1
    shift
    serve_under_gdb "$name" "$@" || bail_out "deptmilter did not start under gdb"
    answer=$(rcpt_answer '<alice@sales.example.com>')
    milter_wait_log 'no map in service|RCPT without MAIL FROM' 5
    gen=$(map_at_mail)
    gdb_end
    [ "$gen" = "(struct gen *) 0x0" ] || diag "gdb saw:" "$(cat "$GDB_OUT")"
}

no_map tempfail on_error=tempfail
is "$gen" "(struct gen *) 0x0" \
    "on_error = tempfail: the MAIL FROM went on with no map in service"
is "$answer" "y 451 4.3.0 Department map unavailable, try again later" \
    "on_error = tempfail: an RCPT with no map in service gets 451 4.3.0"
like "$(milter_log_lines 'no map in service|RCPT without')" \
    '^NOQUEUE: error: no map in service for to=<alice@sales\.example\.com>; tempfailed with 451 4\.3\.0 \(on_error = tempfail\)$' \
    "on_error = tempfail: the one log line says no map in service, with queue id and recipient"
is "$(milter_log_lines 'RCPT without MAIL FROM')" "" \
    "on_error = tempfail: not logged as an RCPT without MAIL FROM"

no_map accept on_error=accept
is "$gen" "(struct gen *) 0x0" \
    "on_error = accept: the MAIL FROM went on with no map in service"
is "$answer" "c" \
    "on_error = accept: an RCPT with no map in service is passed untouched"
like "$(milter_log_lines 'no map in service|RCPT without')" \
    '^NOQUEUE: warning: no map in service for to=<alice@sales\.example\.com>; passed untouched \(on_error = accept\)$' \
    "on_error = accept: logged as a warning that says no map in service"
is "$(milter_log_lines 'RCPT without MAIL FROM')" "" \
    "on_error = accept: not logged as an RCPT without MAIL FROM"

no_map dryrun on_error=tempfail dry_run=yes
is "$gen" "(struct gen *) 0x0" \
    "dry_run: the MAIL FROM went on with no map in service"
is "$answer" "c" "dry_run: an RCPT with no map in service is not tempfailed"
like "$(milter_log_lines 'no map in service|RCPT without')" \
    '^NOQUEUE: error: no map in service for to=<alice@sales\.example\.com>; would tempfail with 451 4\.3\.0 \(on_error = tempfail\)$' \
    "dry_run: logged as what would have been done"
is "$(milter_log_lines 'RCPT without MAIL FROM')" "" \
    "dry_run: not logged as an RCPT without MAIL FROM"
