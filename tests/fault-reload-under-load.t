#!/bin/bash
# Reloads under load lose and mix up nothing: 10,000 messages (members,
# aliases, unknowns, outside addresses, and messages with several of
# them) go through a real Postfix while the map is replaced 100 times,
# alternating two rule sets whose answers differ (tests/milter/fault-a.rules
# and fault-b.rules).  Every message is accounted for: sent = delivered +
# rejected + tempfailed; every queued message reaches the sink once, with
# exactly the recipients one rule set gives; every RCPT answer fits the
# same rule set (one message never sees a mixture of the two).
#
# LOAD_MESSAGES (default 10000) and LOAD_SESSIONS (default 20) size the run.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require python3

MESSAGES=${LOAD_MESSAGES:-10000}
SESSIONS=${LOAD_SESSIONS:-20}
SWAPS=100

plan 10

MILTER_RULES=$here/milter/fault-a.rules milter_postfix_up
cp "$here/milter/fault-a.rules" "$here/milter/fault-b.rules" "$TEST_TMP/"

# the jobs: one recipient, or several whose answers differ between A and B
mixes=(alice@sales.example.com bob@sales.example.com erin@sales.example.com
       info@sales.example.com nobody@sales.example.com frank@eng.example.com
       zoe@eng.example.com x@example.net
       alice@sales.example.com,erin@sales.example.com,info@sales.example.com
       zoe@eng.example.com,frank@eng.example.com,bob@sales.example.com
       info@sales.example.com,x@example.net)
for ((i = 0; i < MESSAGES; i++)); do
    printf '%d\t%s\n' "$i" "${mixes[i % ${#mixes[@]}]}"
done >"$TEST_TMP/jobs"
printf '%s\n' "${mixes[@]}" | tr ',' '\n' | sort -u >"$TEST_TMP/addrs"
for s in a b; do
    "$DEPTMAP_BIN" query -r "$TEST_TMP/fault-$s.rules" - <"$TEST_TMP/addrs" \
        >"$TEST_TMP/query-$s" || bail_out "deptmap query failed"
done

# the swap: every MESSAGES/(SWAPS+1) finished messages, compile the other
# rule set over the map (atomically) and tell deptmilter (SIGUSR1)
cat >"$TEST_TMP/swap.sh" <<EOF
#!/bin/sh
[ "\$LOAD_HOOK_N" -le $SWAPS ] || exit 0
if [ \$((LOAD_HOOK_N % 2)) = 1 ]; then set=b; else set=a; fi
"$DEPTMAP_BIN" compile -o "$MILTER_MAP" "$TEST_TMP/fault-\$set.rules" &&
    echo "\$LOAD_HOOK_N \$set" >>"$TEST_TMP/swaps" &&
    kill -USR1 $MILTER_PID
EOF
chmod +x "$TEST_TMP/swap.sh"

start=$(date +%s.%N)
LOAD_HOOK_EVERY=$((MESSAGES / (SWAPS + 1))) LOAD_HOOK_CMD="$TEST_TMP/swap.sh" \
    python3 "$here/milter/smtpload.py" "127.0.0.1:$SMTPD_PORT" "$SESSIONS" \
    "$TEST_TMP/jobs" "$TEST_TMP/results"
ok $? "all $MESSAGES messages sent over $SESSIONS sessions, an answer for each"
sent_secs=$(echo "$(date +%s.%N) - $start" | bc)
delivered=$(awk -F'\t' '$2 == "delivered"' "$TEST_TMP/results" | wc -l)
pf_wait_delivered "$TEST_TMP" "$delivered" 120
ok $? "Postfix delivered every queued message to the sink ($delivered)"

is "$(wc -l <"$TEST_TMP/swaps" 2>/dev/null)" "$SWAPS" "the map was replaced $SWAPS times during the run"
gens=$(milter_log_lines '^map: loaded ' | wc -l)
ok $((gens < SWAPS + 1)) "deptmilter loaded at least $((SWAPS + 1)) generations ($gens)"

load_check "" "$TEST_TMP/query-a" "$TEST_TMP/query-b"
diag "reload under load: $LOAD_SUMMARY $(sed -n 2p "$TEST_TMP/check") in ${sent_secs%.*} s"
is "${LOAD[sent]}" "$MESSAGES" "sent: $MESSAGES"
is "$((LOAD[delivered] + LOAD[rejected] + LOAD[tempfailed]))" "$MESSAGES" \
    "sent = delivered + rejected + tempfailed (${LOAD[delivered]} + ${LOAD[rejected]} + ${LOAD[tempfailed]})"
is "${LOAD[tempfailed]}/${LOAD[error]}" "0/0" "no message tempfailed or broken off by a reload"
is "${LOAD[lost]}/${LOAD[extra]}" "0/0" "no queued message lost, none delivered twice or unasked"
is "${LOAD[wrong]}" 0 "every message answered and delivered as exactly one rule set says"
only=$(sed -n 2p "$TEST_TMP/check")
like "$only" '^only_A=[1-9][0-9]* only_B=[1-9][0-9]*$' \
    "both rule sets were in service during the run ($only)"
