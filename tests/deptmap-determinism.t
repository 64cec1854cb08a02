#!/usr/bin/env bash
# deptmap-determinism.t -- "The same rules give the same bytes."
#
# Every tests/golden/*.rules is compiled
#   A  from the repository root, relative path, into TMP/a/
#   B  from inside tests/golden, bare file name, into TMP/b/ (absolute -o)
#   C  through a symlink to tests/golden, absolute path, from /, into TMP/c/
#   D  from a full copy of tests/golden elsewhere, with another umask,
#      locale and time zone, a second later, into TMP/d/
# and the four maps must be identical (cmp).
#
# Reordering: a rules file and a copy with its lines in another order but
# the same meaning (departments swapped, members and aliases shuffled,
# match rules kept in their order, which is significant).  The bytes are
# NOT the same, and are not expected to be: every record carries
# rule=FILE:LINE (shown by `deptmap query` and in the milter's log lines),
# and the meta digest covers it.  What must be the same is everything else:
# the dumps with the line numbers of rule= fields masked are identical
# (records are sorted by key, departments by domain, so the order of lines
# does not leak into the map).  Reordering inside one line (the names of a
# members line) keeps all line numbers and gives the same records; only the
# sources record differs, as it holds a digest of the rules file's bytes
# (for the warning that a map is older than its source).
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

. tests/lib/tap.sh

if [ ! -x ./deptmap ]; then
    skip_all "./deptmap not built (make deptmap)"
