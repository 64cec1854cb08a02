#!/bin/bash
# Delivery into a real mailbox (example.com by virtual(8)) with the
# socketmap only: INSTALL's main.cf lines (postfix/main.cf.snippet,
# verbatim) with "smtpd_milters =" after them.  cleanup rewrites the
# department address (virtual_alias_maps), so X-Original-To is the
# department address as sent, by SMTP and by sendmail(1); Delivered-To is
# the target, an extension carried once.  A target reached twice in one
# message (RCPT info@sales and alice@sales, both to alice@example.com)
# arrives twice: Postfix's duplicate filter keys on the original
# recipient, and each copy keeps its own.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require sendmail perl

plan $((${#MAILBOX_CASES[@]} + 3))

paths_milter
paths_mailbox_postfix socketmap || bail_out "Postfix did not start"
mailbox_smtp_cases address "X-Original-To is the department address as sent, Delivered-To the target"
mailbox_send sendmail local alice@sales.example.com
is "$(mailbox_lines local)" "$(expected_mailbox alice@sales.example.com address)" \
    "sendmail(1) to alice@sales.example.com: X-Original-To is the department address as sent"

# a target reached twice: two copies, one per original recipient
TWICE="alice alice@sales.example.com alice@example.com
alice info@sales.example.com alice@example.com
bob info@sales.example.com bob@example.com"
mailbox_send smtp twice info@sales.example.com alice@sales.example.com
is "$(mailbox_lines twice)" "$TWICE" \
    "SMTP, RCPT info@ and alice@sales.example.com: alice@example.com gets two copies (one per original recipient)"
mailbox_send sendmail "twice local" info@sales.example.com alice@sales.example.com
is "$(mailbox_lines "twice local")" "$TWICE" \
    "sendmail(1) to info@ and alice@sales.example.com: alice@example.com gets two copies"
