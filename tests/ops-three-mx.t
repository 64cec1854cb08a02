#!/bin/bash
# Several MX hosts: three private Postfix instances on loopback, each with
# its own deptmilter, all fed one map file copied from one "deptmap
# compile".  The same mail gets the same answer from all three; when a new
# map is copied over (atomically: a copy in the same directory, renamed),
# each deptmilter logs the new digest and applies it promptly: deptmilter
# looks at the file every second; the bound asserted is 5 seconds of wall
# time, so that a loaded machine (these are shared) does not fail it, and
# the milliseconds measured are printed.
#
# tests/lib/postfix.sh and tests/lib/milter.sh keep the instance they
# started in global variables (PF_CONF, PF_QUEUE, MILTER_PID, ...), and
# their exit hooks stop whichever instance those name at exit.  So each
# MX is set up in the main shell, its variables saved in arrays indexed by
# its number (mx_save), put back before its helpers are called (mx_use),
# and given exit hooks of its own that do the same.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require

MXS="1 2 3"
plan 14

tmpdir_make
read -r -a PORTS <<<"$(free_port 6)"

declare -A MX_PF_CONF MX_PF_QUEUE MX_PF_MAILLOG MX_PF_SMTPD_PORT MX_PF_SINK_PORT \
    MX_MILTER_PID MX_MILTER_LOG MX_MILTER_CONF MX_MILTER_MAP MX_SINK_DIR MX_SINK_PID MX_DIR
MX_VARS="PF_CONF PF_QUEUE PF_MAILLOG PF_SMTPD_PORT PF_SINK_PORT MILTER_PID MILTER_LOG
         MILTER_CONF MILTER_MAP SINK_DIR SINK_PID"

# mx_save N - remember the helpers' variables as those of MX number N
mx_save() {
    local v a
    for v in $MX_VARS; do
        declare -n a=MX_$v
        a[$1]=${!v}
    done
}

# mx_use N - make MX number N the one the helpers work on
mx_use() {
    local v a
    for v in $MX_VARS; do
        declare -n a=MX_$v
        printf -v "$v" '%s' "${a[$1]}"
    done
    export PF_CONF PF_QUEUE PF_MAILLOG PF_SMTPD_PORT PF_SINK_PORT
}

# distribute FILE DIR - copy FILE into DIR as departments.cdb atomically:
# a temporary copy in the same directory, renamed over the old map
distribute() {
    cp "$1" "$2/.departments.cdb.tmp" && chmod 0644 "$2/.departments.cdb.tmp" &&
        mv -f "$2/.departments.cdb.tmp" "$2/departments.cdb"
}

# meta_field MAP NAME - a field of the map's meta record
meta_field() {
    "$DEPTMAP_BIN" dump "$1" | sed -n "s/^meta\t.*\t$2=\([^\t]*\).*/\1/p"
}

# digest_of MAP - the digest in the map's meta record
digest_of() {
    meta_field "$1" digest
}

# mx_setup N - its own directory, map copy, deptmilter, sink and Postfix
mx_setup() {
    local n=$1 dir=$TEST_TMP/mx$1
    local smtpd_port=${PORTS[2 * ($1 - 1)]} sink_port=${PORTS[2 * ($1 - 1) + 1]}
    mkdir -p "$dir" && distribute "$TEST_TMP/dist/departments.cdb" "$dir" || return 1
    MILTER_MAP=$dir/departments.cdb
    milter_conf "$dir" "unix:$dir/deptmilter.sock" || return 1
    milter_start "$dir" || return 1
    MX_DIR[$n]=$dir
    mx_save "$n"
    cleanup_add "mx_use $n; milter_stop"
    milter_postfix "$dir" "$smtpd_port" "$sink_port" "unix:$dir/deptmilter.sock" || return 1
    mx_save "$n"
    cleanup_add "mx_use $n; pf_stop"
}

# One map, compiled once.
mkdir -p "$TEST_TMP/dist"
cp "$here/milter/departments.rules" "$TEST_TMP/dist/departments.rules"
"$DEPTMAP_BIN" compile "$TEST_TMP/dist/departments.rules" || bail_out "deptmap compile failed"
digest1=$(digest_of "$TEST_TMP/dist/departments.cdb")

for n in $MXS; do
    mx_setup "$n" || fail_rest "MX $n did not start"
done
pass "three Postfix instances, each with its own deptmilter, all started"

# loaded_line N GEN - MX N's "map: loaded" line for generation GEN
loaded_line() {
    mx_use "$1"
    milter_log_lines "^map: loaded $TEST_TMP/mx$1/departments\\.cdb generation=$2 "
}

