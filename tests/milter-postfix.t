#!/bin/bash
# deptmilter behind a real Postfix, attached with postfix/milter-only.cf.snippet
# verbatim (only its two placeholders are set, in a file appended after
# it): what the sink receives and what deptmilter logs, message by message.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

plan 26

milter_postfix_up

# deliver FROM RCPTS... -- send one message, wait for it, then empty the
# sink.  Sets OUT (the swaks dialogue), QID and GOT (the sink's recipients).
deliver() {
    local from=$1 to=$2
    shift 2
    GOT=
    OUT=$(smtp_send "$from" "$to" "$@")
    QID=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$OUT")
    if [ -z "$QID" ] || ! pf_wait_delivered "$TEST_TMP" 1 20 >&2; then
        diag "$OUT"
        pf_maillog | tail -20 >&2
        return 1
    fi
    GOT=$(sink_rcpts "$TEST_TMP")
    sink_clear "$TEST_TMP"
}

deliver sender@example.net alice@sales.example.com
is "$GOT" "<alice@example.com> ORCPT=rfc822;alice@sales.example.com" \
    "member rewritten to the canonical mailbox, ORCPT is the original"

deliver sender@example.net info@sales.example.com
is "$GOT" "<alice@example.com> ORCPT=rfc822;info@sales.example.com
<bob@example.com> ORCPT=rfc822;info@sales.example.com" \
    "alias to several: one RCPT becomes two, both with the original ORCPT"

out=$(smtp_send sender@example.net nobody@sales.example.com --quit-after RCPT)
like "$out" $'<\\*\\* 550 5\\.1\\.1 No such person in Sales\r?\n' \
    "unknown rejected at RCPT with the department's code, enhanced code and text"

deliver sender@example.net carol@example.net
is "$GOT" "<carol@example.net> ORCPT=rfc822;carol@example.net" \
    "other domains untouched"

deliver sender@example.net alice+news@sales.example.com
is "$GOT" "<alice+news@example.com> ORCPT=rfc822;alice+2Bnews@sales.example.com" \
    "+ext carried over to the target, ORCPT xtext-encoded"

deliver sender@example.net ALICE@Sales.Example.COM
is "$GOT" "<alice@example.com> ORCPT=rfc822;ALICE@Sales.Example.COM" \
    "mixed case matches; ORCPT keeps what the sender wrote"

deliver sender@example.net info@sales.example.com,alice@sales.example.com
is "$GOT" "<alice@example.com> ORCPT=rfc822;info@sales.example.com
<bob@example.com> ORCPT=rfc822;info@sales.example.com" \
    "two RCPTs reaching one target give one delivery (first ORCPT kept)"
is "$(sink_count "$TEST_TMP")" 0 "sink emptied between messages"

OUT=$(smtp_send sender@example.net alice@sales.example.com,nobody@sales.example.com,dave@example.net)
like "$OUT" "<\\*\\* 550 5\\.1\\.1 No such person in Sales" \
    "mixed message: the unknown recipient is rejected"
like "$OUT" "<-  250 2\\.0\\.0 Ok: queued as" "mixed message: the message is accepted"
QID=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$OUT")
pf_wait_delivered "$TEST_TMP" 1 20
is "$(sink_rcpts "$TEST_TMP")" "<alice@example.com> ORCPT=rfc822;alice@sales.example.com
<dave@example.net> ORCPT=rfc822;dave@example.net" \
    "mixed message: member rewritten, outside recipient untouched"
sink_clear "$TEST_TMP"

milter_wait_log "^$QID: rewrite: "
is "$(milter_log_lines "^$QID: rewrite")" \
    "$QID: rewrite: to=<alice@sales.example.com> -> <alice@example.com> rule=departments.rules:7" \
    "log: rewrite line with the Postfix queue id, exact form"
is "$(milter_log_lines "reject: .*to=<nobody@sales.example.com>" | tail -1)" \
    "$QID: reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 No such person in Sales; from=<sender@example.net> to=<nobody@sales.example.com> rule=departments.rules:11" \
    "log: reject line after an accepted RCPT carries the queue id"
