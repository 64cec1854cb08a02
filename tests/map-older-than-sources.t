#!/usr/bin/env bash
# map-older-than-sources.t -- a map older than its rules or rosters is
# warned about, as Postfix warns "database is older than source file":
# by `deptmap query -m`, by `deptmilter -t`, and once in the log when
# deptmilter loads the map.  A source touched but not changed, a map
# compiled elsewhere (its sources not beside it) and a fresh compile give
# no warning; the map stays the same bytes wherever it is compiled.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require

plan 13

tmpdir_make
D=$TEST_TMP/etc
mkdir -p "$D/rosters"
cat >"$D/departments.rules" <<'R'
canonical example.com
department sales.example.com
    members alice
    members-file rosters/sales.txt
R
printf 'bob\ncarol\n' >"$D/rosters/sales.txt"
"$DEPTMAP_BIN" compile "$D/departments.rules" || bail_out "compile failed"
MAP=$D/departments.cdb

# query_warnings: what deptmap query -m says on stderr
query_warnings() {
    "$DEPTMAP_BIN" query -m "$MAP" bob@sales.example.com 2>&1 >/dev/null
}
# later FILE: set FILE's mtime after the map's, whatever the clock's grain
later() { touch -d "@$(( $(stat -c %Y "$MAP") + 5 ))" "$1"; }

is "$(query_warnings)" "" "a fresh map: no warning"

later "$D/departments.rules"
is "$(query_warnings)" "" "rules touched but not changed: no warning"

echo "    members dave" >>"$D/departments.rules"
later "$D/departments.rules"
is "$(query_warnings)" \
    "deptmap: warning: $MAP is older than source file $D/departments.rules; run deptmap compile" \
    "rules changed after the compile: deptmap query -m warns, naming the rules file"

"$DEPTMAP_BIN" compile "$D/departments.rules"
is "$(query_warnings)" "" "compiled again: the warning is gone"

echo erin >>"$D/rosters/sales.txt"
later "$D/rosters/sales.txt"
is "$(query_warnings)" \
    "deptmap: warning: $MAP is older than source file $D/rosters/sales.txt; run deptmap compile" \
    "a roster changed after the compile: the warning names the roster"
out=$("$DEPTMAP_BIN" query -m "$MAP" erin@sales.example.com 2>/dev/null)
like "$out" $'\tREJECT\t' "the warning changes no answer: erin is not in the map yet"

# deptmilter -t and the log, on the same stale map
milter_conf "$TEST_TMP" "unix:$TEST_TMP/milter.sock"
sed -i "s|^map = .*|map = $MAP|" "$MILTER_CONF"
grep -q "^map = $MAP\$" "$MILTER_CONF" || bail_out "config has no map line: $(cat "$MILTER_CONF")"
out=$("$MILTER_BIN" -t -c "$MILTER_CONF" 2>&1); rc=$?
is "$rc" 0 "deptmilter -t: a stale map is a warning, not an error"
like "$out" "map: warning: $MAP is older than source file $D/rosters/sales.txt; run deptmap compile" \
    "deptmilter -t warns, naming the roster"

milter_start "$TEST_TMP" || bail_out "deptmilter did not start: $(cat "$MILTER_LOG")"
milter_wait_log "map: warning: .* older than source file $D/rosters/sales.txt" 10
ok $? "deptmilter logs the warning when it loads the map"
is "$(milter_log_lines 'older than source file' | wc -l)" 1 "logged once, not per message"
"$DEPTMAP_BIN" compile "$D/departments.rules"
milter_wait_log "map: loaded .* generation=2" 10
ok $? "the recompiled map is loaded"
is "$(milter_log_lines 'older than source file' | wc -l)" 1 "no warning for the recompiled map"
milter_stop

# compiled elsewhere: the map's sources are not beside it
mkdir "$TEST_TMP/other"
"$DEPTMAP_BIN" compile -o "$TEST_TMP/other/departments.cdb" "$D/departments.rules"
echo frank >>"$D/rosters/sales.txt"
touch -d "@$(( $(date +%s) + 60 ))" "$D/rosters/sales.txt"
out=$("$DEPTMAP_BIN" query -m "$TEST_TMP/other/departments.cdb" bob@sales.example.com 2>&1 >/dev/null)
is "$out" "" "a map whose sources are not beside it: no warning (it may come from elsewhere)"
