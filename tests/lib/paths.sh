# tests/lib/paths.sh -- INSTALL's recommended setup on a private Postfix,
# and what deptmap query says, for the tests of every path into Postfix
# (tests/paths-*.t).
#
# Source after tap.sh, postfix.sh and milter.sh:
#
#   paths_up [EXTRA_CF...]
#       TEST_TMP; ports SMTPD_PORT, SINK_PORT, SUB_PORT; the map of
#       tests/socketmap/departments.rules; deptmilter with its milter on
#       $TEST_TMP/deptmilter.sock and its socketmap on SM
#       ($TEST_TMP/socketmap.sock); Postfix with postfix/main.cf.snippet
#       VERBATIM (milter_postfix_recommended) plus EXTRA_CF, and
#       postfix/master.cf.snippet's submission service VERBATIM on
#       127.0.0.1:SUB_PORT.  Bails out when something does not start.
#       It is paths_milter, then paths_postfix [EXTRA_CF...].
#   paths_milter
#       TEST_TMP; the map of tests/socketmap/departments.rules; deptmilter
#       with its milter on $sock ($TEST_TMP/deptmilter.sock) and its
#       socketmap on SM ($TEST_TMP/socketmap.sock).  Bails out when it
#       does not start.  (paths_up does this first.)
#   paths_mailbox_postfix SETUP
#       after paths_milter: a private Postfix in $TEST_TMP/SETUP attached
#       to deptmilter as SETUP says: milter
#       (postfix/milter-only.cf.snippet), socketmap (main.cf.snippet with
#       "smtpd_milters =" after it) or both (main.cf.snippet); example.com
#       is delivered by virtual(8) into maildirs VMAIL/example.com/USER/
#       for alice, bob and anna.  Sets SMTPD_PORT, SINK_PORT, VMAIL.
#   mailbox_start SETUP EXTRA
#       the start of a paths-mailbox-*.t: skip_all without sendmail and
#       perl, the plan (MAILBOX_CASES and EXTRA more), paths_milter and
#       paths_mailbox_postfix SETUP.
#   mailbox_cleanup_checks
#       with a setup where cleanup rewrites (socketmap, both): sendmail(1)
#       to a member, and SMTP and sendmail(1) to an alias and a member
#       that share a target; 3 checks.
#   MAILBOX_CASES, mailbox_smtp_cases address|target TEXT
#       the addresses every paths-mailbox-*.t sends by SMTP ("ADDRESS
#       WHAT IT IS"; SMTPUTF8 for the U-label), and one check per case:
#       each sent alone, its delivered copies are expected_mailbox ADDRESS
#       address|target; TEXT ends each check's name.
#   mailbox_send smtp|sendmail SUBJECT RCPT...
#       one message (smtp: by smtp_utf8 to port 25), and wait until
#       Postfix has removed it from the queue: every delivery is done.
#   mailbox_lines SUBJECT
#       the delivered copies of the message with SUBJECT, one line each:
#       "USER X-ORIGINAL-TO DELIVERED-TO", sorted.
#   expected_mailbox ADDRESS address|target
#       mailbox_lines for one message to ADDRESS as deptmap query says,
#       with X-Original-To the address as sent or the target.
#   PATHS_ACCEPTED, PATHS_REFUSED
#       the addresses the tests of every path send, "ADDRESS WHAT IT IS":
#       those the map accepts (delivered), and those it refuses (no
#       U-label one among the accepted: swaks cannot send it).
#   query ADDRESS
#       deptmap query for ADDRESS: sets Q_ACTION, Q_DETAIL, Q_RULE.
#   expected_delivered ADDRESS
#       the recipients Postfix must deliver for one message to ADDRESS,
#       as deptmap query says: "TARGET ADDRESS" lines (ADDRESS is the
#       original recipient, the ORCPT), sorted; nothing for a refusal.
#   delivered [ADDRESS]
#       what the sink received: "RECIPIENT ORCPT" lines (ORCPT decoded),
#       sorted; with ADDRESS only those whose ORCPT is ADDRESS.
#   expected_refusal ADDRESS
#       smtpd's reply to RCPT for a person the department refuses:
#       "CODE DSN <ADDRESS>: Recipient address rejected: TEXT".
#   swaks_rcpt PORT ADDRESS [SWAKS-ARGS...]
#       swaks up to RCPT TO:<ADDRESS>; prints the reply to the RCPT
#       ("250 2.1.5 Ok", "550 5.1.1 <...>: ...").
#   smtp_utf8 [-q] [-x CLIENT-ADDR] PORT FROM SUBJECT RCPT...
#       one message by SMTP with SMTPUTF8 (swaks cannot send it), for
#       U-label addresses; -q: quit after the RCPTs; -x: as a client from
#       CLIENT-ADDR (XCLIENT; smtpd_authorized_xclient_hosts must allow
#       it).  Prints
#       "RCPT ADDRESS: CODE TEXT" per recipient and "DATA: CODE TEXT".
#   local_send FROM SUBJECT RCPT... [-- SENDMAIL-ARGS]
#       one message through sendmail(1) and pickup.
#   report_lines [ADDRESS]
#       the delivery-status parts of the reports and bounces in the sink,
#       one line per recipient, sorted, with ADDRESS only those whose
#       original recipient is ADDRESS: "FINAL ORIGINAL STATUS TEXT" for one
#       that was not expanded and is not deliverable (a refused person),
#       else "FINAL ORIGINAL" (the next hop's verdict on a target is left
#       out: the sink is not the point).
#   bv_send ADDRESS
#       sendmail -bv ADDRESS as sender@example.net: Postfix mails its
#       report to the sink.
#   expected_bv ADDRESS
#       report_lines ADDRESS as deptmap query says, for the report of
#       sendmail -bv ADDRESS or the bounce of a message to ADDRESS.
# SPDX-License-Identifier: BSD-2-Clause

