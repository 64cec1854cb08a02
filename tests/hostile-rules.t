#!/bin/bash
# Bad rules inputs too big, too odd or too system-dependent for files in
# tests/errors/ (those are checked by tests/deptmap-errors.t): made here at
# run time, each with its exact error and exit status, under a 10 s
# timeout, and for compile the old map byte-identical with nothing left
# beside it.  1 MB lines (rules and roster), 100,000-line files (one error
# at the end; 100,000 errors), members-files that are unreadable (run as
# nobody), a FIFO, /dev/zero, a symlink loop, a rules "file" that is a
# directory or missing, an output directory that is missing.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"

DEPTMAP=$(cd "$here/.." && pwd)/deptmap
[ -x "$DEPTMAP" ] || skip_all "deptmap not built"

tmpdir_make
cd "$TEST_TMP" || bail_out "cd"
chmod 0755 "$TEST_TMP"
printf 'canonical example.com\ndepartment sales.example.com\n    members alice\n' >good.rules
"$DEPTMAP" compile -o good.cdb good.rules || bail_out "cannot compile good.rules"

head='canonical example.com
department s.example.com'
mf() {		# mf NAME TARGET: NAME.rules with a members-file line
    printf '%s\n    members-file %s\n' "$head" "$2" >"$1.rules"
}

# case_ NAME RC EXPECTED-STDERR [TODO-REASON]: check and compile NAME.rules
# (AS=USER: run deptmap as USER; T=SECONDS: the timeout, default 10)
ncases=0
case_() {
    local name=$1 rc=$2 want=$3 todo=${4:-} got st err
    ncases=$((ncases + 1))
    for cmd in check compile; do
        mkdir -p "out-$name"
        cp good.cdb "out-$name/m.cdb"
        if [ $cmd = check ]; then
            { timeout -s KILL "${T:-10}" ${AS:+runuser -u "$AS" --} "$DEPTMAP" check "$name.rules" >out 2>err; } 2>/dev/null
        else
            { timeout -s KILL "${T:-10}" ${AS:+runuser -u "$AS" --} "$DEPTMAP" compile -o "out-$name/m.cdb" "$name.rules" >out 2>err; } 2>/dev/null
        fi
        got=$?
        err=$(head -c 2000 err)
        st=0
        [ "$got" = "$rc" ] && [ "$(cat err)" = "$want" ] && [ ! -s out ] || st=1
        if [ $cmd = compile ]; then
            cmp -s good.cdb "out-$name/m.cdb" && [ "$(ls -A "out-$name")" = m.cdb ] || st=1
        fi
        _TAP_N=$((_TAP_N + 1))
        local line="$name: $cmd exits $rc with exactly the expected error"
        [ $cmd = compile ] && line="$line, old map kept, nothing left"
        if [ $st = 0 ]; then line="ok $_TAP_N - $line"; else line="not ok $_TAP_N - $line"; fi
        if [ -n "$todo" ]; then
            echo "$line # TODO $todo"
        else
            echo "$line"
            [ $st = 0 ] || { _TAP_FAILED=$((_TAP_FAILED + 1)); diag "  exit $got (want $rc); stderr (first 2000 bytes):" "$err" "  want:" "$want"; }
        fi
    done
}

# 1 MB line in the rules
{ printf '%s\n    members ' "$head"; head -c 1048576 /dev/zero | tr '\0' a; echo; } >mb-line.rules
case_ mb-line 1 "mb-line.rules:3: line longer than 65536 bytes"

# 1 MB and no newline at all
head -c 1048576 /dev/zero | tr '\0' x >mb-no-newline.rules
case_ mb-no-newline 1 "mb-no-newline.rules:1: line longer than 65536 bytes"

# 100,000 lines, the error on the last
{ echo "$head"; seq -f '    members u%g' 99997; echo '    bogus keyword'; } >lines-100k.rules
case_ lines-100k 1 'lines-100k.rules:100000: unknown keyword "bogus"'

