#!/bin/bash
# Hostile bytes on deptmilter's socketmap: each malformed netstring (bad
# length, no ':' or ',', leading zeros, a sign, other non-digits) closes
# its own connection with one escaped log line; a request longer than any
# address (TABLES_REQUEST_MAX) but not than SOCKETMAP_SKIP_MAX (100000,
# Postfix's own reply limit; Postfix limits no request) is read without
# being kept and answered NOTFOUND, as decide() would answer it, and the
# connection goes on; a longer one is closed as soon as its length is
# read; NUL, CR, LF and non-UTF-8 bytes in a key are answered (NOTFOUND)
# and logged escaped: no control byte and no invalid UTF-8 reaches the
# log.  Every input of the netstring fuzzer's seed corpus and regress
# directory goes to deptmilter too, and through the fuzz target itself
# when clang can build it.  deptmilter answers others all along.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
command -v postmap >/dev/null || skip_all "needs postmap (postfix)"
command -v python3 >/dev/null || skip_all "needs python3"

corpus=("$here"/fuzz/corpus/netstring/* "$here"/fuzz/regress/netstring-*)
[ -e "${corpus[-1]}" ] || unset 'corpus[-1]'
plan $((34 + ${#corpus[@]}))

tmpdir_make || bail_out "no temporary folder"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM" log_level=debug
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
PFC=$TEST_TMP/postfix-conf		# postmap needs a config directory
mkdir -p "$PFC" && echo "compatibility_level = 3.6" >"$PFC/main.cf"
CLIENT=$here/socketmap/smclient.py

# pq TABLE KEY -- what Postfix's own client gets: the value, or NOTFOUND
pq() {
    postmap -c "$PFC" -q "$2" "socketmap:unix:$SM:$1" 2>&1 || echo NOTFOUND
}

# send BYTES [N] -- raw bytes (printf format) on a new connection: the
# replies, once N came (or the server closed, or 2 s of silence)
send() {
    python3 "$CLIENT" "$SM" raw "$(printf -- "$1" | xxd -p | tr -d '\n')" ${2:+"$2"}
}

# request FORMAT -- the printf output of FORMAT as one netstring, sent
# alone on a new connection: the replies
request() {
    send "$(printf -- "$1" | wc -c):$1," 1
}

# decided TABLE KEY -- deptmap query's decision as the table's reply netstring
decided() {
    local v
    v=$("$DEPTMAP_BIN" query -m "$MILTER_MAP" "$2" | awk -F'\t' -v t="$1" '
        t == "virtual" { print $2 == "REWRITE" ? "OK " $3 : "NOTFOUND " }
        t == "access" { print $2 == "REJECT" || $2 == "TEMPFAIL" ? "OK " $3 : "NOTFOUND " }')
    printf '%d:%s,' "$(printf '%s' "$v" | wc -c)" "$v"
}

# still_serving WHAT -- another client is answered at once
still_serving() {
    is "$(pq virtual alice@sales.example.com)" alice@example.com "$1: others still answered"
}

# malformed NAME BYTES LOGGED -- closed, logged with the bytes escaped
malformed() {
    local out
    out=$(send "$2")
    is "$out" "closed" "$1: the connection is closed, nothing answered"
    milter_wait_log "client=python3\[[0-9]+\]: malformed netstring: \"$3\"; connection closed\$" 5
    ok $? "$1: one log line with the bytes, escaped" ||
        diag "log: $(milter_log_lines 'malformed' | tail -3)"
}

malformed "a length of letters" 'abc,' 'abc,'
malformed "no ':' after the length" '12virtual x,' '12virtual x,'
malformed "no ',' after the data" '3:abc;9:domains x,' '3:abc;9:domains x,'
malformed "a leading zero" '01:x,' '01:x,'
malformed "a sign" '-1:x,' '-1:x,'
malformed "a ':' without a length" ':x,' ':x,'
malformed "a control byte in the length" '1\r:x,' '1\\x0d:x,'
still_serving "after the malformed netstrings"

like "$(send '0:,' 1)" '^[0-9]+:PERM unknown table; deptmilter has virtual, access, domains, transport,$' \
    "an empty request (0:,) is a well-formed netstring: PERM, an unknown table"

# a request longer than any address, shorter than the skip limit
long=$(head -c 5000 /dev/zero | tr '\0' a)@sales.example.com
req="virtual $long"
out=$(send "${#req}:$req,25:domains sales.example.com," 2)
is "$out" "9:NOTFOUND ,20:OK sales.example.com," \
    "a request of 5026 bytes: NOTFOUND, and the connection answers the next one"
milter_wait_log 'client=python3\[[0-9]+\]: request of 5026 bytes, longer than any address \([0-9]+\): not read, answered NOTFOUND$' 5
ok $? "the long request is logged with its length"
is "$(pq virtual "$long")" NOTFOUND "postmap -q with a 5018-byte key: NOTFOUND, no lookup error"
quoted="\"$(for _ in $(seq 1020); do printf '\\a'; done)\"@sales.example.com"
is "$(pq access "$quoted")" \
    "$("$DEPTMAP_BIN" query -m "$MILTER_MAP" "$quoted" | awk -F'\t' '{ print $2 == "REJECT" ? $3 : "NOTFOUND" }')" \
    "a key of ${#quoted} bytes, a local part of 1020 each quoted with a backslash, is decided as deptmap query decides it"
note "$(pq access "$quoted")"

out=$(send '100001:virtual x')
is "$out" "closed" "a length above 100000: closed before any data is sent"
milter_wait_log 'netstring longer than the limit: "100001:virtual x"; connection closed$' 5
ok $? "the length above 100000 is logged"
out=$(send '99999999999999999999999999:')
is "$out" "closed" "a length of 26 digits: closed, no overflow"

# NUL, CR, LF and non-UTF-8 bytes in keys
is "$(request 'virtual ali\0ce\r\n@sales.example.com')" "9:NOTFOUND ," \
    "NUL, CR and LF in a key: NOTFOUND"
milter_wait_log 'key with NUL, CR or LF, or longer than [0-9]+ bytes: "ali\\x00ce\\x0d\\x0a@sales\.example\.com" answered NOTFOUND table=virtual' 5
ok $? "NUL, CR and LF in a key: logged as \\x00, \\x0d, \\x0a"
is "$(request 'access \377\376lice@sales.example.com')" \
    "$(decided access $'\377\376lice@sales.example.com')" \
    "bytes that are not UTF-8 in a key: answered as deptmap query decides (an unknown person)"
is "$(request 'access a\302\205b\342\200\250c\033[1m@sales.example.com')" \
    "$(decided access $'a\302\205b\342\200\250c\033[1m@sales.example.com')" \
    "a C1 control, U+2028 and a terminal escape in a key: answered as deptmap query decides"
milter_wait_log 'to=<a\\xc2\\x85b\\xe2\\x80\\xa8c\\x1b\[1m@sales\.example\.com>' 5
ok $? "the C1 control, U+2028 and the escape are logged as \\xHH" ||
    diag "log: $(milter_log_lines 'table=access' | tail -2)"
is "$(request 'virtual \r')" "9:NOTFOUND ," "a key that is one CR: NOTFOUND"
milter_wait_log '"\\x0d" answered NOTFOUND' 5
ok $? "the key that is one CR is logged escaped"
LC_ALL=C grep -c '[[:cntrl:]]' "$MILTER_LOG" | grep -qx 0
ok $? "no control byte anywhere in the log" ||
    diag "$(LC_ALL=C grep -n '[[:cntrl:]]' "$MILTER_LOG" | cat -v | head -3)"
iconv -f UTF-8 -t UTF-8 "$MILTER_LOG" >/dev/null 2>&1
ok $? "the log is valid UTF-8"

# the fuzzer's inputs (the first byte chooses the fuzzer's limits and pieces)
for f in "${corpus[@]}"; do
    tail -c +2 "$f" >"$TEST_TMP/stream"
    SMCLIENT_SILENCE=0.2 python3 "$CLIENT" "$SM" rawfile "$TEST_TMP/stream" >/dev/null
    kill -0 "$MILTER_PID" && [ "$(pq domains sales.example.com)" = sales.example.com ]
    ok $? "fuzzer input $(basename "$f") sent: deptmilter alive and answering"
done
if command -v clang >/dev/null &&
    make -s -C "$here/.." tests/fuzz/fuzz_netstring.bin >"$TEST_TMP/make.out" 2>&1; then
    "$here/fuzz/fuzz_netstring.bin" "${corpus[@]}" >"$TEST_TMP/fuzz.out" 2>&1
    ok $? "the fuzz target replays its corpus and regress inputs without a fault" ||
        diag "$(tail -20 "$TEST_TMP/fuzz.out")"
else
    skip "clang with libFuzzer is not there: $(head -3 "$TEST_TMP/make.out" 2>/dev/null)"
fi
kill -0 "$MILTER_PID"
ok $? "deptmilter survived every hostile netstring"
