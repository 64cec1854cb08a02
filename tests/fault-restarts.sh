#!/bin/bash
# tests/fault-restarts.sh - make fault-test: 10,000 messages through a
# private Postfix with INSTALL's recommended setup (the milter and the
# socketmap: postfix/main.cf.snippet verbatim) while deptmilter is
# restarted 20 times through its systemd units' own commands
# (tests/milter/sockact.py plays systemd: deptmilter.socket holds both
# sockets, deptmilter.service stopped and started) and upgraded twice
# (dpkg -i of the package with a higher version, then the restart its
# postinst asks systemd for).  Every message is counted: delivered,
# rejected, tempfailed (goal 0), lost and wrong (0); Postfix logs no
# lookup error of the socketmap and defers nothing.
#
# FAULT_MESSAGES (10000), FAULT_RESTARTS (20), FAULT_SESSIONS (20) size it;
# FAULT_UPGRADES=0 leaves the package out.  The upgrades build the package
# (dpkg-buildpackage, from a copy of the tree) once and install it three
# times, repacked with versions VERSION+fault1..3 (same binaries: what an
# upgrade does to a running deptmilter does not depend on what changed);
# like package-test it refuses to run where deptmilter is installed or
# /etc/deptmilter exists, and purges the package at the end.  The daemon
# then runs from /usr/sbin/deptmilter with the test's own configuration.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/unit.sh"

milter_postfix_require python3
MESSAGES=${FAULT_MESSAGES:-10000}
RESTARTS=${FAULT_RESTARTS:-20}
UPGRADES=${FAULT_UPGRADES:-2}
SESSIONS=${FAULT_SESSIONS:-20}

if [ "$UPGRADES" -gt 0 ]; then
    command -v dpkg-buildpackage >/dev/null || skip_all "needs dpkg-buildpackage (make deps)"
    if dpkg-query -W -f='${Status}' deptmilter 2>/dev/null | grep -q 'installed\|config-files'; then
        bail_out "the deptmilter package is installed here; this test installs and purges it"
    fi
    [ -e /etc/deptmilter ] && bail_out "/etc/deptmilter exists; this test would install over it"
fi

plan 9

tmpdir_make
t0=$(date +%s)

# --- the package, three versions -------------------------------------------
if [ "$UPGRADES" -gt 0 ]; then
    src=$TEST_TMP/build/deptmilter
    mkdir -p "$src"
    git -C "$top" ls-files -co --exclude-standard -z | (cd "$top" && tar -c --null -T -) | tar -x -C "$src"
    (cd "$src" && dpkg-buildpackage -us -uc -b) >"$TEST_TMP/build.log" 2>&1 ||
        { tail -20 "$TEST_TMP/build.log" >&2; bail_out "dpkg-buildpackage failed"; }
    deb=$(ls "$TEST_TMP"/build/deptmilter_*_*.deb)
    version=$(dpkg-deb -f "$deb" Version)
    for i in $(seq 1 $((UPGRADES + 1))); do
        rm -rf "$TEST_TMP/repack"
        dpkg-deb -R "$deb" "$TEST_TMP/repack"
        sed -i "s/^Version: .*/Version: $version+fault$i/" "$TEST_TMP/repack/DEBIAN/control"
        dpkg-deb -b "$TEST_TMP/repack" "$TEST_TMP/v$i.deb" >/dev/null || bail_out "repack failed"
    done
    cleanup_add "dpkg --purge deptmilter >/dev/null 2>&1"
    dpkg -i "$TEST_TMP/v1.deb" >"$TEST_TMP/dpkg.log" 2>&1 || { cat "$TEST_TMP/dpkg.log" >&2; bail_out "dpkg -i failed"; }
    MILTER_BIN=/usr/sbin/deptmilter
fi
note "package: $(($(date +%s) - t0)) s"

# --- deptmilter under its units, Postfix, the jobs -----------------------------
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
MILTER_RULES=$here/milter/departments.rules
milter_map "$TEST_TMP" "$MILTER_RULES" || bail_out "the test map did not compile"
mkdir -p "$TEST_TMP/run" && chown nobody "$TEST_TMP/run"
sock=$TEST_TMP/deptmilter.sock
SM=$TEST_TMP/socketmap.sock
milter_conf "$TEST_TMP" "unix:$sock" socketmap="unix:$SM" pid_file="$TEST_TMP/run/deptmilter.pid"
unit_up "$TEST_TMP" "unix:$sock,unix:$SM" || { cat "$TEST_TMP/unit.log" >&2; bail_out "the unit did not start"; }
milter_postfix_recommended "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "unix:$SM" ||
    bail_out "Postfix did not start"

# no two recipients of a message share a target: cleanup's virtual alias
# expansion keeps one copy per original recipient
mixes=(alice@sales.example.com info@sales.example.com nobody@sales.example.com
       zoe@eng.example.com x@example.net
       alice@sales.example.com,carol@sales.example.com,nobody@sales.example.com)
for ((i = 0; i < MESSAGES; i++)); do
    printf '%d\t%s\n' "$i" "${mixes[i % ${#mixes[@]}]}"