is "$(milter_log_lines "reject: .*to=<nobody@sales.example.com>" | head -1)" \
    "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 No such person in Sales; from=<sender@example.net> to=<nobody@sales.example.com> rule=departments.rules:11" \
    "log: reject line before any accepted RCPT says NOQUEUE, exact form"

deliver sender@example.net info@sales.example.com,alice@sales.example.com
milter_wait_log "^$QID: rewrite: to=<alice@"
is "$(milter_log_lines "^$QID: ")" \
"$QID: rewrite: to=<info@sales.example.com> -> <alice@example.com>, <bob@example.com> rule=departments.rules:8
$QID: rewrite: to=<alice@sales.example.com> -> <alice@example.com> rule=departments.rules:7" \
    "log: several targets listed as <a>, <b>"

# NOTIFY= and a client's own ORCPT: swaks cannot send RCPT parameters.
python3 - "$PF_SMTPD_PORT" >"$TEST_TMP/py.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.ehlo("client.test")
s.mail("sender@example.net")
print(s.rcpt("bob@sales.example.com", ["NOTIFY=SUCCESS,FAILURE"]))
print(s.rcpt("carol@sales.example.com", ["ORCPT=rfc822;carol+2Bold@sales.example.com"]))
print(s.data(b"Subject: notify\r\n\r\nbody\r\n"))
s.quit()
PY
ok $? "NOTIFY/ORCPT message sent" || diag "$(cat "$TEST_TMP/py.out")"
pf_wait_delivered "$TEST_TMP" 1 20
rcpts=$(sink_rcpts "$TEST_TMP")
like "$(grep '^<bob@' <<<"$rcpts")" "^<bob@example.com> .*NOTIFY=SUCCESS,FAILURE" \
    "the client's NOTIFY is carried to the target"
like "$(grep '^<bob@' <<<"$rcpts")" "ORCPT=rfc822;bob@sales.example.com" \
    "ORCPT of the original address visible in the sink's X-Rcpt-Args"
like "$(grep '^<carol@' <<<"$rcpts")" "ORCPT=rfc822;carol\\+2Bold@sales.example.com" \
    "a client's own ORCPT is kept"
sink_clear "$TEST_TMP"

deliver sender@example.net someone@eng.example.com
is "$GOT" "<someone@example.org> ORCPT=rfc822;someone@eng.example.com" \
    "members *: everyone rerouted to the department's canonical domain"

out=$(smtp_send sender@example.net x@ops.example.com --quit-after RCPT)
like "$out" "<\\*\\* 451 4\\.2\\.1 Ops roster is being updated" \
    "unknown tempfail: 451 with the department's text"
like "$(milter_log_lines 'tempfail: ' | tail -1)" \
    "^NOQUEUE: tempfail: RCPT from unknown\\[127\\.0\\.0\\.1\\]: 451 4\\.2\\.1 Ops roster is being updated; from=<sender@example\\.net> to=<x@ops\\.example\\.com> rule=departments\\.rules:20$" \
    "log: tempfail line, exact form"

deliver sender@example.net zed@lab.example.com
is "$GOT" "<zed@lab.example.com> ORCPT=rfc822;zed@lab.example.com" \
    "unknown pass: the recipient goes through untouched"
is "$(milter_log_lines ': pass: ')" \
"NOQUEUE: pass: to=<zed@lab.example.com> rule=departments.rules:24" \
    "log: a department's pass is logged at info; addresses outside are not"

kill -USR2 "$MILTER_PID"
milter_wait_log '^stats: department=sales\.example\.com ' 5
is "$(milter_log_lines '^stats: ')" \
"stats: department=- pass=2 reject=0 rewrite=0 tempfail=0
stats: department=eng.example.com pass=0 reject=0 rewrite=1 tempfail=0
stats: department=lab.example.com pass=1 reject=0 rewrite=0 tempfail=0
stats: department=ops.example.com pass=0 reject=0 rewrite=0 tempfail=1
stats: department=sales.example.com pass=0 reject=2 rewrite=11 tempfail=0" \
    "SIGUSR2 logs one stats line per department"

! grep -Ei 'milter.*(error|warning|fatal)|4\.3\.5' "$PF_MAILLOG"
ok $? "Postfix logged no milter trouble"
