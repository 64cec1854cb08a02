#!/bin/bash
# Delivery into a real mailbox (example.com by virtual(8)) with the milter
# only: postfix/milter-only.cf.snippet, verbatim.  The milter replaces the
# recipient at end of message, and Postfix takes the added recipient as
# the original one: X-Original-To is the target (a milter cannot keep the
# address as sent; the ORCPT keeps it for DSNs).  A target reached twice
# in one message arrives once (the milter adds it once).  Mail from
# sendmail(1) meets no milter and is not rewritten at all.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

mailbox_start milter 3
mailbox_smtp_cases target "X-Original-To is the target (the milter's added recipient), Delivered-To the target"
# relayed as addressed (to the sink here; a production MX for the
# department domains loops back to itself)
mailbox_send sendmail local alice@sales.example.com
is "$(mailbox_lines local)" "" \
    "sendmail(1) to alice@sales.example.com is not rewritten: nothing reaches the mailbox"

mailbox_send smtp twice info@sales.example.com alice@sales.example.com
is "$(mailbox_lines twice)" "alice alice@example.com alice@example.com
bob bob@example.com bob@example.com" \
    "SMTP, RCPT info@ and alice@sales.example.com: alice@example.com gets one copy"
mailbox_send sendmail "twice local" info@sales.example.com alice@sales.example.com
is "$(mailbox_lines "twice local")" "" \
    "sendmail(1) to info@ and alice@sales.example.com: not rewritten, nothing reaches the mailbox"
