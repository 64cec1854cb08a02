#!/bin/bash
# sendmail(1) through pickup, which no smtpd milter sees, with INSTALL's
# recommended setup (postfix/main.cf.snippet used verbatim): what Postfix
# does with each address equals deptmap query -- the recipients it
# delivers (the address kept as ORCPT, an extension carried once), the
# bounce to the sender naming the department's DSN and text for a person
# it refuses (transport_maps' error:), the deferral for a department that
# tempfails, the report of "sendmail -bv ADDRESS", and what postmap -q
# answers from the virtual, access and transport tables.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require swaks sendmail postmap postsuper python3 perl

# address and what it is; the accepted ones are delivered
ACCEPTED=("${PATHS_ACCEPTED[@]}" "anna@bücher.example IDN domain as U-label")
REFUSED=("${PATHS_REFUSED[@]}")
TEMPFAIL="x@ops.example.com"

plan $((${#ACCEPTED[@]} * 2 + ${#REFUSED[@]} * 2 + 3 + 4))

paths_up

# re_quote TEXT -- TEXT as an extended regex matching itself
re_quote() {
    sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"
}

# one message per address, all sent at once, told apart by their ORCPT
for case in "${ACCEPTED[@]}" "${REFUSED[@]}"; do
    local_send sender@example.net "sendmail test" "${case%% *}"
done
pf_wait_delivered "$TEST_TMP" $((${#ACCEPTED[@]} + ${#REFUSED[@]})) 60
for case in "${ACCEPTED[@]}"; do
    a=${case%% *}
    is "$(delivered "$a")" "$(expected_delivered "$a")" \
        "sendmail(1): ${case#* } ($a) delivered as deptmap query says, the address as ORCPT"
done
# a refused person: the message bounces to its sender (the sink) with the
# department's DSN and text, from transport_maps' error:
for case in "${REFUSED[@]}"; do
    a=${case%% *}
    is "$(report_lines "$a")" "$(expected_bv "$a")" \
        "sendmail(1): ${case#* } ($a): a bounce to the sender with the department's DSN and text"
done
bounces=$(delivered | grep -c '^sender@example\.net sender@example\.net$')
is "$bounces" "${#REFUSED[@]}" "sendmail(1): one bounce per refused person, to the sender"
sink_clear "$TEST_TMP"

# a department that tempfails: the message waits (transport_maps' retry:)
query "$TEMPFAIL"
set -- $Q_DETAIL
local_send sender@example.net "sendmail test" "$TEMPFAIL"
pf_wait_log "to=<$(re_quote "$TEMPFAIL")>, relay=none, .*dsn=$(re_quote "$2"), status=deferred \\($(re_quote "${*:3}")\\)$" 30
ok $? "sendmail(1): a department that tempfails ($TEMPFAIL): deferred with its DSN and text"
postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1

# sendmail -bv: the report Postfix mails to the sender, one per address
BV=("${ACCEPTED[@]}" "${REFUSED[@]}" "$TEMPFAIL the department tempfails")
for case in "${BV[@]}"; do
    bv_send "${case%% *}"
done
pf_wait_delivered "$TEST_TMP" ${#BV[@]} 60
for case in "${BV[@]}"; do
    a=${case%% *}
    is "$(report_lines "$a")" "$(expected_bv "$a")" \
        "sendmail -bv: ${case#* } ($a): the report names what deptmap query says"
done

# postmap -q: the tables as Postfix reads them, for every address above
ADDRS=()
for case in "${ACCEPTED[@]}" "${REFUSED[@]}" "$TEMPFAIL -"; do
    ADDRS+=("${case%% *}")
done

# pq TABLE -- postmap -q - on deptmilter's socketmap for every address in
# ADDRS: "ADDRESS -> VALUE" lines in ADDRS' order ("" for NOTFOUND)
pq() {
    local -A found=()
    local k v a
    while IFS=$'\t' read -r k v; do
        found[$k]=$v
    done < <(printf '%s\n' "${ADDRS[@]}" | postmap -c "$PF_CONF" -q - "socketmap:unix:$SM:$1")
    for a in "${ADDRS[@]}"; do
        echo "$a -> ${found[$a]:-}"
    done
}

want=()
for a in "${ADDRS[@]}"; do
    query "$a"
    # what virtual_alias_maps turns the address into: an answer equal to
    # the address itself (the unextended key is rewritten, this one is
    # not) and NOTFOUND both leave it as it is
    if [ "$Q_ACTION" = REWRITE ]; then want+=("$a -> $Q_DETAIL"); else want+=("$a -> $a"); fi
done
got=$(pq virtual | awk '{ if ($3 == "") $3 = $1; print }')
is "$got" "$(printf '%s\n' "${want[@]}")" \
    "postmap -q ADDRESS socketmap:...:virtual: the targets deptmap query names, else the address itself"

want=()
for a in "${ADDRS[@]}"; do
    query "$a"
    case $Q_ACTION in REJECT|TEMPFAIL) want+=("$a -> $Q_DETAIL") ;; *) want+=("$a -> ") ;; esac
done
# DUNNO (the unextended key is refused, this one is not) and NOTFOUND both
# leave the decision to the rest of the restrictions
got=$(pq access | sed 's/ -> DUNNO$/ -> /')
is "$got" "$(printf '%s\n' "${want[@]}")" \
    "postmap -q ADDRESS socketmap:...:access: the department's reply for a refused person, else nothing"

want=()
for a in "${ADDRS[@]}"; do
    query "$a"
    set -- $Q_DETAIL
    case $Q_ACTION in
    REJECT) want+=("$a -> error:$2 ${*:3}") ;;
    TEMPFAIL) want+=("$a -> retry:$2 ${*:3}") ;;
    *) want+=("$a -> ") ;;
    esac
done
# ":" (the usual transport; no shorter key) and NOTFOUND are the same
got=$(pq transport | sed 's/ -> :$/ -> /')
is "$got" "$(printf '%s\n' "${want[@]}")" \
    "postmap -q ADDRESS socketmap:...:transport: error: or retry: with the department's DSN and text, else nothing"

# the domains table (relay_domains): every domain deptmap domains lists
# (both IDN forms) is found, and nothing else; the value (the A-label) is
# not what relay_domains looks at
ADDRS=($("$DEPTMAP_BIN" domains "$MILTER_MAP") example.com example.net)
want=$(for d in "${ADDRS[@]}"; do
    case $d in example.*) echo "$d -> " ;; *) echo "$d -> found" ;; esac
done)
is "$(pq domains | sed 's/ -> ..*/ -> found/')" "$want" \
    "postmap -q DOMAIN socketmap:...:domains: the domains deptmap domains lists, else nothing"
