#!/bin/bash
# deptmilter -t checks the socketmap's unix socket as it checks the
# milter's: its directory must exist and be a directory, and its path must
# fit a unix socket address, each error with the FILE:LINE of
# "socketmap =" (a start refuses the same way); a directory the run-time
# user cannot write is a warning (the socket is made as root, and only
# removed at stop as that user); an inet socketmap has no directory.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (checks as user nobody)"

plan 8

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock

# t SOCKETMAP -- deptmilter -t with that socketmap: "RC/OUTPUT" in got;
# the line of "socketmap =" in line
t() {
    milter_conf "$TEST_TMP" "unix:$sock" "socketmap=$1"
    line=$(grep -n '^socketmap =' "$MILTER_CONF" | cut -d: -f1)
    got=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1)
    got="$?/$got"
}

t "unix:$TEST_TMP/nodir/socketmap.sock"
is "$got" \
    "1/$MILTER_CONF:$line: socketmap: directory $TEST_TMP/nodir: No such file or directory" \
    "a socketmap directory that does not exist: -t exits 1 with FILE:LINE"
out=$(timeout 10 "$MILTER_BIN" -f -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*$MILTER_CONF:$line: socketmap: directory $TEST_TMP/nodir: No such file or directory" \
    "... and a start refuses with the same line"

: >"$TEST_TMP/file"
t "unix:$TEST_TMP/file/socketmap.sock"
is "$got" \
    "1/$MILTER_CONF:$line: socketmap: directory $TEST_TMP/file: not a directory" \
    "a socketmap directory that is a file: -t exits 1 with FILE:LINE"

long=$TEST_TMP/$(head -c 120 /dev/zero | tr '\0' d).sock
t "unix:$long"
is "$got" \
    "1/$MILTER_CONF:$line: socketmap: $long: longer than 107 bytes, the limit of a unix socket's path
$MILTER_CONF:$line: socketmap: warning: directory $TEST_TMP: not writable as nobody: the socket will be left behind at stop: Permission denied" \
    "a socketmap path too long for a unix socket: -t exits 1 with FILE:LINE"

mkdir -m 0755 "$TEST_TMP/rootonly"
t "unix:$TEST_TMP/rootonly/socketmap.sock"
is "$got" \
    "0/$MILTER_CONF:$line: socketmap: warning: directory $TEST_TMP/rootonly: not writable as nobody: the socket will be left behind at stop: Permission denied" \
    "a socketmap directory the user cannot write: a warning with FILE:LINE, -t exits 0"

mkdir -m 0750 "$TEST_TMP/own" && chown nobody "$TEST_TMP/own"
t "unix:$TEST_TMP/own/socketmap.sock"
is "$got" "0/" \
    "a socketmap directory the user owns: -t exits 0 and says nothing"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' 5
ok $? "... and deptmilter starts with its socketmap there"

read -r port <<<"$(free_port 1)"
t "inet:$port@127.0.0.1"
is "$got" "0/" "an inet socketmap: -t exits 0, no directory to check"
