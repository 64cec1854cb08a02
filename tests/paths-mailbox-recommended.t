#!/bin/bash
# Delivery into a real mailbox (example.com by virtual(8)) with INSTALL's
# recommended setup, milter and socketmap both attached
# (postfix/main.cf.snippet, verbatim).  sendmail(1) mail meets only
# cleanup's rewrite: X-Original-To is the department address as sent, and
# a target reached twice arrives twice, as with the socketmap only.  For
# SMTP mail, X-Original-To must be the department address too; today the
# milter rewrites again at end of message (it deletes cleanup's targets
# and adds its own), so X-Original-To is the target (TODO: the
# milter/socketmap coordination of issue 10) and a target reached twice
# arrives once, as with the milter only.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require sendmail perl

# by SMTP (with SMTPUTF8 for the U-label)
CASES=(
    "alice@sales.example.com member"
    "info@sales.example.com alias to several"
    "alice+news@sales.example.com +extension"
    "anna@bücher.example IDN domain as U-label"
)
TODO="both attached: the milter rewrites after cleanup, X-Original-To is the target"

plan $((${#CASES[@]} + 3))

paths_milter
paths_mailbox_postfix both || bail_out "Postfix did not start"

n=0
for case in "${CASES[@]}"; do
    a=${case%% *} n=$((n + 1))
    mailbox_send smtp "xot $n" "$a"
    got=$(mailbox_lines "xot $n")
    [ "$got" == "$(expected_mailbox "$a" address)" ]
    todo_ok $? "$TODO" \
        "SMTP, ${case#* } ($a): X-Original-To is the department address as sent, Delivered-To the target" ||
        note "got: $got"
done
mailbox_send sendmail local alice@sales.example.com
is "$(mailbox_lines local)" "$(expected_mailbox alice@sales.example.com address)" \
    "sendmail(1) to alice@sales.example.com: X-Original-To is the department address as sent"

# a target reached twice.  SMTP: what is seen today, the milter's rewrite
# (one copy, X-Original-To the target); once the milter leaves cleanup's
# rewrite alone this becomes the socketmap's answer, two copies (see
# paths-mailbox-socketmap-only.t).  sendmail(1): cleanup only, two copies.
mailbox_send smtp twice info@sales.example.com alice@sales.example.com
is "$(mailbox_lines twice)" "alice alice@example.com alice@example.com
bob bob@example.com bob@example.com" \
    "SMTP, RCPT info@ and alice@sales.example.com: alice@example.com gets one copy (the milter's rewrite)"
mailbox_send sendmail "twice local" info@sales.example.com alice@sales.example.com
is "$(mailbox_lines "twice local")" "alice alice@sales.example.com alice@example.com
alice info@sales.example.com alice@example.com
bob info@sales.example.com bob@example.com" \
    "sendmail(1) to info@ and alice@sales.example.com: alice@example.com gets two copies (one per original recipient)"
