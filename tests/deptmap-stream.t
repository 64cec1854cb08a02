#!/usr/bin/env bash
# deptmap-stream.t -- the compiler makes its records in key order without
# sorting them (maps/records.c), so the map must show that order itself:
# read back in file order (cdb -l), the meta record comes first and every
# key after it is greater than the one before; and tinycdb's own cdb -c,
# fed the map's records in that order (cdb -d), writes the same bytes.
#
# The orders a sort would have hidden: domains that are prefixes of each
# other ("a.com" and "a.com.b": ':' sorts after '.', so the addr: records
# of a.com.b come first), a digit or '-' after a domain, index:N as
# strings (index:10 before index:2), more than ten match rules, aliases
# resolved through other departments (the file is written twice), and a
# roster whose lines are not in order.
#
# Last, a department of more match rules than a map may hold: refused at
# the rule one too many, before anything is written.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
command -v cdb >/dev/null || skip_all "needs tinycdb's cdb"
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
cd "$TMP" || bail_out "cd"

# in_order MAP NAME - meta first, then strictly increasing keys, and the
# bytes of cdb -c on the map's own records
in_order() {
    cdb -l "$1" | sed '/^$/d; s/^+[0-9]*://' >"$1.keys"
    is "$(head -1 "$1.keys")" meta "$2: the meta record comes first"
    tail -n +2 "$1.keys" | LC_ALL=C sort -c -u 2>"$1.sort"
    ok $? "$2: every key after meta is greater than the one before" || diag "$(cat "$1.sort")"
    cdb -d "$1" | cdb -c "$1.again"
    cmp "$1" "$1.again" >/dev/null 2>&1
    ok $? "$2: cdb -c on the same records writes the same bytes"
}

doms="a.com a.com.b a.co a.com-x a.comm a0.com b.a.com x.example x.example2 x9.example m.net m.net.a q-1.io q.io z.org"
{
    printf 'canonical example.com\ndelimiter +\n'
    set -- $doms
    n=$#
    i=0
    for d in $doms; do
        next=$(echo $doms | cut -d' ' -f$(( (i + 1) % n + 1 )))
        printf 'department %s\n    members alice bob "x y" zed carol%d\n' "$d" "$i"
        printf '    alias team -> alice, bob@%s\n' "$next"
        printf '    alias all -> team@%s, dan@elsewhere.net\n' "$next"
        for j in $(seq 0 $((i % 13))); do
            printf '    match /^m%d_(.*)$/ -> $1\n' "$j"
        done
        [ $((i % 3)) = 0 ] && printf '    unknown pass\n'
        i=$((i + 1))
    done
} >order.rules
"$DEPTMAP" compile order.rules 2>err
ok $? "15 departments with prefix domains, chains and match rules compile" || diag "$(cat err)"
in_order order.cdb "prefix domains"
first=$(grep -n '^addr:a\.com\.b:' order.cdb.keys | head -1 | cut -d: -f1)
second=$(grep -n '^addr:a\.com:' order.cdb.keys | head -1 | cut -d: -f1)
ok $([ "$first" -lt "$second" ]; echo $?) "addr:a.com.b: records come before addr:a.com: ones"
first=$(grep -n '^index:10$' order.cdb.keys | cut -d: -f1)
second=$(grep -n '^index:2$' order.cdb.keys | cut -d: -f1)
ok $([ "$first" -lt "$second" ]; echo $?) "index:10 comes before index:2"

# a roster out of order, members with addresses, an alias through a department
seq 1 20000 | awk '{ printf "u%d\n", (($1 * 7919) % 20000) }' >roster.txt
printf 'canonical example.com\ndepartment sales.example.com\n    members-file roster.txt\n    alias desk -> u5@eng.example.com, u6\ndepartment eng.example.com\n    members u5@example.org\n' >roster.rules
"$DEPTMAP" compile roster.rules 2>err
ok $? "a shuffled 20000-member roster compiles" || diag "$(cat err)"
in_order roster.cdb "shuffled roster"
"$DEPTMAP" query -m roster.cdb desk@sales.example.com >out
like "$(cat out)" "REWRITE	u5@example.org,u6@example.com	" "the alias is resolved through the other department"

# a department of more match rules than a map may hold (the reader
# would refuse the map): an error at the rule that is one too many
awk 'BEGIN {
    print "canonical example.com"
    print "department a.example.com"
    print "    alias x -> y@b.example.com"
    print "department b.example.com"
    print "    members y"
    for (i = 0; i <= 1000000; i++) printf "    match /^q%d$/ -> z\n", i
}' >many.rules
"$DEPTMAP" compile many.rules 2>err
is "$?" 1 "1000001 match rules: compile exits 1"
is "$(cat err)" "many.rules:1000006: more than 1000000 match rules in b.example.com" \
    "compile: the rule one too many, at its FILE:LINE"
is "$(ls many.* | tr '\n' ' ')" "many.rules " "compile: nothing left behind"
"$DEPTMAP" check many.rules 2>err
is "$?" 1 "1000001 match rules: check exits 1"

done_testing
