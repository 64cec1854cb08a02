#!/bin/bash
# deptmilter over TCP (socket = inet:PORT@127.0.0.1, Postfix
# deptmilter_socket = inet:127.0.0.1:PORT): rewrite and reject work the
# same as over a unix socket.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

plan 3

tmpdir_make
read -r SMTPD_PORT SINK_PORT MILTER_PORT <<<"$(free_port 3)"
milter_map "$TEST_TMP"
milter_conf "$TEST_TMP" "inet:$MILTER_PORT@127.0.0.1"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "inet:127.0.0.1:$MILTER_PORT" \
    || bail_out "Postfix did not start"

out=$(smtp_send sender@example.net nobody@sales.example.com,team@sales.example.com)
like "$out" "<\\*\\* 550 5\\.1\\.1 No such person in Sales" "inet: unknown rejected at RCPT"
pf_wait_delivered "$TEST_TMP" 1 20
is "$(sink_rcpts "$TEST_TMP")" \
"<alice@example.com> ORCPT=rfc822;team@sales.example.com
<carol@example.com> ORCPT=rfc822;team@sales.example.com" \
    "inet: alias rewritten to its two members"
! grep -Ei 'milter.*(error|warning|fatal)|4\.3\.5' "$PF_MAILLOG"
ok $? "inet: Postfix logged no milter trouble"
