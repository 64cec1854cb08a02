#!/bin/bash
# Case folding of member names against Postfix itself: with smtputf8_enable
# = yes (the default since compatibility level 1), Postfix folds table keys
# and lookup keys with ICU's full case folding, so "JÖRG" finds "jörg" and
# "STRAßE" finds "strasse".  deptmilter must answer the same, or a sender
# who capitalises a non-ASCII name is refused.
#
# The same members are written as departments.rules and as a virtual(5)
# table (cdb:, postmap); each address is looked up with `postmap -q` under
# a private main.cf and with `deptmap query`: both find the member (and the
# same target) or neither does.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib/tap.sh"

command -v postmap >/dev/null || skip_all "needs postmap"
postconf -m 2>/dev/null | grep -qx cdb || skip_all "needs Postfix cdb support (postfix-cdb)"
DEPTMAP=${DEPTMAP:-$root/deptmap}

MEMBERS=(jörg Élodie strasse Δημήτρης İpek ǅemal anna)
ADDRESSES=(
    JÖRG Jörg jörg JOERG ÉLODIE élodie ELODIE STRAßE Straße STRASSE strasse
    ΔΗΜΉΤΡΗΣ δημήτρησ ΔΗΜΗΤΡΗΣ İPEK i̇pek IPEK ipek ǄEMAL ǆemal DŽEMAL ANNA Anna
)
plan $(( ${#ADDRESSES[@]} + 2 ))

tmpdir_make
W=$TEST_TMP
printf 'compatibility_level = 3.6\nsmtputf8_enable = yes\n' >"$W/main.cf"
{
    printf 'canonical example.com\ndepartment sales.example.com\n    members'
    printf ' %s' "${MEMBERS[@]}"
    printf '\n'
} >"$W/departments.rules"
for m in "${MEMBERS[@]}"; do
    printf '%s@sales.example.com %s@example.com\n' "$m" "$m"
done >"$W/virtual"
"$DEPTMAP" compile -o "$W/departments.cdb" "$W/departments.rules"
ok $? "deptmap compiles the members"
postmap -c "$W" "cdb:$W/virtual"
ok $? "postmap builds the same table"

for a in "${ADDRESSES[@]}"; do
    pf=$(postmap -c "$W" -q "$a@sales.example.com" "cdb:$W/virtual")
    [ -n "$pf" ] || pf="(not found)"
    ours=$("$DEPTMAP" query -m "$W/departments.cdb" "$a@sales.example.com" | cut -f2,3)
    case $ours in
    REWRITE$'\t'*) ours=${ours#REWRITE$'\t'} ;;
    *) ours="(not found)" ;;
    esac
    is "$ours" "$pf" "$a@sales.example.com: as Postfix finds it ($pf)"
done
