#!/usr/bin/env bash
# deptmap-mailboxes.t -- "mailboxes LIST [warn]": targets that exist.
#
#   - compile and check: a member, alias or unknown-redirect target in a
#     domain the list covers that is not in it is an error at its
#     FILE:LINE (the roster's for a roster member) naming the target and
#     the list; nothing is written.  With "warn": a warning on stderr,
#     exit 0, the map written.  Targets in other domains are not checked.
#   - the list as a text file and as a Postfix cdb table made by postmap
#     (keys without and, with -N, with their NUL); "@domain" (catch-all)
#     and "domain" keys; case folded as map keys are.
#   - query (-r and -m): what "members *" and match rules make is taken
#     when it is a mailbox, else the department's unknown policy applies
#     (reject, tempfail, redirect, pass) with rule=RULE,no-mailbox;
#     --explain shows the lookup; a map without a list is unchanged.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1

. tests/lib/tap.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
tmpdir_make TMP || exit 1
D=$(pwd)/deptmap

# run ARGS... -- deptmap in $TMP; sets RC, OUT, ERR
run() {
    (cd "$TMP" && "$D" "$@" >out 2>err)
    RC=$?
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}

# rules NAME LIST-LINE -- write $TMP/NAME.rules around the given
# "mailboxes" line, from the body on stdin
rules() {
    { echo "canonical example.com"; echo "delimiter +"; echo "$2"; cat; } >"$TMP/$1.rules"
}

cat >"$TMP/mailboxes.txt" <<'EOF'
# the canonical mailboxes (a postmap source: the values are ignored)
alice@example.com   example.com/alice/
Bob@Example.COM     example.com/bob/
carol@example.org   example.org/carol/
postmaster@example.org example.org/postmaster/
dave@example.org    example.org/dave/,
    continued@example.org
@catch.example.net  catch-all
example.net         virtual
EOF
printf 'erin\nfrank\n' >"$TMP/sales.txt"

BODY='department sales.example.com
    members alice bob
    members-file sales.txt
    alias team -> alice, BOB
    alias orders -> orders@erp.example.net, x@catch.example.net
    match /^m-(.*)$/ -> $1@example.org
    unknown reject 550 5.1.1 "No such person in Sales"
department eng.example.com
    canonical example.org
    members *
    unknown reject 550 5.1.1 "No such person in Eng"'

# --- compile-time checks -------------------------------------------------

printf 'erin@example.com x\nfrank@example.com x\n' >>"$TMP/mailboxes.txt"
rules good "mailboxes mailboxes.txt" <<<"$BODY"
run compile good.rules
is "$RC:$ERR" "0:" "all targets are mailboxes or outside the list: compile exits 0, silent"
run check good.rules
is "$RC:$ERR" "0:" "check: exit 0, silent"
run dump good.cdb
is "$(grep '^mailbox' <<<"$OUT")" "mailbox:example.com:alice	
mailbox:example.com:bob	
mailbox:example.com:erin	
mailbox:example.com:frank	
mailbox:example.org:carol	
mailbox:example.org:dave	
mailbox:example.org:postmaster	
mailboxes	rule=good.rules:3	domain=example.com	domain=example.net	domain=example.org" \
    "the map keeps the mailboxes (folded) and the covered domains, catch-all and continuation lines left out"

rules typo "mailboxes mailboxes.txt" <<<"${BODY/team -> alice, BOB/team -> alcie, bob}"
cp "$TMP/good.cdb" "$TMP/typo.cdb"
run compile typo.rules
is "$RC" 1 "alias target typo: compile exits 1"
is "$ERR" "typo.rules:7: target alcie@example.com is not in the mailbox list mailboxes.txt" \
    "the error names FILE:LINE, the target and the list"
cmp -s "$TMP/typo.cdb" "$TMP/good.cdb"
ok $? "the old map is left as it was"
run check typo.rules
is "$RC:$ERR" "1:typo.rules:7: target alcie@example.com is not in the mailbox list mailboxes.txt" \
    "check reports the same error"

rules member "mailboxes mailboxes.txt" <<<"${BODY/members alice bob/members alice bob gina}"
printf 'erin\nhank\n' >"$TMP/sales2.txt"
sed -i 's/sales.txt/sales2.txt/' "$TMP/member.rules"
run check member.rules
is "$RC:$ERR" "1:member.rules:5: target gina@example.com is not in the mailbox list mailboxes.txt
sales2.txt:2: target hank@example.com is not in the mailbox list mailboxes.txt" \
    "unknown members: on the rules line, and a roster's at the roster's FILE:LINE"

rules redirect "mailboxes mailboxes.txt" <<'EOF'
department help.example.com
    unknown redirect helpdsk
EOF
run check redirect.rules
is "$RC:$ERR" "1:redirect.rules:5: target helpdsk@example.com is not in the mailbox list mailboxes.txt" \
    "an unknown redirect to no mailbox is an error at the unknown line"

rules uncovered "mailboxes mailboxes.txt" <<'EOF'
department x.example.com
    alias a -> orders@erp.example.net, ghost@catch.example.net, anyone@example.edu
