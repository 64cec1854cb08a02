#!/usr/bin/env bash
# deptmap-errors.t -- bad rules files: exact errors, exit 1, old map kept.
#
# For every tests/errors/NAME.rules (run from the repository root, so FILE in
# "FILE:LINE: text" is the relative path tests/errors/NAME.rules):
#   compile -o OUT/NAME.cdb over a pre-existing map:
#     - exit status 1
#     - stderr is exactly tests/errors/NAME.err
#     - nothing on stdout
#     - the pre-existing map is byte-identical afterwards
#     - no temporary file (.NAME.cdb.XXXXXX) is left in OUT
#   check:
#     - exit status 1 and nothing on stdout
#     - stderr is exactly tests/errors/NAME.err
# and `deptmap check` on a good file is silent with exit 0.
#
# Where the program is known wrong, NAME.err holds the right answer (written
# by hand) and the case is listed in TODO_MSG (only the message is wrong) or
# TODO_ALL (the error is missed: the rules compile).
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1

. tests/lib/tap.sh

if [ ! -x ./deptmap ]; then
    skip_all "./deptmap not built (make deptmap)"
fi
tmpdir_make TMP || exit 1

# Only the message is wrong (exit status and map handling are right).
# Cases whose message is known wrong (none at present): NAME="reason".
declare -A TODO_MSG=(
)
# Cases whose error is missed altogether (none at present).
declare -A TODO_ALL=(
)

# A good map to put at every output path first.
./deptmap compile -o "$TMP/good.cdb" examples/departments.rules 2>"$TMP/err" ||
    { echo "Bail out! cannot compile examples/departments.rules: $(cat "$TMP/err")"; exit 255; }

ncases=0
for rules in tests/errors/*.rules; do
    name=$(basename "$rules" .rules)
    want=tests/errors/$name.err
    out=$TMP/out-$name
    map=$out/$name.cdb
    tall=${TODO_ALL[$name]:-}
    tmsg=${TODO_MSG[$name]:-$tall}
    ncases=$((ncases + 1))
    mkdir "$out"
    cp "$TMP/good.cdb" "$map"

    # compile
    ./deptmap compile -o "$map" "$rules" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    todo_ok $((rc != 1)) "$tall" "$name: compile exits 1" || diag "exit status $rc"
    if [ -f "$want" ]; then
        cmp -s "$TMP/err" "$want"
        st=$?
    else
        st=1
    fi
    todo_ok "$st" "$tmsg" "$name: compile stderr is exactly $name.err" ||
        diag "$(diff -u "$want" "$TMP/err" 2>&1)"
    ok $(($(wc -c <"$TMP/out") != 0)) "$name: compile prints nothing on stdout" ||
        diag "$(cat "$TMP/out")"
    cmp -s "$map" "$TMP/good.cdb"
    todo_ok $? "$tall" "$name: the map already at the output path is unchanged"
    left=$(cd "$out" && ls -A | grep -vx "$name.cdb")
    ok $([ -z "$left" ]; echo $?) "$name: no temporary file left next to the output" ||
        diag "left: $left"

    # check
    ./deptmap check "$rules" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    todo_ok $((rc != 1 || $(wc -c <"$TMP/out") != 0)) "$tall" \
        "$name: check exits 1, nothing on stdout" || diag "exit status $rc"
    cmp -s "$TMP/err" "$want"
    todo_ok $? "$tmsg" "$name: check stderr is exactly $name.err" ||
        diag "$(diff -u "$want" "$TMP/err" 2>&1)"
done
ok $((ncases < 30)) "at least 30 bad rules files ($ncases)"

# check is silent on good files
for good in examples/departments.rules tests/golden/sketch.rules; do
    ./deptmap check "$good" >"$TMP/out" 2>&1
    rc=$?
    ok $((rc != 0 || $(wc -c <"$TMP/out") != 0)) "check $good: exit 0, silent" ||
        diag "exit status $rc" "$(cat "$TMP/out")"
done

# A good compile over the old map does replace it, and leaves no temp file
# (--force: sales.example.com loses half its names to aliases.rules, which
# the shrink guard would refuse; tests/deptmap-shrink-guard.t tests that).
mkdir "$TMP/replace"
cp "$TMP/good.cdb" "$TMP/replace/m.cdb"
./deptmap compile --force -o "$TMP/replace/m.cdb" tests/golden/aliases.rules 2>"$TMP/err"
ok $? "a good compile over an existing map exits 0" || diag "$(cat "$TMP/err")"
! cmp -s "$TMP/replace/m.cdb" "$TMP/good.cdb"
ok $? "a good compile replaces the map"
ok $(($(ls -A "$TMP/replace" | wc -l) != 1)) "a good compile leaves only the map in the directory" ||
    diag "$(ls -A "$TMP/replace")"

done_testing
