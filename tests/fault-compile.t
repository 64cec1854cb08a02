#!/bin/bash
# deptmap compile under faults leaves the old map byte-identical and no
# file behind: the disk fills up (a 1 MB tmpfs), the file size limit is hit
# (ulimit -f, with SIGXFSZ fatal and with it ignored), and the compiler is
# SIGKILLed while it writes the new map (slowed down by strace, caught with
# over 1 MB written to its unnamed temporary file, seen in /proc/PID/fd).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"

DEPTMAP=$here/../deptmap
[ -x "$DEPTMAP" ] || skip_all "deptmap not built"
command -v strace >/dev/null || skip_all "needs strace"

plan 20

# The error exits are checked here; a leak on them is checked apart
# (below), so that a leak shows as that test, not as a wrong exit status.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

tmpdir_make
cd "$TEST_TMP" || bail_out "cd"
seq -f 'person%g' 1 300000 >huge.txt
printf 'canonical example.com\ndepartment sales.example.com\n    members-file huge.txt\n' >huge.rules
printf 'canonical example.com\ndepartment sales.example.com\n    members alice\n' >small.rules
"$DEPTMAP" compile -o old.cdb small.rules || bail_out "cannot compile small.rules"

# only MAP in DIR, byte-identical to old.cdb
intact() {
    local dir=$1
    cmp -s "$dir/departments.cdb" old.cdb
    ok $? "$2: the old map is byte-identical"
    is "$(ls -A "$dir")" departments.cdb "$2: nothing else in the directory"
}

# disk full: a 1 MB tmpfs
if mkdir full && mount -t tmpfs -o size=1m,mode=0755 tmpfs full 2>/dev/null; then
    cleanup_add "umount '$TEST_TMP/full'"
    cp old.cdb full/departments.cdb
    used=$(df --output=used full | tail -1)
    "$DEPTMAP" compile -o full/departments.cdb huge.rules 2>err
    is "$?" 3 "disk full: exit 3 (system error)"
    like "$(cat err)" "No space left on device" "disk full: the reason on stderr"
    intact full "disk full"
    is "$(df --output=used full | tail -1)" "$used" "disk full: no space kept by a hidden temporary file"
    umount full
else
    skip "cannot mount a tmpfs here" 5
fi

# ulimit -f: SIGXFSZ kills the compiler mid-write
mkdir lim
cp old.cdb lim/departments.cdb
{ (ulimit -f 1024; exec "$DEPTMAP" compile -o lim/departments.cdb huge.rules); } 2>/dev/null
is "$?" $((128 + 25)) "ulimit -f 1024: killed by SIGXFSZ"
intact lim "ulimit -f, SIGXFSZ"

# ulimit -f with SIGXFSZ ignored: write fails with EFBIG
(trap '' XFSZ; ulimit -f 1024; exec "$DEPTMAP" compile -o lim/departments.cdb huge.rules) 2>err
is "$?" 3 "ulimit -f 1024, SIGXFSZ ignored: exit 3"
like "$(cat err)" "File too large" "ulimit -f, SIGXFSZ ignored: the reason on stderr"
intact lim "ulimit -f, SIGXFSZ ignored"

# no memory left allocated on the disk-full path (LeakSanitizer in an ASan
# build, else valgrind): maps/compile.c leaves cdb_make's record lists
# when cdb_make_add() or cdb_make_finish() fails (tinycdb has no
# cdb_make_free; the lists are freed only by a cdb_make_finish that
# succeeds)
if nm "$DEPTMAP" 2>/dev/null | grep -q __asan_init; then
    { (trap '' XFSZ; ulimit -f 1024; ASAN_OPTIONS=detect_leaks=1 exec "$DEPTMAP" compile -o lim/departments.cdb huge.rules); } >/dev/null 2>&1
    leak=$?; [ $leak = 3 ] && leak=0
elif command -v valgrind >/dev/null; then
    { (trap '' XFSZ; ulimit -f 1024; exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 "$DEPTMAP" compile -o lim/departments.cdb huge.rules); } >/dev/null 2>&1
    leak=$?; [ $leak = 3 ] && leak=0
else
    leak=0
fi
_TAP_N=$((_TAP_N + 1))
if [ $leak = 0 ]; then r=ok; else r="not ok"; fi
echo "$r $_TAP_N - write error (EFBIG): no memory leaked"

# SIGKILL while the new map is being written.  strace slows the compiler
# down from its 300th write(2) on (tinycdb writes 4 KB at a time, so past
# 1 MB), each write then waiting 0.1 s; once its unnamed temporary file in
# the target directory holds over 1 MB, the compiler is killed.  Without
# the delay, a fast machine finishes the map between two looks in /proc.
mkdir kill
cp old.cdb kill/departments.cdb
strace -f -o /dev/null -e trace=write -e inject=write:delay_enter=100000:when=300+ \
    "$DEPTMAP" compile -o kill/departments.cdb huge.rules &
pid=$!
caught=
for ((i = 0; i < 3000; i++)); do
    for task in $(cat /proc/$pid/task/*/children 2>/dev/null); do
        for fd in /proc/$task/fd/*; do
            t=$(readlink "$fd" 2>/dev/null) || continue
            case $t in
            "$TEST_TMP/kill/"*)
                size=$(stat -L -c %s "$fd" 2>/dev/null || echo 0)
                if [ "${size:-0}" -gt 1048576 ]; then
                    kill -KILL "$task"; caught="$t, $size bytes"; break 2
                fi ;;
            esac
        done
    done
    [ -n "$caught" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
wait "$pid" 2>/dev/null
rc=$?
ok $([ -n "$caught" ]; echo $?) "SIGKILL caught the compiler writing its temporary file ($caught)"
is "$rc" 137 "SIGKILL: the compiler died of it"
like "$caught" '\(deleted\)' "the temporary file had no name (O_TMPFILE)"
intact kill "SIGKILL midway"

# and a compile left alone does replace the map
"$DEPTMAP" compile -o kill/departments.cdb huge.rules
ok $? "the same compile, not disturbed, succeeds"
is "$(ls -A kill)" departments.cdb "and leaves only the map"
