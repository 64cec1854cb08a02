#!/bin/bash
# Slow and greedy clients of deptmilter's socketmap hold up nobody:
# while a client sends one byte a second, another client is answered at
# once; a request still incomplete 10 s (SOCKETMAP_REQUEST_TIMEOUT) after
# its first byte closes that connection, logged with the bytes so far,
# while a slow request that completes in time is answered and an idle
# connection is never closed (Postfix keeps them).  A client that never
# reads its answers is closed once 256 KiB of replies wait for it
# (SOCKETMAP_OUT_MAX), with others answered meanwhile; when 150 clients
# each leave up to that much unread, deptmilter's peak memory grows by
# less than the bound of all connections (SOCKETMAP_OUT_TOTAL_MAX, 32 MiB)
# and some slack.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"
# memory bounds get more room under AddressSanitizer
ASAN_SLACK=$(milter_memory_slack)

milter_require
command -v python3 >/dev/null || skip_all "needs python3"

plan 15

tmpdir_make || bail_out "no temporary folder"
# the socketmap's rules and an alias of 100 targets: a reply of 2.3 KB
# for a request of 35 bytes fills the replies of a client that never
# reads at little cost
cp "$here/socketmap/departments.rules" "$TEST_TMP/src.rules"
{ echo "department big.example.com"; printf '    alias big -> '
  seq -f 'target%03g@example.com' 1 100 | paste -sd, | sed 's/,/, /g'; } >>"$TEST_TMP/src.rules"
milter_map "$TEST_TMP" "$TEST_TMP/src.rules" || bail_out "map did not compile"
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
CLIENT=$here/socketmap/smclient.py

# ask_ms TABLE KEY -- "ANSWER MS": the milliseconds from connect to reply
ask_ms() {
    python3 "$CLIENT" "$SM" timed "$1" "$2"
}

# kib NAME -- a line of /proc/PID/status, in KiB
kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$MILTER_PID/status"; }

# one byte a second: 27 bytes, closed at 10 s; one every 0.4 s: answered;
# an idle connection held 13 s
python3 "$CLIENT" "$SM" slow virtual alice@sales.example.com 1 >"$TEST_TMP/slow.out" &
slow=$!
python3 "$CLIENT" "$SM" slow domains sales.example.com 0.3 >"$TEST_TMP/slowok.out" &
slowok=$!
python3 "$CLIENT" "$SM" idle 1 13 >"$TEST_TMP/idle.out" &
idle=$!
cleanup_add "kill $slow $slowok $idle 2>/dev/null"
sleep 1					# the slow clients are under way
worst=0 answers=
for _ in 1 2 3 4 5; do
    read -r a b ms <<<"$(ask_ms virtual info@sales.example.com)"
    answers="$answers$a $b;"
    [ "$ms" -gt "$worst" ] && worst=$ms
done
is "$answers" "$(printf 'OK alice@example.com,bob@example.com;%.0s' 1 2 3 4 5)" \
    "while a client sends a byte a second, another is answered, 5 times"
ok $(( worst > 2000 )) "... each within 2 s, not after the slow request (the slowest: $worst ms)"
wait "$slowok"
is "$(cat "$TEST_TMP/slowok.out")" "OK sales.example.com" \
    "a request sent in bytes 0.3 s apart (8.4 s) is answered"
wait "$slow"
like "$(cat "$TEST_TMP/slow.out")" '^closed after (10|11) bytes, (10\.[0-9]|11\.[0-5]) s$' \
    "a request one byte a second is closed about 10 s after its first byte ($(cat "$TEST_TMP/slow.out"))"
milter_wait_log 'client=python3\[[0-9]+\]: request incomplete for 10 s: "31:virtual ?"; connection closed$' 5
ok $? "its closing is logged with the bytes it sent" ||
    diag "$(milter_log_lines 'incomplete')"
wait "$idle"
is "$(tail -1 "$TEST_TMP/idle.out")" "closed by server 0" "an idle connection is still open after 13 s"

# a client that never reads
base_hwm=$(kib VmHWM)
python3 "$CLIENT" "$SM" noread virtual big@big.example.com >"$TEST_TMP/noread.out" &
noread=$!
cleanup_add "kill $noread 2>/dev/null"
read -r a b ms <<<"$(ask_ms virtual alice@sales.example.com)"
is "$a $b" "OK alice@example.com" "a client that never reads does not hold up another ($ms ms)"
wait "$noread"
like "$(cat "$TEST_TMP/noread.out")" '^closed by server after [0-9]+ KB$' \
    "the client that never reads is closed ($(cat "$TEST_TMP/noread.out"))"
milter_wait_log 'replies not read: ""; connection closed$' 5
ok $? "its closing is logged"
grow=$(( $(kib VmHWM) - base_hwm ))
ok $(( grow > ASAN_SLACK * 2048 )) "deptmilter's peak memory grew by $grow KiB for it (the bound: 256 KiB of replies, at most doubled by the buffer, and one read)"

out=$(python3 "$CLIENT" "$SM" noreads 150 virtual big@big.example.com)
is "$out" "closed 150 of 150" "150 clients that never read, one after another: each is closed"

# 150 clients each leaving up to 256 KiB of replies unread (230 replies
# of 2.3 KiB, what the kernel's socket buffer does not take) for 20 s
base_hwm=$(kib VmHWM)
out=$(python3 "$CLIENT" "$SM" hold 150 virtual big@big.example.com 230 20)
like "$out" '^closed [0-9]+ of 150$' "150 clients holding unread replies ($out by the server)"
grow=$(( $(kib VmHWM) - base_hwm ))
ok $(( grow > ASAN_SLACK * 40 * 1024 )) "deptmilter's peak memory grew by $grow KiB for them (the bound: 32 MiB for all connections, and slack)"
note "$(milter_log_lines 'replies not read' | sed 's/.*client=[^:]*: //' | sort | uniq -c)"
is "$(python3 "$CLIENT" "$SM" ask virtual alice@sales.example.com)" "OK alice@example.com" \
    "answered after all of it"
kill -0 "$MILTER_PID"
ok $? "deptmilter survived the slow and greedy clients"
