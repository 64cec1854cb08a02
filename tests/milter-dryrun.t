#!/bin/bash
# dry_run = yes: deptmilter decides and logs "would reject" / "would
# rewrite" and changes nothing: unknown recipients are accepted, members
# are delivered to the address the sender wrote.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

plan 5

milter_postfix_up dry_run=yes

out=$(smtp_send sender@example.net nobody@sales.example.com,info@sales.example.com)
QID=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$out")
[ -n "$QID" ] && ! grep -q '^<\*\*' <<<"$out"
ok $? "dry run: every recipient accepted, the message queued" || diag "$out"

pf_wait_delivered "$TEST_TMP" 1 20
is "$(sink_rcpts "$TEST_TMP")" \
"<info@sales.example.com> ORCPT=rfc822;info@sales.example.com
<nobody@sales.example.com> ORCPT=rfc822;nobody@sales.example.com" \
    "dry run: envelope unchanged"

milter_wait_log "^$QID: would rewrite: " 5
is "$(milter_log_lines 'would reject: ')" \
    "NOQUEUE: would reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 No such person in Sales; from=<sender@example.net> to=<nobody@sales.example.com> rule=departments.rules:11" \
    "dry run: would reject line, exact form"
is "$(milter_log_lines 'would rewrite: ')" \
    "$QID: would rewrite: to=<info@sales.example.com> -> <alice@example.com>, <bob@example.com> rule=departments.rules:8" \
    "dry run: would rewrite line with the queue id, exact form"
is "$(milter_log_lines '(^|: )(reject|rewrite|tempfail): ' | wc -l)" 0 \
    "dry run: no real reject or rewrite line"