lines=$(for n in $MXS; do loaded_line "$n" 1 | sed 's/ digest=.*//; s|/mx[0-9]/|/mxN/|'; done | sort -u)
is "$lines" "map: loaded $TEST_TMP/mxN/departments.cdb generation=1 records=$(meta_field "$TEST_TMP/dist/departments.cdb" records)" \
    "each logs the map it loaded, with the same number of records"
is "$(for n in $MXS; do loaded_line "$n" 1 | sed 's/.* digest=//'; done | sort -u)" "$digest1" \
    "each logs the digest of the one compiled map"
for n in $MXS; do note "mx$n: $(loaded_line "$n" 1)"; done

# answers N RCPTS - send one message through MX N: every RCPT with its
# reply, then the envelope recipients that reached its sink
answers() {
    local n=$1 to=$2 out
    mx_use "$n"
    sink_clear "${MX_DIR[$n]}"
    out=$(smtp_send sender@example.net "$to")
    tr -d '\r' <<<"$out" | awk '/^ -> RCPT TO:/ { r = $0; getline; print r " => " $0 }' |
        sed 's/^ -> RCPT TO://'
    if grep -q 'queued as' <<<"$out"; then
        pf_wait_delivered "${MX_DIR[$n]}" 1 20 >&2 && sink_rcpts "${MX_DIR[$n]}"
    fi
}

# decisions N MARK - MX N's decision lines after line MARK of its log,
# queue ids written QID
decisions() {
    mx_use "$1"
    tail -n "+$(( $2 + 1 ))" "$MILTER_LOG" |
        grep -E '^[0-9A-Z]+: (would )?(reject|tempfail|rewrite|pass): ' |
        sed -E 's/^[0-9A-F]{6,}: /QID: /'
}

# send_all GEN - the same message through every MX; fills GOT and LOGS
declare -A GOT LOGS
send_all() {
    local n mark
    for n in $MXS; do
        mx_use "$n"
        mark=$(wc -l <"$MILTER_LOG")
        GOT[$n]=$(answers "$n" "$RCPTS")
        LOGS[$n]=$(decisions "$n" "$mark")
    done
    note "map $1, mx1 decision lines:" "${LOGS[1]}"
}

# same NAME ARRAY - pass when MX 2 and 3 have what MX 1 has
same() {
    local -n v=$2
    ok $([ "${v[1]}" = "${v[2]}" ] && [ "${v[1]}" = "${v[3]}" ] && echo 0 || echo 1) "$1" ||
        diag "MX 1:" "${v[1]}" "MX 2:" "${v[2]}" "MX 3:" "${v[3]}"
}

RCPTS=alice@sales.example.com,info@sales.example.com,alice+news@sales.example.com,someone@eng.example.com,nobody@sales.example.com,zed@ops.example.com,carol@example.net,erin@sales.example.com
expected1="<alice@sales.example.com> => <-  250 2.1.5 Ok
<info@sales.example.com> => <-  250 2.1.5 Ok
<alice+news@sales.example.com> => <-  250 2.1.5 Ok
<someone@eng.example.com> => <-  250 2.1.5 Ok
<nobody@sales.example.com> => <** 550 5.1.1 No such person in Sales
<zed@ops.example.com> => <** 451 4.2.1 Ops roster is being updated
<carol@example.net> => <-  250 2.1.5 Ok
<erin@sales.example.com> => <** 550 5.1.1 No such person in Sales
<alice+news@example.com> ORCPT=rfc822;alice+2Bnews@sales.example.com
<alice@example.com> ORCPT=rfc822;alice@sales.example.com
<bob@example.com> ORCPT=rfc822;info@sales.example.com
<carol@example.net> ORCPT=rfc822;carol@example.net
<someone@example.org> ORCPT=rfc822;someone@eng.example.com"

send_all 1
is "${GOT[1]}" "$expected1" "map 1: MX 1 answers every RCPT and delivers as the rules say"
same "map 1: the same mail gets the same answers from all three" GOT
same "map 1: the three deptmilter logs hold the same decision lines" LOGS

# A new map, compiled once, copied over on each host.
# (--force: v2 drops most of sales.example.com, which the shrink guard refuses)
cp "$here/milter/departments-v2.rules" "$TEST_TMP/dist/departments.rules"
"$DEPTMAP_BIN" compile --force "$TEST_TMP/dist/departments.rules" || bail_out "deptmap compile (v2) failed"
digest2=$(digest_of "$TEST_TMP/dist/departments.cdb")
isnt_same=$([ "$digest1" != "$digest2" ] && echo 0 || echo 1)
ok "$isnt_same" "the new map has a new digest ($digest1 -> $digest2)"

# smtp_reply FD - read one SMTP reply from FD; print its last line
smtp_reply() {
    local line
    while IFS= read -r -t 5 -u "$1" line; do
        line=${line%$'\r'}
        [[ $line =~ ^[0-9]{3}- ]] && continue
        printf '%s\n' "$line"
        return 0
    done
    return 1
}

