#!/bin/bash
# shadow_map: a candidate map beside the one in service.  A private
# Postfix with deptmilter, the map from tests/milter/departments.rules (A)
# and the shadow map from tests/milter/shadow.rules (B: a member added, a
# target changed, a policy changed, a department added, every rule moved).
# SMTP replies, delivered recipients and the decision's own log lines are
# those of A, byte for byte as without a shadow map; the log has exactly
# one "shadow:" line per recipient whose answer differs, none for the
# others; the shadow map replaced on disk is picked up; a missing one is a
# warning and mail flows; the stats count the differences; the socketmap
# logs each difference once, as it logs its own decisions.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks postmap

plan 27

milter_postfix_up
SHADOW=$TEST_TMP/candidate.cdb
cp "$here/milter/shadow.rules" "$TEST_TMP/candidate.rules"
"$DEPTMAP_BIN" compile -o "$SHADOW" "$TEST_TMP/candidate.rules" && chmod 0644 "$SHADOW" ||
    bail_out "the candidate map did not compile"
SM=$TEST_TMP/socketmap.sock
SOCK=$TEST_TMP/deptmilter.sock

RCPTS=alice@sales.example.com,erin@sales.example.com,team@sales.example.com
RCPTS=$RCPTS,x@lab.example.com,bob@new.example.com,carol@example.net,dave@ops.example.com

# send -- the message to RCPTS; sets OUT (the dialogue), REPLIES (each
# RCPT and its reply), QID, GOT (the recipients the sink received) and
# LINES (deptmilter's log lines about the message, the queue id as QID)
send() {
    OUT=$(smtp_send sender@example.net "$RCPTS")
    REPLIES=$(awk '/^ -> RCPT TO:/ { r = $0; getline; print r " " $0 }' <<<"$OUT" | tr -d '\r')
    QID=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$OUT")
    GOT=
    LINES=
    if [ -z "$QID" ] || ! pf_wait_delivered "$TEST_TMP" 1 20 >&2; then
        diag "$OUT"
        return 1
    fi
    GOT=$(sink_rcpts "$TEST_TMP")
    sink_clear "$TEST_TMP"
    milter_wait_log "^$QID: (would )?rewrite: to=<team@" 5
    LINES=$(grep -E "^(NOQUEUE|$QID): " "$MILTER_LOG" | sed "s/^$QID:/QID:/")
}

# restart KEY=VALUE... -- deptmilter again with these config lines
restart() {
    milter_stop
    milter_conf "$TEST_TMP" "unix:$SOCK" "$@"
    milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
}

# 1. without a shadow map: what A alone does
send
ok $? "without shadow_map: the message is accepted and delivered"
replies_a=$REPLIES got_a=$GOT lines_a=$LINES
like "$replies_a" "RCPT TO:<erin@sales\\.example\\.com> <\\*\\* 550 5\\.1\\.1 No such person in Sales" \
    "without shadow_map: erin@sales is refused by A"

# 2. the same message with the shadow map (and the socketmap) on
restart "shadow_map=$SHADOW" "socketmap=unix:$SM"
like "$(milter_log_lines '^shadow: loaded')" \
    "^shadow: loaded $SHADOW generation=1 records=[0-9]+ digest=[0-9a-f]+\$" \
    "start: 'shadow: loaded' line with its own generation"
send
ok $? "with shadow_map: the message is accepted and delivered"
is "$REPLIES" "$replies_a" "SMTP replies to every RCPT: those of A, as without the shadow map"
is "$GOT" "$got_a" "delivered recipients: those of A, as without the shadow map"
is "$(grep -v ': shadow: ' <<<"$LINES")" "$lines_a" \
    "the decision's own log lines: byte for byte as without the shadow map"
shadow=$(grep ': shadow: ' <<<"$LINES")
is "$shadow" "QID: shadow: to=<erin@sales.example.com> now=REJECT (550 5.1.1 No such person in Sales) candidate=REWRITE (<erin@example.com>) rule=departments.rules:11 candidate_rule=candidate.rules:9
QID: shadow: to=<team@sales.example.com> now=REWRITE (<alice@example.com>, <carol@example.com>) candidate=REWRITE (<alice@example.com>, <dave@example.com>) rule=departments.rules:9 candidate_rule=candidate.rules:11
QID: shadow: to=<x@lab.example.com> now=PASS candidate=REJECT (550 5.1.1 Nobody by that name in the Lab) rule=departments.rules:24 candidate_rule=candidate.rules:26
QID: shadow: to=<bob@new.example.com> now=PASS candidate=REWRITE (<bob@example.com>) rule=- candidate_rule=candidate.rules:29" \
    "one shadow line per differing recipient (member added, target changed, policy changed, department added), none for the equal answers (alice, dave: rules moved only; carol@example.net)"

# the stats count the differences, under the department of the answer in
# service (the candidate's for an address outside every department now)
kill -USR2 "$MILTER_PID"
milter_wait_log '^stats: department=sales\.example\.com ' 5
is "$(milter_log_lines '^stats: ')" "stats: department=- pass=2 reject=0 rewrite=0 tempfail=0 shadow=0
stats: department=eng.example.com pass=0 reject=0 rewrite=0 tempfail=0 shadow=0
stats: department=lab.example.com pass=1 reject=0 rewrite=0 tempfail=0 shadow=1
stats: department=new.example.com pass=0 reject=0 rewrite=0 tempfail=0 shadow=1
stats: department=ops.example.com pass=0 reject=0 rewrite=1 tempfail=0 shadow=0
stats: department=sales.example.com pass=0 reject=1 rewrite=2 tempfail=0 shadow=2" \
    "stats: every line has shadow=N, the differences counted per department"

