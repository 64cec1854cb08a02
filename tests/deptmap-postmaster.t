#!/usr/bin/env bash
# deptmap-postmaster.t -- every department reaches a postmaster (RFC 5321
# 4.5.1) unless its rules say otherwise: postmaster@DEPT rewrites to
# postmaster@CANONICAL with rule= the department's line; a member, an
# alias, "members *" or a match rule that takes postmaster says otherwise;
# "postmaster off" leaves postmaster to the rules, and check and compile
# warn (FILE:LINE: warning:, exit status 0) when the rules then refuse it.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1

. tests/lib/tap.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
tmpdir_make TMP || exit 1

cat >"$TMP/pm.rules" <<'EOT'
canonical example.com
department sales.example.com
    members alice
department lab.example.com
    case-sensitive
    canonical example.org
    members Bob
department ops.example.com
    alias Postmaster -> ops-desk@example.net
department star.example.com
    canonical example.net
    members *
department m.example.com
    match /^(.*)$/ -> $1@example.org
department eng.example.com
    postmaster off
    unknown reject 550 5.1.1 "Nobody at Eng"
department hr.example.com
    postmaster off
    unknown tempfail
department pass.example.com
    postmaster off
    unknown pass
department chain.example.com
    canonical sales.example.com
EOT

# q ADDRESS -- the query line for one address, tabs as " | "
q() {
    ./deptmap query -r "$TMP/pm.rules" "$1" 2>/dev/null | sed 's/\t/ | /g'
}

is "$(q postmaster@sales.example.com)" \
    "postmaster@sales.example.com | REWRITE | postmaster@example.com | rule=pm.rules:2" \
    "no rule for postmaster: the canonical postmaster, rule= the department line"
is "$(q POSTMASTER@Sales.Example.COM)" \
    "POSTMASTER@Sales.Example.COM | REWRITE | postmaster@example.com | rule=pm.rules:2" \
    "postmaster in any case"
is "$(q PostMaster@lab.example.com)" \
    "PostMaster@lab.example.com | REWRITE | postmaster@example.org | rule=pm.rules:4" \
    "case-sensitive department: postmaster is case-insensitive still, its canonical domain"
is "$(q bob@lab.example.com)" \
    "bob@lab.example.com | REJECT | 550 5.1.1 No such user here | rule=pm.rules:4" \
    "case-sensitive department: other names keep their case"
is "$(q postmaster@ops.example.com)" \
    "postmaster@ops.example.com | REWRITE | ops-desk@example.net | rule=pm.rules:9" \
    "an explicit alias (any case) overrides the default"
is "$(q postmaster@star.example.com)" \
    "postmaster@star.example.com | REWRITE | postmaster@example.net | rule=pm.rules:12" \
    "members * reaches the canonical postmaster through its own rule"
is "$(q postmaster@m.example.com)" \
    "postmaster@m.example.com | REWRITE | postmaster@example.org | rule=pm.rules:14" \
    "a match rule that takes postmaster overrides the default"
is "$(q postmaster@eng.example.com)" \
    "postmaster@eng.example.com | REJECT | 550 5.1.1 Nobody at Eng | rule=pm.rules:17" \
    "postmaster off: the unknown policy applies"
is "$(q postmaster@pass.example.com)" \
    "postmaster@pass.example.com | PASS |  | rule=pm.rules:23" \
    "postmaster off with unknown pass: passed untouched"
is "$(q postmaster@chain.example.com)" \
    "postmaster@chain.example.com | REWRITE | postmaster@example.com | rule=pm.rules:24" \
    "canonical domain that is a department: its postmaster, resolved"

want="$TMP/pm.rules:17: warning: postmaster@eng.example.com is refused (550 5.1.1 Nobody at Eng): RFC 5321 wants a postmaster at every domain that takes mail; drop \"postmaster off\" or add \"alias postmaster -> ADDRESS\"
$TMP/pm.rules:20: warning: postmaster@hr.example.com is refused (450 4.1.1 Recipient not yet known, try again later): RFC 5321 wants a postmaster at every domain that takes mail; drop \"postmaster off\" or add \"alias postmaster -> ADDRESS\""
./deptmap check "$TMP/pm.rules" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 0 "check: a refused postmaster is a warning, exit status 0"
is "$(cat "$TMP/err")" "$want" "check: one warning per refusing department, at the rule that refuses"
is "$(cat "$TMP/out")" "" "check: nothing on stdout"

./deptmap compile -o "$TMP/pm.cdb" "$TMP/pm.rules" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 0 "compile: exit status 0 with the warnings"
is "$(cat "$TMP/err")" "$want" "compile: the same warnings"
ok $([ -s "$TMP/pm.cdb" ]; echo $?) "compile: the map is written"
is "$(./deptmap query -m "$TMP/pm.cdb" postmaster@sales.example.com | cut -f2-)" \
    "$(printf 'REWRITE\tpostmaster@example.com\trule=pm.rules:2')" \
    "the compiled map gives the same answer"
is "$(./deptmap dump "$TMP/pm.cdb" | grep ':postmaster	' | cut -f1,2 | tr '\t' ' ')" \
"addr:chain.example.com:postmaster rule=pm.rules:24
addr:lab.example.com:postmaster rule=pm.rules:4
addr:ops.example.com:postmaster rule=pm.rules:9
addr:sales.example.com:postmaster rule=pm.rules:2" \
    "postmaster records: the default where no rule names postmaster, and the explicit alias"

# a match rule whose result for postmaster is not an address: tempfail, warned
printf 'canonical example.com\ndepartment t.example.com\n    match /^post(.*)$/ -> $1@exa_mple.com\n' \
    >"$TMP/bad.rules"
./deptmap check "$TMP/bad.rules" >/dev/null 2>"$TMP/err"
rc=$?
is "$rc:$(cat "$TMP/err")" "1:$TMP/bad.rules:3: invalid target \"\$1@exa_mple.com\": domain \"exa_mple.com\": label \"exa_mple\" has \"_\" (letters, digits and hyphens only)" \
    "a match target with a bad static domain is an error"
printf 'canonical example.com\ndepartment t.example.com\n    match /^postmaster(.*)$/ -> $1\n' \
    >"$TMP/tf.rules"
./deptmap check "$TMP/tf.rules" >/dev/null 2>"$TMP/err"
rc=$?
is "$rc:$(cat "$TMP/err")" "0:$TMP/tf.rules:3: warning: postmaster@t.example.com is refused (451 4.3.0 Temporary lookup failure): RFC 5321 wants a postmaster at every domain that takes mail; add \"alias postmaster -> ADDRESS\"" \
    "a match rule that takes postmaster but makes no valid address: warned"

# the keyword's own errors
printf 'canonical example.com\npostmaster off\ndepartment a.example.com\n    postmaster on\n    postmaster off\n    postmaster off\n' \
    >"$TMP/kw.rules"
./deptmap check "$TMP/kw.rules" >/dev/null 2>"$TMP/err"
is "$(cat "$TMP/err")" "$TMP/kw.rules:2: \"postmaster\" outside a department (add \"department DOMAIN\" above)
$TMP/kw.rules:4: \"postmaster\" takes one argument: off
$TMP/kw.rules:6: \"postmaster off\" given twice for a.example.com (first at line 5)" \
    "postmaster keyword errors at their lines"

done_testing
