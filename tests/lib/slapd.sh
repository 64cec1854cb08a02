# tests/lib/slapd.sh -- a PRIVATE slapd (Debian's OpenLDAP server) for
# tests: its configuration, database, sockets and certificates live in a
# temporary folder; the system's slapd and its configuration are never
# used (the standard schema files of the slapd package are only read).
#
# Source after tap.sh:
#
#   . "$here/lib/tap.sh"
#   . "$here/lib/slapd.sh"
#   slapd_require || skip_all "no slapd"
#   tmpdir_make
#   slapd_setup "$TEST_TMP"                      # slapd.conf, empty database
#   slapd_load "$TEST_TMP" tests/ldap/base.ldif  # slapadd, before the start
#   slapd_start "$TEST_TMP" "$(free_port)"       # waits until it answers
#   ldapsearch -H "$SLAPD_URI" ...
#
# Functions
#
#   slapd_require
#       0 when slapd, slapadd, ldapsearch and openssl are there and we are root.
#
#   slapd_setup DIR [SIZELIMIT]
#       DIR/slapd/slapd.conf: schema core, cosine, inetorgperson and
#       tests/ldap/ad.schema (proxyAddresses, department, sAMAccountName);
#       one mdb database "dc=example,dc=com" in DIR/slapd/db; rootdn
#       cn=admin,dc=example,dc=com (password "admin-secret", no limits);
#       everyone else bound (a password, or SASL EXTERNAL over ldapi://)
#       may read, anonymous may only bind.  Bound users get SIZELIMIT
#       entries at most (default 1000, as Active Directory's MaxPageSize),
#       per page with paged results and without a limit over all pages:
#       an unpaged search of more entries fails with sizeLimitExceeded.
#       The accounts of tests/ldap/base.ldif: cn=deptmap (SLAPD_USER),
#       cn=limited (100 entries in all, paged or not: SLAPD_LIMITED) and
#       cn=nopaging (paged results refused: SLAPD_NOPAGING), all under
#       ou=Services with the password SLAPD_USERPW.
#       Sets SLAPD_DIR, SLAPD_CONF.
#
#   slapd_tls DIR
#       A test CA and a server certificate for 127.0.0.1 and localhost,
#       made by openssl in DIR/slapd/tls (ca.pem, server.pem, server.key;
#       other-ca.pem is a second CA that signed nothing of this server),
#       and the TLS lines in slapd.conf.  Call after slapd_setup, before
#       slapd_start.  Sets SLAPD_CA, SLAPD_OTHER_CA.
#
#   slapd_load DIR LDIF...
#       slapadd each LDIF into the database, offline (fast: thousands of
#       entries a second); before slapd_start or after slapd_stop.
#
#   slapd_start DIR PORT [TLSPORT]
#       slapd in the foreground (as a background job of the test) on
#       ldap://127.0.0.1:PORT, ldapi:// in DIR/slapd and, with TLSPORT,
#       ldaps://127.0.0.1:TLSPORT; waits (at most 10 s) until a search of
#       the root DSE answers; stopped (SIGCONT, then SIGKILL) at exit.
#       Sets SLAPD_PID, SLAPD_URI, SLAPD_LDAPI, SLAPD_LDAPS.
#
#   slapd_stop
#       Stop it now (SIGTERM; waits at most 10 s for it to end).
#
#   slapd_bulk_ldif FILE N [DEPARTMENT]
#       An LDIF of N people under ou=Bulk (see the function), made fast.
#
#   slapd_bind_file FILE DN PASSWORD
#       A bind file for deptmap (mode 0600).
# SPDX-License-Identifier: BSD-2-Clause

SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPD_SCHEMA=${SLAPD_SCHEMA:-/etc/ldap/schema}
SLAPD_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLAPD_SUFFIX="dc=example,dc=com"
SLAPD_ROOTDN="cn=admin,dc=example,dc=com"
SLAPD_ROOTPW="admin-secret"
SLAPD_USER="cn=deptmap,ou=Services,dc=example,dc=com"
SLAPD_USERPW="deptmap-secret"
SLAPD_LIMITED="cn=limited,ou=Services,dc=example,dc=com"
SLAPD_NOPAGING="cn=nopaging,ou=Services,dc=example,dc=com"
# libldap's tools and deptmap read no ldap.conf or .ldaprc of this machine
export LDAPNOINIT=1

slapd_require() {
    [ "$(id -u)" = 0 ] && [ -x "$SLAPD_BIN" ] && command -v slapadd >/dev/null &&
        command -v ldapsearch >/dev/null && command -v openssl >/dev/null &&
        [ -r "$SLAPD_SCHEMA/inetorgperson.schema" ]
}

