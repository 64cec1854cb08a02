#!/usr/bin/env bash
# deptmap-shrink-guard.t -- deptmap compile refuses a map in which a
# department loses more than its shrink-limit of the names (members and
# aliases) it has in the map in place: exit 1, one FILE:LINE error at the
# department line naming how many would go out of how many and who, the
# old map byte-identical (same inode and mtime), no temporary file left.
# --force and "shrink-limit none" accept it; the limit is settable
# globally and per department; the first compile, a new department, a
# removed one and the loss of a single name are not refused.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh
. tests/lib/run.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
cd "$TMP" || exit 1

# stamp FILE - inode, mtime (ns) and size
stamp() { stat -c '%i %Y.%y %s' "$1"; }
# names MAP DOMAIN - the member and alias names of a department, sorted
# (the department's default postmaster left out: the guard does not count it)
names() { "$DEPTMAP" dump "$1" | awk -F'\t' -v p="addr:$2:" 'index($1, p) == 1 { print substr($1, length(p) + 1) }' | grep -vx postmaster; }
# roster FILE FIRST LAST - names sNNN from FIRST to LAST, one a line
roster() { seq -f 's%03g' "$2" "$3" >"$1"; }

# refused NAME WANT_ERR - the last run was refused: exit 1, exactly
# WANT_ERR on stderr, nothing on stdout, the map (saved in map.before and
# $before) untouched, no temporary file beside it
refused() {
    local name=$1 want=$2
    ok $((RC != 1)) "$name: exit 1" || diag "exit $RC" "stderr: $ERR"
    is "$ERR" "$want" "$name: the error names the department line, the count and who would go"
    is "$OUT" "" "$name: nothing on stdout"
    cmp -s map.cdb map.before && [ "$(stamp map.cdb)" = "$before" ]
    ok $? "$name: the map in place is byte-identical, same inode and mtime"
    is "$(ls -A | grep '^\.')" "" "$name: no temporary file left"
}
# accepted NAME - the last run wrote a new map
accepted() {
    local name=$1
    ok $((RC != 0)) "$name: exit 0" || diag "exit $RC" "stderr: $ERR"
    is "$OUT$ERR" "" "$name: prints nothing"
    ! cmp -s map.cdb map.before
    ok $? "$name: the map is replaced"
}
# keep - remember the map in place
keep() { cp map.cdb map.before; before=$(stamp map.cdb); }

cat >sales.rules <<'EOF'
canonical example.com

department sales.example.com
    members-file sales.txt
EOF

# --- the first compile is not guarded ------------------------------------------
roster sales.txt 1 100
run "$DEPTMAP" compile -o map.cdb sales.rules
ok $((RC != 0)) "first compile (no map in place): exit 0" || diag "$ERR"
is "$(names map.cdb sales.example.com | wc -l)" 100 "first compile: 100 names"

# --- a roster file shrinking by 50% is refused, then forced ------------------------
keep
roster sales.txt 1 50
run "$DEPTMAP" compile -o map.cdb sales.rules
refused "roster shrinking 100 -> 50" "sales.rules:3: department sales.example.com would lose 50 of its 100 names (50%, over its shrink-limit of 10%): s051, s052, s053, s054, s055, s056, s057, s058, s059, s060, s061, s062, s063, s064, s065, s066, s067, s068, s069, s070 and 30 more; nothing written (deptmap compile --force accepts it)"
is "$(names map.cdb sales.example.com | wc -l)" 100 "refused: the map still holds the 100 names"

run "$DEPTMAP" compile --force -o map.cdb sales.rules
accepted "roster shrinking 100 -> 50 with --force"
is "$(names map.cdb sales.example.com | tail -1)" s050 "--force: the map holds the 50 names left"

# --- growing is never refused; the limit is "more than" -----------------------------
roster sales.txt 1 100
run "$DEPTMAP" compile -o map.cdb sales.rules
ok $((RC != 0)) "growing from 50 to 100 names: exit 0" || diag "$ERR"
keep
roster sales.txt 1 90
run "$DEPTMAP" compile -o map.cdb sales.rules
accepted "losing 10 of 100 (10%, not over 10%)"
keep
roster sales.txt 1 80
run "$DEPTMAP" compile -o map.cdb sales.rules
refused "losing 10 of 90 (11%)" "sales.rules:3: department sales.example.com would lose 10 of its 90 names (11%, over its shrink-limit of 10%): s081, s082, s083, s084, s085, s086, s087, s088, s089, s090; nothing written (deptmap compile --force accepts it)"