done >"$TEST_TMP/jobs"
printf '%s\n' "${mixes[@]}" | tr ',' '\n' | sort -u |
    "$DEPTMAP_BIN" query -m "$MILTER_MAP" - >"$TEST_TMP/query" || bail_out "deptmap query failed"

# steps 1..RESTARTS+UPGRADES: an upgrade at every (RESTARTS+UPGRADES)/
# (UPGRADES+1)-th step, a restart at the others
events=$((RESTARTS + UPGRADES))
cat >"$TEST_TMP/hook.sh" <<HOOK
#!/bin/bash
. "$here/lib/milter.sh"; . "$here/lib/unit.sh"
UNIT_EVENTS=$UNIT_EVENTS UNIT_FIFO=$UNIT_FIFO
n=\$LOAD_HOOK_N
[ "\$n" -le $events ] || exit 0
step=\$(( $events / ($UPGRADES + 1) ))
if [ $UPGRADES -gt 0 ] && [ \$((n % step)) = 0 ] && [ \$((n / step)) -le $UPGRADES ]; then
    v=\$((n / step + 1))
    dpkg -i "$TEST_TMP/v\$v.deb" >>"$TEST_TMP/dpkg.log" 2>&1 || exit 1
    what="upgrade to \$(dpkg-query -W -f='\${Version}' deptmilter)"
else
    what=restart
fi
# what deb-systemd-invoke restart deptmilter.service does: stop, start
unit_cmd restart && echo "\$n \$what" >>"$TEST_TMP/events"
HOOK

chmod +x "$TEST_TMP/hook.sh"
: >"$TEST_TMP/events"

start=$(date +%s)
LOAD_HOOK_EVERY=$((MESSAGES / (events + 1))) LOAD_HOOK_CMD="$TEST_TMP/hook.sh" \
    python3 "$here/milter/smtpload.py" "127.0.0.1:$SMTPD_PORT" "$SESSIONS" \
    "$TEST_TMP/jobs" "$TEST_TMP/results" 5
ok $? "all $MESSAGES messages sent, an answer for each"
secs=$(($(date +%s) - start))
is "$(grep -c restart "$TEST_TMP/events")/$(grep -c upgrade "$TEST_TMP/events")" "$RESTARTS/$UPGRADES" \
    "deptmilter restarted $RESTARTS times and upgraded $UPGRADES times while the mail flowed"
diag "$(grep upgrade "$TEST_TMP/events")"
bad=$(grep '^stop ' "$UNIT_EVENTS" | grep -v 'status=0$')
is "$bad" "" "every stop: the old process exited 0"
delivered=$(awk -F'\t' '$2 == "delivered"' "$TEST_TMP/results" | wc -l)
pf_wait_delivered "$TEST_TMP" "$delivered" 300
python3 "$here/milter/loadcheck.py" "$TEST_TMP/jobs" "$TEST_TMP/results" \
    "$TEST_TMP/sink" "$TEST_TMP/query" >"$TEST_TMP/check"
summary=$(head -1 "$TEST_TMP/check")
stops=$(sed -n 's/^stop pid=[0-9]* ms=\([0-9]*\).*/\1/p' "$UNIT_EVENTS" | sort -n)
starts=$(sed -n 's/^start pid=[0-9]* ms=\([0-9]*\).*/\1/p' "$UNIT_EVENTS" | sort -n)
diag "fault test: $summary in $secs s ($((MESSAGES / (secs > 0 ? secs : 1))) messages/s)"
diag "SIGTERM to exit, ms: min $(head -1 <<<"$stops") median $(sed -n "$(( ($(wc -l <<<"$stops") + 1) / 2 ))p" <<<"$stops") max $(tail -1 <<<"$stops")"
diag "start (ExecStartPre + ExecStart), ms: min $(head -1 <<<"$starts") max $(tail -1 <<<"$starts")"
sed -n 's/^problem: /  /p' "$TEST_TMP/check" | head -20 | while IFS= read -r l; do diag "$l"; done
declare -A n
for kv in $summary; do n[${kv%%=*}]=${kv#*=}; done
is "${n[tempfailed]}/${n[error]}" "0/0" "no message tempfailed, no session broke" ||
    diag "$(grep -iE 'warning|4\.7\.1' "$PF_MAILLOG" | head -5)"
is "${n[lost]}/${n[extra]}" "0/0" "no queued message lost, none delivered twice"
is "${n[wrong]}" 0 "every delivery and refusal as the rules say"
is "$((n[delivered] + n[rejected]))" "$MESSAGES" "delivered ${n[delivered]} + rejected ${n[rejected]} = $MESSAGES"
is "$(grep -ciE 'milter.*(4\.7\.1|connect|refused|No such file|timeout|lost)' "$PF_MAILLOG")" 0 \
    "Postfix never found the milter socket missing, refused or silent"
sm_trouble=$(grep -iE 'lookup (error|failure|problem)|Temporary lookup failure|4\.3\.0|status=deferred' "$PF_MAILLOG")
is "$(grep -c . <<<"$sm_trouble")" 0 "Postfix logged no lookup error of the socketmap and deferred nothing" ||
    diag "$(head -5 <<<"$sm_trouble")"