PATHS_RULES=$MILTER_TOP/tests/socketmap/departments.rules
# Debian's python3 (DEB_PKGS) before one found in PATH: a pyenv shim there
# takes seconds to start on a loaded machine
PATHS_PYTHON=$(command -v /usr/bin/python3 || command -v python3)

paths_milter() {
    tmpdir_make || bail_out "no temporary folder"
    milter_map "$TEST_TMP" "$PATHS_RULES" || bail_out "the test map did not compile"
    SM=$TEST_TMP/socketmap.sock
    sock=$TEST_TMP/deptmilter.sock
    milter_conf "$TEST_TMP" "unix:$sock" "socketmap=unix:$SM"
    milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
        bail_out "deptmilter did not start"
}

paths_up() {
    paths_milter
    paths_postfix "$@"
}

paths_postfix() {
    read -r SMTPD_PORT SINK_PORT SUB_PORT <<<"$(free_port 3)"
    milter_postfix_recommended "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" \
        "unix:$SM" "$@" || bail_out "Postfix did not start"
    milter_submission "$SUB_PORT" "$SM" || bail_out "the submission service did not start"
}

paths_mailbox_postfix() {
    local setup=$1 dir=$TEST_TMP/$1 u
    mkdir -p "$dir/vmail" && chown "$(id -u nobody):$(id -g nobody)" "$dir/vmail" || return 1
    VMAIL=$dir/vmail
    for u in alice bob anna; do
        echo "$u@example.com example.com/$u/"
    done >"$dir/vmailbox"
    cat >"$dir/virtual.cf" <<EOT
# example.com delivered by virtual(8) into maildirs
virtual_mailbox_domains = example.com
virtual_mailbox_base = $VMAIL
virtual_mailbox_maps = texthash:$dir/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
EOT
    echo "smtpd_milters =" >"$dir/no-milter.cf"
    read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
    case $setup in
    milter)
        milter_postfix "$dir" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "$dir/virtual.cf" ;;
    socketmap)
        milter_postfix_recommended "$dir" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" \
            "unix:$SM" "$dir/virtual.cf" "$dir/no-milter.cf" ;;
    both)
        milter_postfix_recommended "$dir" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" \
            "unix:$SM" "$dir/virtual.cf" ;;
    *) echo "paths_mailbox_postfix: no setup $setup" >&2; return 1 ;;
    esac
}

PATHS_ACCEPTED=(
    "alice@sales.example.com member"
    "info@sales.example.com alias to several"
    "alice+news@sales.example.com +extension of a member, carried once"
    "info+x@sales.example.com +extension of an alias, carried to every target"
    "dave+x@ops.example.com +extension in a department that tempfails unknown people"
    "Alice@Sales.Example.COM upper case (the ORCPT keeps it)"
    "zoe+list@sales.example.com a match rule that takes the extension (not appended again)"
    "anna@xn--bcher-kva.example IDN domain as A-label"
    "bob@example.net address outside every department"
)
PATHS_REFUSED=(
    "nobody@sales.example.com unknown person"
    "john.smith+x@sales.example.com +extension refused while the address without it is rewritten"
    "nobody@bücher.example unknown person, IDN domain as U-label"
)

