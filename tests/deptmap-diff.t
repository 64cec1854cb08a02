#!/usr/bin/env bash
# deptmap-diff.t -- deptmap diff OLD NEW: every address whose answer
# changes, as "-ADDRESS<TAB>old answer" and "+ADDRESS<TAB>new answer"
# lines (members added and removed, targets, replies, a department's
# answer for anyone it does not name as *@DOMAIN, departments added and
# removed, their settings), match rules as rules; maps and rules in any
# mix give the same lines; rules that only moved to other lines are no
# change (exit 0); exit 1 on a difference, 2 on trouble (unreadable file,
# bad rules with FILE:LINE, usage), as diff(1).
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh
. tests/lib/run.sh

[ -x ./deptmap ] || skip_all "./deptmap not built (make deptmap)"
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
T=$'\t'

cd "$TMP" || bail_out "cd $TMP"
cat >old.rules <<'EOF'
canonical example.com
delimiter +

department sales.example.com
    members alice bob
    alias info -> alice, bob
    match /^([a-z]+)\.([a-z]+)$/ -> $1@example.com
    unknown reject 550 5.1.1 "No such person in Sales"

department eng.example.com
    members *
    unknown pass

department hr.example.com
    members ivan
EOF
"$DEPTMAP" compile old.rules || bail_out "cannot compile old.rules"

# changed NAME WANT SED-ARGS...: NAME.rules is old.rules through sed; the
# diff from old.rules to it is WANT, exit 1
changed() {
    local name=$1 want=$2; shift 2
    sed "$@" old.rules >"$name.rules"
    run "$DEPTMAP" diff old.rules "$name.rules"
    exit_is 1 "$name: exit 1"
    is "$OUT" "$want" "$name: the lines of the change"
}

# --- no change -----------------------------------------------------------------
run "$DEPTMAP" diff old.rules old.rules
exit_is 0 "the same rules: exit 0"
is "$OUT$ERR" "" "the same rules: nothing printed"
{ echo "# a comment that moves every line down"; echo
  sed '/^department/,$d' old.rules
  sed -n '/^department hr/,$p' old.rules; echo
  sed -n '/^department sales/,/^department hr/{/^department hr/d; s/members alice bob/members bob alice/; p}' old.rules
} >moved.rules
run "$DEPTMAP" diff old.rules moved.rules
exit_is 0 "rules that only moved to other lines (and departments reordered): exit 0"
is "$OUT$ERR" "" "rules that only moved: nothing printed"
"$DEPTMAP" compile moved.rules || bail_out "cannot compile moved.rules"
run "$DEPTMAP" diff old.cdb moved.cdb
exit_is 0 "the maps of rules that only moved: exit 0"

# --- each kind of change --------------------------------------------------------
changed member-added "-carol@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales
+carol@sales.example.com${T}REWRITE${T}carol@example.com" -e 's/members alice bob/members alice bob carol/'
changed member-removed "-bob@sales.example.com${T}REWRITE${T}bob@example.com
+bob@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales" -e 's/members alice bob/members alice/'
changed targets "-info@sales.example.com${T}REWRITE${T}alice@example.com,bob@example.com
+info@sales.example.com${T}REWRITE${T}alice@example.com,carol@example.com" -e 's/info -> alice, bob/info -> alice, carol/'
changed reply "-*@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales
+*@sales.example.com${T}REJECT${T}550 5.1.1 Nobody of that name" -e 's/No such person in Sales/Nobody of that name/'
changed policy "-*@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales
+*@sales.example.com${T}PASS${T}" -e 's/unknown reject.*/unknown pass/'
changed members-star "-*@hr.example.com${T}REJECT${T}550 5.1.1 No such user here
+*@hr.example.com${T}REWRITE${T}*@example.com" -e '/members ivan/a\    members *'
changed dept-added "+department${T}ops.example.com${T}canonical=example.com delimiter=+ case=fold
-*@ops.example.com${T}PASS${T}
+*@ops.example.com${T}REJECT${T}550 5.1.1 No such user here
-olga@ops.example.com${T}PASS${T}
+olga@ops.example.com${T}REWRITE${T}olga@example.com
-postmaster@ops.example.com${T}PASS${T}
+postmaster@ops.example.com${T}REWRITE${T}postmaster@example.com" -e '$a\department ops.example.com\n    members olga'
changed dept-removed "-department${T}hr.example.com${T}canonical=example.com delimiter=+ case=fold
-*@hr.example.com${T}REJECT${T}550 5.1.1 No such user here
+*@hr.example.com${T}PASS${T}
-ivan@hr.example.com${T}REWRITE${T}ivan@example.com
+ivan@hr.example.com${T}PASS${T}
-postmaster@hr.example.com${T}REWRITE${T}postmaster@example.com
+postmaster@hr.example.com${T}PASS${T}" -e '/^department hr/,$d'
changed settings "-department${T}sales.example.com${T}canonical=example.com delimiter=+ case=fold
+department${T}sales.example.com${T}canonical=example.com delimiter=- case=fold" \
    -e '/^department sales/a\    delimiter -'