fi
DEPTMAP=$ROOT/deptmap
tmpdir_make TMP || exit 1
mkdir "$TMP/a" "$TMP/b" "$TMP/c" "$TMP/d" "$TMP/copy"
ln -s "$ROOT/tests/golden" "$TMP/link"
cp -p tests/golden/* "$TMP/copy/"

for rules in tests/golden/*.rules; do
    name=$(basename "$rules" .rules)
    errs=
    "$DEPTMAP" compile -o "$TMP/a/$name.cdb" "$rules" 2>>"$TMP/err" || errs=A
    (cd tests/golden && "$DEPTMAP" compile -o "$TMP/b/$name.cdb" "$name.rules") 2>>"$TMP/err" || errs="$errs B"
    (cd / && "$DEPTMAP" compile -o "$TMP/c/$name.cdb" "$TMP/link/$name.rules") 2>>"$TMP/err" || errs="$errs C"
    ok $([ -z "$errs" ]; echo $?) "$name: compiles from three places" || diag "failed: $errs" "$(cat "$TMP/err")"
    cmp "$TMP/a/$name.cdb" "$TMP/b/$name.cdb" >/dev/null 2>&1
    ok $? "$name: same bytes from the repository root and from the rules directory"
    cmp "$TMP/a/$name.cdb" "$TMP/c/$name.cdb" >/dev/null 2>&1
    ok $? "$name: same bytes through a symlinked rules directory, absolute path, from /"
done

sleep 1
for rules in "$TMP"/copy/*.rules; do
    name=$(basename "$rules" .rules)
    (umask 077; cd "$TMP/d" && LC_ALL=C.UTF-8 TZ=Pacific/Auckland \
        "$DEPTMAP" compile -o "$name.cdb" ../copy/"$name.rules") 2>"$TMP/err"
    ok $? "$name: compiles from a copied directory, umask 077, other locale and TZ" ||
        diag "$(cat "$TMP/err")"
    cmp "$TMP/a/$name.cdb" "$TMP/d/$name.cdb" >/dev/null 2>&1
    ok $? "$name: same bytes from the copy, later, with other umask, locale and TZ"
done

# --- the same meaning in another order of lines -----------------------------
mkdir "$TMP/o1" "$TMP/o2" "$TMP/o3"
cat >"$TMP/o1/order.rules" <<'EOF'
canonical example.com
delimiter +
department sales.example.com
    members alice bob carol
    members-file roster.txt
    alias info -> alice, bob
    alias orders -> orders@erp.example.net
    match /^([a-z]+)\.([a-z]+)$/ -> $1@example.com
    match /^x-(.*)$/ -> $1
    unknown reject 550 5.1.1 "No such person in Sales"
department eng.example.com
    canonical example.org
    members *
    alias help -> info@sales.example.com
    unknown pass
EOF
# departments swapped, keywords shuffled, matches still in their order
cat >"$TMP/o2/order.rules" <<'EOF'
delimiter +
canonical example.com
department eng.example.com
    unknown pass
    alias help -> info@sales.example.com
    members *
    canonical example.org
department sales.example.com
    unknown reject 550 5.1.1 "No such person in Sales"
    match /^([a-z]+)\.([a-z]+)$/ -> $1@example.com
    alias orders -> orders@erp.example.net
    members-file roster.txt
    match /^x-(.*)$/ -> $1
    alias info -> alice, bob
    members alice bob carol
EOF
# only the names on one line reordered: every line number stays
sed 's/members alice bob carol/members carol, alice bob/' "$TMP/o1/order.rules" >"$TMP/o3/order.rules"
printf 'dave\nerin\n' >"$TMP/o1/roster.txt"
printf 'erin\ndave\n' >"$TMP/o2/roster.txt"     # roster order differs too
printf 'dave\nerin\n' >"$TMP/o3/roster.txt"
for d in o1 o2 o3; do
    "$DEPTMAP" compile "$TMP/$d/order.rules" 2>"$TMP/err"
    ok $? "order/$d: compiles (default output next to the rules)" || diag "$(cat "$TMP/err")"
    "$DEPTMAP" dump "$TMP/$d/order.cdb" >"$TMP/$d.dump" 2>"$TMP/err"
done

# the sources record holds a digest of each source's bytes (for the
# "map older than source" warning), so only it and the meta digest differ
srcmask() { sed -E 's/source=[0-9a-f]+:/source=X:/g; s/digest=[0-9a-f]+/digest=X/' "$1"; }
diff <(srcmask "$TMP/o1.dump") <(srcmask "$TMP/o3.dump") >"$TMP/diff"
ok $? "names reordered within one members line: the same records (but the sources' own digests)" ||
    diag "$(cat "$TMP/diff")"

if cmp -s "$TMP/o1/order.cdb" "$TMP/o2/order.cdb"; then
    note="same bytes"
else
    note="different bytes (expected: rule=FILE:LINE and the digest differ)"
fi
echo "# lines reordered, same meaning: $note"
# mask line numbers of rule fields (rule=, all=, unknown-rule=) and the digest
mask() {
    sed -E 's/(rule=|all=|unknown-rule=)([^\t:]+):[0-9]+/\1\2:N/g; s/digest=[0-9a-f]+/digest=X/' "$1" | srcmask /dev/stdin
}
diff <(mask "$TMP/o1.dump") <(mask "$TMP/o2.dump") >"$TMP/diff"
ok $? "lines reordered, same meaning: dumps identical but for line numbers" ||
    diag "$(cat "$TMP/diff")"
grep -q '^index:0	eng.example.com$' "$TMP/o1.dump" && grep -q '^index:0	eng.example.com$' "$TMP/o2.dump"
ok $? "departments are indexed by sorted domain, not by file order"
grep -E '^match:sales.example.com:00000[01]' "$TMP/o2.dump" | sed -E 's/.*pattern=//' >"$TMP/pat"
printf '%s\n' '^([a-z]+)\.([a-z]+)$' '^x-(.*)$' | cmp -s - "$TMP/pat"
ok $? "match rules keep their file order" || diag "$(cat "$TMP/pat")"
"$DEPTMAP" query -m "$TMP/o1/order.cdb" help@eng.example.com dave@sales.example.com x-y@sales.example.com >"$TMP/q1"
"$DEPTMAP" query -m "$TMP/o2/order.cdb" help@eng.example.com dave@sales.example.com x-y@sales.example.com >"$TMP/q2"
diff <(cut -f1-3 "$TMP/q1") <(cut -f1-3 "$TMP/q2") >"$TMP/diff"
ok $? "lines reordered: the same decisions (address, action, detail)" || diag "$(cat "$TMP/diff")"

done_testing
