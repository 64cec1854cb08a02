#!/bin/bash
# tests/package-test.sh - the Debian package, built, installed, run, purged
# (make package-test; CI runs it as root on a throwaway machine).
#
# Builds the .deb with "dpkg-buildpackage -us -uc -b" from a copy of the
# work tree, installs it with dpkg -i on THIS machine, and checks what an
# administrator gets: the file list, the system user, the conffiles, the
# directories of the socket and the pid file, a first map compiled from
# the example rules, "deptmilter -t", the man pages, the systemd units
# (the map refresh timer installed but not enabled), the
# daemon started and reloaded with the unit's own commands, and mail
# through a private Postfix (tests/lib/postfix.sh) on the installed
# daemon's socket.  Then it purges the package and checks that nothing is
# left.  It refuses to run where deptmilter is installed or
# /etc/deptmilter exists: it must not touch a real installation.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (dpkg -i)"
for c in dpkg-buildpackage dh dpkg-deb; do
    command -v "$c" >/dev/null || bail_out "$c is missing (make deps installs debhelper and dpkg-dev)"
done
if dpkg-query -W -f='${Status}' deptmilter 2>/dev/null | grep -q 'installed\|config-files'; then
    bail_out "the deptmilter package is on this machine already; this test installs and purges it: remove it first"
fi
[ -e /etc/deptmilter ] && bail_out "/etc/deptmilter exists (make install?); this test would install over it: remove it first"

plan 37

tmpdir_make
UNIT=/lib/systemd/system/deptmilter.service

# The files of the package, without directories.
expected_files="/etc/deptmilter/departments.rules
/etc/deptmilter/deptmilter.conf
/etc/deptmilter/sales.txt
/lib/systemd/system/deptmap-refresh.service
/lib/systemd/system/deptmap-refresh.timer
/lib/systemd/system/deptmilter.service
/lib/systemd/system/deptmilter.socket
/usr/lib/tmpfiles.d/deptmilter.conf
/usr/sbin/deptmap
/usr/sbin/deptmilter
/usr/share/doc/deptmilter/INSTALL.gz
/usr/share/doc/deptmilter/README.gz
/usr/share/doc/deptmilter/changelog.gz
/usr/share/doc/deptmilter/copyright
/usr/share/doc/deptmilter/examples/departments.rules
/usr/share/doc/deptmilter/examples/deptmilter.conf
/usr/share/doc/deptmilter/examples/sales.txt
/usr/share/doc/deptmilter/main.cf.snippet
/usr/share/doc/deptmilter/master.cf.snippet
/usr/share/doc/deptmilter/milter-only.cf.snippet
/usr/share/lintian/overrides/deptmilter
/usr/share/man/man5/departments.rules.5.gz
/usr/share/man/man5/deptmilter.conf.5.gz
/usr/share/man/man8/deptmap.8.gz
/usr/share/man/man8/deptmilter.8.gz"

# --- build -----------------------------------------------------------------
# A copy of the tree (tracked and new files, not what .gitignore drops), so
# that the build neither writes into the work tree nor leaves the .deb in
# its parent directory.
src=$TEST_TMP/build/deptmilter
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files -co --exclude-standard -z | (cd "$top" && tar -c --null -T -) | tar -x -C "$src"
else
    tar -C "$top" --exclude='*.o' --exclude='*.a' --exclude='*.cdb' -c . | tar -x -C "$src"
fi
start=$(date +%s%N)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$TEST_TMP/build.log" 2>&1
rc=$?
note "dpkg-buildpackage: $(( ($(date +%s%N) - start) / 1000000 )) ms"
ok $rc "dpkg-buildpackage -us -uc -b builds the package" || {
    tail -30 "$TEST_TMP/build.log" >&2
    fail_rest "no package"
}
warnings=$(grep -E -i '(^|[: ])warning[: ]' "$TEST_TMP/build.log" | grep -v 'Werror=format-security')
is "$warnings" "" "the build prints no warning"
deb=$(ls "$TEST_TMP"/build/deptmilter_*_*.deb)
is "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | LC_ALL=C sort)" \
    "$expected_files" "the .deb holds exactly the expected files"

if command -v lintian >/dev/null; then
    lint=$(lintian "$deb" 2>&1)
    is "$(echo "$lint" | grep -E '^[EW]: ')" "" "lintian: no error or warning"
    is "$(echo "$lint" | grep -iE 'copyright|licen[cs]e')" "" \
        "lintian: nothing about the copyright file or the licence"
    grep -q '^License: BSD-2-Clause' "$src/debian/copyright"
    ok $? "debian/copyright names the licence (BSD-2-Clause, DEP-5)"
