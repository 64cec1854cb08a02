#!/bin/bash
# 200 concurrent SMTP sessions (Postfix's smtp-source -s 200) send 2,000
# messages through a real Postfix with deptmilter: every one is accepted,
# reaches the sink once, rewritten; Postfix logs no milter trouble and
# deptmilter logs no error.  0 failures attributable to deptmilter.
#
# LOAD_MESSAGES (default 2000) and LOAD_SESSIONS (default 200) size it.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require smtp-source

MESSAGES=${LOAD_MESSAGES:-2000}
SESSIONS=${LOAD_SESSIONS:-200}

plan 8

tmpdir_make
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
milter_map "$TEST_TMP" "$here/milter/fault-a.rules"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
# Room for 200 smtpd processes and as many cleanup processes, with slack
# for those still closing a session while the client opens the next one
# (default_process_limit is 100).
cat >"$TEST_TMP/limits.cf" <<EOF
default_process_limit = $((SESSIONS * 2))
smtpd_client_connection_count_limit = 0
EOF
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "$TEST_TMP/limits.cf" \
    || bail_out "Postfix did not start"

start=$(date +%s.%N)
smtp-source -s "$SESSIONS" -m "$MESSAGES" -f sender@example.net \
    -t alice@sales.example.com -M load.test "127.0.0.1:$SMTPD_PORT" \
    >"$TEST_TMP/source.out" 2>&1
ok $? "smtp-source -s $SESSIONS -m $MESSAGES exits 0" || diag "$(head -5 "$TEST_TMP/source.out")"
secs=$(echo "$(date +%s.%N) - $start" | bc)
is "$(cat "$TEST_TMP/source.out")" "" "smtp-source saw no error reply"
pf_wait_delivered "$TEST_TMP" "$MESSAGES" 120
ok $? "all $MESSAGES messages delivered to the sink"
peak=$(grep -c 'smtpd.*: connect from' "$PF_MAILLOG")
got=$(sink_rcpts "$TEST_TMP" | sort | uniq -c | sed 's/^ *//')
is "$got" "$MESSAGES <alice@example.com> ORCPT=rfc822;alice@sales.example.com" \
    "each of the $MESSAGES messages reached alice@example.com once, with the ORCPT"
is "$(sink_count "$TEST_TMP")" "$MESSAGES" "no message delivered twice"
# Every message was accepted and delivered (above); what else Postfix says
# about the milter, or any fatal or panic, is a failure.  Other warnings
# (a loaded machine can make master warn about its process limit) are
# Postfix's sizing, not deptmilter's doing: shown, not failed.
is "$(grep -Ei 'milter|fatal|panic' "$PF_MAILLOG" | head -5)" "" \
    "Postfix logged nothing about the milter, no fatal and no panic"
other=$(grep -E 'warning|error' "$PF_MAILLOG" | grep -viE 'milter|fatal|panic')
[ -z "$other" ] || diag "Postfix warnings not about the milter: $(echo "$other" | wc -l), first: $(echo "$other" | head -1)"
is "$(milter_log_lines ' rewrite: ' | wc -l)" "$MESSAGES" "deptmilter logged $MESSAGES rewrites"
is "$(milter_log_lines '(^|: )(error|warning|fatal|panic):' | head -5)" "" "deptmilter logged no error or warning"
diag "200 sessions: $MESSAGES messages sent in ${secs%.*} s over $SESSIONS sessions ($peak SMTP connections)"
