#!/bin/bash
# Bad map files while deptmilter runs: a corrupt, a truncated, an empty
# file and a CDB that is not a deptmap renamed over the map; a map made
# unreadable; the map's directory removed; the map truncated in place (as
# "cp new.cdb departments.cdb" or "> departments.cdb" do); a map whose
# header is fine but one record is broken.  Each time the old generation
# keeps serving (or, for the broken record, on_error applies to that
# address only), the log says why, and deptmilter lives on.
#
# The maps hold a 20,000-name roster, so that the file spans many pages:
# a map read through mmap of the file itself would die of SIGBUS when the
# file is truncated in place (deptmilter maps a private copy).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"
command -v cdb >/dev/null || skip_all "needs cdb (tinycdb)"

plan 27

tmpdir_make
mkdir "$TEST_TMP/maps" "$TEST_TMP/src"
seq -f 'user%g' 1 20000 >"$TEST_TMP/src/roster.txt"
cat >"$TEST_TMP/src/v1.rules" <<'EOF'
canonical example.com
department sales.example.com
    members alice bob carol
    members-file roster.txt
    unknown reject 550 5.1.1 "No such person in Sales"
EOF
sed 's/members alice bob carol/members bob carol erin/; s/Sales"/Sales (v2)"/' \
    "$TEST_TMP/src/v1.rules" >"$TEST_TMP/src/v2.rules"
map=$TEST_TMP/maps/departments.cdb
"$DEPTMAP_BIN" compile -o "$map" "$TEST_TMP/src/v1.rules" || bail_out "compile v1"
"$DEPTMAP_BIN" compile -o "$TEST_TMP/src/v1.cdb" "$TEST_TMP/src/v1.rules" || bail_out "compile v1"
"$DEPTMAP_BIN" compile -o "$TEST_TMP/src/v2.cdb" "$TEST_TMP/src/v2.rules" || bail_out "compile v2"
MILTER_MAP=$map
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock" on_error=tempfail
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"

# answers ADDR... -- deptmilter's RCPT reply to each address, one a line:
# "c" (continue) or "y CODE DSN TEXT"
answers() {
    PYTHONPATH="$here/milter" python3 - "$sock" "$@" <<'PY'
import sys
from mtclient import Milter
m = Milter(sys.argv[1])
m.negotiate(steps=0x1FFFFF & ~0xFF080)   # no SMFIP_NR_*: every step answered
m.connect("client.test", "192.0.2.7")
m.mail("<s@example.net>")
for a in sys.argv[2:]:
    code, data = m.rcpt("<%s>" % a)
    print((code + " " + data.rstrip(b"\0").decode()).rstrip())
m.close()
PY
}
V1="c
c
y 550 5.1.1 No such person in Sales"		# carol, user19999, erin
V2="c
c
c"
serves() {		# serves V1|V2 NAME: the answers of that generation
    local want=${!1}
    is "$(answers carol@sales.example.com user19999@sales.example.com erin@sales.example.com)" \
        "$want" "$2"
}
# dropped NAME FILE: rename FILE over the map, wait for the log line
dropped() {
    local n
    n=$(milter_log_lines '^map: cannot load' | wc -l)
    mv "$2" "$map"
    local tries=60
    while [ "$(milter_log_lines '^map: cannot load' | wc -l)" -le "$n" ] && [ $tries -gt 0 ]; do
        sleep 0.05; tries=$((tries - 1))
    done
    like "$(milter_log_lines '^map: cannot load' | tail -1)" "$3" "$1: logged with the reason, old generation kept"
}

serves V1 "generation 1 in service"

head -c 100000 /dev/urandom >"$TEST_TMP/maps/new"
dropped "corrupt file" "$TEST_TMP/maps/new" \
    "^map: cannot load $map: (not a CDB file|not a deptmap file|bad meta|record|format).*; keeping generation=1\$"
serves V1 "corrupt file: generation 1 still serves"

head -c $(($(stat -c %s "$TEST_TMP/src/v2.cdb") / 2)) "$TEST_TMP/src/v2.cdb" >"$TEST_TMP/maps/new"
dropped "truncated CDB" "$TEST_TMP/maps/new" "^map: cannot load $map: .*; keeping generation=1\$"
serves V1 "truncated CDB: generation 1 still serves"

