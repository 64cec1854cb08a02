#!/usr/bin/env bash
# deptmap-unchanged-not-replaced.t -- deptmap compile leaves a map in
# place alone when the new one has the same digest: exit 0, one line
# "MAP: unchanged (digest=HEX), not replaced" on stdout, the file's inode,
# mtime and ctime as they were, no temporary file; so a running
# deptmilter does not reload it, while a changed map is replaced and
# reloaded.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh
. tests/lib/run.sh
. tests/lib/milter.sh

milter_require
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
cd "$TMP" || exit 1

# stamp FILE - inode, mtime and ctime (ns), mode
stamp() { stat -c '%i %.9Y %.9Z %a' "$1"; }
digest() { "$DEPTMAP" dump "$1" | sed -n 's/^meta\t.*digest=\([0-9a-f]*\).*/\1/p'; }

cp "$ROOT/examples/departments.rules" "$ROOT/examples/sales.txt" .
run "$DEPTMAP" compile -o map.cdb departments.rules
ok $((RC != 0)) "first compile: exit 0" || diag "$ERR"
before=$(stamp map.cdb)
d1=$(digest map.cdb)

# --- the same rules again ---------------------------------------------------------------
run "$DEPTMAP" compile -o map.cdb departments.rules
ok $((RC != 0)) "the same rules again: exit 0" || diag "exit $RC" "$ERR"
is "$OUT" "map.cdb: unchanged (digest=$d1), not replaced" "the same rules again: 'unchanged' and the digest on stdout"
is "$ERR" "" "the same rules again: nothing on stderr"
is "$(stamp map.cdb)" "$before" "the same rules again: same inode, mtime, ctime and mode"
is "$(ls -A | grep '^\.')" "" "the same rules again: no temporary file left"

run "$DEPTMAP" compile --force -o map.cdb departments.rules
is "$RC $OUT $(stamp map.cdb)" "0 map.cdb: unchanged (digest=$d1), not replaced $before" \
    "--force: an unchanged map is still not replaced"

# a comment at the end changes the rules file, and so the map's record of
# its sources (the digest of each source's bytes, for the warning that a
# map is older than its source): the map is replaced, once
echo "# reviewed" >>departments.rules
run "$DEPTMAP" compile -o map.cdb departments.rules
isnt_same=$([ "$(stamp map.cdb)" != "$before" ] && [ -z "$OUT" ] && echo yes)
is "$RC|$isnt_same" "0|yes" \
    "rules with a new comment at the end: replaced (the map records its sources' digests)"
d1=$(digest map.cdb)
before=$(stamp map.cdb)		# the map in place now (the old inode may be reused)

# the default output path
run "$DEPTMAP" compile departments.rules
ok $((RC != 0)) "compile RULES without -o: exit 0" || diag "$ERR"
first=$(stamp departments.cdb)
run "$DEPTMAP" compile departments.rules
is "$RC|$OUT|$ERR" "0|departments.cdb: unchanged (digest=$d1), not replaced|" \
    "compile RULES without -o again: unchanged, named by its default path"
is "$(stamp departments.cdb)" "$first" "compile RULES without -o again: same inode, mtime and ctime"

# --- a change is written ------------------------------------------------------------------
echo "gina" >>sales.txt
run "$DEPTMAP" compile -o map.cdb departments.rules
ok $((RC != 0)) "a new roster line: exit 0" || diag "$ERR"
is "$OUT$ERR" "" "a new roster line: nothing printed"
isnt=$([ "$(stamp map.cdb | cut -d' ' -f1)" != "${before%% *}" ]; echo $?)
ok "$isnt" "a new roster line: the map is replaced (a new inode)"
like "$("$DEPTMAP" query -m map.cdb gina@sales.example.com)" $'\tREWRITE\tgina@example.com\t' \
    "a new roster line: the new map answers for gina"

# --- a running deptmilter reloads a changed map only ------------------------------------------
mkdir m && cp sales.txt m/
milter_map "$TMP/m" "$TMP/departments.rules" || bail_out "cannot compile the milter's map"
milter_conf "$TMP/m" "unix:$TMP/m/deptmilter.sock"
milter_start "$TMP/m" || bail_out "deptmilter did not start"
milter_wait_log '^map: loaded .* generation=1 ' 10
ok $? "deptmilter started on the map (generation=1)"

run "$DEPTMAP" compile -o "$MILTER_MAP" "$TMP/m/departments.rules"
like "$OUT" ': unchanged \(digest=' "the same rules compiled over deptmilter's map: unchanged"
# deptmilter's control thread takes the inotify event of a replaced map
# in the same turn as a signal sent after it: two SIGUSR2 (stats lines),
# each waited for, and any reload the compile caused is logged by then.
kill -USR2 "$MILTER_PID"
milter_wait_log '^stats: ' 10 1
n=$(milter_log_lines '^stats: ' | wc -l)
kill -USR2 "$MILTER_PID"
milter_wait_log '^stats: ' 10 $((n + 1))
ok $? "deptmilter answered two SIGUSR2, one after the other"
is "$(milter_log_lines '^map: loaded' | wc -l)" 1 "an unchanged compile: deptmilter did not reload" ||
    diag "$(cat "$MILTER_LOG")"

echo "hugo" >>"$TMP/m/sales.txt"
"$DEPTMAP" compile -o "$MILTER_MAP" "$TMP/m/departments.rules"
milter_wait_log "^map: loaded .* generation=2 records=[0-9]+ digest=$(digest "$MILTER_MAP")\$" 10
ok $? "a changed compile: deptmilter reloads it (generation=2, the new digest)" ||
    diag "$(cat "$MILTER_LOG")"

done_testing
