#!/bin/bash
# make install and make uninstall into a DESTDIR: the files and their
# modes under PREFIX, the units' paths following SBINDIR (and the refresh
# service's SYSCONFDIR), the example
# configuration never replacing a file that is there, and uninstall
# leaving only the configuration the administrator changed.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib/tap.sh"

[ -x "$top/deptmilter" ] && [ -x "$top/deptmap" ] || skip_all "not built (make all)"

plan 14

tmpdir_make
dest=$TEST_TMP/root

# files DIR - every file and link under DIR with its mode, sorted
files() {
    (cd "$1" && find . ! -type d -printf '%m %p\n' | sed 's| \./| /|' | LC_ALL=C sort -k2)
}

make -s -C "$top" install DESTDIR="$dest" >"$TEST_TMP/install.out" 2>&1
ok $? "make install DESTDIR=... (PREFIX=/usr/local by default)" || cat "$TEST_TMP/install.out" >&2
is "$(files "$dest")" "644 /etc/deptmilter/departments.rules
644 /etc/deptmilter/deptmilter.conf
644 /etc/deptmilter/sales.txt
644 /usr/local/lib/systemd/system/deptmap-refresh.service
644 /usr/local/lib/systemd/system/deptmap-refresh.timer
644 /usr/local/lib/systemd/system/deptmilter.service
644 /usr/local/lib/systemd/system/deptmilter.socket
644 /usr/local/lib/tmpfiles.d/deptmilter.conf
755 /usr/local/sbin/deptmap
755 /usr/local/sbin/deptmilter
644 /usr/local/share/doc/deptmilter/INSTALL
644 /usr/local/share/doc/deptmilter/README
644 /usr/local/share/doc/deptmilter/examples/departments.rules
644 /usr/local/share/doc/deptmilter/examples/deptmilter.conf
644 /usr/local/share/doc/deptmilter/examples/sales.txt
644 /usr/local/share/doc/deptmilter/main.cf.snippet
644 /usr/local/share/doc/deptmilter/master.cf.snippet
644 /usr/local/share/doc/deptmilter/milter-only.cf.snippet
644 /usr/local/share/man/man5/departments.rules.5
644 /usr/local/share/man/man5/deptmilter.conf.5
644 /usr/local/share/man/man8/deptmap.8
644 /usr/local/share/man/man8/deptmilter.8" "the installed files and their modes"

is "$(sed -n 's/^Exec[A-Za-z]*=//p' "$dest/usr/local/lib/systemd/system/deptmilter.service")" \
    "/usr/local/sbin/deptmilter -t
/usr/local/sbin/deptmilter
/bin/kill -USR1 \$MAINPID" "the unit runs the programs from SBINDIR"
is "$(sed -n 's/^ExecStart=//p' "$dest/usr/local/lib/systemd/system/deptmap-refresh.service")" \
    "/usr/local/sbin/deptmap compile -o /etc/deptmilter/departments.cdb /etc/deptmilter/departments.rules" \
    "the refresh service runs deptmap from SBINDIR on the rules in SYSCONFDIR"

"$dest/usr/local/sbin/deptmap" compile -o "$TEST_TMP/example.cdb" \
    "$dest/etc/deptmilter/departments.rules" 2>"$TEST_TMP/compile.err"
ok $? "the installed example rules compile (with their roster)" || cat "$TEST_TMP/compile.err" >&2

# deptmilter -t on the installed example configuration, its map pointed
# at the one just compiled and its socket into the test's folder, as user
# nobody: the system user and the socket directory under the Postfix spool
# are made by the package (tests/package-test.sh), not by make install
sed -e "s|^map = .*|map = $TEST_TMP/example.cdb|" \
    -e "s|^socket = unix:.*|socket = unix:$TEST_TMP/deptmilter.sock|" \
    -e "s|^user = .*|user = nobody|" "$dest/etc/deptmilter/deptmilter.conf" \
    >"$TEST_TMP/deptmilter.conf"
out=$("$dest/usr/local/sbin/deptmilter" -t -c "$TEST_TMP/deptmilter.conf" 2>&1)
ok $? "deptmilter -t passes on the installed example configuration" || diag "$out"

echo "log_level = debug" >>"$dest/etc/deptmilter/deptmilter.conf"
changed=$(cat "$dest/etc/deptmilter/deptmilter.conf")
make -s -C "$top" install DESTDIR="$dest" >"$TEST_TMP/install2.out" 2>&1
ok $? "make install a second time"
is "$(cat "$dest/etc/deptmilter/deptmilter.conf")" "$changed" \
    "a second install keeps the changed deptmilter.conf"
like "$(cat "$TEST_TMP/install2.out")" "kept $dest/etc/deptmilter/deptmilter\\.conf" \
    "and says that it kept it"

make -s -C "$top" uninstall DESTDIR="$dest" >"$TEST_TMP/uninstall.out" 2>&1
ok $? "make uninstall DESTDIR=..."
is "$(files "$dest")" "644 /etc/deptmilter/deptmilter.conf" \
    "uninstall removes everything but the configuration that was changed"

make -s -C "$top" install DESTDIR="$TEST_TMP/usr" PREFIX=/usr SYSCONFDIR=/opt/etc >/dev/null 2>&1
ok $? "make install PREFIX=/usr SYSCONFDIR=/opt/etc"
is "$(cd "$TEST_TMP/usr" && find . -name deptmilter -type f -o -name deptmilter.conf -path '*etc*' | LC_ALL=C sort)" \
    "./opt/etc/deptmilter/deptmilter.conf
./usr/sbin/deptmilter" "PREFIX and SYSCONFDIR are honoured"
is "$(sed -n 's/^\(ExecStart\|ReadWritePaths\)=//p' "$TEST_TMP/usr/usr/lib/systemd/system/deptmap-refresh.service")" \
    "/usr/sbin/deptmap compile -o /opt/etc/deptmilter/departments.cdb /opt/etc/deptmilter/departments.rules
/opt/etc/deptmilter" "the refresh service follows SYSCONFDIR"
