#!/bin/bash
# Restarts while mail flows lose and tempfail nothing for the socketmap
# too.  A private Postfix with INSTALL's recommended setup
# (postfix/main.cf.snippet verbatim: relay_domains, virtual_alias_maps,
# transport_maps and check_recipient_access on deptmilter's socketmap,
# and the milter) takes mail over SMTP and through sendmail(1), which
# meets only the socketmap (pickup, cleanup, trivial-rewrite), while
# deptmilter is restarted through its units' own commands
# (tests/milter/sockact.py plays systemd: deptmilter.socket holds the
# milter's socket and the socketmap's) and then by "deptmilter -R"
# handovers.  Postfix's socketmap client retries a request once on a new
# connection when its connection is closed, but a connection that finds
# no socket is a lookup error (451 4.3.0 at RCPT, a deferred message):
# so every message is delivered or refused as the rules say, rewritten
# once, none is told 4xx, none is lost, and Postfix logs no lookup error
# and defers nothing.  Then, step by step: a request on a connection of
# the old process while it drains is answered; once its milter sessions
# have ended it closes the connection and the client's next request
# reaches the new process.
#
# RESTART_MESSAGES (default 400) and RESTARTS (default 4) size the unit
# run (SMTP messages; sendmail(1) sends meanwhile, at most as many); the
# handover run is half of it.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/unit.sh"

milter_postfix_require python3 sendmail

MESSAGES=${RESTART_MESSAGES:-400}
RESTARTS=${RESTARTS:-4}

plan 23

tmpdir_make
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
milter_map "$TEST_TMP" || bail_out "the test map did not compile"
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"
sock=$TEST_TMP/deptmilter.sock
SM=$TEST_TMP/socketmap.sock
pidf=$TEST_TMP/run/deptmilter.pid

# SMTP: members, an alias, a refusal at RCPT (the access table), a
# department that passes, outside any department; sendmail(1): only
# what is delivered (a refusal would bounce, by transport_maps).  No two
# recipients of a message share a target: cleanup's expansion keeps one
# copy per original recipient (INSTALL: what each setup gives).
mixes=(alice@sales.example.com info@sales.example.com nobody@sales.example.com
       zoe@eng.example.com x@example.net
       alice@sales.example.com,carol@sales.example.com,nobody@sales.example.com)
smmixes=(bob@sales.example.com info@sales.example.com team@sales.example.com
         zoe@eng.example.com y@example.net alice@sales.example.com,zoe@eng.example.com)
printf '%s\n' "${mixes[@]}" "${smmixes[@]}" | tr ',' '\n' | sort -u |
    "$DEPTMAP_BIN" query -m "$MILTER_MAP" - >"$TEST_TMP/query" ||
    bail_out "deptmap query failed"

