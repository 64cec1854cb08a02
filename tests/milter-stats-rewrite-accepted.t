#!/bin/bash
# The stats count a rewrite when the message is accepted, at its end, not
# at RCPT: a session that gives up after RCPT (QUIT, or RSET and a new
# MAIL) rewrote nothing and is not counted; a message that is queued is.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

plan 3

milter_postfix_up

out=$(smtp_send sender@example.net alice@sales.example.com --quit-after RCPT)
grep -q '^<-  250 .*Ok' <<<"$out"
ok $? "a session that quits after RCPT got 250 for the member" || diag "$out"
smtp_send sender@example.net bob@sales.example.com --quit-after RCPT >/dev/null
out=$(smtp_send sender@example.net alice@sales.example.com)
QID=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$out")
ok "$([ -n "$QID" ]; echo $?)" "a full message to the member is queued" || diag "$out"

milter_wait_log "^$QID: rewrite: " 10
kill -USR2 "$MILTER_PID"
milter_wait_log '^stats: department=sales\.example\.com ' 5
like "$(milter_log_lines '^stats: department=sales')" " rewrite=1 " \
    "stats: one rewrite (the queued message), not the two abandoned RCPTs"
