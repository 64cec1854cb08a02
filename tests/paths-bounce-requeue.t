#!/bin/bash
# Bounces that Postfix itself sends to a department address, and requeued
# mail (postsuper -r ALL), with INSTALL's recommended setup used verbatim:
# a bounce to alice@sales reaches alice@example.com (an alias's targets, a
# +extension carried once), naming the department's text when it is the
# department that refused; a requeued message is rewritten no second time,
# its delivered recipients are not delivered again and no target is
# duplicated.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require swaks sendmail postsuper postkick postcat perl

plan 11

paths_up

# qid_of REGEX -- the queue id of the last maillog line matching REGEX
# (after "NAME[PID]: ")
qid_of() {
    grep -E -- "$1" "$PF_MAILLOG" | tail -1 | sed -E 's/^.*\]: ([0-9A-F]+): .*$/\1/'
}

# envelope QID... -- "RECIPIENT ORCPT ORIGINAL" for every recipient still
# to be delivered in the queue files QID..., sorted; ORCPT is what the
# smtp client sends (the DSN original recipient, else the original one)
envelope() {
    local q
    for q in "$@"; do
        postcat -c "$PF_CONF" -e -q "$q"
    done | awk '
        /^named_attribute: dsn_orig_rcpt=/ { d = $2; sub(/^[^;]*;/, "", d) }
        /^original_recipient: / { o = $2 }
        /^recipient: / { if (o == "") o = $2; print $2, (d == "" ? o : d), o }
        /^(recipient|done_recipient|canceled_recipient): / { d = o = "" }' |
        LC_ALL=C sort
}

# requeue QID... -- postsuper -r ALL and wake pickup (postsuper leaves the
# files in maildrop for pickup's next scan, up to a minute away); prints
# the new queue ids once pickup has copied every one of QID...
requeue() {
    local q new=()
    postsuper -c "$PF_CONF" -r ALL >/dev/null 2>&1 || return 1
    postkick -c "$PF_CONF" public pickup W || return 1
    for q in "$@"; do
        pf_wait_log "pickup\[[0-9]+\]: [0-9A-F]+: .* orig_id=$q\$" 30 >&2 || return 1
        new+=("$(qid_of "pickup\[[0-9]+\]: [0-9A-F]+: .* orig_id=$q\$")")
    done
    echo "${new[*]}"
}

# --- bounces --------------------------------------------------------------
# to a department member: the message was for a person the department
# refuses, so the bounce also names the department's DSN and text; to a
# +extension and to an alias: the message was for a local address that
# Postfix refuses (local_transport is error: here)
local_send alice@sales.example.com "for nobody" nobody@sales.example.com
local_send alice+news@sales.example.com "for someone" someone@localhost
local_send info@sales.example.com "for someone" someone@localhost
pf_wait_delivered "$TEST_TMP" 3 60

for a in alice@sales.example.com alice+news@sales.example.com info@sales.example.com; do
    is "$(delivered "$a")" "$(expected_delivered "$a")" \
        "a bounce to $a reaches the recipients deptmap query names"
done
nullsender=$(grep -l '^X-Mail-Args: <> ' $(sink_files "$TEST_TMP") | wc -l)
is "$nullsender" 3 "all three are Postfix's bounces (null sender)"
is "$(report_lines nobody@sales.example.com)" "$(expected_bv nobody@sales.example.com)" \
    "the bounce for a person the department refuses names the department's DSN and text"
sink_clear "$TEST_TMP"

# --- requeue after a partial delivery ------------------------------------
# info@sales.example.com's targets are delivered, x@ops.example.com waits
# (its department tempfails); the requeued message keeps only what waits
local_send sender@example.net "partial" info@sales.example.com x@ops.example.com
pf_wait_log 'to=<x@ops\.example\.com>, relay=none, .*status=deferred \(Ops roster is being updated\)$' 30
pf_wait_log 'to=<bob@example\.com>, orig_to=<info@sales\.example\.com>, .*status=sent' 30
old=$(qid_of 'to=<x@ops\.example\.com>, relay=none, .*status=deferred')
before=$(delivered)
is "$before" "alice@example.com info@sales.example.com
bob@example.com info@sales.example.com" "partial delivery: info@sales.example.com's targets delivered first"
new=$(requeue "$old")
ok $? "postsuper -r ALL: the message is requeued through pickup (queue id $old -> ${new:-none})"
# wait for the requeued message's next attempt at x@ops.example.com
[ -n "$new" ] && pf_wait_log "$new: to=<x@ops\\.example\\.com>, relay=none, .*status=deferred" 30
is "$(envelope $new)" "x@ops.example.com x@ops.example.com x@ops.example.com" \
    "after the requeue only the waiting recipient is left, as it was (nothing rewritten again)"
is "$(delivered)" "$before" "after the requeue no delivered recipient was delivered again"
postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1
sink_clear "$TEST_TMP"

# --- requeue before delivery ----------------------------------------------
# the rewrite happened (cleanup's socketmap for sendmail(1); port 25: the
# milter or cleanup); requeued, each message keeps its recipients and
# their original recipients, and each target is delivered once.  The sink
# is stopped meanwhile: delivery is deferred ("connection refused").
kill "$SINK_PID" && wait "$SINK_PID" 2>/dev/null
local_send waiting@example.net "waiting" info@sales.example.com alice+news@sales.example.com
out=$(swaks --server "127.0.0.1:$SMTPD_PORT" --from waiting@example.net \
    --to info@sales.example.com,alice@sales.example.com 2>&1)
q2=$(sed -n 's/^<-  250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$out")
pf_wait_log 'pickup\[[0-9]+\]: [0-9A-F]+: uid=[0-9]+ from=<waiting@example\.net>$' 30
q1=$(qid_of 'pickup\[[0-9]+\]: [0-9A-F]+: uid=[0-9]+ from=<waiting@example\.net>$')
for q in $q1 $q2; do
    pf_wait_log "$q: to=<bob@example\\.com>, .*status=deferred " 30
done
before=$(envelope $q1 $q2)
new=$(requeue $q1 $q2)
for q in $new; do
    pf_wait_log "$q: to=<bob@example\\.com>, .*status=deferred " 30
done
after=$(envelope $new)
is "$after" "$before" "requeued: every message keeps its recipients and their original recipients (nothing rewritten again)"
sink_start "$TEST_TMP" "$SINK_PORT" || diag "the sink did not start again"
postqueue -c "$PF_CONF" -f
pf_wait_delivered "$TEST_TMP" 2 60
is "$(delivered)" "$(cut -d' ' -f1,2 <<<"$before")" \
    "requeued mail delivered: each target once, with the department address as ORCPT"
