#!/bin/bash
# The map is replaced while deptmilter runs: a new map takes effect without
# a restart; a corrupt map dropped in is logged and the old one keeps
# serving; SIGUSR1 reloads on demand; a map deleted while running leaves the
# old one in service.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

plan 13

milter_postfix_up

# rcpt_reply ADDR -- the server's last reply to RCPT TO:<ADDR>
rcpt_reply() {
    smtp_send sender@example.net "$1" --quit-after RCPT \
        | awk '/^ -> RCPT TO:/ { getline; print; exit }' | tr -d '\r'

}

like "$(milter_log_lines '^map: loaded')" \
    "^map: loaded $TEST_TMP/departments\\.cdb generation=1 records=[0-9]+ digest=[0-9a-f]+$" \
    "start: map: loaded line with generation=1, records and digest"
like "$(rcpt_reply erin@sales.example.com)" "550 5\\.1\\.1 No such person in Sales" \
    "generation 1: erin is unknown"

cp "$here/milter/departments-v2.rules" "$TEST_TMP/departments.rules"
# --force: v2 drops most of sales.example.com, which the shrink guard refuses
"$DEPTMAP_BIN" compile --force -o "$MILTER_MAP" "$TEST_TMP/departments.rules"
milter_wait_log '^map: loaded .* generation=2 ' 5
ok $? "replaced map loaded without a restart (generation=2 logged)"
like "$(rcpt_reply erin@sales.example.com)" "^<-  250 " \
    "generation 2: erin is accepted"
like "$(rcpt_reply alice@sales.example.com)" "550 5\\.1\\.1 No such person in Sales \\(v2\\)" \
    "generation 2: alice is rejected with the new text"

head -c 5000 /dev/urandom >"$TEST_TMP/corrupt.tmp"
mv "$TEST_TMP/corrupt.tmp" "$MILTER_MAP"
milter_wait_log "^map: cannot load $TEST_TMP/departments\\.cdb: .*; keeping generation=2\$" 5
ok $? "corrupt map dropped in: logged, generation=2 kept"
like "$(rcpt_reply erin@sales.example.com)" "^<-  250 " \
    "corrupt map dropped in: the old map keeps serving"
sleep 1.5
is "$(milter_log_lines '^map: cannot load' | wc -l)" 1 \
    "a corrupt map is reported once, not every second"

kill -USR1 "$MILTER_PID"
milter_wait_log '^map: reload requested \(SIGUSR1\)' 5
# the try is logged just after the request: wait for it
milter_wait_log '^map: cannot load' 5 2
is "$(milter_log_lines '^map: cannot load' | wc -l)" 2 "SIGUSR1 tries the file again"

rm -f "$MILTER_MAP"
milter_wait_log "^map: cannot load $TEST_TMP/departments\\.cdb: No such file or directory; keeping generation=2\$" 5
ok $? "map deleted while running: logged, generation=2 kept"
like "$(rcpt_reply erin@sales.example.com)" "^<-  250 " \
    "map deleted while running: the old map keeps serving"

cp "$here/milter/departments.rules" "$TEST_TMP/departments.rules"
"$DEPTMAP_BIN" compile -o "$MILTER_MAP" "$TEST_TMP/departments.rules"
milter_wait_log '^map: loaded .* generation=3 ' 5
ok $? "a good map put back is loaded (generation=3)"
like "$(rcpt_reply erin@sales.example.com)" "550 5\\.1\\.1 No such person in Sales\$" \
    "generation 3: the first rules again"
