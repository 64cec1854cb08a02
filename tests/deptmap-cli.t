#!/usr/bin/env bash
# deptmap-cli.t -- the deptmap command line: exit codes, default output
# path, query (forms of address, stdin, --explain, -r versus -m, the four
# tab-separated fields) and domains.
#
# Exit status (DESIGN.md "Commands"): 0 fine, 1 rules or input error,
# 2 usage, 3 system error.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh
. tests/lib/run.sh

if [ ! -x ./deptmap ]; then
    skip_all "./deptmap not built (make deptmap)"
fi
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
TAB=$'\t'

# --- usage errors: 2, usage on stderr, nothing on stdout ---------------------
while IFS='|' read -r label args; do
    eval "set -- $args"
    run "$DEPTMAP" "$@"
    exit_is 2 "usage: $label exits 2"
    ok $([ -z "$OUT" ] && [[ $ERR == *usage:* ]]; echo $?) "usage: $label prints the usage on stderr only" ||
        diag "stdout: $OUT" "stderr: $ERR"
done <<'EOF'
no arguments|
unknown command|frobnicate x
compile without RULES|compile
compile -o without RULES|compile -o out.cdb
compile with an unknown option|compile -x tests/golden/sketch.rules
check without RULES|check
check with two files|check a.rules b.rules
query without an address|query -m tests/golden/none.cdb
query with an unknown option|query -z a@b.example
dump without a map|dump
domains without a map|domains
EOF

# --- system errors: 3 -----------------------------------------------------------
for cmd in dump domains; do
    run "$DEPTMAP" "$cmd" "$TMP/no-such.cdb"
    exit_is 3 "$cmd of a missing map exits 3"
    ok $([ -z "$OUT" ] && [[ $ERR == *"$TMP/no-such.cdb"* ]]; echo $?) "$cmd of a missing map names it on stderr" ||
        diag "stderr: $ERR"
done
run "$DEPTMAP" query -m "$TMP/no-such.cdb" alice@sales.example.com
exit_is 3 "query -m of a missing map exits 3"
ok $([ -z "$OUT" ]; echo $?) "query -m of a missing map prints nothing on stdout"
run "$DEPTMAP" dump tests/golden/sketch.rules
exit_is 3 "dump of a file that is not a map exits 3"
run "$DEPTMAP" compile -o "$TMP/no-such-dir/x.cdb" tests/golden/sketch.rules
exit_is 3 "compile into a missing directory exits 3"
ok $([ ! -e "$TMP/no-such-dir" ]; echo $?) "compile into a missing directory creates nothing"

# --- rules errors: 1 ------------------------------------------------------------
run "$DEPTMAP" compile -o "$TMP/x.cdb" "$TMP/no-such.rules"
exit_is 1 "compile of a missing rules file exits 1"
ok $([[ $ERR == "$TMP/no-such.rules: "* ]] && [ ! -e "$TMP/x.cdb" ]; echo $?) \
    "compile of a missing rules file names it and writes nothing" || diag "stderr: $ERR"
run "$DEPTMAP" query -r tests/errors/unknown-keyword.rules alice@sales.example.com
exit_is 1 "query -r of a bad rules file exits 1"
is "$ERR" "$(cat tests/errors/unknown-keyword.err)" "query -r of a bad rules file shows its errors"
is "$OUT" "" "query -r of a bad rules file prints nothing on stdout"

