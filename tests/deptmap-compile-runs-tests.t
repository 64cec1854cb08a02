#!/usr/bin/env bash
# deptmap-compile-runs-tests.t -- deptmap compile runs the tests file
# beside the rules (RULES with .rules replaced by .tests) against the map
# it has just written, before naming it: a test that fails leaves the old
# map byte-identical and no temporary file, with the mismatch on stderr
# and exit 1; passing tests let the map be written; without a tests file
# compile works as before; with -o the tests file is still the one beside
# the rules.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh
. tests/lib/run.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
TAB=$'\t'

# files_are DIR WANT NAME: the names in DIR (hidden ones too), one line
files_are() {
    is "$(cd "$1" && ls -A | tr '\n' ' ')" "$2" "$3"
}

mkdir "$TMP/w" "$TMP/out"
cd "$TMP/w" || bail_out "cd"
printf 'canonical example.com\ndepartment sales.example.com\n    members alice bob\n' >d.rules
"$DEPTMAP" compile d.rules || bail_out "cannot compile d.rules"
cp d.cdb old.cdb

# --- a failing test: nothing written ---------------------------------------------
printf 'canonical example.com\ndepartment sales.example.com\n    members alice\n' >d.rules
printf '# bob must stay\nalice@sales.example.com\tREWRITE\talice@example.com\nbob@sales.example.com\tREWRITE\tbob@example.com\n' >d.tests
run "$DEPTMAP" compile d.rules
exit_is 1 "a failing test: compile exits 1"
is "$ERR" "d.tests:3: bob@sales.example.com: expected REWRITE bob@example.com, got REJECT 550 5.1.1 No such user here rule=d.rules:2
d.tests: 1 of 2 tests failed; no map written" "the mismatch with FILE:LINE on stderr"
is "$OUT" "" "nothing on stdout"
cmp -s d.cdb old.cdb
ok $? "a failing test: the old map is byte-identical"
files_are . "d.cdb d.rules d.tests old.cdb " "a failing test: no temporary file beside the map"

# -o elsewhere: the tests file beside the rules still runs
cp old.cdb "$TMP/out/x.cdb"
run "$DEPTMAP" compile -o "$TMP/out/x.cdb" d.rules
exit_is 1 "with -o, the tests file beside the rules runs and fails"
cmp -s "$TMP/out/x.cdb" old.cdb
ok $? "with -o: the old map there is byte-identical"
files_are "$TMP/out" "x.cdb " "with -o: no temporary file in the output directory"
run "$DEPTMAP" compile -o "$TMP/out/new.cdb" d.rules
exit_is 1 "a failing test and no old map: exit 1"
files_are "$TMP/out" "x.cdb " "a failing test and no old map: no map is created"

# a malformed tests line refuses the map too
printf 'alice@sales.example.com\tREWRITE\talice@example.com\nalice@sales.example.com\n' >d.tests
run "$DEPTMAP" compile d.rules
exit_is 1 "a malformed tests line: compile exits 1"
like "$ERR" "^d.tests:2: malformed test" "the malformed line with FILE:LINE"
cmp -s d.cdb old.cdb
ok $? "a malformed tests line: the old map is byte-identical"

# a tests file that cannot be read refuses the map
rm d.tests && mkdir d.tests
run "$DEPTMAP" compile d.rules
exit_is 1 "a tests file that cannot be read: compile exits 1"
like "$ERR" "^d.tests: read error" "the tests file is named"
cmp -s d.cdb old.cdb
ok $? "a tests file that cannot be read: the old map is byte-identical"
rmdir d.tests

# --- passing tests: the map is written --------------------------------------------
printf 'alice@sales.example.com\tREWRITE\talice@example.com\nbob@sales.example.com\tREJECT\t550 5.1.1 No such user here\n' >d.tests
run "$DEPTMAP" compile d.rules
exit_is 0 "passing tests: compile exits 0"
is "$OUT$ERR" "" "passing tests: compile prints nothing"
cmp -s d.cdb old.cdb
ok $((! $?)) "passing tests: the new map replaced the old one"
is "$("$DEPTMAP" query -m d.cdb bob@sales.example.com | cut -f2)" REJECT "passing tests: the new map answers"
files_are . "d.cdb d.rules d.tests old.cdb " "passing tests: no temporary file left"
"$DEPTMAP" compile -o "$TMP/out/x.cdb" d.rules
ok $? "passing tests with -o: exit 0"
cmp -s "$TMP/out/x.cdb" d.cdb
ok $? "passing tests: the same bytes as with -o"

# --- no tests file: as before ----------------------------------------------------------
mkdir "$TMP/plain" && cp d.rules "$TMP/plain/"
run "$DEPTMAP" compile "$TMP/plain/d.rules"
exit_is 0 "no tests file: compile exits 0"
cmp -s "$TMP/plain/d.cdb" d.cdb
ok $? "no tests file: the same bytes as a map compiled with passing tests"

done_testing