mailbox_start() {
    milter_postfix_require sendmail perl
    plan $((${#MAILBOX_CASES[@]} + $2))
    paths_milter
    paths_mailbox_postfix "$1" || bail_out "Postfix did not start"
}

mailbox_cleanup_checks() {
    local twice="alice alice@sales.example.com alice@example.com
alice info@sales.example.com alice@example.com
bob info@sales.example.com bob@example.com"
    mailbox_send sendmail local alice@sales.example.com
    is "$(mailbox_lines local)" "$(expected_mailbox alice@sales.example.com address)" \
        "sendmail(1) to alice@sales.example.com: X-Original-To is the department address as sent"
    mailbox_send smtp twice info@sales.example.com alice@sales.example.com
    is "$(mailbox_lines twice)" "$twice" \
        "SMTP, RCPT info@ and alice@sales.example.com: alice@example.com gets two copies (one per original recipient)"
    mailbox_send sendmail "twice local" info@sales.example.com alice@sales.example.com
    is "$(mailbox_lines "twice local")" "$twice" \
        "sendmail(1) to info@ and alice@sales.example.com: alice@example.com gets two copies (one per original recipient)"
}

MAILBOX_CASES=(
    "alice@sales.example.com member"
    "info@sales.example.com alias to several"
    "alice+news@sales.example.com +extension"
    "anna@bücher.example IDN domain as U-label"
)

mailbox_smtp_cases() {
    local n=0 case a
    for case in "${MAILBOX_CASES[@]}"; do
        a=${case%% *} n=$((n + 1))
        mailbox_send smtp "xot $n" "$a"
        is "$(mailbox_lines "xot $n")" "$(expected_mailbox "$a" "$1")" \
            "SMTP, ${case#* } ($a): $2"
    done
}

mailbox_send() {
    local how=$1 subject=$2 qid from
    shift 2
    case $how in
    smtp)
        qid=$(smtp_utf8 "$SMTPD_PORT" sender@example.net "$subject" "$@" |
            sed -n 's/^DATA: 250 .*queued as \([0-9A-F]*\).*/\1/p') ;;
    sendmail)
        # a sender of its own, to find the queue id in pickup's log line
        from=s$(date +%s%N)@example.net
        local_send "$from" "$subject" "$@" || return 1
        pf_wait_log "pickup\[[0-9]+\]: [0-9A-F]+: uid=[0-9]+ from=<$from>" 30 || return 1
        qid=$(grep -E "pickup\[[0-9]+\]: [0-9A-F]+: uid=[0-9]+ from=<$from>" "$PF_MAILLOG" |
            sed -E 's/^.*\]: ([0-9A-F]+): .*$/\1/') ;;
    esac
    [ -n "$qid" ] || { echo "mailbox_send: $how to $*: not queued" >&2; return 1; }
    pf_wait_log "]: $qid: removed\$" 30
}

expected_mailbox() {
    local t u
    query "$1"
    for t in ${Q_DETAIL//,/ }; do
        u=${t%%@*}
        if [ "$2" = address ]; then echo "${u%%+*} $1 $t"; else echo "${u%%+*} $t $t"; fi
    done | LC_ALL=C sort
}

mailbox_lines() {
    local f u
    grep -l -x -F "Subject: $1" -r "$VMAIL" 2>/dev/null | while IFS= read -r f; do
        u=${f#"$VMAIL"/example.com/}
        printf '%s %s %s\n' "${u%%/*}" \
            "$(sed -n 's/^X-Original-To: //p' "$f" | head -1)" \
            "$(sed -n 's/^Delivered-To: //p' "$f" | head -1)"
    done | LC_ALL=C sort
}

declare -A _PATHS_QUERY=()

query() {
    [ -n "${_PATHS_QUERY[$1]:-}" ] ||
        _PATHS_QUERY[$1]=$("$DEPTMAP_BIN" query -m "$MILTER_MAP" "$1")
    IFS=$'\t' read -r _ Q_ACTION Q_DETAIL Q_RULE <<<"${_PATHS_QUERY[$1]}"
}

expected_delivered() {
    local t
    query "$1"
    case $Q_ACTION in
    REWRITE) for t in ${Q_DETAIL//,/ }; do echo "$t $1"; done ;;
    PASS) echo "$1 $1" ;;
    esac | LC_ALL=C sort
}

delivered() {
    local files
    files=$(sink_files "$TEST_TMP")
    [ -n "$files" ] || return 0
    # ORCPT: rfc822 xtext, or utf-8-addr-xtext (RFC 6533: \x{HEX})
    # shellcheck disable=SC2086
    perl -CSD -ne '
        next unless /^X-Rcpt-Args: <([^>]*)>(.*?)\r?$/;
        my ($rcpt, $orcpt) = ($1, "-");
        for (split " ", $2) {
            next unless s/^ORCPT=//i;
            my $utf8 = s/^utf-8;//i;
            s/^rfc822;//i;
            s/\+([0-9A-Fa-f]{2})/chr(hex($1))/ge;
            s/\\x\{([0-9A-Fa-f]+)\}/chr(hex($1))/ge if $utf8;
            $orcpt = $_;
        }
        print "$rcpt $orcpt\n"' $files | _paths_orig "${1:-}"
}

# _paths_orig [ADDRESS] -- sorted lines "X ORIGINAL ...", with ADDRESS
# only those whose second field is ADDRESS
_paths_orig() {
    awk -v a="$1" 'a == "" || $2 == a' | LC_ALL=C sort
}

expected_refusal() {
    query "$1"
    set -- "$1" $Q_DETAIL
    echo "$2 $3 <$1>: Recipient address rejected: ${*:4}"
}

swaks_rcpt() {
    swaks --server "127.0.0.1:$1" --from sender@example.net --to "$2" \
        --quit-after RCPT "${@:3}" 2>&1 |
        awk '/^ -> RCPT TO:/ { r = 1; next } r && /^(<-|<\*\*) / { sub(/^[<*-]+ +/, ""); print; exit }'
}

smtp_utf8() {
    local quit=0 client=
    [ "$1" = -q ] && { quit=1; shift; }
    [ "$1" = -x ] && { client=$2; shift 2; }
    "$PATHS_PYTHON" - "$quit" "$client" "$@" <<'EOF'
import smtplib, sys
quit, client = sys.argv[1] == '1', sys.argv[2]
port, sender, subject, rcpts = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:]
s = smtplib.SMTP('127.0.0.1', port, local_hostname='client.test', timeout=30)
s.ehlo()
if client:
    s.docmd('XCLIENT ADDR=%s' % client)
    s.ehlo_resp = None
    s.ehlo()
s.mail(sender, ['SMTPUTF8'] if any(ord(c) > 127 for r in rcpts for c in r) else [])
ok = 0
for r in rcpts:
    code, text = s.rcpt(r)
    print("RCPT %s: %d %s" % (r, code, text.decode('utf-8', 'replace')))
    ok += code // 100 == 2
if ok and not quit:
    code, text = s.data(("Subject: %s\r\nTo: undisclosed-recipients:;\r\n\r\nbody\r\n"
                         % subject).encode())
    print("DATA: %d %s" % (code, text.decode()))
s.quit()
EOF
}

local_send() {
    local from=$1 subject=$2 rcpts=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do rcpts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    printf 'Subject: %s\n\nbody\n' "$subject" |
        MAIL_CONFIG=$PF_CONF sendmail "$@" -f "$from" "${rcpts[@]}"
}

report_lines() {
    local files
    files=$(sink_files "$TEST_TMP")
    [ -n "$files" ] || return 0
    # the delivery-status parts: a blank-line separated block per recipient
    # shellcheck disable=SC2086
    perl -CSD -ne '
        sub addr {
            my ($type, $a) = $_[0] =~ /^\s*([^;]*?)\s*;\s*(.*)$/ or return $_[0];
            $a =~ s/\\x\{([0-9A-Fa-f]+)\}/chr(hex($1))/ge if lc $type eq "utf-8";
            return $a;
        }
        s/\r?\n$//;
        $f = addr("$1") if /^Final-Recipient:(.*)/;
        $o = addr("$1") if /^Original-Recipient:(.*)/;
        $s = $1 if /^Status:\s*(\S+)/;
        $act = $1 if /^Action:\s*(\S+)/;
        ($d = $1) =~ s/^[^;]*;\s*// if /^Diagnostic-Code:\s*(.*)/;
        if ($_ eq "" && defined $f) {
            print $f eq $o && $act ne "deliverable" ? "$f $o $s $d\n" : "$f $o\n";
            undef $f;
            $o = $s = $d = $act = "";
        }' $files | _paths_orig "${1:-}"
}

bv_send() {
    MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net -bv "$1" </dev/null >/dev/null
}

expected_bv() {
    query "$1"
    case $Q_ACTION in
    REWRITE | PASS) expected_delivered "$1" ;;
    *) set -- "$1" $Q_DETAIL; echo "$1 $1 $3 ${*:4}" ;;
    esac
}