# --- compile: default output path ---------------------------------------------
mkdir "$TMP/dir" "$TMP/dir2"
cp examples/departments.rules examples/sales.txt "$TMP/dir/"
run "$DEPTMAP" compile "$TMP/dir/departments.rules"
exit_is 0 "compile RULES exits 0"
is "$OUT$ERR" "" "compile RULES prints nothing"
ok $([ -f "$TMP/dir/departments.cdb" ]; echo $?) "compile DIR/NAME.rules writes DIR/NAME.cdb"
(cd "$TMP/dir" && "$DEPTMAP" compile departments.rules && cp departments.cdb ../dir2/rel.cdb)
ok $? "compile NAME.rules in the current directory writes NAME.cdb there"
"$DEPTMAP" compile -o "$TMP/explicit.cdb" "$TMP/dir/departments.rules"
cmp -s "$TMP/explicit.cdb" "$TMP/dir/departments.cdb" && cmp -s "$TMP/explicit.cdb" "$TMP/dir2/rel.cdb"
ok $? "the default output has the same bytes as -o"
cp examples/departments.rules "$TMP/dir/plain.txt"
cp examples/sales.txt "$TMP/dir/sales.txt"
run "$DEPTMAP" compile "$TMP/dir/plain.txt"
ok $([ "$RC" = 0 ] && [ -f "$TMP/dir/plain.txt.cdb" ]; echo $?) \
    "a rules file without .rules gets .cdb appended" || diag "exit $RC" "$ERR" "$(ls "$TMP/dir")"
ls -A "$TMP/dir" | grep -E '^\.' >"$TMP/hidden"
ok $([ ! -s "$TMP/hidden" ]; echo $?) "no temporary file left next to the outputs" || diag "$(cat "$TMP/hidden")"

# --- query ----------------------------------------------------------------------
MAP=$TMP/dir/departments.cdb
RULES=$TMP/dir/departments.rules

# the four examples of DESIGN.md, on the example rules (line numbers are
# those of examples/departments.rules, which has a 5-line header)
run "$DEPTMAP" query -m "$MAP" alice@sales.example.com info@sales.example.com \
    nobody@sales.example.com bob@example.com
exit_is 0 "query exits 0"
is "$OUT" "alice@sales.example.com${TAB}REWRITE${TAB}alice@example.com${TAB}rule=departments.rules:10
info@sales.example.com${TAB}REWRITE${TAB}alice@example.com,bob@example.com${TAB}rule=departments.rules:12
nobody@sales.example.com${TAB}REJECT${TAB}550 5.1.1 No such person in Sales${TAB}rule=departments.rules:15
bob@example.com${TAB}PASS${TAB}${TAB}rule=-" "query: the four lines of DESIGN.md, exactly"
is "$ERR" "" "query: nothing on stderr"

ADDRS=(alice@sales.example.com '<alice@sales.example.com>' ALICE@Sales.Example.COM
       alice+news@sales.example.com info+x@sales.example.com john.doe@sales.example.com
       John.Doe+x@sales.example.com dave@sales.example.com erin.smith@sales.example.com
       frank@sales.example.com orders@sales.example.com nobody@sales.example.com
       anyone@eng.example.com any+thing@eng.example.com bob@example.com
       '<>' not-an-address postmaster@example.org '"quoted name"@eng.example.com')
