#!/bin/bash
# A configuration that cannot open the wrong door (issue 11, item 3):
# the socket string is parsed by deptmilter, and Postfix's spelling
# inet:HOST:PORT (which libmilter takes as a port on every address) is
# refused with FILE:LINE and the spelling meant; an inet socket must name
# its address; every config error is reported, not only the first; the
# map and its directory are checked as the configured user, by -t and at
# every start (reloads run as that user); a pid file directory that user
# cannot write is a warning.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (checks as another user)"

plan 13

tmpdir_make
milter_map "$TEST_TMP"
read -r port <<<"$(free_port 1)"

# listening_on PORT: what listens on a TCP port, as ss shows it
listening_on() { ss -Hltn "sport = :$1" | awk '{ print $4 }'; }

milter_conf "$TEST_TMP" "inet:127.0.0.1:$port"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
line=$(grep -n '^socket =' "$MILTER_CONF" | cut -d: -f1)
is "$rc/$out" "1/$MILTER_CONF:$line: socket: \"inet:127.0.0.1:$port\": expected inet:PORT@HOST (Postfix writes inet:HOST:PORT; libmilter wants inet:PORT@HOST: inet:$port@127.0.0.1)" \
    "Postfix's inet:HOST:PORT: -t exits 1 with FILE:LINE and the spelling meant"
"$MILTER_BIN" -f -c "$MILTER_CONF" >"$TEST_TMP/start.out" 2>&1 &
pid=$!
wait $pid; rc=$?
is "$rc" 1 "Postfix's inet:HOST:PORT: a start refuses (exit 1)"
is "$(listening_on "${port}")$(listening_on 127)" "" \
    "Postfix's inet:HOST:PORT: nothing listens, on the port or on port 127"

milter_conf "$TEST_TMP" "inet:$port"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*: socket: \"inet:$port\": expected inet:PORT@HOST \(name the address" \
    "inet:PORT without @HOST (every address): refused, naming what to add"
milter_conf "$TEST_TMP" "inet6:$port@127.0.0.1"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/.*\"127.0.0.1\" is not an IPv6 address or host name" \
    "inet6 with an IPv4 address: refused"
milter_conf "$TEST_TMP" "inet:$port@127.0.0.1"
check "inet:PORT@127.0.0.1 passes -t" "$MILTER_BIN" -t -c "$MILTER_CONF"

printf 'socket = inet:localhost:%s\nsocket_mode = 999\nmap = %s\nfoo = bar\nmap = %s\n' \
    "$port" "$MILTER_MAP" "$MILTER_MAP" >"$TEST_TMP/many.conf"
out=$("$MILTER_BIN" -t -c "$TEST_TMP/many.conf" 2>&1); rc=$?
is "$rc/$(echo "$out" | cut -d: -f2 | tr '\n' ' ')" "1/1 2 4 5 " \
    "every config error is reported, each at its line (1, 2, 4 and 5)"
like "$(echo "$out" | sed -n 4p)" ":5: map: set twice$" "the fourth: a key set twice"

# the map and its directory, as user nobody
mkdir "$TEST_TMP/private" && chmod 0700 "$TEST_TMP/private"
cp "$MILTER_MAP" "$TEST_TMP/private/departments.cdb"
milter_conf "$TEST_TMP" "unix:$TEST_TMP/s.sock" map="$TEST_TMP/private/departments.cdb"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "1/fatal: map $TEST_TMP/private/departments.cdb: cannot be read as nobody: Permission denied
fatal: map directory $TEST_TMP/private: cannot be read as nobody (every reload needs it): Permission denied" \
    "a map in a directory nobody cannot enter: -t names the map and the directory"
out=$("$MILTER_BIN" -f -c "$MILTER_CONF" 2>&1); rc=$?
like "$rc/$out" "^1/fatal: map .*cannot be read as nobody" "the same at a start: refused, exit 1"
ok "$([ ! -e "$TEST_TMP/s.sock" ]; echo $?)" "the refused start made no socket"

cp "$MILTER_MAP" "$TEST_TMP/unreadable.cdb" && chmod 0600 "$TEST_TMP/unreadable.cdb"
milter_conf "$TEST_TMP" "unix:$TEST_TMP/s.sock" map="$TEST_TMP/unreadable.cdb"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "1/fatal: map $TEST_TMP/unreadable.cdb: cannot be read as nobody: Permission denied" \
    "a map only root may read (-t reads it as root too): refused as nobody"

milter_conf "$TEST_TMP" "unix:$TEST_TMP/s.sock" pid_file="$TEST_TMP/private/d.pid"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "0/warning: pid_file directory $TEST_TMP/private: not writable as nobody: the pid file will be left behind at stop: Permission denied" \
    "a pid file directory nobody cannot write: a warning, -t still exits 0"
