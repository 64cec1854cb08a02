#!/bin/bash
# A directory server lost while deptmap fetches pages: killed (SIGKILL)
# or stopped (SIGSTOP: it answers nothing more) right when deptmap asks
# for the second page.  The compile fails with exit 3 naming the server
# and the search, within the ldap-timeout when the server hangs, and the
# old map stays in place: never a partial roster.  A relay in front of
# slapd (tests/lib/ldap-tripwire.py) signals slapd at the second page's
# request, so the moment is exact without any sleep.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/slapd.sh"

DEPTMAP=$here/../deptmap
slapd_require || skip_all "needs root, slapd, ldap-utils and openssl (make deps)"
command -v python3 >/dev/null || skip_all "needs python3"

plan 11

tmpdir_make
cd "$TEST_TMP" || exit 1
slapd_setup "$TEST_TMP" 1000 && slapd_bulk_ldif bulk.ldif 1500 &&
    slapd_load "$TEST_TMP" "$here/ldap/base.ldif" bulk.ldif || bail_out "slapd setup failed"
slapd_bind_file bind "$SLAPD_USER" "$SLAPD_USERPW"

# rules URI -- a department of the 1,500 people (three pages), a 2 s timeout
rules() {
    cat >departments.rules <<EOF
canonical example.com
ldap-server $1
ldap-bind-file bind
ldap-timeout 2
department bulk.example.com
    members-ldap "ou=Bulk,dc=example,dc=com" "(department=Bulk)"
EOF
}

# tripwire SIGNAL -- slapd afresh, and the relay in front of it that sends
# SIGNAL to slapd at the client's third LDAP message; sets RELAY_URI
tripwire() {
    local slapd_port relay_port i
    read -r slapd_port relay_port <<<"$(free_port 2)"
    slapd_start "$TEST_TMP" "$slapd_port" || bail_out "slapd did not start"
    rm -f tripped relay.out
    python3 "$here/lib/ldap-tripwire.py" "$relay_port" "$slapd_port" "$SLAPD_PID" "$1" 3 \
        tripped >relay.out 2>&1 &
    cleanup_add "kill $!"
    for ((i = 0; i < 600; i++)); do
        grep -q '^ready$' relay.out 2>/dev/null && break
        sleep 0.05
    done
    grep -q '^ready$' relay.out || bail_out "the relay did not start: $(cat relay.out)"
    RELAY_URI=ldap://127.0.0.1:$relay_port
}

# a good map first, from slapd directly
slapd_start "$TEST_TMP" "$(free_port)" || bail_out "slapd did not start"
rules "$SLAPD_URI"
"$DEPTMAP" compile departments.rules
is "$? $("$DEPTMAP" dump departments.cdb | grep -v $'^addr:[^:\t]*:postmaster\t' | grep -c '^addr:')" "0 1500" "the map from the directory, 1,500 members"
cp departments.cdb good.cdb
slapd_stop

# --- killed -------------------------------------------------------------------
tripwire KILL
rules "$RELAY_URI"
"$DEPTMAP" compile departments.rules 2>err
RC=$?
is "$(cat tripped 2>/dev/null)" tripped "slapd was killed when the second page was asked for"
is "$RC" 3 "a server killed mid-search: exit 3"
like "$(cat err)" "^departments\.rules:6: directory $RELAY_URI: base \"ou=Bulk,dc=example,dc=com\" filter \"\(department=Bulk\)\": search: Can't contact LDAP server" \
    "the error names the server, the search and what happened"
ok "$(cmp -s departments.cdb good.cdb; echo $?)" "the old map is left in place"
kill -0 "$SLAPD_PID" 2>/dev/null
ok "$((! $?))" "slapd is really gone"
SLAPD_PID=

# --- stopped ---------------------------------------------------------------------
tripwire STOP
rules "$RELAY_URI"
start=$(now_ms)
"$DEPTMAP" compile departments.rules 2>err
RC=$?
took=$(($(now_ms) - start))
kill -CONT "$SLAPD_PID"
is "$(cat tripped 2>/dev/null)" tripped "slapd was stopped when the second page was asked for"
is "$RC" 3 "a server that stops answering mid-search: exit 3"
like "$(cat err)" "^departments\.rules:6: directory $RELAY_URI: .*search: no answer within 2 s \(ldap-timeout\)" \
    "the error says the timeout ran out (took ${took} ms)"
ok "$(cmp -s departments.cdb good.cdb; echo $?)" "the old map is left in place"
[ "$took" -ge 1500 ] && [ "$took" -lt 10000 ]
ok $? "the compile gave up after the 2 s timeout, not sooner, not much later (${took} ms)"
