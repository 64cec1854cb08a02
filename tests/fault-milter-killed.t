#!/bin/bash
# deptmilter SIGKILLed three times in the middle of a load run, and
# restarted each time, behind a real Postfix with the snippet's
# milter_default_action = tempfail: no message is misrouted.  Each one is
# either delivered exactly as the rules say, rejected as they say, or was
# told 4xx (and nothing of it reached the sink).
#
# LOAD_MESSAGES (default 3000) and LOAD_SESSIONS (default 20) size the run.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require python3

MESSAGES=${LOAD_MESSAGES:-3000}
SESSIONS=${LOAD_SESSIONS:-20}

plan 11

MILTER_RULES=$here/milter/fault-a.rules milter_postfix_up
echo "$MILTER_PID" >"$TEST_TMP/milter.pid"
is "$(postconf -c "$PF_CONF" -h milter_default_action)" tempfail \
    "Postfix runs with milter_default_action = tempfail (from the snippet)"
# the restarted daemons are not children of this shell: kill them by pid
cleanup_add 'p=$(cat "$TEST_TMP/milter.pid" 2>/dev/null) && kill -TERM "$p"'

mixes=(alice@sales.example.com info@sales.example.com erin@sales.example.com
       zoe@eng.example.com x@example.net
       alice@sales.example.com,erin@sales.example.com,info@sales.example.com)
for ((i = 0; i < MESSAGES; i++)); do
    printf '%d\t%s\n' "$i" "${mixes[i % ${#mixes[@]}]}"
done >"$TEST_TMP/jobs"
printf '%s\n' "${mixes[@]}" | tr ',' '\n' | sort -u |
    "$DEPTMAP_BIN" query -m "$MILTER_MAP" - >"$TEST_TMP/query" ||
    bail_out "deptmap query failed"

# steps 2, 4, 6 of 10: SIGKILL; steps 3, 5, 7: start it again
cat >"$TEST_TMP/fault.sh" <<EOF
#!/bin/bash
case \$LOAD_HOOK_N in
2|4|6)
    kill -KILL \$(cat "$TEST_TMP/milter.pid") && echo "kill \$LOAD_HOOK_N" >>"$TEST_TMP/faults"
    sleep 0.3 ;;
3|5|7)
    "$MILTER_BIN" -f -c "$MILTER_CONF" 2>>"$MILTER_LOG" </dev/null &
    echo \$! >"$TEST_TMP/milter.pid"
    for i in \$(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
    echo "start \$LOAD_HOOK_N" >>"$TEST_TMP/faults" ;;
esac
EOF
chmod +x "$TEST_TMP/fault.sh"

start=$(date +%s)
LOAD_HOOK_EVERY=$((MESSAGES / 10)) LOAD_HOOK_CMD="$TEST_TMP/fault.sh" \
    python3 "$here/milter/smtpload.py" "127.0.0.1:$SMTPD_PORT" "$SESSIONS" \
    "$TEST_TMP/jobs" "$TEST_TMP/results"
ok $? "all $MESSAGES messages sent, an answer for each"
secs=$(($(date +%s) - start))
is "$(tr '\n' ' ' <"$TEST_TMP/faults")" "kill 2 start 3 kill 4 start 5 kill 6 start 7 " \
    "deptmilter killed (SIGKILL) and restarted three times during the run"
delivered=$(awk -F'\t' '$2 == "delivered"' "$TEST_TMP/results" | wc -l)
pf_wait_delivered "$TEST_TMP" "$delivered" 120
ok $? "Postfix delivered every queued message to the sink ($delivered)"

load_check "" "$TEST_TMP/query"
diag "milter killed: $LOAD_SUMMARY in $secs s"
is "$((LOAD[delivered] + LOAD[rejected] + LOAD[tempfailed]))" "$MESSAGES" \
    "sent = delivered + rejected + tempfailed (${LOAD[delivered]} + ${LOAD[rejected]} + ${LOAD[tempfailed]})"
ok $((LOAD[tempfailed] == 0)) "messages sent while deptmilter was down were told 4xx (${LOAD[tempfailed]})"
is "${LOAD[error]}" 0 "no SMTP session broke"
is "${LOAD[lost]}/${LOAD[extra]}" "0/0" "no queued message lost; nothing told 4xx reached the sink"
is "${LOAD[wrong]}" 0 "no message misrouted: every delivery and refusal as the rules say"
# a tempfailed message: some 4xx answer (to RCPT, DATA or the end of it)
bad=$(awk -F'\t' '$2 == "tempfailed" && !($3 ~ /=4[0-9][0-9]/ || $4 ~ /^4/)' "$TEST_TMP/results" | head -3)
is "$bad" "" "every tempfailed message got a 4xx answer"
tail -$((MESSAGES / 10)) "$TEST_TMP/results" >"$TEST_TMP/last"
last=$(cut -f2 "$TEST_TMP/last" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
grep -q $'\ttempfailed\t' "$TEST_TMP/last"
ok $((!$?)) "after the last restart, mail flows again (last $((MESSAGES / 10)) messages:$last)"
