#!/usr/bin/env bash
# deptmap-test.t -- deptmap test RULES [TESTS]: a tests file of lines in
# deptmap query's own format is checked against the rules, every line of
# it; query output kept verbatim passes; a mismatch is FILE:LINE with what
# was expected and what came; rule= may be left out; blank and # lines are
# skipped; a malformed line is an error with FILE:LINE.  Exit 0 all pass,
# 1 a mismatch, malformed line or rules error, 2 usage.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh
. tests/lib/run.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
TAB=$'\t'

cd "$TMP" || bail_out "cd $TMP"
cat >d.rules <<'RULES'
canonical example.com
delimiter +
department sales.example.com
    members alice bob
    alias info -> alice, bob
    match /^([a-z]+)\.([a-z]+)$/ -> $1@example.com
    unknown reject 550 5.1.1 "No such person in Sales"
department eng.example.com
    members *
    unknown pass
RULES
ADDRS=(alice@sales.example.com alice+x@sales.example.com info@sales.example.com
       john.doe@sales.example.com nobody@sales.example.com Grace@eng.example.com
       carol@example.net '<bob@sales.example.com>')

# --- the output of a query, kept as it is, passes -------------------------------
"$DEPTMAP" query -r d.rules "${ADDRS[@]}" >d.tests || bail_out "query failed"
run "$DEPTMAP" test d.rules
exit_is 0 "query output kept verbatim as d.tests passes"
is "$OUT" "d.tests: ${#ADDRS[@]} tests passed" "the count of tests on stdout"
is "$ERR" "" "nothing on stderr when every test passes"
run "$DEPTMAP" test d.rules d.tests
exit_is 0 "TESTS given explicitly: the same"
cp d.rules plain && "$DEPTMAP" query -r plain "${ADDRS[@]}" >plain.tests
run "$DEPTMAP" test plain
exit_is 0 "RULES without .rules: TESTS is RULES.tests"
mv d.tests other.tests
run "$DEPTMAP" test d.rules
exit_is 1 "the default tests file missing: exit 1"
is "$ERR" "d.tests: cannot open: No such file or directory" "the missing tests file is named"
mv other.tests d.tests

# --- mismatches: FILE:LINE, expected and got, every line checked ----------------
sed -e "s/alice@example.com,bob@example.com/bob@example.com/" \
    -e "s/No such person in Sales/Nobody here/" d.tests >bad.tests
run "$DEPTMAP" test d.rules bad.tests
exit_is 1 "two mismatches: exit 1"
is "$ERR" "bad.tests:3: info@sales.example.com: expected REWRITE bob@example.com rule=d.rules:5, got REWRITE alice@example.com,bob@example.com rule=d.rules:5
bad.tests:5: nobody@sales.example.com: expected REJECT 550 5.1.1 Nobody here rule=d.rules:7, got REJECT 550 5.1.1 No such person in Sales rule=d.rules:7
bad.tests: 2 of ${#ADDRS[@]} tests failed" "each mismatch as FILE:LINE: ADDRESS: expected ..., got ..., then the count"
is "$OUT" "" "nothing on stdout when a test fails"

# --- rule= may be left out; when given it is compared ---------------------------
cat >norule.tests <<EOF
alice@sales.example.com${TAB}REWRITE${TAB}alice@example.com
carol@example.net${TAB}PASS${TAB}
carol@example.net${TAB}PASS
nobody@sales.example.com${TAB}REJECT${TAB}550 5.1.1 No such person in Sales
EOF
run "$DEPTMAP" test d.rules norule.tests
exit_is 0 "lines without rule= pass on the answer alone"
printf 'alice@sales.example.com\tREWRITE\tbob@example.com\n' >norule-bad.tests
run "$DEPTMAP" test d.rules norule-bad.tests
exit_is 1 "a line without rule= and a wrong answer fails"
is "$ERR" "norule-bad.tests:1: alice@sales.example.com: expected REWRITE bob@example.com, got REWRITE alice@example.com rule=d.rules:4
norule-bad.tests: 1 of 1 tests failed" "the mismatch shows no rule for the expectation"
printf 'alice@sales.example.com\tREWRITE\talice@example.com\trule=d.rules:9\n' >rule-bad.tests
run "$DEPTMAP" test d.rules rule-bad.tests
exit_is 1 "a rule= that differs fails, though the answer is the same"
like "$ERR" "^rule-bad.tests:1: alice@sales.example.com: expected REWRITE alice@example.com rule=d.rules:9, got REWRITE alice@example.com rule=d.rules:4" \
    "the rule mismatch is shown"

# --- comments, blank lines, blanks instead of tabs ------------------------------
cat >style.tests <<'EOF'
# the answers of d.rules, written by hand

   # an indented comment
alice@sales.example.com   REWRITE  alice@example.com
nobody@sales.example.com  REJECT   550 5.1.1 No such person in Sales  rule=d.rules:7
carol@example.net         PASS
carol@example.net         PASS     rule=-
EOF
run "$DEPTMAP" test d.rules style.tests
exit_is 0 "comments and blank lines skipped, blank-separated fields read"
is "$OUT" "style.tests: 4 tests passed" "only the four expectations count"

# --- malformed lines: FILE:LINE, the other lines still checked ------------------
cat >malformed.tests <<EOF
alice@sales.example.com${TAB}REWRITE${TAB}alice@example.com
just-one-word
alice@sales.example.com${TAB}ACCEPT${TAB}alice@example.com
alice@sales.example.com${TAB}REWRITE${TAB}alice@example.com${TAB}d.rules:4
${TAB}PASS${TAB}
info@sales.example.com${TAB}REWRITE${TAB}alice@example.com
EOF
run "$DEPTMAP" test d.rules malformed.tests
exit_is 1 "malformed lines: exit 1"
is "$ERR" "malformed.tests:2: malformed test: expected ADDRESS, ACTION, DETAIL and rule=, separated by tabs
malformed.tests:3: malformed test: unknown action \"ACCEPT\" (PASS, REJECT, REWRITE or TEMPFAIL)
malformed.tests:4: malformed test: the fourth field must be rule=
malformed.tests:5: malformed test: expected ADDRESS, ACTION, DETAIL and rule=, separated by tabs
malformed.tests:6: info@sales.example.com: expected REWRITE alice@example.com, got REWRITE alice@example.com,bob@example.com rule=d.rules:5
malformed.tests: 5 of 6 tests failed" "each malformed line with FILE:LINE, and the lines after them checked"
printf 'alice@sales.example.com\tREWRITE\talice@example.com\n\xff\xfe\n' >binary.tests
run "$DEPTMAP" test d.rules binary.tests
exit_is 1 "a line that is not UTF-8: exit 1"
like "$ERR" "^binary.tests:2: line is not valid UTF-8" "the unreadable line with FILE:LINE"
ok $([[ $ERR == *"binary.tests: 1 of 2 tests failed"* ]]; echo $?) "the unreadable line counts as a failed test" ||
    diag "stderr: $ERR"

# --- rules errors and usage ---------------------------------------------------------
printf 'department x.example.com\n    frobnicate\n' >broken.rules
: >broken.tests
run "$DEPTMAP" test broken.rules
exit_is 1 "rules with an error: exit 1"
like "$ERR" "^broken.rules:2: " "the rules error with FILE:LINE"
run "$DEPTMAP" test
exit_is 2 "no RULES: usage, exit 2"
run "$DEPTMAP" test d.rules d.tests extra
exit_is 2 "three arguments: usage, exit 2"

done_testing
