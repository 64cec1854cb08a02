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

mailbox_start socketmap 3
mailbox_smtp_cases address "X-Original-To is the department address as sent, Delivered-To the target"
mailbox_cleanup_checks