EOF
run check uncovered.rules
is "$RC:$ERR" "0:" "targets in domains the list does not cover, or covers by a catch-all, are not checked"

rules domainkey "mailboxes mailboxes.txt" <<'EOF'
department x.example.com
    alias a -> nobody@example.net
EOF
run check domainkey.rules
is "$RC:$ERR" "1:domainkey.rules:5: target nobody@example.net is not in the mailbox list mailboxes.txt" \
    "a key without @ covers its domain although no mailbox there is listed"

rules chain "mailboxes mailboxes.txt" <<<"$BODY
department x.example.com
    alias a -> ghost@eng.example.com"
run check chain.rules
is "$RC:$ERR" "1:chain.rules:16: target ghost@eng.example.com is refused by its department: 550 5.1.1 No such person in Eng (rule=chain.rules:13,no-mailbox)" \
    "an alias to a department address that members * would make into no mailbox is refused"

rules warn "mailboxes mailboxes.txt warn" <<<"${BODY/team -> alice, BOB/team -> alcie, bob}"
run compile warn.rules
is "$RC" 0 "warn: compile exits 0"
is "$ERR" "warn.rules:7: warning: target alcie@example.com is not in the mailbox list mailboxes.txt" \
    "warn: a warning with FILE:LINE on stderr"
ok $([ -s "$TMP/warn.cdb" ]; echo $?) "warn: the map is written"
run query -m warn.cdb team@sales.example.com
is "$OUT" "team@sales.example.com	REWRITE	alcie@example.com,bob@example.com	rule=warn.rules:7" \
    "warn: the alias is kept as written"

rules mixed "mailboxes mailboxes.txt" <<'EOF'
mailboxes mailboxes.txt warn
department x.example.com
EOF
run check mixed.rules
is "$RC:$ERR" '1:mixed.rules:4: "mailboxes" with and without "warn" (first at mixed.rules:3)' \
    "several lists: one mode for all"

# --- the list's own errors -----------------------------------------------

rules late "" <<'EOF'
department x.example.com
    mailboxes mailboxes.txt
EOF
run check late.rules
is "$RC:$ERR" '1:late.rules:5: "mailboxes" belongs before the first department' \
    "mailboxes inside a department is refused"

rules missing "mailboxes nosuch.txt" <<<"department x.example.com"
run check missing.rules
is "$RC:$ERR" "1:missing.rules:3: cannot read mailbox list nosuch.txt: No such file or directory" \
    "a list that cannot be read is an error at the mailboxes line"

rules hash "mailboxes hash:/etc/postfix/vmailbox" <<<"department x.example.com"
run check hash.rules
is "$RC:$ERR" '1:hash.rules:3: mailbox list type "hash" is not supported (cdb:PATH, texthash:PATH or a file)' \
    "a table type that cannot be read is named"

printf '# nothing\n\n' >"$TMP/empty.txt"
rules empty "mailboxes empty.txt" <<<"department x.example.com"
run check empty.rules
is "$RC:$ERR" "1:empty.rules:3: mailbox list empty.txt has no address" \
    "an empty list is an error, not a list that refuses everything"

printf 'ok@example.com x\nalice@ x\n@a..b x\n"open@example.com x\n' >"$TMP/bad.txt"
rules badlist "mailboxes bad.txt" <<<"department x.example.com"
run check badlist.rules
is "$RC:$ERR" '1:bad.txt:2: invalid address "alice@" in mailbox list
bad.txt:3: invalid domain "@a..b" in mailbox list
bad.txt:4: invalid address ""open@example.com x" in mailbox list' \
    "bad keys in a text list: errors at the list's FILE:LINE"

rules texthash "mailboxes texthash:mailboxes.txt" <<<"$BODY"
run check texthash.rules
is "$RC:$ERR" "0:" "texthash:FILE is the same text list"

# --- a Postfix cdb table, made by postmap ---------------------------------

if command -v postmap >/dev/null && [ -r /etc/postfix/main.cf ]; then
    grep -v '^ ' "$TMP/mailboxes.txt" >"$TMP/vmailbox"
    postmap -c /etc/postfix "cdb:$TMP/vmailbox" 2>"$TMP/err"
    ok $? "postmap cdb:vmailbox" || diag "$(cat "$TMP/err")"
    rules cdb "mailboxes cdb:$TMP/vmailbox" <<<"$BODY"
    run compile cdb.rules
    is "$RC:$ERR" "0:" "cdb table: compile exits 0"
    run dump good.cdb
    good=$(grep '^mailbox:' <<<"$OUT")
    run dump cdb.cdb
    is "$(grep '^mailbox:' <<<"$OUT")" "$good" "cdb table: the same mailboxes as the text list"
    is "$(grep '^mailboxes' <<<"$OUT" | cut -f2-)" \
        "rule=cdb.rules:3	domain=example.com	domain=example.net	domain=example.org" \
        "cdb table: the same covered domains"
    rules cdbtypo "mailboxes cdb:$TMP/vmailbox" <<<"${BODY/team -> alice, BOB/team -> alcie, bob}"
    run check cdbtypo.rules
    is "$RC:$ERR" "1:cdbtypo.rules:7: target alcie@example.com is not in the mailbox list cdb:$TMP/vmailbox" \
        "cdb table: an unknown target is an error naming the table"

    postmap -N -c /etc/postfix "cdb:$TMP/vmailbox" 2>"$TMP/err"
    ok $? "postmap -N (keys with their NUL)" || diag "$(cat "$TMP/err")"
    ok $(cdb -d "$TMP/vmailbox.cdb" | grep -qa 'alice@example.com.->'; echo $?) \
        "postmap -N wrote its keys with a NUL"
    run compile -o cdbnul.cdb cdb.rules
    is "$RC:$ERR" "0:" "cdb table with NULs: compile exits 0"
    run dump cdbnul.cdb
    is "$(grep '^mailbox:' <<<"$OUT")" "$good" "cdb table with NULs: the same mailboxes"

    printf 'x\n' >"$TMP/notcdb.cdb"
    rules notcdb "mailboxes cdb:notcdb" <<<"department x.example.com"
    run check notcdb.rules
    is "$RC:$ERR" "1:notcdb.rules:3: cannot read mailbox list notcdb.cdb: not a cdb file" \
        "cdb: a file that is not a cdb table is an error"
