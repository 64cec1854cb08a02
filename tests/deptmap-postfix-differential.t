#!/bin/bash
# Differential test: `deptmap query` against Postfix itself.
#
# The same routing is written twice: as departments.rules (compiled with
# `deptmap compile`) and as a Postfix virtual(5) table (cdb:, built with
# postmap, used as virtual_alias_maps in a private Postfix instance with
# recipient_delimiter = + and propagate_unmatched_extensions at its
# default). Every test address is sent through that Postfix (one message per
# address, all in one SMTP session) to smtp-sink; the envelope recipients the
# sink receives for an address must equal the targets `deptmap query` gives
# it (REWRITE: the detail list; PASS: the address itself). Local parts are
# compared exactly, domains case-insensitively.
#
# Only REWRITE and PASS cases: a virtual table cannot reject, so unknown
# people of departments without `members *` have `unknown pass` here.
#
# DEPTMAP=path overrides ./deptmap; KEEP_TMP=1 keeps the work directory.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"

pf_require || skip_all "needs root, postfix, postconf and smtp-sink"
command -v postmap >/dev/null || skip_all "needs postmap"
postconf -m 2>/dev/null | grep -qx cdb || skip_all "needs Postfix cdb support (postfix-cdb)"

DEPTMAP=${DEPTMAP:-$root/deptmap}
if [ ! -x "$DEPTMAP" ]; then
    plan 1
    fail "deptmap binary present"
    diag "$DEPTMAP is missing or not executable: run 'make' in $root first"
    exit 1
fi

tmpdir_make
W=$TEST_TMP

# ---------------------------------------------------------------------------
# The routing, once in the rules language ...
cat >"$W/departments.rules" <<'EOF'
# differential test: every case here must be expressible in virtual(5)
canonical example.com
delimiter +

department sales.example.com
    members alice bob carol dave
    alias info -> alice, bob
    alias info+urgent -> carol
    alias orders -> orders@erp.example.net
    alias team -> alice, bob, carol, dave
    alias Support -> carol, erin@example.net
    unknown pass

department hr.example.com
    members heidi ivan
    alias jobs -> heidi+jobs
    alias recruiting -> carol@sales.example.com
    alias all -> heidi, ivan, info@sales.example.com
    unknown pass

department eng.example.com
    canonical example.org
    members *
    alias leads -> frank@example.org, grace@example.org
    alias oncall -> bob@sales.example.com
    unknown pass
EOF

# ... and once as a Postfix virtual(5) table.
cat >"$W/virtual" <<'EOF'
alice@sales.example.com         alice@example.com
bob@sales.example.com           bob@example.com
carol@sales.example.com         carol@example.com
dave@sales.example.com          dave@example.com
info@sales.example.com          alice@example.com, bob@example.com
info+urgent@sales.example.com   carol@example.com
orders@sales.example.com        orders@erp.example.net
team@sales.example.com          alice@example.com, bob@example.com, carol@example.com, dave@example.com
Support@sales.example.com       carol@example.com, erin@example.net

heidi@hr.example.com            heidi@example.com
ivan@hr.example.com             ivan@example.com
jobs@hr.example.com             heidi+jobs@example.com
recruiting@hr.example.com       carol@sales.example.com
all@hr.example.com              heidi@example.com, ivan@example.com, info@sales.example.com

leads@eng.example.com           frank@example.org, grace@example.org
oncall@eng.example.com          bob@sales.example.com
@eng.example.com                @example.org
EOF

cat >"$W/extra.cf" <<EOF
recipient_delimiter = +
virtual_alias_maps = cdb:$W/virtual
EOF