else
    skip "lintian is not installed (apt-get install lintian)" 3
fi

# --- install ---------------------------------------------------------------
cleanup_add "dpkg --purge deptmilter >/dev/null 2>&1"
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$TEST_TMP/install.log" 2>&1
ok $? "dpkg -i installs it" || { cat "$TEST_TMP/install.log" >&2; fail_rest "not installed"; }
is "$(grep -i -E 'warning|error' "$TEST_TMP/install.log")" "" "dpkg -i prints no warning or error"
is "$(dpkg -L deptmilter | while read -r f; do [ -d "$f" ] || echo "$f"; done | LC_ALL=C sort)" \
    "$expected_files" "dpkg -L: the installed files"
is "$(dpkg-query -W -f='${Conffiles}\n' deptmilter | awk 'NF { print $1 }' | LC_ALL=C sort)" \
    "/etc/deptmilter/departments.rules
/etc/deptmilter/deptmilter.conf
/etc/deptmilter/sales.txt" "the example configuration files are conffiles"

# the system user
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd deptmilter)"
like "$uid:$home:$shell" '^[0-9]+:/nonexistent:/usr/sbin/nologin$' \
    "postinst created the system user deptmilter (home /nonexistent, no login)"
ok $(( uid < 1000 ? 0 : 1 )) "deptmilter is a system user (uid $uid)"
is "$(getent group "$gid" | cut -d: -f1)" deptmilter "its group is deptmilter"

# what postinst and tmpfiles.d made
is "$(stat -c '%U:%G %a' /var/spool/postfix/deptmilter 2>&1)" "deptmilter:postfix 750" \
    "socket directory /var/spool/postfix/deptmilter: deptmilter:postfix 0750"
is "$(stat -c '%U:%G %a' /run/deptmilter 2>&1)" "deptmilter:deptmilter 755" \
    "pid directory /run/deptmilter: deptmilter:deptmilter 0755"
is "$(cat /etc/deptmilter/domains 2>&1)" "eng.example.com
sales.example.com" "postinst compiled the example map and wrote the domains file"

out=$(/usr/sbin/deptmilter -t 2>&1)
ok $? "deptmilter -t passes on the installed example configuration" || diag "$out"
like "$(/usr/sbin/deptmilter -V)" '^deptmilter [0-9.]+ \(libmilter ' "deptmilter -V"
is "$(/usr/sbin/deptmap query info@sales.example.com)" \
    "info@sales.example.com	REWRITE	alice@example.com,bob@example.com	rule=departments.rules:12" \
    "deptmap query reads the installed map by default"

# man pages: found by man, and formatted without a warning
paths=$(for p in deptmilter.8 deptmap.8 deptmilter.conf.5 departments.rules.5; do
    man -w "${p##*.}" "${p%.*}" 2>&1 | grep -v '^/usr/share/man/man./'"$p"'.gz$' | sed "s|^|$p: |"
done)
is "$paths" "" "man -w finds the four installed man pages"
warn=$(for p in /usr/share/man/man8/deptmilter.8.gz /usr/share/man/man8/deptmap.8.gz \
              /usr/share/man/man5/deptmilter.conf.5.gz /usr/share/man/man5/departments.rules.5.gz; do
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null
done)
is "$warn" "" "the installed man pages format without warnings"

# the systemd unit
if command -v systemd-analyze >/dev/null; then
    is "$(systemd-analyze verify "$UNIT" 2>&1)" "" "systemd-analyze verify: the unit is clean"
else
    skip "no systemd-analyze"
fi
is "$(sed -n 's/^\(ExecStartPre\|ExecStart\|ExecReload\|PIDFile\)=//p' "$UNIT")" \
    "/run/deptmilter/deptmilter.pid
/usr/sbin/deptmilter -t
/usr/sbin/deptmilter
/bin/kill -USR1 \$MAINPID" "the unit: PIDFile, deptmilter -t before the start, SIGUSR1 on reload"

is "$(readlink /etc/systemd/system/multi-user.target.wants/deptmilter.service)" "$UNIT" \
    "the service is enabled at boot (multi-user.target.wants)"
is "$(readlink /etc/systemd/system/sockets.target.wants/deptmilter.socket)" \
    "/lib/systemd/system/deptmilter.socket" "so is its socket (sockets.target.wants)"
# an upgrade restarts the service (stop: it drains; start) and leaves the
# socket unit, which holds the listening socket, running
is "$(grep -E 'deb-systemd-invoke|_dh_action=' /var/lib/dpkg/info/deptmilter.postinst | tr -s ' \t' ' ')" \
" deb-systemd-invoke start 'deptmilter.socket' >/dev/null || true
 _dh_action=restart
 _dh_action=start
 deb-systemd-invoke \$_dh_action 'deptmilter.service' >/dev/null || true" \
    "an upgrade restarts deptmilter.service and only starts deptmilter.socket (never stops it)"
