#!/usr/bin/env bash
# contrib-refresh-timer.t -- contrib/systemd/deptmap-refresh.service and
# .timer: systemd-analyze verify finds nothing wrong in them (nor in the
# drop-in their comments give for another interval); the timer runs the
# service every 15 minutes and is wanted by timers.target once enabled;
# the service is a oneshot that never forces.  Then the service's
# ExecStart, parsed from the unit file and run as written (its
# /usr/sbin/ and /etc/deptmilter/ mapped into this tree and a temporary
# folder): unchanged rules leave the map alone (same inode and mtime),
# changed rules replace it, broken rules and a roster that shrank by half
# exit non-zero with the reason on stderr (the journal) and keep the old
# map.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
SERVICE=contrib/systemd/deptmap-refresh.service
TIMER=contrib/systemd/deptmap-refresh.timer
tmpdir_make TMP || exit 1

# value FILE KEY - the values given to KEY= in FILE, one a line
value() { sed -n "s/^$2=//p" "$1"; }
# stamp FILE - inode and mtime (ns)
stamp() { stat -c '%i %.9Y' "$1"; }

# --- the units, as systemd reads them ---------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    # as "make install" writes them: the programs from this tree
    mkdir "$TMP/units"
    sed "s|/usr/sbin/|$ROOT/|g" "$SERVICE" >"$TMP/units/deptmap-refresh.service"
    cp "$TIMER" "$TMP/units/"
    out=$(cd "$TMP/units" && systemd-analyze verify --man=no deptmap-refresh.timer \
        deptmap-refresh.service 2>&1)
    ok $? "systemd-analyze verify: both units load" || diag "$out"
    is "$out" "" "systemd-analyze verify: no complaint about either unit"

    # the drop-in of the timer's header comment, as "systemctl edit" would write it
    mkdir "$TMP/units/deptmap-refresh.timer.d"
    sed -n '/^#   \[Timer\]/,/^#$/s/^#   //p' "$TIMER" >"$TMP/units/deptmap-refresh.timer.d/override.conf"
    is "$(cat "$TMP/units/deptmap-refresh.timer.d/override.conf")" "[Timer]
OnUnitActiveSec=
OnUnitActiveSec=5min" "the timer's comment gives a drop-in for another interval"
    out=$(SYSTEMD_UNIT_PATH="$TMP/units:" systemd-analyze verify --man=no \
        "$TMP/units/deptmap-refresh.timer" 2>&1)
    is "$out" "" "systemd-analyze verify: the timer with that drop-in is clean"
    echo "OnUnitActiveSec=sometimes" >>"$TMP/units/deptmap-refresh.timer.d/override.conf"
    out=$(SYSTEMD_UNIT_PATH="$TMP/units:" systemd-analyze verify --man=no \
        "$TMP/units/deptmap-refresh.timer" 2>&1)
    like "$out" "override.conf:4: .*sometimes" \
        "systemd-analyze verify reads the drop-in (a bad value in it is reported)"
else
    skip "systemd-analyze is not installed" 5
fi

# --- what the units say -----------------------------------------------------------------
is "$(value "$TIMER" OnUnitActiveSec)" 15min "the timer runs the service 15 minutes after its last run"
is "$(value "$TIMER" WantedBy)" timers.target "the timer, once enabled, is wanted by timers.target"
is "$(value "$TIMER" Unit)" "" "the timer starts the service of its own name (no Unit=)"
is "$(value "$SERVICE" Type)" oneshot "the service is a oneshot"
is "$(value "$SERVICE" TimeoutStartSec)" 10min "a run is stopped after 10 minutes (a oneshot has no timeout by default)"
is "$(grep -c '^\[Install\]' "$SERVICE")" 0 "the service has no [Install]: only the timer starts it"
is "$(value "$SERVICE" ExecStart | wc -l)" 1 "the service has one ExecStart"
cmd=$(value "$SERVICE" ExecStart)
like "$cmd" '^/usr/sbin/deptmap compile ' "ExecStart runs deptmap compile from /usr/sbin"
ok $([[ $cmd != *--force* ]]; echo $?) "ExecStart never forces the shrink guard"
is "$(value "$SERVICE" ReadWritePaths)" /etc/deptmilter \
    "the map's directory stays writable under ProtectSystem=full"

# --- ExecStart as written -------------------------------------------------------------------
ETC=$TMP/etc/deptmilter
mkdir -p "$ETC"
cp examples/departments.rules examples/sales.txt "$ETC/"
run_cmd=${cmd//\/usr\/sbin\//$ROOT/}
run_cmd=${run_cmd//\/etc\/deptmilter\//$ETC/}
read -r -a argv <<<"$run_cmd"
note "ExecStart here: ${argv[*]}"
MAP=$(printf '%s\n' "${argv[@]}" | grep '\.cdb$')
# refresh - one run of the service's command: RC, OUT, ERR
refresh() {
    "${argv[@]}" >"$TMP/stdout" 2>"$TMP/stderr"
    RC=$?
    OUT=$(cat "$TMP/stdout")
    ERR=$(cat "$TMP/stderr")
}

refresh
ok $((RC != 0)) "first run: exit 0" || diag "$ERR"
ok $([ -f "$MAP" ]; echo $?) "first run: the map is written ($MAP)"

before=$(stamp "$MAP")
refresh
ok $((RC != 0)) "unchanged rules: exit 0" || diag "$ERR"
is "$(stamp "$MAP")" "$before" "unchanged rules: the map is not replaced (same inode and mtime)"
like "$OUT" ': unchanged \(digest=[0-9a-f]+\), not replaced$' "unchanged rules: said on stdout"

echo "gina" >>"$ETC/sales.txt"
refresh
ok $((RC != 0)) "a new roster line: exit 0" || diag "$ERR"
isnt=$([ "$(stamp "$MAP")" != "$before" ]; echo $?)
ok "$isnt" "a new roster line: the map is replaced"
like "$("$ROOT/deptmap" query -m "$MAP" gina@sales.example.com)" $'\tREWRITE\t' \
    "a new roster line: the new map answers for gina"

cp "$MAP" "$TMP/map.before"
before=$(stamp "$MAP")
echo "    bogus keyword" >>"$ETC/departments.rules"
refresh
ok $((RC == 0)) "broken rules: non-zero exit ($RC)"
like "$ERR" "departments.rules:[0-9]+: unknown keyword \"bogus\"" "broken rules: FILE:LINE and why on stderr"
cmp -s "$MAP" "$TMP/map.before" && [ "$(stamp "$MAP")" = "$before" ]
ok $? "broken rules: the old map stays, byte-identical, same inode and mtime"

sed -i '/bogus keyword/d' "$ETC/departments.rules"
: >"$ETC/sales.txt"
refresh
ok $((RC == 0)) "a roster emptied (4 of 9 names gone): non-zero exit ($RC)"
like "$ERR" "departments.rules:[0-9]+: department sales.example.com would lose 4 of its 9 names" \
    "a roster emptied: the shrink guard's error on stderr"
cmp -s "$MAP" "$TMP/map.before" && [ "$(stamp "$MAP")" = "$before" ]
ok $? "a roster emptied: the old map stays"

done_testing
