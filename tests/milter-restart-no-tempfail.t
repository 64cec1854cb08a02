#!/bin/bash
# Restarts while mail flows lose nothing and tempfail nothing.  deptmilter
# runs under its own systemd units, played by tests/milter/sockact.py:
# the socket of deptmilter.socket is held across the restarts, and
# "systemctl restart" is deptmilter.service's stop (SIGTERM, wait for the
# exit) then start (ExecStartPre, ExecStart).  Mail flows through a private
# Postfix with the snippet's milter_default_action = tempfail while
# deptmilter is restarted several times: every message is delivered or
# rejected as the rules say, none is told 4xx, none is lost.  A session in
# progress at the stop ends on the old process, and a session that
# begins meanwhile waits in the socket's queue for the new one.  Over
# unix: and inet:.  (Before: 7 of 40 messages got 451 4.7.1.)
#
# RESTART_MESSAGES (default 400) and RESTARTS (default 4) size the unix
# run; the inet run is half of it.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/unit.sh"

milter_postfix_require python3

MESSAGES=${RESTART_MESSAGES:-400}
RESTARTS=${RESTARTS:-4}

plan 26

tmpdir_make
read -r SMTPD_PORT SINK_PORT MILTER_PORT <<<"$(free_port 3)"
milter_map "$TEST_TMP" || bail_out "the test map did not compile"
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"
sock=$TEST_TMP/deptmilter.sock

mixes=(alice@sales.example.com info@sales.example.com nobody@sales.example.com
       zoe@eng.example.com x@example.net
       alice@sales.example.com,carol@sales.example.com,info@sales.example.com)
printf '%s\n' "${mixes[@]}" | tr ',' '\n' | sort -u |
    "$DEPTMAP_BIN" query -m "$MILTER_MAP" - >"$TEST_TMP/query" ||
    bail_out "deptmap query failed"


# the pid file the restarts read (tests/milter/restart-hook.sh)
pidf=$TEST_TMP/run/deptmilter.pid

# flow NAME HOW MESSAGES RESTARTS - send MESSAGES over 10 sessions,
# restarting deptmilter (HOW: unit or handover) RESTARTS times, evenly,
# while they flow; then check every message
flow() {
    local name=$1 how=$2 messages=$3 restarts=$4 i delivered
    for ((i = 0; i < messages; i++)); do
        printf '%s-%d\t%s\n' "$name" "$i" "${mixes[i % ${#mixes[@]}]}"
    done >"$TEST_TMP/jobs.$name"
    sink_clear "$TEST_TMP"
    : >"$TEST_TMP/restarts.$name"
    local start=$(date +%s)
    unit_load_restarting "$how" "$restarts" "$pidf" "$TEST_TMP/restarts.$name" \
        "$TEST_TMP/jobs.$name" "$TEST_TMP/results.$name"
    ok $? "$name: all $messages messages sent, an answer for each"
    unit_restarts_made "$name" "$how" "$restarts" "$TEST_TMP/restarts.$name"
    delivered=$(awk -F'\t' '$2 == "delivered"' "$TEST_TMP/results.$name" | wc -l)
    pf_wait_delivered "$TEST_TMP" "$delivered" 120
    load_check "$name" "$TEST_TMP/query"
    diag "$name: $LOAD_SUMMARY in $(($(date +%s) - start)) s"
    is "${LOAD[tempfailed]}/${LOAD[error]}" "0/0" "$name: no message tempfailed, no session broke" ||
        diag "$(grep -E 'warning|error|fatal' "$PF_MAILLOG" | head -5)"
    cp "$PF_MAILLOG" "$TEST_TMP/maillog.$name"
    is "${LOAD[lost]}/${LOAD[extra]}/${LOAD[wrong]}" "0/0/0" \
        "$name: none lost, none twice, every delivery and refusal as the rules say"
    ok "$(( LOAD[delivered] + LOAD[rejected] == messages && LOAD[rejected] > 0 ? 0 : 1 ))" \
        "$name: delivered ${LOAD[delivered]} + rejected ${LOAD[rejected]} = $messages"
}

# ---- unix: the socket held by "systemd"
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/deptmilter.pid"
unit_up "$TEST_TMP" "unix:$sock" || { cat "$TEST_TMP/unit.log" >&2; bail_out "the unit did not start"; }
like "$(cat "$UNIT_EVENTS")" "^start pid=[0-9]+ " "deptmilter started by the unit's commands, on the unit's socket"
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" || bail_out "Postfix did not start"
flow unix unit "$MESSAGES" "$RESTARTS"
bad=$(grep '^stop ' "$UNIT_EVENTS" | grep -v 'status=0$')
is "$bad" "" "unix: each old process exited 0"
diag "unix: SIGTERM to exit (ms): $(sed -n 's/^stop pid=[0-9]* ms=\([0-9]*\).*/\1/p' "$UNIT_EVENTS" | tr '\n' ' ')"
pf_milter_trouble() {
    grep -iE '(milter|4\.7\.1).*(4\.7\.1|connect|refused|No such file|timeout|read|write|lost)' "$PF_MAILLOG"
}
is "$(pf_milter_trouble | wc -l)" 0 \
    "unix: Postfix never found the milter socket missing, refused or silent" ||
    diag "$(pf_milter_trouble | head -5)"

