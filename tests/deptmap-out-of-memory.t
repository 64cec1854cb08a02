#!/bin/bash
# deptmap compile and deptmap check with too little memory: whatever
# allocation fails first (the rules parser, a roster, the compiler's
# records, tinycdb), the answer is the one line "deptmap: out of memory"
# and exit 3, never a crash, never a misleading rules error, and the old
# map stays byte-identical with nothing left beside it.  The address
# space is limited with ulimit -v at 41 steps from a little above what
# the program needs to load to a little below what the compile needs, so
# that the failure lands at many different allocations.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"

DEPTMAP=$here/../deptmap
[ -x "$DEPTMAP" ] || skip_all "deptmap not built"
# AddressSanitizer reserves terabytes of address space: ulimit -v cannot apply
ldd "$DEPTMAP" | grep -q libasan && skip_all "ulimit -v does not work under AddressSanitizer"

plan 8

tmpdir_make
cd "$TEST_TMP" || bail_out "cd"
seq -f 'person%07g' 1 200000 >big.txt
printf 'canonical example.com\ndepartment sales.example.com\n    members-file big.txt\n    alias info -> person0000001, person0000002\n    match /^x([a-z]+)$/ -> $1\n' >big.rules
printf 'canonical example.com\ndepartment sales.example.com\n    members alice\n' >small.rules
"$DEPTMAP" compile -o old.cdb small.rules || bail_out "cannot compile small.rules"
mkdir out && cp old.cdb out/departments.cdb

# run_limited KB CMD...: CMD with its address space limited; stderr in err
run_limited() {
    local kb=$1; shift
    (ulimit -v "$kb"; exec "$@") 2>err
}

# The least address space in which deptmap loads at all, and the most it
# needs to compile big.rules: the sweep runs between them.
low=20000
while run_limited $low "$DEPTMAP" check small.rules; [ $? -eq 127 ]; do
    low=$((low + 2000))
    [ $low -gt 400000 ] && bail_out "deptmap does not start even with 400 MB: $(cat err)"
done
high=$low
until run_limited $high "$DEPTMAP" compile -o probe.cdb big.rules; do
    grep -qx "deptmap: out of memory" err || bail_out "compile at $high KB: $(head -c 300 err)"
    high=$((high + 10000))
    [ $high -gt 2000000 ] && bail_out "big.rules does not compile in 2 GB"
done
note "sweep from $low KB to $high KB"

crashed="" wrong="" nomem=0 fine=0 notintact="" leftover=""
for i in $(seq 0 40); do
    kb=$((low + (high - low) * i / 40))
    run_limited $kb "$DEPTMAP" compile -o out/departments.cdb big.rules
    r=$?
    case $r in
    0) fine=$((fine + 1)); cp old.cdb out/departments.cdb ;;
    3) if [ "$(cat err)" = "deptmap: out of memory" ]; then nomem=$((nomem + 1));
       else wrong="$wrong [$kb KB: $(head -c 200 err)]"; fi
       cmp -s old.cdb out/departments.cdb || notintact="$notintact $kb"
       ;;
    *) crashed="$crashed [$kb KB: exit $r: $(head -c 200 err)]" ;;
    esac
    [ "$(ls -A out)" = departments.cdb ] || leftover="$leftover [$kb KB: $(ls -A out | tr '\n' ' ')]"
done
is "$crashed" "" "compile: no crash and no other exit than 0 or 3 at any limit"
is "$wrong" "" "compile: every exit 3 says exactly \"deptmap: out of memory\""
ok $([ $nomem -ge 10 ] && [ $fine -ge 1 ]; echo $?) "compile: at least 10 of 41 limits ran out of memory ($nomem did), some did not ($fine)"
is "$notintact" "" "compile out of memory: the old map is byte-identical"
is "$leftover" "" "compile out of memory: nothing left beside the map"

crashed="" wrong="" nomem=0
for i in $(seq 0 19); do
    kb=$((low + (high - low) * i / 20))
    run_limited $kb "$DEPTMAP" check big.rules
    r=$?
    case $r in
    0) ;;
    3) if [ "$(cat err)" = "deptmap: out of memory" ]; then nomem=$((nomem + 1));
       else wrong="$wrong [$kb KB: $(head -c 200 err)]"; fi ;;
    *) crashed="$crashed [$kb KB: exit $r: $(head -c 200 err)]" ;;
    esac
done
is "$crashed" "" "check: no crash and no other exit than 0 or 3 at any limit"
is "$wrong" "" "check: every exit 3 says exactly \"deptmap: out of memory\""
ok $([ $nomem -ge 5 ]; echo $?) "check: at least 5 of 20 limits ran out of memory ($nomem did)"
