#!/bin/bash
# SMTP on port 25 (smtpd with the milter and the socketmap) and the
# submission service of postfix/master.cf.snippet (its own -o overrides: no
# milter, no unlisted-recipient check), both used verbatim with INSTALL's
# recommended main.cf lines: for each address Postfix does what deptmap
# query says -- the recipients it delivers (the address kept as ORCPT, an
# extension carried once), and for a person a department refuses, the
# department's code, enhanced code and text at RCPT.  From a client
# outside mynetworks (XCLIENT), port 25 relays for the department domains
# (relay_domains answered by the socketmap), in both IDN forms, and for
# nothing else.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require swaks python3 perl

# address and what it is; the accepted ones are delivered
ACCEPTED=("${PATHS_ACCEPTED[@]}")
# refused at RCPT; a U-label one is sent with SMTPUTF8
REFUSED=("${PATHS_REFUSED[@]}" "x@ops.example.com unknown person, the department tempfails")
UMEMBER=anna@bücher.example

OUTSIDE=(
    "alice@sales.example.com 250 2.1.5 Ok"
    "anna@xn--bcher-kva.example 250 2.1.5 Ok"
    "anna@bücher.example 250 2.1.5 Ok"
    "bob@example.net 554 5.7.1 <bob@example.net>: Relay access denied"
)

plan $(((${#ACCEPTED[@]} + 1 + ${#REFUSED[@]}) * 2 + ${#OUTSIDE[@]} + 2))

paths_milter
echo "smtpd_authorized_xclient_hosts = 127.0.0.0/8" >"$TEST_TMP/xclient.cf"
paths_postfix "$TEST_TMP/xclient.cf"

for service in "port 25:$SMTPD_PORT" "submission:$SUB_PORT"; do
    name=${service%:*} port=${service##*:}
    sent=0
    for case in "${ACCEPTED[@]}"; do
        swaks --server "127.0.0.1:$port" --from sender@example.net --to "${case%% *}" \
            --silent 2 >"$TEST_TMP/swaks.out" 2>&1 && sent=$((sent + 1)) ||
            diag "$name: swaks to ${case%% *}: $(cat "$TEST_TMP/swaks.out")"
    done
    pf_wait_delivered "$TEST_TMP" "$sent" 60
    for case in "${ACCEPTED[@]}"; do
        a=${case%% *}
        is "$(delivered "$a")" "$(expected_delivered "$a")" \
            "$name: ${case#* } ($a) delivered as deptmap query says, the address as ORCPT"
    done
    sink_clear "$TEST_TMP"

    # the sink has no SMTPUTF8, which Postfix needs to relay such mail:
    # its delivery is in paths-x-original-to.t (a mailbox of virtual(8))
    out=$(smtp_utf8 -q "$port" sender@example.net test "$UMEMBER")
    is "$out" "RCPT $UMEMBER: 250 2.1.5 Ok" \
        "$name: IDN domain as U-label ($UMEMBER, with SMTPUTF8) accepted at RCPT"

    for case in "${REFUSED[@]}"; do
        a=${case%% *}
        if [[ $a == *[![:ascii:]]* ]]; then
            out=$(smtp_utf8 -q "$port" sender@example.net test "$a")
            out=${out#"RCPT $a: "}
        else
            out=$(swaks_rcpt "$port" "$a")
        fi
        is "$out" "$(expected_refusal "$a")" \
            "$name: ${case#* } ($a): the department's code, enhanced code and text at RCPT"
    done
done

# a client from outside mynetworks: the relay check needs relay_domains
for case in "${OUTSIDE[@]}"; do
    a=${case%% *}
    if [[ $a == *[![:ascii:]]* ]]; then
        out=$(smtp_utf8 -q -x 192.0.2.1 "$SMTPD_PORT" sender@example.net test "$a")
        out=${out#"RCPT $a: "}
    else
        out=$(swaks_rcpt "$SMTPD_PORT" "$a" --xclient-addr 192.0.2.1)
    fi
    is "$out" "${case#* }" "port 25, a client outside mynetworks: RCPT $a: ${case#* }"
done
a=nobody@sales.example.com
is "$(swaks_rcpt "$SMTPD_PORT" "$a" --xclient-addr 192.0.2.1)" "$(expected_refusal "$a")" \
    "port 25, a client outside mynetworks: $a gets the department's reply, not a relay refusal"

! grep -E 'warning: .*(socketmap|lookup|table)|fatal|panic' "$PF_MAILLOG"
ok $? "Postfix logged no trouble with the tables" ||
    pf_maillog | grep -E 'warning|fatal|panic' | head >&2
