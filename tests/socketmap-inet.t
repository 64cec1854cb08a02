#!/bin/bash
# The socketmap over TCP: deptmilter.conf "socketmap = inet:PORT@127.0.0.1"
# (the milter socket's spelling), Postfix's "socketmap:inet:127.0.0.1:PORT:
# virtual" (Postfix's).  A department address sent with sendmail(1) and
# one sent over SMTP are delivered to their targets, an unknown person is
# refused at RCPT through check_recipient_access, and the log names the
# client by its address.  Postfix's spelling in deptmilter.conf is refused
# with FILE:LINE and the spelling meant; nothing listens then.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks sendmail

plan 9

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT SM_PORT <<<"$(free_port 3)"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"

# Postfix's spelling, in deptmilter.conf: refused
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=inet:127.0.0.1:$SM_PORT"
line=$(grep -n '^socketmap =' "$MILTER_CONF" | cut -d: -f1)
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc/$out" "1/$MILTER_CONF:$line: socketmap: \"inet:127.0.0.1:$SM_PORT\": expected inet:PORT@HOST (Postfix writes inet:HOST:PORT; libmilter wants inet:PORT@HOST: inet:$SM_PORT@127.0.0.1)" \
    "socketmap = inet:HOST:PORT (Postfix's spelling): -t exits 1 with FILE:LINE and the spelling meant"
timeout 10 "$MILTER_BIN" -f -c "$MILTER_CONF" >/dev/null 2>&1
is "$?/$(ss -Hltn "sport = :$SM_PORT" | wc -l)" "1/0" "... a start refuses it, and nothing listens on the port"

milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=inet:$SM_PORT@127.0.0.1"
milter_start "$TEST_TMP" && milter_wait_log "^socketmap: listening on inet:$SM_PORT@127\\.0\\.0\\.1 " ||
    bail_out "deptmilter did not start"
is "$(ss -Hltn "sport = :$SM_PORT" | awk '{ print $4 }')" "127.0.0.1:$SM_PORT" \
    "socketmap = inet:$SM_PORT@127.0.0.1 listens on 127.0.0.1 only"

cat >"$TEST_TMP/socketmap.cf" <<EOT
virtual_alias_maps = socketmap:inet:127.0.0.1:$SM_PORT:virtual
relay_domains = socketmap:inet:127.0.0.1:$SM_PORT:domains
smtpd_recipient_restrictions = check_recipient_access socketmap:inet:127.0.0.1:$SM_PORT:access, permit_mynetworks, reject
EOT
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$TEST_TMP/deptmilter.sock" \
    "$TEST_TMP/socketmap.cf" || bail_out "Postfix did not start"

# delivered -- the recipients in the sink, sorted; the sink emptied
delivered() {
    pf_wait_delivered "$TEST_TMP" 1 60 >&2 || pf_maillog | tail -20 >&2
    sink_rcpts "$TEST_TMP" | awk '{ print $1 }' | tr -d '<>'
    sink_clear "$TEST_TMP"
}

printf 'Subject: socketmap over TCP\n\nbody\n' |
    MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net info@sales.example.com
is "$(delivered)" "alice@example.com
bob@example.com" "sendmail(1) to a department alias: delivered to its two targets"
is "$(postmap -c "$PF_CONF" -q alice@sales.example.com "socketmap:inet:127.0.0.1:$SM_PORT:virtual")" \
    alice@example.com "postmap -q socketmap:inet:127.0.0.1:PORT:virtual answers the target"

out=$(smtp_send sender@example.net alice+news@sales.example.com)
like "$out" '<-  250 2\.0\.0 Ok: queued' "SMTP to a member with an extension: accepted"
is "$(delivered)" alice+news@example.com "... delivered to the target, extension carried once"
out=$(smtp_send sender@example.net nobody@sales.example.com --quit-after RCPT)
like "$out" '<\*\* 550 5\.1\.1 <nobody@sales\.example\.com>: Recipient address rejected: No such person in Sales' \
    "SMTP to an unknown person: the department's reply at RCPT"
milter_wait_log '^socketmap: rewrite: to=<info@sales\.example\.com> -> <alice@example\.com>, <bob@example\.com> rule=departments\.rules:8 table=virtual client=127\.0\.0\.1$' 5
ok $? "the log names a TCP client by its address"
