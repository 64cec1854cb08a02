#!/bin/bash
# deptmap reads rosters from a real directory (a private slapd): members
# from a search (mail, or a name attribute), members from Active
# Directory's proxyAddresses (smtp: secondary addresses in the
# department's domain, to the SMTP: primary; x500:, X400:, sip: and other
# domains ignored), 5,000 entries over paged results, ldaps and StartTLS
# with a test CA, SASL EXTERNAL over ldapi://; and every way a directory
# cannot be read fails the compile (exit 3, the server and what failed
# named, the old map left in place): wrong password, wrong CA, nobody
# listening, a size limit hit, paging refused.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/slapd.sh"

DEPTMAP=$here/../deptmap
slapd_require || skip_all "needs root, slapd, ldap-utils and openssl (make deps)"

plan 41

tmpdir_make
read -r PORT TLSPORT DEADPORT <<<"$(free_port 3)"
slapd_setup "$TEST_TMP" 1000 && slapd_tls "$TEST_TMP" &&
    slapd_bulk_ldif "$TEST_TMP/bulk.ldif" 5000 &&
    slapd_load "$TEST_TMP" "$here/ldap/base.ldif" "$here/ldap/staff.ldif" "$TEST_TMP/bulk.ldif" &&
    slapd_start "$TEST_TMP" "$PORT" "$TLSPORT" || bail_out "slapd did not start"

cd "$TEST_TMP" || exit 1
slapd_bind_file bind "$SLAPD_USER" "$SLAPD_USERPW"
STAFF="ou=Staff,dc=example,dc=com"

# rules SERVER-LINES -- departments.rules with these server lines (bind
# file "bind") and the departments of $DEPTS
rules() {
    printf 'canonical example.com\n%s\nldap-bind-file bind\nldap-timeout 10\n%s\n' "$1" "$DEPTS" \
        >departments.rules
}

# compile -- deptmap compile departments.rules; sets RC and ERR (--force:
# the rules change from one case to the next, which the shrink guard of
# deptmap-shrink-guard.t would refuse; a failed read never gets that far)
compile() {
    "$DEPTMAP" compile --force departments.rules 2>err
    RC=$?
    ERR=$(cat err)
}

DEPTS="department sales.example.com
    members-ldap \"$STAFF\" \"(department=Sales)\"
    proxy-addresses \"$STAFF\"
department people.example.com
    members-ldap \"$STAFF\" \"(department=Sales)\" mail uid"
rules "ldap-server $SLAPD_URI"
compile
is "$RC $ERR" "0 " "a roster from the directory compiles"

# dump_people MAP - the map's records without the default postmaster of
# each department (departments.rules(5)): the directory's members only
dump_people() { "$DEPTMAP" dump "$1" | grep -v $'^addr:[^:\t]*:postmaster\t'; }
is "$(dump_people departments.cdb | grep '^addr:sales' | cut -f1,3,4)" \
    "addr:sales.example.com:alice	dn=cn=Alice Archer,ou=Staff,dc=example,dc=com	to=alice@example.com
addr:sales.example.com:bob.baker	dn=cn=Bob Baker,ou=Staff,dc=example,dc=com	to=Bob.Baker@example.com
addr:sales.example.com:c.king	dn=cn=Carol King,ou=Staff,dc=example,dc=com	to=carol@example.com
addr:sales.example.com:carol	dn=cn=Carol King,ou=Staff,dc=example,dc=com	to=carol@example.com
addr:sales.example.com:ck	dn=cn=Carol King,ou=Staff,dc=example,dc=com	to=carol@example.com
addr:sales.example.com:dan	dn=cn=Dan Dorsey,ou=Staff,dc=example,dc=com	to=Dan.Dorsey@example.com" \
    "mail gives members by local part; smtp: and Smtp: proxy addresses in the domain lead to the SMTP: primary; the entry without mail, x500:, X400:, sip:, eum: and other domains give none"

is "$(dump_people departments.cdb | grep '^addr:sales' | cut -f2 | sort | uniq -c | tr -s ' ')" \
    " 2 rule=departments.rules:6
 4 rule=departments.rules:7" "rule= names the rules line of the search that found each member"