slapd_setup() {
    local dir=$1 limit=${2:-1000}
    SLAPD_DIR=$dir/slapd
    SLAPD_CONF=$SLAPD_DIR/slapd.conf
    mkdir -p "$SLAPD_DIR/db" && chmod 0700 "$SLAPD_DIR/db" || return 1
    cat >"$SLAPD_CONF" <<EOF
include $SLAPD_SCHEMA/core.schema
include $SLAPD_SCHEMA/cosine.schema
include $SLAPD_SCHEMA/inetorgperson.schema
include $SLAPD_TESTS/ldap/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $SLAPD_DIR/slapd.pid
argsfile $SLAPD_DIR/slapd.args
loglevel none
sizelimit size.soft=$limit size.hard=$limit size.pr=$limit size.prtotal=unlimited
#TLS

database mdb
maxsize 2147483648
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ROOTDN"
rootpw $SLAPD_ROOTPW
directory $SLAPD_DIR/db
index objectClass eq
index proxyAddresses eq,sub
index department eq
limits dn.exact="cn=limited,ou=Services,$SLAPD_SUFFIX" size.soft=100 size.hard=100 size.pr=unlimited size.prtotal=100
limits dn.exact="cn=nopaging,ou=Services,$SLAPD_SUFFIX" size.prtotal=disabled
access to dn.base="" by * read
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
EOF
}

slapd_tls() {
    local tls=$SLAPD_DIR/tls
    mkdir -p "$tls" || return 1
    (
        cd "$tls" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=deptmilter test CA" \
            -keyout ca.key -out ca.pem &&
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
            -keyout other-ca.key -out other-ca.pem &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout server.key -out server.csr &&
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 2 -extfile ext.cnf -out server.pem
    ) >"$tls/openssl.log" 2>&1 || { cat "$tls/openssl.log" >&2; return 1; }
    sed -i "s|^#TLS$|TLSCACertificateFile $tls/ca.pem\nTLSCertificateFile $tls/server.pem\nTLSCertificateKeyFile $tls/server.key|" \
        "$SLAPD_CONF"
    SLAPD_CA=$tls/ca.pem
    SLAPD_OTHER_CA=$tls/other-ca.pem
}

slapd_load() {
    local dir=$1 f
    shift
    for f in "$@"; do
        slapadd -q -f "$dir/slapd/slapd.conf" -l "$f" >"$dir/slapd/slapadd.log" 2>&1 ||
            { cat "$dir/slapd/slapadd.log" >&2; return 1; }
    done
}

# _slapd_urlencode PATH -- a socket path for an ldapi:// URI
_slapd_urlencode() {
    local s=$1
    s=${s//%/%25}
    printf '%s' "${s//\//%2F}"
}

slapd_start() {
    local dir=$1 port=$2 tlsport=$3 urls i
    SLAPD_URI=ldap://127.0.0.1:$port
    SLAPD_LDAPI=ldapi://$(_slapd_urlencode "$dir/slapd/ldapi")
    SLAPD_LDAPS=
    urls="$SLAPD_URI/ $SLAPD_LDAPI"
    if [ -n "$tlsport" ]; then
        SLAPD_LDAPS=ldaps://127.0.0.1:$tlsport
        urls="$urls $SLAPD_LDAPS/"
    fi
    "$SLAPD_BIN" -d 0 -f "$dir/slapd/slapd.conf" -h "$urls" >"$dir/slapd/slapd.log" 2>&1 &
    SLAPD_PID=$!
    disown "$SLAPD_PID"			# no "Killed" from bash at the end
    cleanup_add "kill -CONT $SLAPD_PID; kill -9 $SLAPD_PID"
    for ((i = 0; i < 200; i++)); do
        if ldapsearch -x -H "$SLAPD_URI" -b "" -s base -LLL namingContexts \
            >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$SLAPD_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "slapd_start: slapd does not answer on $SLAPD_URI" >&2
    cat "$dir/slapd/slapd.log" >&2
    return 1
}

slapd_stop() {
    local i
    [ -n "$SLAPD_PID" ] || return 0
    kill -CONT "$SLAPD_PID" 2>/dev/null
    kill "$SLAPD_PID" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        kill -0 "$SLAPD_PID" 2>/dev/null || break
        sleep 0.05
    done
    SLAPD_PID=
}

# slapd_bulk_ldif FILE N [DEPARTMENT] -- N people under ou=Bulk, fast (awk):
# bulkK (K from 1) with mail bulkK@example.com, department DEPARTMENT
# (default Bulk), and proxy addresses SMTP:bulkK@example.com and
# smtp:bK@bulk.example.com
slapd_bulk_ldif() {
    awk -v n="$2" -v dept="${3:-Bulk}" 'BEGIN {
        for (k = 1; k <= n; k++)
            printf "dn: cn=bulk%d,ou=Bulk,dc=example,dc=com\nobjectClass: inetOrgPerson\n" \
                "objectClass: deptTestADUser\ncn: bulk%d\nsn: Bulk\ndepartment: %s\n" \
                "mail: bulk%d@example.com\nproxyAddresses: SMTP:bulk%d@example.com\n" \
                "proxyAddresses: smtp:b%d@bulk.example.com\n\n", k, k, dept, k, k, k
    }' >"$1"
}

slapd_bind_file() {
    (umask 077 && printf 'binddn = %s\npassword = %s\n' "$2" "$3" >"$1")
}
