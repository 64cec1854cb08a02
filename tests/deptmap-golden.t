#!/usr/bin/env bash
# deptmap-golden.t -- compile each tests/golden/NAME.rules and compare
# `deptmap dump` of the map with tests/golden/NAME.ref.
#
# For every NAME:
#   - deptmap compile -o TMP/NAME.cdb tests/golden/NAME.rules: exit 0, silent
#   - deptmap check tests/golden/NAME.rules: exit 0, silent
#   - deptmap dump TMP/NAME.cdb is byte for byte NAME.ref
#   - the meta record agrees with the records (count, departments, FNV-1a
#     digest over "KEY\nVALUE\n" in key order, recomputed from the dump)
#
# The .ref files were generated with deptmap and then checked by hand
# against DESIGN.md.  Where the program was found wrong, the .ref holds the
# right answer (written by hand) and the case is listed in TODO below.
#
# Regenerate one (after checking the output by hand!):
#   ./deptmap compile -o /tmp/x.cdb tests/golden/NAME.rules &&
#   ./deptmap dump /tmp/x.cdb > tests/golden/NAME.ref
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1

. tests/lib/tap.sh

if [ ! -x ./deptmap ]; then
    skip_all "./deptmap not built (make deptmap)"
fi
tmpdir_make TMP || exit 1

# Cases where the program is known wrong; the .ref holds the right answer.
declare -A TODO=(
)

# digest_check: read a dump on stdin, recompute the meta record
digest_check() {
    perl -e '
        use strict; use warnings;
        my ($meta, @recs);
        while (my $l = <STDIN>) {
            chomp $l;
            my ($k, $v) = split /\t/, $l, 2;
            $v = "" unless defined $v;
            # undo the dump escaping of control bytes: \xHH
            for ($k, $v) { s/\\x([0-9a-f]{2})/chr(hex $1)/ge; }
            if ($k eq "meta") { $meta = $v; next }
            push @recs, [$k, $v];
        }
        my $h; { use integer; $h = -3750763034362895579; }  # 0xcbf29ce484222325
        my $depts = 0;
        for my $r (@recs) {
            $depts++ if $r->[0] =~ /^index:/;
            for my $b (map { unpack "C*", $_ } $r->[0], "\n", $r->[1], "\n") {
                use integer;
                $h ^= $b;
                $h *= 1099511628211;                    # FNV-1a 64 prime
            }
        }
        my $want = sprintf "format=deptmap-1\tdepartments=%d\trecords=%d\tdigest=%016x",
            $depts, scalar @recs, $h;
        if (($meta // "") ne $want) {
            print STDERR "meta is:        ", $meta // "(none)", "\nrecomputed:     $want\n";
            exit 1;
        }
        exit 0;
    '
}

for rules in tests/golden/*.rules; do
    name=$(basename "$rules" .rules)
    ref=tests/golden/$name.ref
    map=$TMP/$name.cdb
    todo=${TODO[$name]:-}

    ./deptmap compile -o "$map" "$rules" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    ok $((rc != 0 || $(cat "$TMP/out" "$TMP/err" | wc -c) != 0)) \
        "$name: compile exits 0 and prints nothing" ||
        { diag "exit $rc"; diag "$(cat "$TMP/err")"; }

    ./deptmap check "$rules" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    ok $((rc != 0 || $(cat "$TMP/out" "$TMP/err" | wc -c) != 0)) \
        "$name: check exits 0 and prints nothing" ||
        { diag "exit $rc"; diag "$(cat "$TMP/err")"; }

    if [ ! -f "$ref" ]; then
        ok 1 "$name: $ref exists"
        continue
    fi
    ./deptmap dump "$map" >"$TMP/dump" 2>"$TMP/err"
    cmp -s "$TMP/dump" "$ref"
    st=$?
    todo_ok "$st" "$todo" "$name: dump matches $name.ref"
    [ "$st" = 0 ] || diag "$(diff -u "$ref" "$TMP/dump")" "$(cat "$TMP/err")"

    digest_check <"$TMP/dump" 2>"$TMP/err"
    ok $? "$name: meta record agrees with the dumped records" ||
        diag "$(cat "$TMP/err")"
done

# The .ref files themselves are consistent (catches a hand-edited .ref).
for ref in tests/golden/*.ref; do
    digest_check <"$ref" 2>"$TMP/err"
    ok $? "$(basename "$ref"): meta record agrees with its records" ||
        diag "$(cat "$TMP/err")"
done

done_testing
