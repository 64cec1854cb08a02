#!/bin/bash
# milter-mailboxes-postfix.t -- no backscatter from "members *" and match
# rules: with a mailbox list in the rules, a private Postfix with
# deptmilter attached refuses at RCPT, with the department's reply, an
# address that "members *" or a match rule would make into no mailbox, and
# queues nothing for it; an existing person is delivered.  The socketmap
# tables (postmap -q) answer the same.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

plan 18

tmpdir_make LIST || bail_out "no temporary folder"
cat >"$LIST/mailboxes.txt" <<'EOF'
alice@example.com   example.com/alice/
bob@example.com     example.com/bob/
EOF
cat >"$LIST/departments.rules" <<EOF
canonical example.com
mailboxes $LIST/mailboxes.txt
department eng.example.com
    members *
    unknown reject 550 5.1.1 "No such person in Eng"
department sales.example.com
    match /^team-(.*)\$/ -> \$1
    unknown tempfail 450 4.2.1 "Sales is hiring, try later"
EOF
MILTER_RULES=$LIST/departments.rules milter_postfix_up "socketmap=unix:$LIST/sm.sock"

# qid OUT -- the queue id of an accepted message in a swaks dialogue
qid() {
    sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$1"
}

out=$(smtp_send sender@example.net ghost@eng.example.com)
like "$out" $'<\\*\\* 550 5\\.1\\.1 No such person in Eng\r?\n' \
    "members *, no such mailbox: 550 with the department's text at RCPT"
is "$(grep -c 'queued as' <<<"$out")" 0 "members *, no such mailbox: nothing queued" ||
    diag "$out"
milter_wait_log 'to=<ghost@eng\.example\.com>'
is "$(milter_log_lines 'to=<ghost@eng\.example\.com>')" \
    "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 No such person in Eng; from=<sender@example.net> to=<ghost@eng.example.com> rule=departments.rules:4,no-mailbox" \
    "log: the reject names the members * rule and no-mailbox"

out=$(smtp_send sender@example.net team-ghost@sales.example.com)
like "$out" $'<\\*\\* 450 4\\.2\\.1 Sales is hiring, try later\r?\n' \
    "match rule, no such mailbox: the department's tempfail at RCPT"
is "$(grep -c 'queued as' <<<"$out")" 0 "match rule, no such mailbox: nothing queued"

out=$(smtp_send sender@example.net alice@eng.example.com)
QID=$(qid "$out")
ok $([ -n "$QID" ]; echo $?) "members *, an existing mailbox: accepted" || diag "$out"
pf_wait_delivered "$TEST_TMP" 1 20
is "$(sink_rcpts "$TEST_TMP")" "<alice@example.com> ORCPT=rfc822;alice@eng.example.com" \
    "members *, an existing mailbox: delivered to it; the refused ones never were"
sink_clear "$TEST_TMP"

out=$(smtp_send sender@example.net team-bob@sales.example.com)
ok $([ -n "$(qid "$out")" ]; echo $?) "match rule, an existing mailbox: accepted" || diag "$out"
pf_wait_delivered "$TEST_TMP" 1 20
is "$(sink_rcpts "$TEST_TMP")" "<bob@example.com> ORCPT=rfc822;team-bob@sales.example.com" \
    "match rule, an existing mailbox: delivered to it"
sink_clear "$TEST_TMP"

out=$(smtp_send sender@example.net ghost@eng.example.com,bob@eng.example.com)
like "$out" "<\\*\\* 550 5\\.1\\.1 No such person in Eng" \
    "one message to a ghost and a person: the ghost refused at RCPT"
QID=$(qid "$out")
ok $([ -n "$QID" ]; echo $?) "one message to a ghost and a person: the message accepted" ||
    diag "$out"
pf_wait_delivered "$TEST_TMP" 1 20
is "$(sink_rcpts "$TEST_TMP")" "<bob@example.com> ORCPT=rfc822;bob@eng.example.com" \
    "one message to a ghost and a person: only the person delivered"
sink_clear "$TEST_TMP"
ok $(pf_queue_empty; echo $?) "nothing left in the queue (no bounce for anyone)" ||
    diag "$(postqueue -c "$PF_CONF" -p)"
is "$(grep -Ec 'to=<(ghost@example\.com|ghost@sales\.example\.com|sender@example\.net)>, .*status=' "$PF_MAILLOG")" 0 \
    "Postfix never tried to deliver to a ghost, nor a bounce to the sender" ||
    diag "$(grep status= "$PF_MAILLOG")"

# pq TABLE KEY -- the socketmap's answer, as Postfix gets it
pq() {
    postmap -c "$PF_CONF" -q "$2" "socketmap:unix:$LIST/sm.sock:$1" 2>&1 || echo NOTFOUND
}
is "$(pq access ghost@eng.example.com) / $(pq virtual ghost@eng.example.com)" \
    "550 5.1.1 No such person in Eng / NOTFOUND" \
    "socketmap: members *, no such mailbox: access has the reject, virtual nothing"
is "$(pq access alice@eng.example.com) / $(pq virtual alice@eng.example.com)" \
    "NOTFOUND / alice@example.com" \
    "socketmap: members *, an existing mailbox: rewritten"
is "$(pq access team-ghost@sales.example.com)" "450 4.2.1 Sales is hiring, try later" \
    "socketmap: match rule, no such mailbox: the department's tempfail"

! grep -Ei 'milter.*(error|warning|fatal)|4\.3\.5' "$PF_MAILLOG"
ok $? "Postfix logged no milter trouble"