else
    skip "postmap (postfix) not installed" 10
fi

# --- decisions at RCPT: members * and match results ------------------------

rules rcpt "mailboxes mailboxes.txt" <<<"$BODY
department t.example.com
    canonical example.org
    members *
    unknown tempfail 451 4.2.1 \"Try later\"
department r.example.com
    canonical example.org
    members *
    unknown redirect desk@example.edu
department p.example.com
    canonical example.org
    members *
    unknown pass
department u.example.com
    match /^(.*)\$/ -> \$1@Example.ORG"
run compile rcpt.rules
is "$RC:$ERR" "0:" "rules with every unknown policy compile"

want='carol@eng.example.com	REWRITE	carol@example.org	rule=rcpt.rules:13
CAROL+news@eng.example.com	REWRITE	CAROL+news@example.org	rule=rcpt.rules:13
ghost@eng.example.com	REJECT	550 5.1.1 No such person in Eng	rule=rcpt.rules:13,no-mailbox
ghost+x@eng.example.com	REJECT	550 5.1.1 No such person in Eng	rule=rcpt.rules:13,no-mailbox
m-dave@sales.example.com	REWRITE	dave@example.org	rule=rcpt.rules:9
m-ghost@sales.example.com	REJECT	550 5.1.1 No such person in Sales	rule=rcpt.rules:9,no-mailbox
m-x@sales.example.com	REJECT	550 5.1.1 No such person in Sales	rule=rcpt.rules:9,no-mailbox
ghost@t.example.com	TEMPFAIL	451 4.2.1 Try later	rule=rcpt.rules:17,no-mailbox
ghost@r.example.com	REWRITE	desk@example.edu	rule=rcpt.rules:21,no-mailbox
carol@r.example.com	REWRITE	carol@example.org	rule=rcpt.rules:21
ghost@p.example.com	PASS		rule=rcpt.rules:25,no-mailbox
alice@sales.example.com	REWRITE	alice@example.com	rule=rcpt.rules:5
carol@u.example.com	REWRITE	carol@example.org	rule=rcpt.rules:28
ghost@u.example.com	REJECT	550 5.1.1 No such user here	rule=rcpt.rules:28,no-mailbox
ghost@example.org	PASS		rule=-'
addrs=$(cut -f1 <<<"$want")
# shellcheck disable=SC2086
run query -m rcpt.cdb $addrs
is "$OUT" "$want" "query -m: members * and match results that are no mailbox get the unknown policy"
# shellcheck disable=SC2086
run query -r rcpt.rules $addrs
is "$OUT" "$want" "query -r: the same answers"

run query -m rcpt.cdb --explain ghost@eng.example.com
is "$(grep '^# mailbox' <<<"$OUT")" \
    "# mailbox ghost@example.org (list rule=rcpt.rules:3): not found" \
    "--explain shows the mailbox lookup"
run query -m rcpt.cdb --explain CAROL+news@eng.example.com
is "$(grep '^# mailbox' <<<"$OUT")" \
    "# mailbox CAROL@example.org (list rule=rcpt.rules:3): found" \
    "--explain: an address with an extension is found with one lookup, without it"
run query -m rcpt.cdb --explain alice@sales.example.com someone@example.com
is "$(grep -c '^# mailbox' <<<"$OUT")" 0 \
    "members and aliases (checked when compiled) and addresses outside: no mailbox lookup"

rules nolist "" <<<"$BODY"
run query -r nolist.rules ghost@eng.example.com m-ghost@sales.example.com
is "$OUT" "ghost@eng.example.com	REWRITE	ghost@example.org	rule=nolist.rules:13
m-ghost@sales.example.com	REWRITE	ghost@example.org	rule=nolist.rules:9" \
    "without a list, members * and match results are taken as they are"
run compile nolist.rules
run dump nolist.cdb
is "$(grep -c '^mailbox' <<<"$OUT")" 0 "without a list, the map has no mailbox records"

done_testing
