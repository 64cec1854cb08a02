#!/bin/bash
# With the milter and the socketmap both attached (postfix/main.cf.snippet,
# INSTALL's recommended setup, used verbatim), every decision is made,
# logged and counted once, whichever way the mail came: smtpd's own
# lookup of the virtual table (its unlisted-recipient check) is logged at
# debug; cleanup rewrites a department address and the milter session
# that accepted it logs the rewrite with its queue id and changes
# nothing; mail from sendmail(1) is logged by the socketmap with
# client=cleanup[PID]; a refusal at RCPT is logged by the access table,
# one in cleanup (sendmail(1): it bounces by transport_maps) by the
# virtual table.  When cleanup does not ask the socketmap
# (virtual_alias_maps without it), the milter rewrites as it does alone.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks sendmail

plan 27

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"
SM=$TEST_TMP/socketmap.sock
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock" "socketmap=unix:$SM" "log_level=info"
milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
    bail_out "deptmilter did not start"
milter_postfix_recommended "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "unix:$SM" ||
    bail_out "Postfix did not start"

QID='[0-9A-F]{6,}'

# info_lines REGEX -- deptmilter's lines that match (log_level = info:
# what syslog gets on a default setup)
info_lines() {
    milter_log_lines "$1" || true
}

# settle N -- N messages in the sink and the queue empty; then clear it
settle() {
    pf_wait_delivered "$TEST_TMP" "$1" 30 >&2 || pf_maillog | tail -20 >&2
    GOT=$(sink_rcpts "$TEST_TMP" | awk '{ print $1 }' | tr -d '<>' | tr '\n' ' ')
    BODIES=$(sink_files "$TEST_TMP" | xargs cat)
    sink_clear "$TEST_TMP"
}

# stats_of DEPT -- the counters of a stats line asked for now
stats_of() {
    local n
    n=$(milter_log_lines '^stats: department=' | wc -l)
    kill -USR2 "$MILTER_PID"
    milter_wait_log "^stats: department=" 5 $((n + 1)) >/dev/null
    milter_log_lines "^stats: department=$1 " | tail -1 | sed 's/^stats: department=[^ ]* //'
}

# --- SMTP, a member: cleanup rewrites, the milter logs it once
out=$(smtp_send sender@example.net alice@sales.example.com)
like "$out" '<-  250 2\.0\.0 Ok: queued as' "SMTP: a member's message is accepted"
settle 1
is "$GOT" "alice@example.com " "SMTP: delivered to the target once"
milter_wait_log "^$QID: rewrite: to=<alice@sales\\.example\\.com> -> <alice@example\\.com> rule=departments\\.rules:7\$" 10
ok $? "SMTP: the milter session logs the rewrite with the queue id"
is "$(info_lines 'rewrite: to=<alice@sales\.example\.com>' | wc -l)" 1 \
    "SMTP: one rewrite line at info for the message" ||
    diag "$(milter_log_lines 'rewrite: to=<alice@sales')"
is "$(milter_log_lines '^socketmap: rewrite: to=<alice@sales\.example\.com>')" "" \
    "SMTP: neither smtpd's virtual lookup nor cleanup's (claimed by the milter session) is logged at info"
is "$(stats_of sales.example.com)" "pass=0 reject=0 rewrite=1 tempfail=0" \
    "SMTP: counted once"

# --- sendmail(1), a member: no milter; the socketmap logs it, naming cleanup
printf 'Subject: local\n\nbody\n' |
    MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net alice@sales.example.com
settle 1
is "$GOT" "alice@example.com " "sendmail(1): delivered to the target"
milter_wait_log '^socketmap: rewrite: to=<alice@sales\.example\.com> -> <alice@example\.com> rule=departments\.rules:7 table=virtual client=cleanup\[[0-9]+\]$' 10
ok $? "sendmail(1): the socketmap logs the rewrite, client=cleanup"
is "$(info_lines 'rewrite: to=<alice@sales\.example\.com>' | wc -l)" 2 \
    "sendmail(1): one more rewrite line at info, two in all"
is "$(stats_of sales.example.com)" "pass=0 reject=0 rewrite=2 tempfail=0" \
    "sendmail(1): counted once"

