#!/bin/bash
# demo.sh - deptmilter's main job, end to end on loopback (make demo)
#
# Compiles examples/departments.rules, starts smtp-sink, a private Postfix
# (its own config and queue under a temporary folder, never the system's)
# with postfix/main.cf.snippet (INSTALL's recommended setup) attached, and
# deptmilter as its milter and its socketmap on unix sockets; sends a few
# messages with swaks and one with sendmail(1); shows the SMTP replies,
# the envelope recipients that reached the sink and deptmilter's log
# lines; runs
# deptmap test on the example's tests file and deptmap diff between the
# example and a changed copy of it; then stops everything and removes the
# folder.  KEEP_TMP=1 keeps it.
# SPDX-License-Identifier: BSD-2-Clause

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/postfix.sh"
. "$top/tests/lib/milter.sh"
trap '_tap_cleanup' EXIT		# a demo, not a test: no TAP summary

die() {
    echo "demo: $*" >&2
    exit 1
}

pf_require || die "needs root, postfix and smtp-sink (make deps)"
command -v swaks >/dev/null || die "needs swaks (make deps)"
tmpdir_make DEMO || die "no temporary folder"
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"

# setup - rules compiled, deptmilter and Postfix running
setup() {
    cp "$top/examples/sales.txt" "$DEMO/" || return 1
    milter_map "$DEMO" "$top/examples/departments.rules" || return 1
    milter_conf "$DEMO" "unix:$DEMO/deptmilter.sock" "socketmap=unix:$DEMO/socketmap.sock" ||
	return 1
    milter_start "$DEMO" || return 1
    milter_postfix_recommended "$DEMO" "$SMTPD_PORT" "$SINK_PORT" \
	"unix:$DEMO/deptmilter.sock" "unix:$DEMO/socketmap.sock"
}

# arrived - what reached the sink, then empty it
arrived() {
    pf_wait_delivered "$DEMO" 1 20 >/dev/null 2>&1 || echo "  (not delivered in 20 s)"
    echo "  reached the sink:"
    sink_rcpts "$DEMO" | sed 's/^/    /'
    sink_clear "$DEMO"
}

# local WHAT RCPT - one message through sendmail(1): no SMTP, no milter
local_send() {
    printf '\n%s\n  sendmail -f sender@example.net %s\n' "$1" "$2"
    printf 'Subject: %s\n\nbody\n' "$1" |
	MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net "$2" || echo "  (sendmail failed)"
    arrived
}

# send WHAT RCPT - one message; its RCPT reply and what reached the sink
send() {
    local what=$1 rcpt=$2 out reply
    out=$(swaks --server "127.0.0.1:$SMTPD_PORT" --from sender@example.net \
		--to "$rcpt" --header "Subject: $what" 2>&1)
    reply=$(sed -n '/^ -> RCPT TO:/{n;s/^<[-*]* *//;s/\r$//;p;q}' <<<"$out")
    printf '\n%s\n  RCPT TO:<%s>\n  Postfix answers: %s\n' "$what" "$rcpt" "$reply"
    case $reply in
    2*) arrived ;;
    *) echo "  (refused during the SMTP dialogue: nothing is queued, no bounce)" ;;
    esac
}

echo "== deptmilter demo, everything under $DEMO, loopback only"
setup >"$DEMO/setup.log" 2>&1 || { cat "$DEMO/setup.log"; die "setup failed"; }
echo "== rules: examples/departments.rules (compiled with deptmap compile)"
echo "== Postfix on 127.0.0.1:$SMTPD_PORT; deptmilter: milter on unix:$DEMO/deptmilter.sock,"
echo "   socketmap on unix:$DEMO/socketmap.sock; mail relayed to smtp-sink on 127.0.0.1:$SINK_PORT"

send "1. a member of Sales" alice@sales.example.com
send "2. an alias that reaches two people" info@sales.example.com
send "3. someone unknown in Sales" nobody@sales.example.com
send "4. a member with an address extension" alice+orders@sales.example.com
send "5. a pattern rule (first.last)" john.doe@sales.example.com
send "6. anyone at Engineering (members *)" Grace.Hopper@eng.example.com
send "7. an address outside the departments" carol@example.net
local_send "8. sendmail(1), as cron and web applications send: an alias" info@sales.example.com

echo
echo "== deptmilter's log (syslog, facility mail; here on stderr with -f)"
sed 's/^/  /' "$MILTER_LOG"

# change - a changed copy of the example rules in $DEMO/changed: greta
# joins Sales, info reaches carol instead of bob, a new text for unknowns
change() {
    mkdir -p "$DEMO/changed" && cp "$top/examples/sales.txt" "$DEMO/changed/" &&
	sed -e 's/^\(    members alice bob carol\)/\1 greta/' \
	    -e 's/^\(    alias info -> alice, \)bob/\1carol/' \
	    -e 's/"No such person in Sales"/"Nobody of that name in Sales"/' \
	    "$top/examples/departments.rules" >"$DEMO/changed/departments.rules"
}

# show ARG... - deptmap ARG..., its output and its exit status
show() {
    local rc
    printf '\n  $ deptmap %s\n' "$*"
    "$top/deptmap" "$@" 2>&1 | sed 's/^/  /'
    rc=${PIPESTATUS[0]}
    echo "  (exit $rc)"
}

echo
echo "== before a change goes live: the expected answers kept beside the rules"
echo "   (examples/departments.tests, lines of deptmap query's output)"
cd "$top/examples" || die "no examples folder"
show test departments.rules
change || die "cannot make the changed copy"
echo
echo "== a changed copy of the rules ($DEMO/changed): which answers change"
show diff departments.rules "$DEMO/changed/departments.rules"
echo
echo "== the changed copy against the example's tests (deptmap compile refuses it the same way)"
show test "$DEMO/changed/departments.rules" departments.tests
