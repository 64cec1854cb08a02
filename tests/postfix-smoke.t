#!/bin/bash
# Proves the private-Postfix harness (tests/lib/postfix.sh): smtp-sink and a
# private Postfix instance start, two messages sent with swaks reach the sink
# with the right envelope recipients, EXTRA main.cf files override, and
# everything stops again.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"

pf_require || skip_all "needs root, postfix, postconf and smtp-sink"
command -v swaks >/dev/null || skip_all "needs swaks"

plan 14

tmpdir_make
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
note "smtpd 127.0.0.1:$SMTPD_PORT, sink 127.0.0.1:$SINK_PORT, dir $TEST_TMP"

sink_start "$TEST_TMP" "$SINK_PORT"
ok $? "smtp-sink listens on 127.0.0.1:$SINK_PORT" || fail_rest "no sink"

# An EXTRA file: overrides a default of the harness and adds a relay domain
# (mail for relay_domains takes relay_transport, still to the sink).
cat >"$TEST_TMP/extra.cf" <<'EOF'
relay_domains = sales.example.com
smtpd_banner = $myhostname ESMTP smoke-test
EOF
pf_start "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "$TEST_TMP/extra.cf"
ok $? "private Postfix started" || fail_rest "Postfix did not start"

is "$PF_CONF" "$TEST_TMP/pf/conf" "PF_CONF exported"
is "$(postconf -c "$PF_CONF" -h relayhost relay_domains smtpd_banner)" \
   "[127.0.0.1]:$SINK_PORT
sales.example.com
\$myhostname ESMTP smoke-test" "main.cf: relayhost, EXTRA settings appended and effective"

banner=$(swaks --server "127.0.0.1:$SMTPD_PORT" --quit-after CONNECT 2>&1 | grep '^<-  220')
like "$banner" "^<-  220 mx\.test ESMTP smoke-test" "smtpd greets as mx.test with the EXTRA banner"

swaks --server "127.0.0.1:$SMTPD_PORT" --silent 2 \
      --from sender@example.net --to alice@example.com,Bob@Example.ORG \
      --header "Subject: smoke 1"
ok $? "message 1 accepted (2 recipients)"

swaks --server "127.0.0.1:$SMTPD_PORT" --silent 2 \
      --from sender@example.net --to carol+x@sales.example.com \
      --header "Subject: smoke 2"
ok $? "message 2 accepted (relay domain, address extension)"

pf_wait_delivered "$TEST_TMP" 2 20
ok $? "both messages delivered to the sink" || { pf_maillog >&2; }

is "$(sink_count "$TEST_TMP")" 2 "two message files in the sink"

is "$(sink_rcpts "$TEST_TMP")" \
"<Bob@Example.ORG> ORCPT=rfc822;Bob@Example.ORG
<alice@example.com> ORCPT=rfc822;alice@example.com
<carol+x@sales.example.com> ORCPT=rfc822;carol+2Bx@sales.example.com" \
   "sink_rcpts: envelope recipients with ORCPT, sorted"

is "$(xtext_decode 'carol+2Bx+3Dy@sales.example.com')" 'carol+x=y@sales.example.com' "xtext_decode"

grep -q 'status=sent' "$PF_MAILLOG"
ok $? "maillog_file records deliveries" || { diag "maillog:"; pf_maillog >&2; }

pf_stop
_pf_listening "$SMTPD_PORT"
ok $((! $?)) "pf_stop: smtpd port closed"
kill -0 "$SINK_PID" 2>/dev/null
ok $? "sink still running (stopped by the exit hook)"
