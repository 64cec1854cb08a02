#!/bin/bash
# A private Postfix with virtual_alias_maps, relay_domains and
# check_recipient_access on deptmilter's socketmap: mail sent with
# sendmail(1), which no smtpd milter sees, is delivered to the recipients
# deptmap query names; smtpd refuses an unknown person with the
# department's code, enhanced code and text.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks sendmail

plan 12

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
cat >"$TEST_TMP/socketmap.cf" <<EOT
virtual_alias_maps = socketmap:unix:$SM:virtual
relay_domains = socketmap:unix:$SM:domains
smtpd_recipient_restrictions = check_recipient_access socketmap:unix:$SM:access, permit_mynetworks, reject
EOT
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$TEST_TMP/deptmilter.sock" \
    "$TEST_TMP/socketmap.cf" || bail_out "Postfix did not start"

# expected RCPT -- the delivered recipients deptmap query names, sorted
expected() {
    "$DEPTMAP_BIN" query -m "$MILTER_MAP" "$1" |
        awk -F'\t' '{ if ($2 == "REWRITE") print $3; else print $1 }' | tr ',' '\n' | LC_ALL=C sort
}

# local_send RCPT [SENDMAIL-ARGS] -- one message through sendmail(1) and
# pickup; GOT: the addresses the sink received, sorted
local_send() {
    local rcpt=$1
    shift
    GOT=
    printf 'Subject: socketmap test\n\nbody\n' |
        MAIL_CONFIG=$PF_CONF sendmail "$@" -f sender@example.net "$rcpt" || return 1
    pf_wait_delivered "$TEST_TMP" 1 30 >&2 || { pf_maillog | tail -20 >&2; return 1; }
    GOT=$(sink_rcpts "$TEST_TMP" | awk '{ print $1 }' | tr -d '<>')
    sink_clear "$TEST_TMP"
}

for case in "alice@sales.example.com member" \
    "info@sales.example.com alias to several" \
    "alice+news@sales.example.com +extension, carried once" \
    "anna@xn--bcher-kva.example IDN domain" \
    "bob@example.net address outside every department" \
    "john.smith+x@sales.example.com extended key refused while the unextended one is rewritten"; do
    rcpt=${case%% *}
    local_send "$rcpt"
    is "$GOT" "$(expected "$rcpt")" "sendmail(1): ${case#* } ($rcpt) delivered as deptmap query says"
done
local_send anna@bücher.example
is "$GOT" "$(expected anna@bücher.example)" "sendmail(1): IDN domain as U-label delivered as deptmap query says"

milter_wait_log '^socketmap: rewrite: to=<info@sales\.example\.com> -> <alice@example\.com>, <bob@example\.com> rule=departments\.rules:8 table=virtual client=cleanup\[[0-9]+\]$' 5
ok $? "log: the rewrite for mail from sendmail(1) names cleanup as the client"

out=$(smtp_send sender@example.net nobody@sales.example.com --quit-after RCPT)
like "$out" '<\*\* 550 5\.1\.1 <nobody@sales\.example\.com>: Recipient address rejected: No such person in Sales' \
    "SMTP: an unknown person is refused by check_recipient_access with the department's code and text"
out=$(smtp_send sender@example.net x@ops.example.com --quit-after RCPT)
like "$out" '<\*\* 451 4\.2\.1 <x@ops\.example\.com>: Recipient address rejected: Ops roster is being updated' \
    "SMTP: a tempfail department's reply is its 451 4.2.1 and text"
out=$(smtp_send sender@example.net zoe+list@sales.example.com --quit-after RCPT)
like "$out" '<-  250 2\.1\.5 Ok' \
    "SMTP: user+ext that a match rule takes is accepted although user is unknown (DUNNO)"

! grep -Ei 'socketmap.*(error|warning|fatal)|warning: .*lookup' "$PF_MAILLOG"
ok $? "Postfix logged no socketmap trouble" || pf_maillog | grep -Ei 'warning|error' | head >&2