# --- the final names count, not where they come from ----------------------------------
{ sed '/members-file/d' sales.rules; echo "    members $(seq -f 's%03g' 1 90 | tr '\n' ' ')"; } >inline.rules
run "$DEPTMAP" compile -o map.cdb inline.rules
accepted "the same 90 names moved from the roster file to a members line"

# --- limits: global, per department, none, and one name at a time --------------------
cat >multi.rules <<'EOF'
canonical example.com
shrink-limit 25%

department a.example.com
    members a1 a2 a3 a4 a5 a6 a7 a8
department b.example.com
    shrink-limit 50%
    members b1 b2 b3 b4
    alias team -> b1, b2
department c.example.com
    shrink-limit none
    members c1 c2 c3 c4 c5 c6 c7 c8 c9 c10
department d.example.com
    members d1 d2 d3
department e.example.com
    shrink-limit 0%
    members e1 e2 e3 e4 e5 e6 e7 e8 e9 e10 e11 e12 e13 e14 e15 e16 e17 e18 e19 e20
EOF
run "$DEPTMAP" compile -o map.cdb multi.rules
ok $((RC != 0)) "multi.rules over sales.example.com's map: exit 0 (new departments, one removed)" ||
    diag "$ERR"
keep

# a: 3 of 8 (37%, global 25%); b: 2 of 5 (40%, its own 50%); c: 9 of 10
# (none); d: 1 of 3 (one name); e: 2 of 20 (10%, its own 0%)
sed -e 's/ a6 a7 a8$//' -e 's/ b3 b4$//' -e 's/members c1 .*/members c1/' \
    -e 's/ d3$//' -e 's/ e19 e20$//' multi.rules >multi2.rules
run "$DEPTMAP" compile -o map.cdb multi2.rules
refused "global limit 25%, per-department 50%, none, 0%, one name" \
"multi2.rules:4: department a.example.com would lose 3 of its 8 names (37%, over its shrink-limit of 25%): a6, a7, a8; nothing written (deptmap compile --force accepts it)
multi2.rules:15: department e.example.com would lose 2 of its 20 names (10%, over its shrink-limit of 0%): e19, e20; nothing written (deptmap compile --force accepts it)"

# b: 3 of 5 with its alias (60%); d: 2 of 3 (66%)
sed -e 's/ b3 b4$//' -e '/alias team/d' -e 's/ d2 d3$//' multi.rules >multi3.rules
run "$DEPTMAP" compile -o map.cdb multi3.rules
refused "an alias counts; two of three names" \
"multi3.rules:6: department b.example.com would lose 3 of its 5 names (60%, over its shrink-limit of 50%): b3, b4, team; nothing written (deptmap compile --force accepts it)
multi3.rules:12: department d.example.com would lose 2 of its 3 names (66%, over its shrink-limit of 25%): d2, d3; nothing written (deptmap compile --force accepts it)"

sed -e 's/shrink-limit 50%/shrink-limit 60%/' -e '/^department d/a\    shrink-limit none' multi3.rules >multi4.rules
run "$DEPTMAP" compile -o map.cdb multi4.rules
accepted "the same loss with b's shrink-limit raised to 60% and d's set to none"

keep
sed -e 's/^shrink-limit 25%/shrink-limit none/' -e 's/members a1 .*/members a1/' \
    -e '/shrink-limit 0%/d' -e 's/members e1 .*/members e1/' multi.rules >multi5.rules
run "$DEPTMAP" compile -o map.cdb multi5.rules
accepted "shrink-limit none before the departments: a loses 7 of 8, e 19 of 20"

# --- a map in place that cannot be read -------------------------------------------------
printf 'not a map\n' >map.cdb
run "$DEPTMAP" compile -o map.cdb inline.rules
ok $((RC != 0)) "a map in place that is not a map: exit 0" || diag "$ERR"
is "$ERR" "deptmap: map.cdb: warning: the map in place cannot be read (not a CDB file: bad header or size): no shrink guard" \
    "a map in place that is not a map: one warning, no guard"
is "$(names map.cdb sales.example.com | wc -l)" 90 "a map in place that is not a map: replaced"

done_testing