grep -q deptmilter.socket /var/lib/dpkg/info/deptmilter.preinst 2>/dev/null
ok $((! $?)) "and no preinst stops the socket before an upgrade"

# the map refresh timer: installed, off until the administrator enables it
REFRESH=/lib/systemd/system/deptmap-refresh
if command -v systemd-analyze >/dev/null; then
    is "$(systemd-analyze verify "$REFRESH.timer" "$REFRESH.service" 2>&1)" "" \
        "systemd-analyze verify: the refresh timer and service are clean"
else
    skip "no systemd-analyze"
fi
is "$(ls /etc/systemd/system/timers.target.wants/deptmap-refresh.timer \
        /etc/systemd/system/*/deptmap-refresh.* 2>/dev/null)" "" \
    "the refresh timer is not enabled (no link in /etc/systemd/system)"
is "$(sed -n 's/^ExecStart=//p' "$REFRESH.service")" \
    "/usr/sbin/deptmap compile -o /etc/deptmilter/departments.cdb /etc/deptmilter/departments.rules" \
    "the refresh service recompiles the installed rules into the installed map"

# --- the service, started by the unit's own commands ---------------------------
# alive PID - running and not a zombie (PID 1 here reaps orphans slowly)
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

unit_cmd() {
    sed -n "s/^$1=//p" "$UNIT"
}
sock=/var/spool/postfix/deptmilter/deptmilter.sock
started=0
if $(unit_cmd ExecStartPre) && $(unit_cmd ExecStart); then
    pid=$(cat /run/deptmilter/deptmilter.pid 2>/dev/null)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && started=1
    cleanup_add "kill -TERM $pid 2>/dev/null"
fi
ok $(( started ? 0 : 1 )) "the unit's ExecStartPre and ExecStart start the daemon (pid file written)" ||
    fail_rest "deptmilter did not start"
is "$(stat -c %U "/proc/$pid") $(stat -c '%F %U:%G %a' "$sock" 2>&1)" \
    "deptmilter socket deptmilter:postfix 660" \
    "it runs as deptmilter; its socket is deptmilter:postfix 0660"

# mail through a private Postfix, attached with the installed snippet
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
cat >"$TEST_TMP/site.cf" <<EOF
# not chrooted (tests/lib/postfix.sh): the socket's full path
deptmilter_socket = unix:$sock
EOF
got=
if sink_start "$TEST_TMP" "$SINK_PORT" &&
   pf_start "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" \
       /usr/share/doc/deptmilter/milter-only.cf.snippet "$TEST_TMP/site.cf"; then
    swaks --server "127.0.0.1:$SMTPD_PORT" --from sender@example.net \
        --to info@sales.example.com >"$TEST_TMP/swaks.log" 2>&1
    pf_wait_delivered "$TEST_TMP" 1 20 && got=$(sink_rcpts "$TEST_TMP")
fi
is "$got" "<alice@example.com> ORCPT=rfc822;info@sales.example.com
<bob@example.com> ORCPT=rfc822;info@sales.example.com" \
    "a message to info@sales.example.com through Postfix reaches alice and bob" ||
    { cat "$TEST_TMP/swaks.log" >&2; pf_maillog | tail -20 >&2; }
pf_stop

reload=$(unit_cmd ExecReload)
MAINPID=$pid eval "$reload"
sleep 0.3
kill -0 "$pid" 2>/dev/null
ok $? "ExecReload (SIGUSR1) leaves the daemon running"
kill -TERM "$pid"
for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
! alive "$pid" && [ ! -e /run/deptmilter/deptmilter.pid ]
ok $? "SIGTERM stops it and its pid file is removed" ||
    diag "$(ps -o pid,stat,user,cmd -p "$pid"; ls -l /run/deptmilter)"

# --- purge ---------------------------------------------------------------------
dpkg --purge deptmilter >"$TEST_TMP/purge.log" 2>&1
ok $? "dpkg --purge removes it" || cat "$TEST_TMP/purge.log" >&2
left=$(for f in $expected_files /etc/deptmilter /var/spool/postfix/deptmilter /run/deptmilter \
        /etc/systemd/system/multi-user.target.wants/deptmilter.service \
        /etc/systemd/system/timers.target.wants/deptmap-refresh.timer \
        /etc/systemd/system/sockets.target.wants/deptmilter.socket; do
    [ -e "$f" ] || [ -L "$f" ] && echo "$f"
done)
is "$left" "" "nothing is left after the purge"
