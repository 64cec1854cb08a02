#!/bin/bash
# An accidental second start while deptmilter runs says "already running
# (pid N)" and changes nothing: the running one keeps its socket (still
# answering, the same inode) and its pid file, with or without a pid file
# configured.  libmilter alone removes the socket it finds and listens in
# its place, leaving the first process running unreachable.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"

plan 9

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"
pidf=$TEST_TMP/run/deptmilter.pid
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$pidf"
milter_start "$TEST_TMP" || bail_out "the first deptmilter did not start"
first=$MILTER_PID
inode=$(stat -c %i "$sock")
is "$(cat "$pidf")" "$first" "the first writes its pid file"

out=$(timeout 10 "$MILTER_BIN" -f -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc" 1 "a second start exits 1"
like "$out" "fatal: already running \(pid $first\): $pidf is locked; nothing changed" \
    "it says already running, with the pid"
is "$(cat "$pidf")" "$first" "the pid file still names the first"
is "$(stat -c %i "$sock")" "$inode" "the socket is the first one's (same inode)"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
ok $? "the socket still answers"

# without a pid file: the socket that answers is the sign
milter_conf "$TEST_TMP" "unix:$sock"
out=$(timeout 10 "$MILTER_BIN" -f -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*fatal: already running: something answers on $sock; nothing changed" \
    "without a pid file: exit 1, already running"
is "$(stat -c %i "$sock")" "$inode" "without a pid file: the socket is untouched"
ok "$(kill -0 "$first"; echo $?)" "the first deptmilter still runs"