# rcpt_reply ADDRESS - the current MX's reply to RCPT TO:<ADDRESS>, from a
# client in bash itself (/dev/tcp): no program starts, so the time taken is
# Postfix's and deptmilter's, not a client's start-up on a loaded machine
rcpt_reply() {
    local fd r=
    exec {fd}<>"/dev/tcp/127.0.0.1/$PF_SMTPD_PORT" || return 1
    smtp_reply "$fd" >/dev/null &&
        printf 'EHLO client.example\r\n' >&"$fd" && smtp_reply "$fd" >/dev/null &&
        printf 'MAIL FROM:<sender@example.net>\r\n' >&"$fd" && smtp_reply "$fd" >/dev/null &&
        printf 'RCPT TO:<%s>\r\n' "$1" >&"$fd" && r=$(smtp_reply "$fd")
    printf 'QUIT\r\n' >&"$fd" 2>/dev/null
    exec {fd}>&-
    printf '%s\n' "$r"
}

# switch N - copy the new map to MX N; milliseconds until its log says
# generation 2 was loaded, and until a RCPT gets the new answer (9999: not
# within 6 seconds)
declare -A LOG_MS APPLY_MS
switch() {
    local n=$1 t0 t
    mx_use "$n"
    t0=$(now_ms)
    distribute "$TEST_TMP/dist/departments.cdb" "${MX_DIR[$n]}" || return 1
    LOG_MS[$n]=9999 APPLY_MS[$n]=9999
    while t=$(( $(now_ms) - t0 )); [ "$t" -le 6000 ]; do
        if [ "${LOG_MS[$n]}" = 9999 ] && grep -q '^map: loaded .* generation=2 ' "$MILTER_LOG"; then
            LOG_MS[$n]=$t
        fi
        if [ "${APPLY_MS[$n]}" = 9999 ] &&
           [[ $(rcpt_reply alice@sales.example.com) == *'No such person in Sales (v2)'* ]]; then
            APPLY_MS[$n]=$(( $(now_ms) - t0 ))
        fi
        [ "${LOG_MS[$n]}" != 9999 ] && [ "${APPLY_MS[$n]}" != 9999 ] && return 0
    done
}

for n in $MXS; do switch "$n"; done
for n in $MXS; do
    note "mx$n: $(loaded_line "$n" 2)"
    note "mx$n: new map logged after ${LOG_MS[$n]} ms, first new answer after ${APPLY_MS[$n]} ms"
done
is "$(for n in $MXS; do loaded_line "$n" 2 | sed 's/.* digest=//'; done)" "$digest2
$digest2
$digest2" "each logs the new digest (generation=2)"
is "$(for n in $MXS; do [ "${LOG_MS[$n]}" -le 5000 ] && echo ok || echo "mx$n: ${LOG_MS[$n]} ms"; done)" \
    "ok
ok
ok" "each logs the new map promptly after the copy (within 5 s of wall time)"
is "$(for n in $MXS; do [ "${APPLY_MS[$n]}" -le 5000 ] && echo ok || echo "mx$n: ${APPLY_MS[$n]} ms"; done)" \
    "ok
ok
ok" "each applies it promptly: RCPT gets the new map's answer (within 5 s of wall time)"
is "$(for n in $MXS; do mx_use "$n"; milter_log_lines '^map: cannot load' ; done)" "" \
    "no host saw a partial map (no \"map: cannot load\")"

expected2="<alice@sales.example.com> => <** 550 5.1.1 No such person in Sales (v2)
<info@sales.example.com> => <** 550 5.1.1 No such person in Sales (v2)
<alice+news@sales.example.com> => <** 550 5.1.1 No such person in Sales (v2)
<someone@eng.example.com> => <-  250 2.1.5 Ok
<nobody@sales.example.com> => <** 550 5.1.1 No such person in Sales (v2)
<zed@ops.example.com> => <-  250 2.1.5 Ok
<carol@example.net> => <-  250 2.1.5 Ok
<erin@sales.example.com> => <-  250 2.1.5 Ok
<carol@example.net> ORCPT=rfc822;carol@example.net
<erin@example.com> ORCPT=rfc822;erin@sales.example.com
<someone@eng.example.com> ORCPT=rfc822;someone@eng.example.com
<zed@ops.example.com> ORCPT=rfc822;zed@ops.example.com"
send_all 2
is "${GOT[1]}" "$expected2" "map 2: MX 1 answers and delivers as the new rules say"
same "map 2: the same mail gets the same answers from all three" GOT
same "map 2: the three deptmilter logs hold the same decision lines" LOGS