is "$(dump_people departments.cdb | grep '^addr:people' | cut -f1,4)" \
    "addr:people.example.com:aarcher	to=alice@example.com
addr:people.example.com:bbaker	to=Bob.Baker@example.com" \
    "members-ldap BASE FILTER mail uid: the member name is the uid, the target the mail"

out=$("$DEPTMAP" query --explain -m departments.cdb C.KING@sales.example.com)
like "$out" "# from directory entry cn=Carol King,ou=Staff,dc=example,dc=com" \
    "query --explain names the directory entry behind a member"
like "$out" $'C.KING@sales.example.com\tREWRITE\tcarol@example.com\trule=departments.rules:7' \
    "a secondary proxy address answers with the primary mailbox"

# --- paging ----------------------------------------------------------------
ldapsearch -x -H "$SLAPD_URI" -D "$SLAPD_USER" -w "$SLAPD_USERPW" -b "ou=Bulk,dc=example,dc=com" \
    -LLL "(department=Bulk)" dn >unpaged.out 2>&1
[ $? = 4 ]
ok $? "the fixture is paging-sized: an unpaged search of ou=Bulk hits slapd's size limit (exit 4)"

DEPTS="department bulk.example.com
    members-ldap \"ou=Bulk,dc=example,dc=com\" \"(department=Bulk)\"
department proxy.example.com
    canonical example.com
    proxy-addresses \"ou=Bulk,dc=example,dc=com\" allow-empty"
rules "ldap-server $SLAPD_URI"
compile
is "$RC $ERR" "0 " "5,000 entries compile, page after page"
is "$(dump_people departments.cdb | grep -c '^addr:bulk.example.com:bulk')" 5000 \
    "every one of the 5,000 entries is a member"
out=$("$DEPTMAP" query -m departments.cdb bulk4999@bulk.example.com bulk1@bulk.example.com)
is "$out" "bulk4999@bulk.example.com	REWRITE	bulk4999@example.com	rule=departments.rules:6
bulk1@bulk.example.com	REWRITE	bulk1@example.com	rule=departments.rules:6" \
    "members from the first and the last pages answer"
is "$(dump_people departments.cdb | grep -c '^addr:proxy')" 0 \
    "allow-empty: a search that finds nobody is accepted when the rules say so"

DEPTS="department bulk.example.com
    proxy-addresses \"ou=Bulk,dc=example,dc=com\""
rules "ldap-server $SLAPD_URI"
compile
is "$RC $(dump_people departments.cdb | grep -c '^addr:bulk.example.com:b[0-9]')" "0 5000" \
    "5,000 proxy-address members over paged results"
cp departments.cdb good.cdb

# --- failures: exit 3, the server named, the old map kept --------------------
# fails NAME REGEX -- the last compile failed with exit 3, its message
# matched, the map is the good one and nothing else was left in the folder
fails() {
    local leftover
    leftover=$(ls -A | grep -v -x -e bind -e departments.rules -e departments.cdb -e good.cdb \
        -e err -e bulk.ldif -e slapd -e unpaged.out -e other.rules -e tests)
    if [ "$RC" = 3 ] && [[ $ERR =~ $2 ]] && cmp -s departments.cdb good.cdb && [ -z "$leftover" ]; then
        pass "$1"
    else
        fail "$1"
        diag "exit $RC, stderr: $ERR"
        diag "map unchanged: $(cmp -s departments.cdb good.cdb && echo yes || echo no); left: $leftover"
    fi
}

slapd_bind_file bind "$SLAPD_USER" wrong-password
compile
fails "a wrong password: exit 3, the bind refusal named with the server, the old map kept" \
    "^departments\.rules:2: directory $SLAPD_URI: bind refused: Invalid credentials"
slapd_bind_file bind "$SLAPD_USER" "$SLAPD_USERPW"

rules "ldap-server ldap://127.0.0.1:$DEADPORT"
compile
fails "nobody listening: exit 3, cannot connect" \
    "^departments\.rules:2: directory ldap://127\.0\.0\.1:$DEADPORT: cannot connect: Can't contact LDAP server"

