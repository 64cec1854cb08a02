#!/bin/bash
# deptmilter's socketmap tables queried by Postfix's own client (postmap -q
# socketmap:...): each answer equals deptmap query's decision for the
# address; hostile clients close their own connection and nothing else;
# dry_run answers NOTFOUND and logs what it would have answered.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
command -v postmap >/dev/null || skip_all "needs postmap (postfix)"
command -v python3 >/dev/null || skip_all "needs python3"

plan 55

tmpdir_make || bail_out "no temporary folder"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
PFC=$TEST_TMP/postfix-conf		# postmap needs a config directory
mkdir -p "$PFC" && echo "compatibility_level = 3.6" >"$PFC/main.cf"
CLIENT=$here/socketmap/smclient.py

# pq TABLE KEY -- what Postfix gets: the value, or NOTFOUND
pq() {
    postmap -c "$PFC" -q "$2" "socketmap:unix:$SM:$1" 2>&1 || echo NOTFOUND
}

# expect TABLE KEY -- deptmap query's decision as that table answers it
expect() {
    "$DEPTMAP_BIN" query -m "$MILTER_MAP" "$2" | awk -F'\t' -v t="$1" '
        t == "virtual" { print $2 == "REWRITE" ? $3 : "NOTFOUND" }
        t == "access" { print $2 == "REJECT" || $2 == "TEMPFAIL" ? $3 : "NOTFOUND" }
        t == "transport" {
            sub(/^[^ ]+ /, "", $3)
            print $2 == "REJECT" ? "error:" $3 : $2 == "TEMPFAIL" ? "retry:" $3 : "NOTFOUND" }'
}

# same TABLE KEY WHAT -- the table's answer equals deptmap query
same() {
    is "$(pq "$1" "$2")" "$(expect "$1" "$2")" "$1: $3 ($2) answered as deptmap query decides"
}

same virtual alice@sales.example.com "member"
same virtual info@sales.example.com "alias to several"
is "$(pq virtual info@sales.example.com)" "alice@example.com,bob@example.com" \
    "virtual: an alias to several is one comma-separated value"
same virtual nobody@sales.example.com "unknown person: NOTFOUND"
same virtual bob@example.net "address outside every department: NOTFOUND"
same virtual alice+news@sales.example.com "+extension carried once"
is "$(pq virtual alice+news@sales.example.com)" "alice+news@example.com" \
    "virtual: the extended key's answer carries its extension once"
same virtual alice@sales.example.com "unextended key"
same virtual ALICE@Sales.Example.COM "mixed case"
same virtual anna@bücher.example "IDN domain, U-label"
same virtual anna@xn--bcher-kva.example "IDN domain, A-label"
same virtual anna+x@BÜCHER.example "IDN domain with an extension"
same virtual x@ops.example.com "unknown in a tempfail department: NOTFOUND"
same virtual john.smith@sales.example.com "match rule"
is "$(pq virtual john.smith+x@sales.example.com)" "john.smith+x@sales.example.com" \
    "virtual: user+ext refused while user is rewritten answers itself (Postfix would try user@domain next)"
is "$(pq virtual @sales.example.com)" NOTFOUND "virtual: the @domain key is NOTFOUND"

same access nobody@sales.example.com "unknown person: the department's reply"
is "$(pq access nobody@sales.example.com)" "550 5.1.1 No such person in Sales" \
    "access: reject answer is access(5)'s 5NN action with the exact code, DSN and text"
same access x@ops.example.com "tempfail department: its 4NN reply"
same access x@xn--bcher-kva.example "IDN department's reply"
same access alice@sales.example.com "member: NOTFOUND"
same access bob@example.net "outside: NOTFOUND"
same access alice+news@sales.example.com "member with extension: NOTFOUND"
is "$(pq access zoe+list@sales.example.com)" "DUNNO" \
    "access: user+ext accepted while user is refused answers DUNNO (no shorter key)"

same transport nobody@sales.example.com "unknown person: error: with the department's DSN and text"
is "$(pq transport nobody@sales.example.com)" "error:5.1.1 No such person in Sales" \
    "transport: a refusal is error:DSN text (bounce with the department's text)"
is "$(pq transport x@ops.example.com)" "retry:4.2.1 Ops roster is being updated" \
    "transport: a tempfail department's refusal is retry:DSN text (deferred)"
same transport alice@sales.example.com "member: NOTFOUND (cleanup rewrote it)"
same transport bob@example.net "outside: NOTFOUND"
same transport nobody+x@sales.example.com "unknown person with an extension: its refusal"
is "$(pq transport zoe+list@sales.example.com)" ":" \
    "transport: user+ext accepted while user is refused answers ':' (the usual transport, no shorter key)"
