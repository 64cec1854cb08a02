#!/bin/bash
# deptmilter started as root with "user = nobody" runs with no root
# privilege left: in /proc/PID/status (and in every thread's) the real,
# effective, saved and file-system uid and gid are nobody's and the
# supplementary groups are nobody's group only; the socket has the
# configured mode, belongs to nobody and group postfix.  Both in the
# foreground (-f) and as a daemon (pid file, detached).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root"
getent passwd nobody >/dev/null || skip_all "no user nobody"
getent group postfix >/dev/null || skip_all "no group postfix"

plan 14

tmpdir_make
milter_map "$TEST_TMP"
uid=$(id -u nobody)
gid=$(id -g nobody)

# check_proc PID WHAT -- uid, gid and groups of the process and its threads
check_proc() {
    local pid=$1 what=$2 t bad=
    is "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" "$uid $uid $uid $uid" \
        "$what: Uid real, effective, saved, fs all nobody ($uid)"
    is "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" "$gid $gid $gid $gid" \
        "$what: Gid real, effective, saved, fs all nobody's group ($gid)"
    is "$(awk '/^Groups:/ { $1 = ""; print substr($0, 2) }' "/proc/$pid/status" | xargs)" "$gid" \
        "$what: supplementary groups: only $gid (no root group)"
    for t in /proc/$pid/task/*; do
        awk '/^(Uid|Gid):/ { for (i = 2; i <= 5; i++) if ($i == 0) bad = 1 }
             /^Groups:/ { for (i = 2; i <= NF; i++) if ($i == 0) bad = 1 }
             END { exit bad }' "$t/status" || bad="$bad ${t##*/}"
    done
    is "$bad" "" "$what: no thread ($(ls /proc/$pid/task | wc -l)) holds uid, gid or group 0"
    is "$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")" 0000000000000000 \
        "$what: no effective capability"
}

# foreground
sock=$TEST_TMP/fg.sock
milter_conf "$TEST_TMP" "unix:$sock" user=nobody socket_mode=0660
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
check_proc "$MILTER_PID" "-f"
is "$(stat -c '%a %U %G' "$sock")" "660 nobody postfix" "-f: socket mode 660, owner nobody, group postfix"
milter_stop

# daemon, another mode
sock=$TEST_TMP/bg.sock
mkdir "$TEST_TMP/run"
milter_conf "$TEST_TMP" "unix:$sock" user=nobody socket_mode=0620 pid_file="$TEST_TMP/run/deptmilter.pid"
"$MILTER_BIN" -c "$MILTER_CONF" 2>"$TEST_TMP/bg.err"
ok $? "daemon: started (exit 0)" || diag "$(cat "$TEST_TMP/bg.err")"
pid=$(cat "$TEST_TMP/run/deptmilter.pid" 2>/dev/null)
cleanup_add "kill -TERM $pid"
ok $([ -n "$pid" ] && kill -0 "$pid"; echo $?) "daemon: pid file names a live process ($pid)"
check_proc "$pid" "daemon"
is "$(stat -c '%a %U %G' "$sock")" "620 nobody postfix" "daemon: socket mode 620, owner nobody, group postfix"