# The addresses: each resolves to REWRITE or PASS.
mapfile -t ADDRS <<'EOF'
alice@sales.example.com
bob@sales.example.com
carol@sales.example.com
dave@sales.example.com
ALICE@sales.example.com
Alice@Sales.Example.COM
alice@SALES.EXAMPLE.COM
alice+x@sales.example.com
alice+Foo@sales.example.com
Bob+Bar@Sales.Example.Com
dave+a+b@sales.example.com
info@sales.example.com
INFO@sales.example.com
info+x@sales.example.com
info+urgent@sales.example.com
Info+Urgent@sales.example.com
info+urgent2@sales.example.com
orders@sales.example.com
orders+2024@sales.example.com
team@sales.example.com
team+y@sales.example.com
support@sales.example.com
Support@sales.example.com
SUPPORT+z@sales.example.com
zed@sales.example.com
zed+x@sales.example.com
Zed@Sales.Example.Com
heidi@hr.example.com
ivan@hr.example.com
heidi+x@hr.example.com
jobs@hr.example.com
jobs+x@hr.example.com
recruiting@hr.example.com
recruiting+x@hr.example.com
all@hr.example.com
all+x@hr.example.com
nobody@hr.example.com
frank@eng.example.com
Frank@eng.example.com
bob.smith@eng.example.com
Bob.Smith@ENG.example.com
x+y@eng.example.com
weird-name_1@eng.example.com
Grace@ENG.EXAMPLE.COM
leads@eng.example.com
leads+t@eng.example.com
LEADS@eng.example.com
oncall@eng.example.com
oncall+p@eng.example.com
alice@example.com
Bob@Example.COM
carol+x@example.com
someone@example.org
x@example.net
alice@sub.sales.example.com
info@example.com
frank@eng.example.org
EOF
N=${#ADDRS[@]}

plan $((N + 7))

# ---------------------------------------------------------------------------
# deptmap side
out=$("$DEPTMAP" compile -o "$W/departments.cdb" "$W/departments.rules" 2>&1)
ok $? "deptmap compile" || diag "$out"

"$DEPTMAP" query -m "$W/departments.cdb" "${ADDRS[@]}" >"$W/query.out" 2>"$W/query.err"
rc=$?
qlines=$(wc -l <"$W/query.out")
[ "$rc" = 0 ] && [ "$qlines" = "$N" ]
ok $? "deptmap query: exit 0, one line per address" ||
    diag "exit $rc, $qlines lines for $N addresses; stderr:" "$(cat "$W/query.err")"

# ---------------------------------------------------------------------------
# Postfix side
postmap_ok=0
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
sink_start "$TEST_TMP" "$SINK_PORT" &&
    pf_start "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "$W/extra.cf" &&
    postmap -c "$PF_CONF" "cdb:$W/virtual" && postmap_ok=1
ok $((!postmap_ok)) "private Postfix with cdb:virtual started" ||
    fail_rest "Postfix did not start, nothing to compare with"

# one SMTP session, one message per address, tagged with its index
python3 - "$SMTPD_PORT" "${ADDRS[@]}" >"$W/send.out" 2>&1 <<'EOF'
import smtplib, sys
port, addrs = int(sys.argv[1]), sys.argv[2:]
s = smtplib.SMTP('127.0.0.1', port, local_hostname='client.test', timeout=30)
bad = 0
for i, a in enumerate(addrs):
    msg = ("From: differential@example.net\r\nTo: <%s>\r\nSubject: %d\r\n"
           "X-Diff-Id: %d\r\n\r\nhello\r\n" % (a, i, i))
    try:
        s.sendmail('differential@example.net', [a], msg)
    except smtplib.SMTPException as e:
        print("%s: %r" % (a, e)); bad += 1
s.quit()
sys.exit(1 if bad else 0)
EOF
ok $? "Postfix accepted all $N messages" || diag "$(cat "$W/send.out")"

pf_wait_delivered "$TEST_TMP" "$N" 30
ok $? "all messages relayed to the sink" || diag "$(pf_maillog | tail -30)"

# sink files -> "id<TAB>recipient<TAB>orcpt" lines
sink_files "$TEST_TMP" | while IFS= read -r f; do
    id=$(sed -n 's/\r$//; s/^X-Diff-Id: //p' "$f" | head -1)
    sed -n 's/\r$//; s/^X-Rcpt-Args: //p' "$f" | while read -r rcpt args; do
        rcpt=${rcpt#<}; rcpt=${rcpt%>}
        orcpt=
        for a in $args; do
            case $a in ORCPT=rfc822\;*) orcpt=$(xtext_decode "${a#ORCPT=rfc822;}");; esac
        done
        printf '%s\t%s\t%s\n' "$id" "$rcpt" "$orcpt"
    done
done >"$W/sink.tsv"

# sanity: every delivered recipient carries the original address as ORCPT
badorcpt=$(awk -F'\t' -v list="$(printf '%s\n' "${ADDRS[@]}")" '
    BEGIN { n = split(list, A, "\n") }
    $3 != A[$1 + 1] { print }' "$W/sink.tsv")
is "$badorcpt" "" "sink: every recipient has ORCPT = the address sent"

# normalise a list of addresses: local part as is, domain lower case, sorted,
# unique, comma-separated
norm() {
    tr ',' '\n' | sed '/^$/d' | awk '{
        at = match($0, /@[^@]*$/)
        if (at) $0 = substr($0, 1, at - 1) tolower(substr($0, at))
        print }' | LC_ALL=C sort -u | paste -sd, -
}

is "$(cut -f1 "$W/sink.tsv" | sort -un | wc -l)" "$N" "sink: every message arrived"

# ---------------------------------------------------------------------------
# compare, address by address
for ((i = 0; i < N; i++)); do
    a=${ADDRS[i]}
    pf=$(awk -F'\t' -v id="$i" '$1 == id { print $2 }' "$W/sink.tsv" | norm)
    line=$(sed -n "$((i + 1))p" "$W/query.out")
    # split on single tabs (read with IFS=tab would merge the empty detail)
    rest=$line$'\t'
    qaddr=${rest%%$'\t'*};  rest=${rest#*$'\t'}
    action=${rest%%$'\t'*}; rest=${rest#*$'\t'}
    detail=${rest%%$'\t'*}
    case $action in
        REWRITE) dm=$(printf '%s' "$detail" | norm) ;;
        PASS)    dm=$(printf '%s' "$a" | norm) ;;
        *)       dm="(deptmap: ${line:-no output})" ;;
    esac
    [ "$pf" == "$dm" ]
    ok $? "$a -> ${pf:-nothing}" ||
        diag "  postfix delivered to: $pf" "  deptmap expects:      $dm" "  deptmap query line:   $line"
    [ "$qaddr" = "$a" ] || [ -z "$line" ] || diag "  note: deptmap echoed the address as '$qaddr'"
done
