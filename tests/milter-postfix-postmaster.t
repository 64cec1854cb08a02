#!/bin/bash
# postmaster@DEPT through a private Postfix (RFC 5321 4.5.1): with the
# milter and the socketmap attached as INSTALL attaches them, RCPT
# TO:<postmaster@sales.example.com> is accepted and the message delivered
# to postmaster@example.com; the same through sendmail(1), which only the
# socketmap sees; a department with "postmaster off" and a rejecting
# unknown policy refuses it with its own reply.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks sendmail

plan 7

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
cat >"$TEST_TMP/pm.rules" <<'EOT'
canonical example.com
department sales.example.com
    members alice
    unknown reject 550 5.1.1 "No such person in Sales"
department eng.example.com
    postmaster off
    members bob
    unknown reject 550 5.1.1 "Nobody at Eng"
EOT
milter_map "$TEST_TMP" "$TEST_TMP/pm.rules" 2>"$TEST_TMP/compile.err" ||
    bail_out "map did not compile: $(cat "$TEST_TMP/compile.err")"
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
cat >"$TEST_TMP/socketmap.cf" <<EOT
virtual_alias_maps = socketmap:unix:$SM:virtual
smtpd_recipient_restrictions = check_recipient_access socketmap:unix:$SM:access, permit_mynetworks, reject
EOT
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$TEST_TMP/deptmilter.sock" \
    "$TEST_TMP/socketmap.cf" || bail_out "Postfix did not start"

like "$(cat "$TEST_TMP/compile.err")" \
    'departments\.rules:8: warning: postmaster@eng\.example\.com is refused \(550 5\.1\.1 Nobody at Eng\)' \
    "compile warned of the department that refuses its postmaster"

OUT=$(smtp_send sender@example.net postmaster@sales.example.com)
like "$OUT" '<-  250 2\.1\.5 Ok' "SMTP: RCPT TO:<postmaster@sales.example.com> is accepted" ||
    diag "$OUT"
if pf_wait_delivered "$TEST_TMP" 1 20 >&2; then
    is "$(sink_rcpts "$TEST_TMP" | awk '{ print $1 }')" "<postmaster@example.com>" \
        "SMTP: delivered to postmaster@example.com"
else
    fail "SMTP: delivered to postmaster@example.com" && pf_maillog | tail -20 >&2
fi
sink_clear "$TEST_TMP"

printf 'Subject: postmaster test\n\nbody\n' |
    MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net PostMaster@sales.example.com
ok $? "sendmail(1): message to PostMaster@sales.example.com submitted"
if pf_wait_delivered "$TEST_TMP" 1 30 >&2; then
    is "$(sink_rcpts "$TEST_TMP" | awk '{ print $1 }')" "<postmaster@example.com>" \
        "sendmail(1): delivered to postmaster@example.com (the socketmap's answer)"
else
    fail "sendmail(1): delivered to postmaster@example.com" && pf_maillog | tail -20 >&2
fi
sink_clear "$TEST_TMP"

out=$(smtp_send sender@example.net postmaster@eng.example.com --quit-after RCPT)
like "$out" '<\*\* 550 5\.1\.1 .*Nobody at Eng' \
    "SMTP: postmaster off and unknown reject: refused with the department's reply"

! grep -Ei 'milter.*(error|warning|fatal)|4\.3\.5|socketmap.*(error|warning)' "$PF_MAILLOG"
ok $? "Postfix logged no milter or socketmap trouble" ||
    pf_maillog | grep -Ei 'warning|error' | head >&2