slapd_bind_file bind "$SLAPD_LIMITED" "$SLAPD_USERPW"
rules "ldap-server $SLAPD_URI"
compile
fails "a size limit hit in the middle of the pages: exit 3, nothing partial" \
    "^departments\.rules:6: directory $SLAPD_URI: base \"ou=Bulk,dc=example,dc=com\" filter \"[^\"]*\": search: Size limit exceeded"

slapd_bind_file bind "$SLAPD_NOPAGING" "$SLAPD_USERPW"
compile
fails "paging refused by the server: exit 3" \
    "^departments\.rules:6: directory $SLAPD_URI: .*search: "
slapd_bind_file bind "$SLAPD_USER" "$SLAPD_USERPW"

DEPTS="department sales.example.com
    members-ldap \"$STAFF\" \"(department=Sales)\""
rules "ldap-server $SLAPD_LDAPS
ldap-ca-file $SLAPD_OTHER_CA"
compile
fails "ldaps with a CA that did not sign the server's certificate: exit 3, TLS named" \
    "^departments\.rules:2: directory $SLAPD_LDAPS: cannot connect, or the TLS handshake failed"

rules "ldap-server ldap://127.0.0.1:$PORT
ldap-starttls
ldap-ca-file $SLAPD_OTHER_CA"
compile
fails "StartTLS with the wrong CA: exit 3" \
    "^departments\.rules:2: directory ldap://127\.0\.0\.1:$PORT: StartTLS failed"

"$DEPTMAP" check departments.rules 2>err
like "$? $(cat err)" "^3 departments\.rules:2: directory ldap://127\.0\.0\.1:$PORT: StartTLS failed" \
    "deptmap check reads the directory too, and fails the same way"

out=$("$DEPTMAP" query -r departments.rules alice@sales.example.com 2>&1)
like "$? $out" "^3 departments\.rules:2: directory .*StartTLS failed" "deptmap query -r fails with exit 3 as well"

rules "ldap-server $SLAPD_LDAPS
ldap-ca-file $SLAPD_CA"
compile
is "$RC $ERR" "0 " "ldaps with the test CA"
is "$(dump_people departments.cdb | grep -c '^addr:sales')" 2 "ldaps: the members read"
cp departments.cdb good.cdb

rules "ldap-server ldap://127.0.0.1:$PORT
ldap-starttls
ldap-ca-file $SLAPD_CA"
compile
is "$RC $ERR" "0 " "StartTLS with the test CA"

# --- bind files ---------------------------------------------------------------
chmod 0644 bind
compile
is "$RC" 1 "a bind file readable by others is refused (exit 1)"
like "$ERR" "^departments\.rules:5: bind file bind: permissions 0644 are too open" \
    "the refusal names the file and its mode"
chmod 0600 bind
chown nobody bind
compile
like "$RC $ERR" "^1 departments\.rules:5: bind file bind: owned by uid $(id -u nobody), neither root nor" \
    "a bind file of another user is refused"
chown root bind

printf 'sasl = EXTERNAL\n' >bind
rules "ldap-server $SLAPD_LDAPI"
compile
is "$RC $ERR" "0 " "SASL EXTERNAL over ldapi:// (slapd lets root's peer credentials read)"
rm bind
printf 'canonical example.com\nldap-server %s\n%s\n' "$SLAPD_LDAPI" "$DEPTS" >departments.rules
compile
like "$RC $ERR" "^3 departments\.rules:4: directory $SLAPD_LDAPI: base .*: search: No such object" \
    "without a bind slapd hides the tree: the search fails (exit 3)"
slapd_bind_file bind "$SLAPD_USER" "$SLAPD_USERPW"

DEPTS="department sales.example.com
    members-ldap \"$STAFF\" \"(department=Nobody)\""
rules "ldap-server $SLAPD_URI"
compile
like "$RC $ERR" "^1 departments\.rules:6: members-ldap found no members in $SLAPD_URI \(base \"$STAFF\" filter \"\(department=Nobody\)\"\); write allow-empty" \
    "a search that finds nobody is an error (exit 1), not an empty department"

