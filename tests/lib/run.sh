# tests/lib/run.sh -- run a command and keep what it said, for the
# command-line tests of deptmap.
#
# Source after tap.sh, once TMP names the test's temporary folder:
#
#   run CMD...          run CMD; sets RC (exit status), OUT (stdout) and
#                       ERR (stderr), kept in TMP/stdout and TMP/stderr
#   exit_is WANT NAME   pass when the last run exited WANT; on failure its
#                       exit status and output as diagnostics
# SPDX-License-Identifier: BSD-2-Clause

run() {
    "$@" >"${TMP:?run: TMP not set}/stdout" 2>"$TMP/stderr"
    RC=$?
    OUT=$(cat "$TMP/stdout")
    ERR=$(cat "$TMP/stderr")
}

exit_is() {
    local want=$1; shift
    ok $((RC != want)) "$@" || diag "exit status $RC, want $want" "stdout: $OUT" "stderr: $ERR"
}