# --- SMTP, an unknown person: the access table refuses and logs it
out=$(smtp_send sender@example.net nobody@sales.example.com --quit-after RCPT)
like "$out" '<\*\* 550 5\.1\.1 <nobody@sales\.example\.com>: Recipient address rejected: No such person in Sales' \
    "SMTP: an unknown person gets the department's reply at RCPT"
milter_wait_log '^socketmap: reject: 550 5\.1\.1 No such person in Sales; to=<nobody@sales\.example\.com> rule=departments\.rules:11 table=access client=smtpd\[[0-9]+\]$' 10
ok $? "SMTP: the access table logs the refusal"
is "$(info_lines 'reject: .*to=<nobody@sales\.example\.com>' | wc -l)" 1 \
    "SMTP: one refusal line" || diag "$(milter_log_lines 'nobody@sales')"
is "$(stats_of sales.example.com)" "pass=0 reject=1 rewrite=2 tempfail=0" \
    "SMTP: the refusal counted once"

# --- sendmail(1), an unknown person: cleanup's virtual lookup logs it,
# transport_maps bounces it with the department's text
printf 'Subject: local\n\nbody\n' |
    MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net nobody@sales.example.com
settle 1
is "$GOT" "sender@example.net " "sendmail(1): the unknown person's message bounces to the sender"
like "$BODIES" 'No such person in Sales' "sendmail(1): the bounce gives the department's text"
milter_wait_log '^socketmap: reject: 550 5\.1\.1 No such person in Sales; to=<nobody@sales\.example\.com> rule=departments\.rules:11 table=virtual client=cleanup\[[0-9]+\]$' 10
ok $? "sendmail(1): the refusal is logged once, by cleanup's virtual lookup"
is "$(info_lines 'reject: .*to=<nobody@sales\.example\.com>' | wc -l)" 2 \
    "sendmail(1): one more refusal line, two in all"
is "$(stats_of sales.example.com)" "pass=0 reject=2 rewrite=2 tempfail=0" \
    "sendmail(1): counted once"

# --- a department's "unknown pass": the milter logs it at RCPT, once
out=$(smtp_send sender@example.net x@lab.example.com)
settle 1
is "$GOT" "x@lab.example.com " "SMTP: a department's pass is delivered as addressed"
milter_wait_log "^(NOQUEUE|$QID): pass: to=<x@lab\\.example\\.com> rule=departments\\.rules:23\$" 10
ok $? "SMTP: the milter session logs the pass at RCPT (NOQUEUE: the first recipient)"
is "$(info_lines 'pass: to=<x@lab\.example\.com>' | wc -l)" 1 \
    "SMTP: one pass line (cleanup's lookup was claimed by the session)" ||
    diag "$(milter_log_lines 'x@lab')"
printf 'Subject: local\n\nbody\n' |
    MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net x@lab.example.com
settle 1
milter_wait_log '^socketmap: pass: to=<x@lab\.example\.com> rule=departments\.rules:23 table=virtual client=cleanup\[[0-9]+\]$' 10
ok $? "sendmail(1): the socketmap logs the pass, client=cleanup"
is "$(stats_of lab.example.com)" "pass=2 reject=0 rewrite=0 tempfail=0" \
    "a department's pass counted once per message"

# --- cleanup does not ask the socketmap: the milter rewrites, as alone
postconf -c "$PF_CONF" -e 'virtual_alias_maps =' && postfix -c "$PF_CONF" reload >/dev/null 2>&1
for _ in $(seq 100); do
    grep -qE 'master\[[0-9]+\]: reload ' "$PF_MAILLOG" && break
    sleep 0.1
done
out=$(smtp_send sender@example.net info@sales.example.com)
settle 1
is "$GOT" "alice@example.com bob@example.com " \
    "no virtual_alias_maps: the milter rewrites the alias to its targets itself"
is "$(milter_log_lines '^socketmap: rewrite: to=<info@sales\.example\.com>.*client=cleanup' | wc -l)" 0 \
    "no virtual_alias_maps: cleanup did not ask the socketmap"
milter_wait_log "^$QID: rewrite: to=<info@sales\\.example\\.com> -> <alice@example\\.com>, <bob@example\\.com> rule=departments\\.rules:8\$" 10
ok $? "no virtual_alias_maps: the milter logs its own rewrite once"
