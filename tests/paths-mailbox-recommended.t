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

mailbox_start both 3
mailbox_smtp_cases address "X-Original-To is the department address as sent, Delivered-To the target"
mailbox_cleanup_checks
