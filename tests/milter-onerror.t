#!/bin/bash
# on_error: when decide() reports a map error (here: a match rule hits the
# PCRE2 match limit), RCPT gets 451 4.3.0 with on_error = tempfail, and
# passes untouched with on_error = accept; both are logged.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"

plan 6

tmpdir_make
milter_map "$TEST_TMP" "$here/milter/backtrack.rules"
sock=$TEST_TMP/deptmilter.sock
evil="<$(printf 'a%.0s' {1..60})b@slow.example.com>"

# rcpt_code ADDR -- the milter's reply code letter to RCPT ADDR, then the
# recipient changes at end of message
rcpt_code() {
    PYTHONPATH="$here/milter" python3 - "$sock" "$1" <<'PY'
import sys
from mtclient import Milter
m = Milter(sys.argv[1])
m.negotiate()
m.connect("client.test", "192.0.2.7")
m.mail("<s@example.net>")
code, data = m.rcpt(sys.argv[2])
print(code, data.rstrip(b"\0").decode())
if code == "c":
    print([c for c, f in m.eom() if c in "+-2"])
m.close()
PY
}

milter_conf "$TEST_TMP" "unix:$sock" on_error=tempfail
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
is "$(rcpt_code "$evil")" "y 451 4.3.0 Temporary lookup failure" \
    "on_error = tempfail: a map error gives 451 4.3.0 at RCPT"
like "$(milter_log_lines 'tempfail: ')" \
    '^NOQUEUE: tempfail: RCPT from client\.test\[192\.0\.2\.7\]: 451 4\.3\.0 Temporary lookup failure; from=<s@example\.net> to=<a+b@slow\.example\.com> rule=departments\.rules:7$' \
    "on_error = tempfail: logged with the rule that failed"
is "$(rcpt_code '<alice@slow.example.com>')" "c 
['-', '2']" "on_error = tempfail: other addresses still decided (and rewritten)"
milter_stop

milter_conf "$TEST_TMP" "unix:$sock" on_error=accept
milter_start "$TEST_TMP" || bail_out "deptmilter did not restart"
is "$(rcpt_code "$evil")" "c 
[]" "on_error = accept: a map error passes the recipient untouched"
like "$(milter_log_lines 'warning: map error')" \
    '^NOQUEUE: warning: map error for to=<a+b@slow\.example\.com>; passed untouched \(on_error = accept\)$' \
    "on_error = accept: logged as a warning"
is "$(rcpt_code '<nobody@slow.example.com>')" "y 550 5.1.1 No such person in Slow" \
    "on_error = accept: unknown recipients are still rejected"