# sendmail_flow NAME MAX - SENDERS loops of sendmail(1), each one message
# after another until DIR/stop.NAME exists (at most MAX in all); jobs and
# results in smtpload.py's form (a message sendmail took is "delivered"
# with 250 for each rcpt); the count in DIR/sent.NAME
SENDERS=4
sendmail_flow() {
    local name=$1 max=$2 w
    for ((w = 0; w < SENDERS; w++)); do
        sendmail_loop "$name-sm$w" $((max / SENDERS)) "$TEST_TMP/jobs.sm.$name" \
            "$TEST_TMP/results.sm.$name" "$TEST_TMP/stop.$name" &
    done
    wait
    grep -c . "$TEST_TMP/results.sm.$name" >"$TEST_TMP/sent.$name"
}
sendmail_loop() {
    local id=$1 max=$2 jobs=$3 results=$4 stop=$5 i=0 rcpts codes
    while [ ! -e "$stop" ] && [ "$i" -lt "$max" ]; do
        rcpts=${smmixes[i % ${#smmixes[@]}]}
        printf '%s-%d\t%s\n' "$id" "$i" "$rcpts" >>"$jobs"
        codes=$(tr ',' '\n' <<<"$rcpts" | sed 's/$/=250/' | paste -sd,)
        if printf 'From: load@example.net\nSubject: sendmail %d\nX-Load-Id: %s-%d\n\nbody\n' \
               "$i" "$id" "$i" |
               MAIL_CONFIG=$PF_CONF sendmail -f load@example.net ${rcpts//,/ }; then
            printf '%s-%d\tdelivered\t%s\t250\n' "$id" "$i" "$codes"
        else
            printf '%s-%d\terror\t%s\t0\n' "$id" "$i" "${codes//250/0}"
        fi >>"$results"
        i=$((i + 1))
    done
}

# pf_socketmap_trouble - what Postfix logs when a table lookup fails or
# mail waits: the socketmap's lookup errors, a 4.3.0, a deferral
pf_socketmap_trouble() {
    grep -iE 'lookup (error|failure|problem)|Temporary lookup failure|4\.3\.0|status=deferred|try again later' "$PF_MAILLOG"
}
pf_milter_trouble() {
    grep -iE '(milter|4\.7\.1).*(4\.7\.1|connect|refused|No such file|timeout|read|write|lost)' "$PF_MAILLOG"
}

# flow NAME HOW MESSAGES RESTARTS - send MESSAGES over 10 SMTP sessions and
# through sendmail(1) meanwhile, restarting deptmilter (HOW: unit or
# handover) RESTARTS times, evenly; then check every message
flow() {
    local name=$1 how=$2 messages=$3 restarts=$4 i delivered smpid sent
    for ((i = 0; i < messages; i++)); do
        printf '%s-%d\t%s\n' "$name" "$i" "${mixes[i % ${#mixes[@]}]}"
    done >"$TEST_TMP/jobs.smtp.$name"
    sink_clear "$TEST_TMP"
    : >"$TEST_TMP/restarts.$name"
    : >"$TEST_TMP/jobs.sm.$name"
    : >"$TEST_TMP/results.sm.$name"
    : >"$PF_MAILLOG"
    local start=$(date +%s)
    sendmail_flow "$name" "$messages" &
    smpid=$!
    unit_load_restarting "$how" "$restarts" "$pidf" "$TEST_TMP/restarts.$name" \
        "$TEST_TMP/jobs.smtp.$name" "$TEST_TMP/results.smtp.$name"
    ok $? "$name: all $messages SMTP messages sent, an answer for each"
    touch "$TEST_TMP/stop.$name"
    wait "$smpid"
    sent=$(cat "$TEST_TMP/sent.$name")
    cat "$TEST_TMP/jobs.smtp.$name" "$TEST_TMP/jobs.sm.$name" >"$TEST_TMP/jobs.$name"
    cat "$TEST_TMP/results.smtp.$name" "$TEST_TMP/results.sm.$name" >"$TEST_TMP/results.$name"
    unit_restarts_made "$name" "$how" "$restarts" "$TEST_TMP/restarts.$name"
    ok "$([ "$sent" -ge 20 ]; echo $?)" "$name: sendmail(1) sent $sent messages meanwhile"
    delivered=$(awk -F'\t' '$2 == "delivered"' "$TEST_TMP/results.$name" | wc -l)
    pf_wait_delivered "$TEST_TMP" "$delivered" 120
    load_check "$name" "$TEST_TMP/query"
    diag "$name: $messages SMTP + $sent sendmail(1), $restarts restarts ($how): $LOAD_SUMMARY in $(($(date +%s) - start)) s"
    is "${LOAD[tempfailed]}/${LOAD[error]}" "0/0" "$name: no message tempfailed, no session or sendmail(1) failed"
    is "${LOAD[lost]}/${LOAD[extra]}/${LOAD[wrong]}" "0/0/0" \
        "$name: none lost, none twice, each rewritten once and refused as the rules say"
    is "$(pf_socketmap_trouble | wc -l)" 0 \
        "$name: Postfix logged no lookup error and deferred nothing" ||
        diag "$(pf_socketmap_trouble | head -5)"
    is "$(pf_milter_trouble | wc -l)" 0 "$name: and never found the milter missing" ||
        diag "$(pf_milter_trouble | head -5)"
    cp "$PF_MAILLOG" "$TEST_TMP/maillog.$name"
}

# ---- the units: both sockets held by "systemd"
milter_conf "$TEST_TMP" "unix:$sock" socketmap="unix:$SM" pid_file="$pidf"
unit_up "$TEST_TMP" "unix:$sock,unix:$SM" ||
    { cat "$TEST_TMP/unit.log" >&2; bail_out "the unit did not start"; }
milter_postfix_recommended "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "unix:$SM" ||
    bail_out "Postfix did not start"
ino=$(stat -c %i "$SM")
flow unit unit "$MESSAGES" "$RESTARTS"
is "$(stat -c %i "$SM" 2>&1)" "$ino" "unit: the socketmap's socket is the one systemd made, never replaced"
is "$(grep '^stop ' "$UNIT_EVENTS" | grep -vc 'status=0$')" 0 "unit: each old process exited 0"
diag "unit: SIGTERM to exit (ms): $(sed -n 's/^stop pid=[0-9]* ms=\([0-9]*\).*/\1/p' "$UNIT_EVENTS" | tr '\n' ' ')"
unit_down
ok "$([ -S "$SM" ]; echo $?)" "unit: the socketmap's path stays at the stop: it is systemd's"

# ---- an explicit handover, without systemd: deptmilter -R while mail flows
rm -f "$SM" "$sock"
"$MILTER_BIN" -c "$MILTER_CONF" 2>"$TEST_TMP/handover.log" || bail_out "deptmilter did not start"
cleanup_add 'kill -TERM $(cat "$pidf" 2>/dev/null) 2>/dev/null'
ino=$(stat -c %i "$SM")
flow handover handover $((MESSAGES / 2)) 2
is "$(stat -c %i "$SM" 2>&1)" "$ino" "handover: the socketmap's socket was handed over, never replaced"

# ---- step by step: a request on an old connection while the old process
# drains is answered; then the connection is closed and the client's next
# request, on a new connection, reaches the new process.  Both in the
# foreground, their logs apart.
p=$(cat "$pidf")
kill -TERM "$p"
for _ in $(seq 500); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
"$MILTER_BIN" -f -c "$MILTER_CONF" 2>"$TEST_TMP/old.log" &
old=$!
for _ in $(seq 500); do grep -q '^socketmap: listening' "$TEST_TMP/old.log" && break; sleep 0.02; done
out=$(PYTHONPATH="$here/milter" python3 - "$sock" "$SM" "$MILTER_BIN" "$MILTER_CONF" "$old" \
      "$TEST_TMP" <<'PY'
import os, socket, subprocess, sys, time
from mtclient import Milter
msock, sm, binary, conf, old, tmp = sys.argv[1:5] + [int(sys.argv[5]), sys.argv[6]]

def wait_log(path, text):
    for _ in range(1000):
        if text in open(path).read():
            return True
        time.sleep(0.01)
    return False

def ns(b):
    return b"%d:%s," % (len(b), b)

def ask(s, key):
    s.sendall(ns(b"virtual " + key))
    buf = b""
    while True:
        c = s.recv(4096)
        if not c:
            return "closed"
        buf += c
        head, _, rest = buf.partition(b":")
        if rest and len(rest) >= int(head) + 1:
            return rest[:int(head)].decode()

def alive(pid):
    return not gone(pid)

def gone(pid):
    try:
        return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True

m = Milter(msock, timeout=30)            # a milter session: the drain waits for it
m.negotiate()
c = socket.socket(socket.AF_UNIX)
c.connect(sm)
c.settimeout(10)
print("before:", ask(c, b"alice@sales.example.com"))
new = subprocess.Popen([binary, "-R", "-f", "-c", conf], stdout=subprocess.DEVNULL,
                       stderr=open(tmp + "/new.log", "w"))
print("new serving:", wait_log(tmp + "/new.log", "handover: deptmilter pid %d takes" % old))
print("old draining:", wait_log(tmp + "/old.log", "waiting for 1 open session"))
print("draining:", ask(c, b"bob@sales.example.com"), "old alive:", alive(old))
m.close()                                # the drain ends
for _ in range(1000):                    # a zombie: the shell reaps it later
    if gone(old):
        break
    time.sleep(0.01)
print("old exited:", gone(old))
try:
    got = ask(c, b"carol@sales.example.com")
except OSError as e:
    got = "closed (%s)" % e.__class__.__name__
print("old connection:", "closed" if got.startswith("closed") else got)
c = socket.socket(socket.AF_UNIX)        # what Postfix's client does then
c.connect(sm)
c.settimeout(10)
print("new connection:", ask(c, b"carol@sales.example.com"))
PY
)
note "$out"
wait "$old"
is "$?" 0 "drain: the old process exited 0"
like "$out" "before: OK alice@example.com" "drain: the running process answers"
like "$out" "new serving: True.*old draining: True.*draining: OK bob@example.com old alive: True" \
    "drain: a request on its connection while it drains (a milter session open) is answered"
like "$out" "old exited: True.*old connection: closed" \
    "drain: once its sessions ended it closed the connection and exited"
like "$out" "new connection: OK carol@example.com" \
    "drain: the client's next connection reaches the new process"