# ---- a long session: in progress at the stop, it ends on the old
# process; one that begins meanwhile waits for the new one
sink_clear "$TEST_TMP"
old=$(unit_main_pid)
out=$(python3 - "$SMTPD_PORT" "$UNIT_FIFO" "$UNIT_EVENTS" "$old" <<'PY'
import smtplib, sys, threading, time
port, fifo, events, old = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s1 = smtplib.SMTP("127.0.0.1", port, timeout=60)
s1.ehlo("one.test")
s1.mail("<a@example.net>")
print("s1 rcpt", s1.rcpt("<alice@sales.example.com>")[0])
with open(fifo, "w") as f:
    f.write("restart\n")
for _ in range(3000):                        # the old one has its SIGTERM
    if ("stopping pid=%s\n" % old) in open(events).read():
        break
    time.sleep(0.01)
box = {}
def second():
    t0 = time.monotonic()
    s2 = smtplib.SMTP("127.0.0.1", port, timeout=60)   # greeting waits for the milter
    box["wait"] = time.monotonic() - t0
    s2.ehlo("two.test")
    s2.mail("<b@example.net>")
    box["rcpt"] = s2.rcpt("<bob@sales.example.com>")[0]
    box["data"] = s2.data(b"Subject: two\r\n\r\ntwo\r\n")[0]
    s2.quit()
t = threading.Thread(target=second)
t.start()
time.sleep(0.5)                              # the second one is waiting now
print("s1 data", s1.data(b"Subject: one\r\n\r\none\r\n")[0])
s1.quit()
t.join()
print("s2 rcpt", box.get("rcpt"), "data", box.get("data"))
print("s2 waited %d ms" % (box.get("wait", 99) * 1000))
PY
)
note "$out"
like "$out" "s1 rcpt 250.*s1 data 250" "a session open at the restart ends on the old process (250 at end of DATA)"
like "$out" "s2 rcpt 250 data 250" "a session that began during the stop is served by the new one"
ms=$(sed -n 's/^s2 waited \([0-9]*\) ms$/\1/p' <<<"$out")
ok "$([ -n "$ms" ] && [ "$ms" -lt 30000 ]; echo $?)" \
    "it waited ${ms:-?} ms, below milter_command_timeout (30 s)"
pf_wait_delivered "$TEST_TMP" 2 60
is "$(sink_rcpts "$TEST_TMP" | tr '\n' ' ')" \
    "<alice@example.com> ORCPT=rfc822;alice@sales.example.com <bob@example.com> ORCPT=rfc822;bob@sales.example.com " \
    "both rewritten as the rules say"
ok "$([ "$(unit_main_pid)" != "$old" ]; echo $?)" "and a new process serves now"
unit_down

# ---- an explicit handover, without systemd: deptmilter -R while mail flows
milter_conf "$TEST_TMP" "unix:$sock" pid_file="$TEST_TMP/run/deptmilter.pid"
"$MILTER_BIN" -c "$MILTER_CONF" 2>"$TEST_TMP/handover.log" || bail_out "deptmilter did not start"
cleanup_add 'kill -TERM $(cat "$TEST_TMP/run/deptmilter.pid")'
flow handover handover $((MESSAGES / 2)) 2
is "$(pf_milter_trouble | wc -l)" 0 "handover: Postfix never found the milter socket missing, refused or silent" ||
    diag "$(pf_milter_trouble | head -5)"
p=$(cat "$TEST_TMP/run/deptmilter.pid")
kill -TERM "$p"
for _ in $(seq 500); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
ok "$([ ! -e "$TEST_TMP/run/deptmilter.pid" ] && [ ! -e "$TEST_TMP/run/deptmilter.ctl" ]; echo $?)" \
    "handover: the last one removes the pid file and the control socket at its stop"

# ---- inet: the same, over TCP
milter_conf "$TEST_TMP" "inet:$MILTER_PORT@127.0.0.1" pid_file="$TEST_TMP/run/deptmilter.pid"
rm -f "$UNIT_FIFO"
unit_up "$TEST_TMP" "inet:$MILTER_PORT@127.0.0.1" || { cat "$TEST_TMP/unit.log" >&2; bail_out "the unit did not start (inet)"; }
: >"$PF_MAILLOG"
pf_postconf "deptmilter_socket = inet:127.0.0.1:$MILTER_PORT" || bail_out "postfix reload failed"
flow inet unit $((MESSAGES / 2)) $(( (RESTARTS + 1) / 2 ))
is "$(pf_milter_trouble | wc -l)" 0 "inet: Postfix never found the milter refused or silent" ||
    diag "$(pf_milter_trouble | head -5)"
