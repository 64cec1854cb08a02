#!/bin/bash
# make bench-smoke inside make check: the benchmark's own code, run on small
# inputs, so that it never rots.  It proves that every row was measured,
# not how fast anything is (timed tests on shared machines prove nothing).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"

pf_require || skip_all "needs root, postfix and smtp-sink"
[ -x "$here/../deptmilter" ] || skip_all "deptmilter not built"
# valgrind cannot run sanitizer builds, and their speed means nothing
[ "${SANITIZE:-}" = 1 ] && skip_all "a benchmark has no meaning on a sanitizer build"
plan 5
tmpdir_make
SMOKE=1 BENCH_OUT=$TEST_TMP bash "$here/bench/run.sh" >"$TEST_TMP/out" 2>&1
ok $? "bench-smoke runs to the end" || diag "$(tail -20 "$TEST_TMP/out")"
# the lines of the first table (the socketmap section has a table too)
rows=$(awk '/^\| / { n++; t = 1; next } t && !/^\|/ { exit } END { print n + 0 }' \
    "$TEST_TMP/BENCHMARKS.md" 2>/dev/null)
is "$rows" 34 "BENCHMARKS.md has the header and the 33 measured rows"
for w in "e2e: deptmilter over unix" "e2e: deptmilter over inet" "virtual_alias_maps" \
    "decide, 20000 members, hit-ext" "regex: 50 match rules" "compile 20000-member roster: wall time" \
    "compile 20000-member roster: peak memory" \
    "own CPU per message" \
    "reload 20000-entry map" "compile 2000 directory entries" \
    "socketmap e2e: virtual_alias_maps = socketmap" "main.cf.snippet's four socketmap tables" \
    "socketmap e2e CPU per message (every process of the Postfix instance" \
    "deptmilter's own CPU per query" "lookups/s over 50 connection" \
    "socketmap questions per one-recipient message"; do
    grep -q "$w" "$TEST_TMP/BENCHMARKS.md" || missing="$missing [$w]"
done
ok "$([ -z "$missing" ]; echo $?)" "every kind of row is there" || diag "missing:$missing"
grep -q '^| reload x3 under load: messages failed of 450 | - | [0-9]' "$TEST_TMP/BENCHMARKS.md"
ok $? "the reload row counts the messages that failed"
# the questions of one message, counted: each asking process is named
for p in smtpd cleanup trivial-rewrite; do
    grep -q "^| member | $p | " "$TEST_TMP/BENCHMARKS.md" || missing_p="$missing_p $p"
done
ok "$([ -z "$missing_p" ]; echo $?)" "the socketmap questions of a message name smtpd, cleanup and trivial-rewrite" ||
    diag "no question from:$missing_p"
