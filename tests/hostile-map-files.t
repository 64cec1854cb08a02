#!/bin/bash
# Hostile map files do not hang or crash deptmap: every file in
# tests/fuzz/regress/ (inputs the fuzzers found) and in the map fuzzer's
# seed corpus goes through "deptmap dump", "deptmap domains" and
# "deptmap query -m", each of which must finish within 3 s without a
# signal (exit 0, or 3 for a map it refuses).
#
# map-seqnext-wrap (found by tests/fuzz/fuzz_map.c): a record whose
# key length is near 2^32.  tinycdb's cdb_seqnext() checks it with
# unsigned arithmetic that wraps, and hands back a "next" position that
# is not after the current one: a walk of the records never ends.  deptmap
# dump therefore walks with map_record_next() (rewrite/map.c), which checks
# each length against the end of the data.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"

DEPTMAP=$here/../deptmap
[ -x "$DEPTMAP" ] || skip_all "deptmap not built"


files=("$here"/fuzz/regress/map-* "$here"/fuzz/corpus/map/*)
plan $((3 * ${#files[@]}))

for f in "${files[@]}"; do
    name=$(basename "$f")
    for cmd in dump domains query; do
        args=("$cmd" "$f")
        [ "$cmd" = query ] && args=(query -m "$f" alice@sales.example.com x@eng.example.com)
        timeout -s KILL 3 "$DEPTMAP" "${args[@]}" >/dev/null 2>&1
        rc=$?
        if [ $rc = 0 ] || [ $rc = 3 ]; then st=0; else st=1; fi
        ok $st "deptmap $cmd $name: finishes, no signal (exit $rc)"
    done
done