# 100,000 errors: the first 100, then giving up
{ echo "$head"; yes '    bogus' | head -99998; } >errors-100k.rules
want=$(for i in $(seq 3 102); do echo "errors-100k.rules:$i: unknown keyword \"bogus\""; done
       echo "errors-100k.rules: too many errors, giving up")
case_ errors-100k 1 "$want"

# a roster of 100,000 lines, one bad on the last
{ seq -f 'u%g' 99999; echo 'x@'; } >roster-100k.txt
mf roster-100k roster-100k.txt
case_ roster-100k 1 'roster-100k.txt:100000: invalid member "x@": empty domain'

# a roster whose only line is 1 MB
head -c 1048576 /dev/zero | tr '\0' a >roster-mb.txt
mf roster-mb roster-mb.txt
case_ roster-mb 1 "roster-mb.txt:1: line longer than 65536 bytes"

# members-file unreadable by the user running deptmap
seq -f 'u%g' 10 >roster-0000.txt
chmod 0000 roster-0000.txt
mf unreadable roster-0000.txt
AS=nobody case_ unreadable 1 "unreadable.rules:3: cannot read members-file roster-0000.txt: Permission denied"

# members-file a FIFO (no writer: open() would block)
mkfifo roster.fifo
mf fifo roster.fifo
T=2 case_ fifo 1 "fifo.rules:3: cannot read members-file roster.fifo: not a regular file"

# members-file /dev/zero
mf dev-zero /dev/zero
case_ dev-zero 1 "dev-zero.rules:3: cannot read members-file /dev/zero: not a regular file"

# members-file a symlink loop
ln -s loop-b loop-a; ln -s loop-a loop-b
mf symlink-loop loop-a
case_ symlink-loop 1 "symlink-loop.rules:3: cannot read members-file loop-a: Too many levels of symbolic links"

# the rules "file" is a directory; is missing
mkdir dir.rules
case_ dir 1 "dir.rules: read error: Is a directory"
case_ missing 1 "missing.rules: cannot open: No such file or directory"

# a match rule that makes two new department addresses at every step:
# 2^15 addresses on the way, more than an entry may pass through
printf '%s\n    unknown pass\n    alias start -> x@s.example.com\n    match /^(x[ab]{0,13})$/ -> $1a@s.example.com, $1b@s.example.com\n' \
    "$head" >tree.rules
case_ tree 1 "tree.rules:4: alias chain passes through more than 10000 department addresses"

ok $((ncases < 12)) "at least 12 generated bad inputs ($ncases)"

# compile into a directory that does not exist: exit 3, nothing created
"$DEPTMAP" compile -o nodir/m.cdb good.rules >out 2>err
is "$?:$(cat err)" "3:nodir/m.cdb: cannot create a file in nodir: No such file or directory" \
    "output directory missing: exit 3, the reason"
ok $([ ! -e nodir ]; echo $?) "output directory missing: nothing created"

# Aliases that share their targets level after level (a1 -> a2, b2;
# b1 -> a2, b2; ... 24 levels, 2^24 paths to the end): each department
# address is followed once per entry, so this compiles at once; it took
# hours before (timeout: a guard against a hang, not a speed test).
{
    printf 'canonical example.com\ndepartment sales.example.com\n    members alice bob\n'
    for i in $(seq 1 24); do
        printf '    alias %s%d -> a%d@sales.example.com, b%d@sales.example.com\n' \
            a "$i" $((i + 1)) $((i + 1)) b "$i" $((i + 1)) $((i + 1))
    done
    printf '    alias a25 -> alice\n    alias b25 -> bob\n'
} >diamond.rules
{ timeout -s KILL 60 "$DEPTMAP" compile -o diamond.cdb diamond.rules >out 2>err; } 2>/dev/null
is "$?:$(cat err)" "0:" "aliases sharing targets over 24 levels: compiled (not 2^24 walks)"
is "$("$DEPTMAP" query -m diamond.cdb a1@sales.example.com | cut -f2,3)" \
    "REWRITE	alice@example.com,bob@example.com" "... and the top alias reaches both people once"

done_testing