run "$DEPTMAP" query -m "$MAP" "${ADDRS[@]}"
exit_is 0 "query of many addresses exits 0"
printf '%s\n' "$OUT" >"$TMP/q-args"
ok $(($(wc -l <"$TMP/q-args") != ${#ADDRS[@]})) "query prints one line per address"
awk -F'\t' 'NF != 4 { print NR": "NF" fields: "$0; bad = 1 } END { exit bad }' "$TMP/q-args" >"$TMP/bad"
ok $? "every query line has exactly 4 tab-separated fields" || diag "$(cat "$TMP/bad")"
awk -F'\t' '$2 !~ /^(PASS|REJECT|REWRITE|TEMPFAIL)$/ || $4 !~ /^rule=/ { print; bad = 1 } END { exit bad }' \
    "$TMP/q-args" >"$TMP/bad"
ok $? "field 2 is the action, field 4 is rule=" || diag "$(cat "$TMP/bad")"
cut -f1 "$TMP/q-args" >"$TMP/f1"
printf '%s\n' "${ADDRS[@]}" | cmp -s - "$TMP/f1"
ok $? "field 1 is the address as given" || diag "$(cat "$TMP/f1")"

line() { grep -F -- "$1$TAB" "$TMP/q-args" | head -1; }
is "$(line '<alice@sales.example.com>')" "<alice@sales.example.com>${TAB}REWRITE${TAB}alice@example.com${TAB}rule=departments.rules:10" \
    "query with angle brackets decides like without"
is "$(line ALICE@Sales.Example.COM)" "ALICE@Sales.Example.COM${TAB}REWRITE${TAB}alice@example.com${TAB}rule=departments.rules:10" \
    "query folds the case of domain and local part"
is "$(line alice+news@sales.example.com)" "alice+news@sales.example.com${TAB}REWRITE${TAB}alice+news@example.com${TAB}rule=departments.rules:10" \
    "query: user+ext falls back to user and carries the extension over"
is "$(line info+x@sales.example.com)" "info+x@sales.example.com${TAB}REWRITE${TAB}alice+x@example.com,bob+x@example.com${TAB}rule=departments.rules:12" \
    "query: the extension goes to every target of an alias"
is "$(line john.doe@sales.example.com)" "john.doe@sales.example.com${TAB}REWRITE${TAB}john@example.com${TAB}rule=departments.rules:14" \
    "query: a match rule with a capture"
is "$(line erin.smith@sales.example.com)" "erin.smith@sales.example.com${TAB}REWRITE${TAB}erin.smith@example.com${TAB}rule=sales.txt:3" \
    "query: an exact roster entry wins over a match rule"
is "$(line any+thing@eng.example.com)" "any+thing@eng.example.com${TAB}REWRITE${TAB}any+thing@example.org${TAB}rule=departments.rules:19" \
    "query: members * keeps the whole local part, per-department canonical"
is "$(line postmaster@example.org)" "postmaster@example.org${TAB}PASS${TAB}${TAB}rule=-" \
    "query: outside the departments: PASS rule=-"

# stdin
printf '%s\n' "${ADDRS[@]}" | "$DEPTMAP" query -m "$MAP" - >"$TMP/q-stdin" 2>"$TMP/stderr"
ok $? "query - exits 0" || diag "$(cat "$TMP/stderr")"
cmp -s "$TMP/q-args" "$TMP/q-stdin"
ok $? "query - reads addresses from stdin, same answers as arguments" ||
    diag "$(diff "$TMP/q-args" "$TMP/q-stdin")"
printf 'alice@sales.example.com\r\n\r\nnobody@sales.example.com\r\n' | "$DEPTMAP" query -m "$MAP" - >"$TMP/q-crlf"
is "$(cut -f1,2 "$TMP/q-crlf")" "alice@sales.example.com${TAB}REWRITE
nobody@sales.example.com${TAB}REJECT" "query -: CRLF line ends stripped, empty lines skipped"

# -r RULES gives the answers of -m of the compiled map
"$DEPTMAP" query -r "$RULES" "${ADDRS[@]}" >"$TMP/q-rules" 2>"$TMP/stderr"
ok $? "query -r exits 0" || diag "$(cat "$TMP/stderr")"
cmp -s "$TMP/q-args" "$TMP/q-rules"
ok $? "query -r RULES answers exactly like -m of the compiled map" ||
    diag "$(diff "$TMP/q-args" "$TMP/q-rules")"
for g in tests/golden/*.rules; do
    n=$(basename "$g" .rules)
    "$DEPTMAP" compile -o "$TMP/g-$n.cdb" "$g" 2>/dev/null || continue
    # every department address in the map, plus an unknown one per department
    "$DEPTMAP" dump "$TMP/g-$n.cdb" | awk -F'\t' '
        $1 ~ /^addr:/ { split($1, k, ":"); print k[3] "@" k[2]; print toupper(k[3]) "+x@" k[2] }
        $1 ~ /^dept:/ { sub(/^dept:/, "", $1); print "zz-unknown@" $1; print "a.b@" $1 }' >"$TMP/g-addrs"
    "$DEPTMAP" query -m "$TMP/g-$n.cdb" - <"$TMP/g-addrs" >"$TMP/g-m" 2>&1
    "$DEPTMAP" query -r "$g" - <"$TMP/g-addrs" >"$TMP/g-r" 2>&1
    cmp -s "$TMP/g-m" "$TMP/g-r"
    ok $? "golden/$n: query -r and -m agree on $(wc -l <"$TMP/g-addrs") addresses" ||
        diag "$(diff "$TMP/g-m" "$TMP/g-r")"
done

# --explain: every lookup tried, in order
mkdir "$TMP/ex"
cat >"$TMP/ex/explain.rules" <<'EOF'
canonical example.com
delimiter +
department sales.example.com
    members alice
    match /^bot-([a-z]+)$/ -> robots
    match /^[0-9]+$/ -> numbers
    unknown reject 550 5.1.1 "No such person in Sales"
department eng.example.com
    canonical example.org
    match /^bot-([a-z]+)$/ -> robots
    members *
EOF
run "$DEPTMAP" query -r "$TMP/ex/explain.rules" --explain nobody+x@sales.example.com
exit_is 0 "query --explain exits 0"
is "$OUT" "# address: local part \"nobody+x\", domain sales.example.com
# lookup nobody+x@sales.example.com: not found
# lookup nobody@sales.example.com: not found
# match /^bot-([a-z]+)$/ (rule=explain.rules:5): no match
# match /^[0-9]+$/ (rule=explain.rules:6): no match
# unknown: policy reject (rule=explain.rules:7)
nobody+x@sales.example.com${TAB}REJECT${TAB}550 5.1.1 No such person in Sales${TAB}rule=explain.rules:7" \
    "--explain: exact, without extension, match rules in order, unknown"
run "$DEPTMAP" query -r "$TMP/ex/explain.rules" --explain Someone@eng.example.com
is "$OUT" "# address: local part \"Someone\", domain eng.example.com
# lookup someone@eng.example.com: not found
# match /^bot-([a-z]+)$/ (rule=explain.rules:10): no match
# members * (rule=explain.rules:11)
Someone@eng.example.com${TAB}REWRITE${TAB}Someone@example.org${TAB}rule=explain.rules:11" \
    "--explain: no extension to strip, match, then members *"
run "$DEPTMAP" query -r "$TMP/ex/explain.rules" --explain alice+x@sales.example.com bob@example.net
is "$OUT" "# address: local part \"alice+x\", domain sales.example.com
# lookup alice+x@sales.example.com: not found
# lookup alice@sales.example.com: found
alice+x@sales.example.com${TAB}REWRITE${TAB}alice+x@example.com${TAB}rule=explain.rules:4
# address: local part \"bob\", domain example.net
# example.net is not a department: pass
bob@example.net${TAB}PASS${TAB}${TAB}rule=-" "--explain: stops at the first hit; non-department"
run "$DEPTMAP" query -m "$MAP" --explain x@sales.example.com
grep '^# match' <<<"$OUT" >"$TMP/m"
ok $([ "$(cat "$TMP/m")" = '# match /^([a-z]+)\.([a-z]+)$/ (rule=departments.rules:14): no match' ]; echo $?) \
    "--explain shows a match pattern as written" || diag "$(cat "$TMP/m")"
# --explain changes nothing but the # lines
"$DEPTMAP" query -m "$MAP" --explain "${ADDRS[@]}" | grep -v '^# ' >"$TMP/q-ex"
cmp -s "$TMP/q-args" "$TMP/q-ex"
ok $? "--explain adds only # lines" || diag "$(diff "$TMP/q-args" "$TMP/q-ex")"

# --- domains --------------------------------------------------------------------
run "$DEPTMAP" domains "$MAP"
exit_is 0 "domains exits 0"
is "$OUT" "eng.example.com
sales.example.com" "domains lists the department domains, one per line"
"$DEPTMAP" compile -o "$TMP/idn.cdb" tests/golden/idn.rules
run "$DEPTMAP" domains "$TMP/idn.cdb"
is "$OUT" "shop.example.com
xn--bcher-kva.example
bücher.example
xn--mnchen-3ya.example
münchen.example" "domains: an IDN department in both forms (A-label, then U-label)"
run "$DEPTMAP" query -m "$TMP/idn.cdb" anna@bücher.example anna@xn--bcher-kva.example ANNA@XN--BCHER-KVA.EXAMPLE
is "$(cut -f2- <<<"$OUT" | sort -u)" "REWRITE${TAB}anna@xn--mller-kva.example${TAB}rule=idn.rules:4" \
    "query: an IDN department matches in both forms"

done_testing
