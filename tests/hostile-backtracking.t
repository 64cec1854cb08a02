#!/bin/bash
# A match rule that backtracks without end (/^(a|aa)+$/ of
# tests/milter/backtrack.rules, and a nested-quantifier rule) fed long
# local parts, 31 to 1,024 characters (the longest decide() takes as an
# address; tests/hostile-rcpt.t has longer ones), from 8 connections at once: every
# RCPT is answered within a bound set by PCRE2's match and depth limits
# (under a second each here, not minutes), gets on_error (451 4.3.0 with
# on_error = tempfail), and the log names the rule.  tests/milter-onerror.t
# covers on_error = accept and the exact lines for a short local part.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"

plan 6

tmpdir_make
cat "$here/milter/backtrack.rules" - >"$TEST_TMP/evil.rules" <<'EOF'

department nest.example.com
    members alice
    match /^(a+)+$/ -> x@example.com
    unknown reject 550 5.1.1 "No such person in Nest"
EOF
milter_map "$TEST_TMP" "$TEST_TMP/evil.rules"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock" on_error=tempfail
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"

PYTHONPATH="$here/milter" python3 - "$sock" >"$TEST_TMP/times" 2>&1 <<'PY'
import sys, threading, time
from mtclient import Milter
lengths = [30, 60, 100, 300, 600, 1000, 1023]   # ADDR_LOCAL_MAX = 1024
out, lock = [], threading.Lock()
def run(k):
    m = Milter(sys.argv[1])
    m.negotiate(steps=0x1FFFFF & ~0xFF080)
    m.connect("client.test", "192.0.2.7")
    m.mail("<s@example.net>")
    for n in lengths:
        for dom, local in (("slow", "a" * n + "b"), ("nest", "a" * n + "b")):
            t = time.monotonic()
            code, data = m.rcpt("<%s@%s.example.com>" % (local, dom))
            dt = time.monotonic() - t
            with lock:
                out.append("%s %d %.3f %s %s" % (dom, n, dt, code,
                           data.rstrip(b"\0").decode()))
    m.close()
t0 = time.monotonic()
ts = [threading.Thread(target=run, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("total %.3f" % (time.monotonic() - t0))
for l in out: print(l)
PY
ok $? "8 connections x 14 evil local parts sent, all answered"
n=$(grep -c '^\(slow\|nest\) ' "$TEST_TMP/times")
is "$n" 112 "112 answers"
is "$(grep '^\(slow\|nest\) ' "$TEST_TMP/times" | cut -d' ' -f4- | sort -u)" "y 451 4.3.0 Temporary lookup failure" \
    "every one: 451 4.3.0 (on_error = tempfail)"
max=$(grep '^\(slow\|nest\) ' "$TEST_TMP/times" | sort -k3 -n | tail -1)
total=$(sed -n 's/^total //p' "$TEST_TMP/times")
diag "backtracking: slowest answer: $max; all 112 in $total s"
ok "$(awk '$3 > 1.0 { bad = 1 } END { print bad + 0 }' "$TEST_TMP/times")" \
    "each answer within 1 s (slowest: ${max})"
is "$(milter_log_lines 'tempfail: .*to=<a+b@slow' | grep -vc 'rule=departments\.rules:7$')" 0 \
    "the log names the rule that failed (departments.rules:7) on every slow line"
like "$(milter_log_lines 'tempfail: .*to=<a+b@nest' | head -1)" 'rule=departments\.rules:12$' \
    "and departments.rules:12 for the nested rule"
