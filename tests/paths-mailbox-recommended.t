#!/bin/bash
# Delivery into a real mailbox (example.com by virtual(8)) with INSTALL's
# recommended setup, milter and socketmap both attached
# (postfix/main.cf.snippet, verbatim).  sendmail(1) mail meets only
# cleanup's rewrite: X-Original-To is the department address as sent, and
# a target reached twice arrives twice, as with the socketmap only.  SMTP
# mail the same: cleanup rewrites, and the milter session that accepted
# the address leaves it so (milter/claims.h), only logging it.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require sendmail perl

plan $((${#MAILBOX_CASES[@]} + 3))

paths_milter
paths_mailbox_postfix both || bail_out "Postfix did not start"
mailbox_smtp_cases address "X-Original-To is the department address as sent, Delivered-To the target"
mailbox_send sendmail local alice@sales.example.com
is "$(mailbox_lines local)" "$(expected_mailbox alice@sales.example.com address)" \
    "sendmail(1) to alice@sales.example.com: X-Original-To is the department address as sent"

# a target reached twice: cleanup's rewrite, SMTP or not, keeps one copy
# per original recipient (as paths-mailbox-socketmap-only.t)
mailbox_send smtp twice info@sales.example.com alice@sales.example.com
is "$(mailbox_lines twice)" "alice alice@sales.example.com alice@example.com
alice info@sales.example.com alice@example.com
bob info@sales.example.com bob@example.com" \
    "SMTP, RCPT info@ and alice@sales.example.com: alice@example.com gets two copies (one per original recipient), as cleanup rewrote"
mailbox_send sendmail "twice local" info@sales.example.com alice@sales.example.com
is "$(mailbox_lines "twice local")" "alice alice@sales.example.com alice@example.com
alice info@sales.example.com alice@example.com
bob info@sales.example.com bob@example.com" \
    "sendmail(1) to info@ and alice@sales.example.com: alice@example.com gets two copies (one per original recipient)"