: >"$TEST_TMP/maps/new"
dropped "empty file" "$TEST_TMP/maps/new" \
    "^map: cannot load $map: not a CDB file: bad header or size; keeping generation=1\$"
serves V1 "empty file: generation 1 still serves"

printf '+3,5:abc->hello\n\n' | cdb -c "$TEST_TMP/maps/new"
dropped "a CDB that is not a deptmap" "$TEST_TMP/maps/new" \
    "^map: cannot load $map: not a deptmap file \\(no meta record\\); keeping generation=1\$"
serves V1 "not a deptmap: generation 1 still serves"

cp "$TEST_TMP/src/v2.cdb" "$TEST_TMP/maps/new"
chmod 0600 "$TEST_TMP/maps/new"		# deptmilter runs as nobody
dropped "unreadable map" "$TEST_TMP/maps/new" \
    "^map: cannot load $map: Permission denied; keeping generation=1\$"
serves V1 "unreadable map: generation 1 still serves"
chmod 0644 "$map"
milter_wait_log '^map: loaded .* generation=2 ' 5
ok $? "the mode fixed (chmod only): the map is loaded (generation=2)"
serves V2 "generation 2 serves"

n=$(milter_log_lines '^map: cannot load' | wc -l)
rm -rf "$TEST_TMP/maps"
milter_wait_log "^map: cannot load $map: No such file or directory; keeping generation=2\$" 5
ok $? "map directory removed: logged, generation 2 kept"
serves V2 "map directory removed: generation 2 still serves"
mkdir "$TEST_TMP/maps"
"$DEPTMAP_BIN" compile -o "$map" "$TEST_TMP/src/v1.rules"
milter_wait_log '^map: loaded .* generation=3 ' 5
ok $? "directory and map back: loaded (generation=3)"
serves V1 "generation 3 serves"

truncate -s 5000 "$map"
milter_wait_log "^map: cannot load $map: .*; keeping generation=3\$" 5
ok $? "map truncated in place: logged, generation 3 kept"
serves V1 "map truncated in place: generation 3 still serves every address"
kill -0 "$MILTER_PID"
ok $? "map truncated in place: deptmilter alive (no SIGBUS)"
cat "$TEST_TMP/src/v2.cdb" >"$map"	# rewritten in place, complete
milter_wait_log '^map: loaded .* generation=4 ' 5
ok $? "map rewritten in place (cat > map): loaded when complete (generation=4)"
serves V2 "generation 4 serves"

# a map whose header and departments are right, but carol's record has
# no target: the lookup of carol is a map error (on_error), others work
cdb -d "$TEST_TMP/src/v1.cdb" | perl -ne '
    if (/^\+\d+,\d+:(addr:sales\.example\.com:carol)->/) {
        my ($k, $v) = ($1, "rule=broken");
        printf "+%d,%d:%s->%s\n", length $k, length $v, $k, $v; next }
    print' | cdb -c "$TEST_TMP/maps/new"
mv "$TEST_TMP/maps/new" "$map"
milter_wait_log '^map: loaded .* generation=5 ' 5
ok $? "a map with one broken record loads (generation=5)"
is "$(answers carol@sales.example.com bob@sales.example.com erin@sales.example.com)" \
"y 451 4.3.0 Temporary lookup failure
c
y 550 5.1.1 No such person in Sales" \
    "broken record: on_error = tempfail for that address only; the others decided"
like "$(milter_log_lines 'tempfail: .*carol')" \
    '^NOQUEUE: tempfail: RCPT from client\.test\[192\.0\.2\.7\]: 451 4\.3\.0 Temporary lookup failure; from=<s@example\.net> to=<carol@sales\.example\.com> rule=' \
    "broken record: the tempfail is logged"

kill -0 "$MILTER_PID"
ok $? "deptmilter still running after all of it"
is "$(milter_log_lines '^map: cannot load' | grep -vc 'keeping generation=')" 0 \
    "every 'cannot load' line says which generation stays"