changed canonical "-department${T}eng.example.com${T}canonical=example.com delimiter=+ case=fold
+department${T}eng.example.com${T}canonical=example.org delimiter=+ case=fold
-*@eng.example.com${T}REWRITE${T}*@example.com
+*@eng.example.com${T}REWRITE${T}*@example.org" -e '/^department eng/a\    canonical example.org'
changed match-changed "-match${T}sales.example.com${T}/^([a-z]+)\\.([a-z]+)\$/ -> \$1@example.com
+match${T}sales.example.com${T}/^([a-z]+)\\.([a-z]+)\$/ -> \$2@example.com" -e 's/-> \$1@example.com/-> $2@example.com/'
changed match-added "+match${T}sales.example.com${T}/^x-(.*)\$/ -> \$1, postmaster" \
    -e '/match/a\    match /^x-(.*)$/ -> $1, postmaster'
changed match-removed "-match${T}sales.example.com${T}/^([a-z]+)\\.([a-z]+)\$/ -> \$1@example.com" -e '/match/d'

# --- several changes: sorted by domain, then department, match, *@, addresses
changed several "-*@eng.example.com${T}REWRITE${T}*@example.com
+*@eng.example.com${T}PASS${T}
-ivan@hr.example.com${T}REWRITE${T}ivan@example.com
+ivan@hr.example.com${T}REWRITE${T}ivan.petrov@example.com
+match${T}sales.example.com${T}/^z/ -> zed
-*@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales
+*@sales.example.com${T}TEMPFAIL${T}450 4.1.1 Recipient not yet known, try again later
-adam@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales
+adam@sales.example.com${T}REWRITE${T}adam@example.com
-zoe@sales.example.com${T}REJECT${T}550 5.1.1 No such person in Sales
+zoe@sales.example.com${T}REWRITE${T}zoe@example.com" \
    -e 's/members alice bob/members zoe alice bob adam/' -e '/members \*/d' \
    -e 's/members ivan/alias ivan -> ivan.petrov/' -e 's/unknown reject.*/unknown tempfail/' \
    -e '/match/a\    match /^z/ -> zed'
first=$OUT
run "$DEPTMAP" diff old.rules several.rules
is "$OUT" "$first" "the same output on a second run"

# --- maps and rules in any mix ----------------------------------------------------
"$DEPTMAP" compile several.rules || bail_out "cannot compile several.rules"
for pair in "old.cdb several.cdb" "old.cdb several.rules" "old.rules several.cdb"; do
    run "$DEPTMAP" diff $pair
    exit_is 1 "diff $pair: exit 1"
    is "$OUT" "$first" "diff $pair: the same lines as rules against rules"
done
run "$DEPTMAP" diff several.cdb old.rules
exit_is 1 "the other way round: exit 1"
is "$(sort <<<"$OUT")" "$(sed 's/^+/=/; s/^-/+/; s/^=/-/' <<<"$first" | sort)" "the other way round: the same lines, signs swapped"

# --- trouble: exit 2 ----------------------------------------------------------------
run "$DEPTMAP" diff old.rules no-such.rules
exit_is 2 "a missing file: exit 2"
is "$ERR" "deptmap: no-such.rules: No such file or directory" "the missing file is named"
run "$DEPTMAP" diff "$TMP" old.rules
exit_is 2 "a directory: exit 2"
chmod 000 several.cdb
as=()					# root reads every file: run as nobody
[ "$(id -u)" = 0 ] && command -v runuser >/dev/null && as=(runuser -u nobody --)
if ! "${as[@]}" cat several.cdb >/dev/null 2>&1 && "${as[@]}" "$DEPTMAP" diff old.cdb old.cdb; then
    run "${as[@]}" "$DEPTMAP" diff old.cdb several.cdb
    exit_is 2 "an unreadable map: exit 2"
    is "$ERR" "deptmap: several.cdb: Permission denied" "an unreadable map: the reason"
else
    skip "cannot make a file this user cannot read" 2
fi
chmod 644 several.cdb
printf 'canonical example.com\ndepartment sales.example.com\n    member alice\n' >bad.rules
run "$DEPTMAP" diff old.rules bad.rules
exit_is 2 "bad rules: exit 2"
like "$ERR" "^bad.rules:3: " "bad rules: the error with FILE:LINE"
is "$OUT" "" "bad rules: nothing on stdout"
printf '+1,1:a->b\n\n' | cdb -c other.cdb 2>/dev/null
if [ -s other.cdb ]; then
    run "$DEPTMAP" diff other.cdb old.rules
    exit_is 2 "a CDB file that is not deptmap's: exit 2"
    is "$ERR" "deptmap: other.cdb: not a deptmap file (no meta record)" "a foreign CDB file: said so once"
else
    skip "no cdb(1) to make a foreign CDB file" 2
fi
run "$DEPTMAP" diff old.rules
exit_is 2 "one argument: usage, exit 2"

done_testing