is "$(pq transport sales.example.com)" NOTFOUND "transport: a domain key is NOTFOUND"
is "$(pq transport '*')" NOTFOUND "transport: the '*' key is NOTFOUND"

is "$(pq domains sales.example.com)" sales.example.com "domains: a department domain is found"
is "$(pq domains bücher.example)" xn--bcher-kva.example "domains: IDN department, U-label"
is "$(pq domains XN--BCHER-KVA.EXAMPLE)" xn--bcher-kva.example "domains: IDN department, A-label upper case"
is "$(pq domains example.com)" NOTFOUND "domains: the canonical domain is not a department"
is "$(pq domains x.sales.example.com)" NOTFOUND "domains: a subdomain of a department is not one"

# hostile input
out=$(python3 "$CLIENT" "$SM" raw "$(printf 'abc,' | xxd -p)")
like "$out" "^closed" "malformed netstring: the connection is closed"
milter_wait_log 'client=python3\[[0-9]+\]: malformed netstring: "abc,"; connection closed' 5
ok $? "malformed netstring: one log line naming the client and the bytes"
out=$(python3 "$CLIENT" "$SM" raw "$(printf '999999:virtual x' | xxd -p)")
like "$out" "^closed" "oversized netstring: closed before its data arrives"
milter_wait_log 'netstring longer than the limit: "999999:virtual x"; connection closed' 5
ok $? "oversized netstring: logged"
req=$(printf 'virtual ali\0ce@sales.example.com\r\n' | xxd -p | tr -d '\n')
out=$(python3 "$CLIENT" "$SM" raw "$(printf '%d:' $(( ${#req} / 2 )) | xxd -p)${req}2c")
is "$out" "9:NOTFOUND ," "NUL, CR and LF in a key: NOTFOUND, the connection stays usable"
milter_wait_log 'key with NUL, CR or LF' 5 && ! grep -q $'\r' "$MILTER_LOG" &&
    tr -d '\000' <"$MILTER_LOG" | cmp -s - "$MILTER_LOG"
ok $? "NUL/CR/LF in a key: logged escaped (no NUL or CR in the log)"
note "$(milter_log_lines 'key with NUL')"
is "$(python3 "$CLIENT" "$SM" split virtual info@sales.example.com)" \
    "OK alice@example.com,bob@example.com" "a request arriving 3 bytes at a time is answered"
is "$(python3 "$CLIENT" "$SM" ask virtual alice@sales.example.com bob@example.net)" \
    "OK alice@example.com
NOTFOUND " "one connection, several requests, in order"

fds() { ls "/proc/$MILTER_PID/fd" | wc -l; }
base=$(fds)
is "$(python3 "$CLIENT" "$SM" many 2000)" "opened 2000" "2000 connections opened at once"
for _ in $(seq 100); do [ "$(fds)" -le "$base" ] && break; sleep 0.1; done
ok $(( $(fds) > base )) "2000 connections dropped: deptmilter holds no descriptor more than before ($(fds) <= $base)"

python3 "$CLIENT" "$SM" noread virtual alice@sales.example.com >"$TEST_TMP/noread.out" &
noread=$!
is "$(pq virtual alice@sales.example.com)" alice@example.com \
    "a client that never reads does not hold up another"
wait "$noread"
like "$(cat "$TEST_TMP/noread.out")" "^closed by server" \
    "a client that never reads is closed once its unread replies pass the bound"
milter_wait_log 'replies not read: ""; connection closed' 5
ok $? "the unread client's closing is logged"
kill -0 "$MILTER_PID"
ok $? "deptmilter survived every hostile client"

# stop: the thread wakes at once, idle connections or not
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(20)' "$SM" &
idle=$!
cleanup_add "kill $idle"
start=$(now_ms)
milter_stop
ok $(( $(now_ms) - start > 2000 )) "deptmilter stops within 2 s with an idle socketmap connection open ($(( $(now_ms) - start )) ms)"
kill "$idle" 2>/dev/null

# dry_run: NOTFOUND everywhere, and what would have been answered logged
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM" dry_run=yes
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start again"
is "$(pq virtual alice@sales.example.com)/$(pq access nobody@sales.example.com)/$(pq domains sales.example.com)" \
    "NOTFOUND/NOTFOUND/NOTFOUND" "dry_run: NOTFOUND in every table"
milter_wait_log '^socketmap: would rewrite: to=<alice@sales\.example\.com> -> <alice@example\.com> rule=departments\.rules:7 table=virtual client=postmap\[[0-9]+\]$' 5 &&
    milter_wait_log '^socketmap: would reject: 550 5\.1\.1 No such person in Sales; to=<nobody@sales\.example\.com> rule=departments\.rules:11 table=access client=postmap\[[0-9]+\]$' 5
ok $? "dry_run: 'would rewrite' and 'would reject' logged in full"
