#!/bin/bash
# End to end: a map compiled from a directory (a private slapd with
# Active Directory-like proxyAddresses) serves a private Postfix through
# deptmilter.  A message to a secondary proxy address reaches the
# entry's primary mailbox, as the seed's Exchange delivered it; a sip:
# address of the same entry is not a mail address and is refused.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/slapd.sh"

milter_postfix_require
slapd_require || skip_all "needs slapd, ldap-utils and openssl (make deps)"

plan 5

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT LDAP_PORT <<<"$(free_port 3)"
slapd_setup "$TEST_TMP" && slapd_load "$TEST_TMP" "$here/ldap/base.ldif" "$here/ldap/staff.ldif" &&
    slapd_start "$TEST_TMP" "$LDAP_PORT" || bail_out "slapd did not start"
slapd_bind_file "$TEST_TMP/bind" "$SLAPD_USER" "$SLAPD_USERPW"
cat >"$TEST_TMP/directory.rules" <<EOF
canonical example.com
ldap-server $SLAPD_URI
ldap-bind-file bind
department sales.example.com
    proxy-addresses "ou=Staff,dc=example,dc=com"
    unknown reject 550 5.1.1 "No such person in Sales"
EOF
milter_map "$TEST_TMP" "$TEST_TMP/directory.rules" || bail_out "the map did not compile from the directory"
slapd_stop				# the map is all deptmilter needs
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" || bail_out "Postfix did not start"

out=$(smtp_send sender@example.net C.King@sales.example.com)
pf_wait_delivered "$TEST_TMP" 1 20 >&2 || diag "$out"
is "$(sink_rcpts "$TEST_TMP")" "<carol@example.com> ORCPT=rfc822;C.King@sales.example.com" \
    "a message to a secondary proxy address reaches the primary mailbox, ORCPT kept"
like "$(milter_log_lines 'rewrite: to=<C.King@sales.example.com>')" \
    "-> <carol@example.com> rule=departments.rules:5" "deptmilter logs the rewrite with the rules line of the search"
sink_clear "$TEST_TMP"

out=$(smtp_send sender@example.net dan@sales.example.com,ck@sales.example.com)
pf_wait_delivered "$TEST_TMP" 1 20 >&2 || diag "$out"
is "$(sink_rcpts "$TEST_TMP")" "<Dan.Dorsey@example.com> ORCPT=rfc822;dan@sales.example.com
<carol@example.com> ORCPT=rfc822;ck@sales.example.com" \
    "two people's proxy addresses (smtp: and Smtp:) in one message, each to its primary"
sink_clear "$TEST_TMP"

out=$(smtp_send sender@example.net xsip@sales.example.com --quit-after RCPT)
like "$out" $'<\\*\\* 550 5\\.1\\.1 No such person in Sales\r?\n' \
    "a sip: proxy address is no mail address: refused at RCPT"
out=$(smtp_send sender@example.net carol@elsewhere.example.net --quit-after RCPT)
like "$out" $'<-  250 2\\.1\\.5 Ok' "another domain's proxy address is no business of the department"