# --- the rules -----------------------------------------------------------------
DEPTS="department sales.example.com
    members-ldap \"$STAFF\" \"(cn=Carol King)\"
    proxy-addresses \"$STAFF\"
department eng.example.com
    members-ldap \"$STAFF\" \"(department=Engineering)\"
    proxy-addresses \"$STAFF\" \"(objectClass=inetOrgPerson)\""
rules "ldap-server $SLAPD_URI"
compile
is "$RC $ERR" "0 " "one person found by two searches with the same mailbox is one member"
is "$(dump_people departments.cdb | grep -c '^addr:sales.example.com:carol	')" 1 \
    "carol is there once, from the first search"
is "$(dump_people departments.cdb | grep '^addr:eng' | cut -f1,4)" \
    "addr:eng.example.com:erin	to=erin@example.com
addr:eng.example.com:frank	to=frank@example.com" "proxy-addresses BASE FILTER: the filter narrows the search"

DEPTS="department sales.example.com
    alias carol -> someone@example.net
    proxy-addresses \"$STAFF\""
rules "ldap-server $SLAPD_URI"
compile
is "$RC" 1 "a directory member that clashes with a rules alias is an error"
like "$ERR" "duplicate name \"carol\" in sales.example.com from directory entry cn=Carol King,ou=Staff,dc=example,dc=com \(first at departments.rules:6\)" \
    "the clash names the directory entry"

printf 'canonical example.com\ndepartment x.example.com\n    members-ldap "%s" "(cn=*)"\n' "$STAFF" \
    >other.rules
"$DEPTMAP" check other.rules 2>err
like "$? $(cat err)" "^1 other\.rules:3: \"members-ldap\" needs an ldap-server line before the first department" \
    "members-ldap without a server is a rules error"
printf 'canonical example.com\nldap-server ftp://x\nldap-timeout 0\ndepartment x.example.com\nldap-server %s\n    members-ldap "%s"\n' \
    "$SLAPD_URI" "$STAFF" >other.rules
"$DEPTMAP" check other.rules 2>err
is "$? $(cat err)" "1 other.rules:2: ldap-server \"ftp://x\": ldap://, ldaps:// or ldapi:// expected
other.rules:3: ldap-timeout takes seconds from 1 to 3600, not \"0\"
other.rules:5: \"ldap-server\" belongs before the first department
other.rules:6: usage: members-ldap BASE FILTER [ATTR [NAME-ATTR]] [allow-empty]" \
    "bad directory lines are rules errors, each at its line, and the directory is not asked"

# --- the shrink guard on a directory roster ---------------------------------------
# half of ou=Bulk deleted from the directory: the next compile is refused
# (the roster from the directory is guarded as a file roster is), naming
# the department and who would go, until it is forced
DEPTS="department bulk.example.com
    members-ldap \"ou=Bulk,dc=example,dc=com\" \"(department=Bulk)\""
rules "ldap-server $SLAPD_URI"
compile
cp departments.cdb guarded.before
seq -f 'cn=bulk%g,ou=Bulk,dc=example,dc=com' 2501 5000 >gone.dns
ldapdelete -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f gone.dns >ldapdelete.out 2>&1 ||
    bail_out "ldapdelete failed: $(cat ldapdelete.out)"
"$DEPTMAP" compile departments.rules >out 2>err
RC=$?
is "$RC" 1 "a directory roster shrinking by 50%: refused (exit 1)"
like "$(cat err)" "^departments.rules:[0-9]+: department bulk.example.com would lose 2500 of its 5000 names \(50%, over its shrink-limit of 10%\): bulk[0-9]+, .* and [0-9]+ more; nothing written" \
    "the refusal names the department line, the count and who would go"
cmp -s departments.cdb guarded.before
ok $? "refused: the map in place is byte for byte the old one"
"$DEPTMAP" compile --force departments.rules 2>err
is "$? $(dump_people departments.cdb | grep -c '^addr:bulk.example.com:bulk')" "0 2500" \
    "--force accepts it: 2,500 members"

# --- deptmilter ------------------------------------------------------------------
out=$(readelf -d "$here/../deptmilter" | grep -i -e ldap -e lber)
is "$out" "" "deptmilter does not link libldap (only deptmap reads directories)"