# the socketmap: answers of A; each difference logged once, by the table
# that logs the decision in service at info (as Postfix asks: access at
# RCPT, then virtual in cleanup for what was not refused)
PFC=$TEST_TMP/postmap-conf
mkdir -p "$PFC" && echo "compatibility_level = 3.6" >"$PFC/main.cf"
pq() {
    postmap -c "$PFC" -q "$2" "socketmap:unix:$SM:$1" 2>&1 || echo NOTFOUND
}
answers=
for a in alice@sales.example.com erin@sales.example.com team@sales.example.com \
         x@lab.example.com bob@new.example.com; do
    answers="$answers$a access=$(pq access "$a") virtual=$(pq virtual "$a")
"
done
is "$answers" "alice@sales.example.com access=NOTFOUND virtual=alice@example.com
erin@sales.example.com access=550 5.1.1 No such person in Sales virtual=NOTFOUND
team@sales.example.com access=NOTFOUND virtual=alice@example.com,carol@example.com
x@lab.example.com access=NOTFOUND virtual=NOTFOUND
bob@new.example.com access=NOTFOUND virtual=NOTFOUND
" "socketmap: every answer is A's"
milter_wait_log '^socketmap: shadow: to=<bob@new' 5
is "$(milter_log_lines '^socketmap: shadow: ' | sed 's/ client=postmap\[[0-9]*\]$//')" \
    "socketmap: shadow: to=<erin@sales.example.com> now=REJECT (550 5.1.1 No such person in Sales) candidate=REWRITE (<erin@example.com>) rule=departments.rules:11 candidate_rule=candidate.rules:9 table=access
socketmap: shadow: to=<team@sales.example.com> now=REWRITE (<alice@example.com>, <carol@example.com>) candidate=REWRITE (<alice@example.com>, <dave@example.com>) rule=departments.rules:9 candidate_rule=candidate.rules:11 table=virtual
socketmap: shadow: to=<x@lab.example.com> now=PASS candidate=REJECT (550 5.1.1 Nobody by that name in the Lab) rule=departments.rules:24 candidate_rule=candidate.rules:26 table=virtual
socketmap: shadow: to=<bob@new.example.com> now=PASS candidate=REWRITE (<bob@example.com>) rule=- candidate_rule=candidate.rules:29 table=virtual" \
    "socketmap: one shadow line per differing address although both tables were asked, none for alice"

# the candidate replaced on disk: picked up without a restart
sed 's/^    members alice bob carol$/    members alice bob carol erin/' \
    "$here/milter/departments.rules" >"$TEST_TMP/candidate.rules"
"$DEPTMAP_BIN" compile -o "$TEST_TMP/new.cdb" "$TEST_TMP/candidate.rules" &&
    chmod 0644 "$TEST_TMP/new.cdb" && mv "$TEST_TMP/new.cdb" "$SHADOW"
milter_wait_log "^shadow: loaded $SHADOW generation=2 " 5
ok $? "the shadow map replaced on disk is loaded (shadow: loaded ... generation=2)"
is "$(milter_log_lines '^map: loaded' | wc -l)" 1 "the map in service is not reloaded with it"
send
ok $? "after the reload: the message is delivered"
is "$REPLIES/$GOT" "$replies_a/$got_a" "after the reload: replies and recipients still those of A"
is "$(grep ': shadow: ' <<<"$LINES")" "QID: shadow: to=<erin@sales.example.com> now=REJECT (550 5.1.1 No such person in Sales) candidate=REWRITE (<erin@example.com>) rule=departments.rules:11 candidate_rule=candidate.rules:7" \
    "after the reload: the new candidate's one difference, and only it"

# the candidate renamed into place: the shadow map is gone, a warning
rm -f "$SHADOW"
milter_wait_log "^shadow: warning: cannot load $SHADOW: No such file or directory; no shadow decisions until it loads\$" 5
ok $? "the shadow map removed: one warning, no shadow decisions"
send
ok $? "without its shadow map: the message is delivered"
is "$REPLIES/$GOT" "$replies_a/$got_a" "without its shadow map: replies and recipients those of A"
is "$(grep -c ': shadow: ' <<<"$LINES")" 0 "without its shadow map: no shadow lines"
is "$(milter_log_lines '^shadow: warning' | wc -l)" 1 \
    "the missing shadow map is logged once, not at every check or message"

# a shadow map missing at start: a warning, -t passes, mail flows
milter_conf "$TEST_TMP" "unix:$SOCK" "shadow_map=$TEST_TMP/missing.cdb"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1)
is "$?/$out" "0/shadow: warning: cannot load $TEST_TMP/missing.cdb: No such file or directory; no shadow decisions until it loads" \
    "deptmilter -t: a missing shadow map is a warning, exit 0"
restart "shadow_map=$TEST_TMP/missing.cdb"
send
ok $? "started without its shadow map: the message is delivered"
is "$REPLIES/$GOT" "$replies_a/$got_a" "started without its shadow map: replies and recipients those of A"
is "$(milter_log_lines '(^|: )shadow: ' | sed "s|$TEST_TMP|T|")" \
    "shadow: warning: cannot load T/missing.cdb: No such file or directory; no shadow decisions until it loads" \
    "started without its shadow map: the warning once, no shadow lines"

# dry_run changes the decision's effect, never the shadow comparison
cp "$here/milter/shadow.rules" "$TEST_TMP/candidate.rules"
"$DEPTMAP_BIN" compile -o "$SHADOW" "$TEST_TMP/candidate.rules"
restart "shadow_map=$SHADOW" dry_run=yes
send
ok $? "dry_run with a shadow map: the message is delivered"
is "$(grep ': shadow: ' <<<"$LINES")" "$shadow" \
    "dry_run: the same shadow lines as without it (no 'would')"
