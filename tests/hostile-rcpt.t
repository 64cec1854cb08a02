#!/bin/bash
# Hostile RCPT arguments through the milter protocol (tests/milter/
# mtclient.py), beyond those of tests/milter-protocol.t (CR/LF, NUL, 64 KB,
# 1,000 recipients): invalid UTF-8, deeply nested quotes, brackets and
# backslashes, source routes, <>, empty and quoted-empty local parts.
# deptmilter answers each (continue or a reply), never dies, keeps its
# memory bounded over 20,000 hostile recipients (VmRSS from /proc), and
# writes log lines that are valid UTF-8 with no control characters.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"

plan 15

# An ASan build (make check SANITIZE=1) keeps freed memory in quarantine
# (256 MB by default), which would hide a bound on memory: none here.
if nm "$MILTER_BIN" 2>/dev/null | grep -q __asan_init; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
fi

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock"
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$MILTER_PID/status"; }

# py NAME PYTHON -- run PYTHON with m = a connected, negotiated Milter and
# a() = the answer to one RCPT as "c" or "y CODE..."; ok when it exits 0
# and deptmilter is still alive
py() {
    local name=$1 out rc
    out=$(PYTHONPATH="$here/milter" python3 - "$sock" 2>&1 <<PY
import sys
from mtclient import Milter
m = Milter(sys.argv[1])
m.negotiate(steps=0x1FFFFF & ~0xFF080)   # no SMFIP_NR_*: every step answered
assert m.connect("client.test", "192.0.2.7") == "c"
def a(*args):
    code, data = m.rcpt(*args)
    return (code + " " + data.rstrip(b"\0").decode("ascii", "replace")).rstrip()
$2
m.close()
PY
); rc=$?
    kill -0 "$MILTER_PID" 2>/dev/null || { rc=99; out="$out (deptmilter died)"; }
    ok "$rc" "$name" || diag "$out"
}

py "invalid UTF-8 in local part and domain: answered, no crash" '
m.mail("<s@example.net>")
for bad in [b"\xff\xfe", b"\xc0\xaf", b"\x80alice", b"alice\xe2\x82", b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80", b"\xc3"]:
    r = a(b"<" + bad + b"@sales.example.com>")
    assert r == "y 550 5.1.1 No such person in Sales", (bad, r)
    r = a(b"<alice@sales" + bad + b".example.com>")
    assert r == "c", (bad, r)
'

py "UTF-8 domains that are no department, and valid UTF-8 local parts: untouched or refused" '
m.mail("<s@example.net>")
assert a("<jöhn@sales.example.com>") == "y 550 5.1.1 No such person in Sales"
assert a("<alice@bücher.example>") == "c"
assert a("<alice@xn--bcher-kva.example>") == "c"
'

py "deeply nested quotes, backslashes and brackets (10,000 deep): answered" '
m.mail("<s@example.net>")
for arg in ["<" + "\"" * 10000 + "alice@sales.example.com>",
            "<\"" + "\\\"" * 10000 + "\"@sales.example.com>",
            "<\"" + "\\" * 20001 + "\"@sales.example.com>",
            "<" * 10000 + "alice@sales.example.com" + ">" * 10000,
            "<" + "(" * 5000 + "alice@sales.example.com" + ")" * 5000 + ">",
            "<\"al\\\"ice\"@sales.example.com>"]:
    r = a(arg)    # "t": 4xx, the address too long for an ORCPT
    assert r in ("c", "t") or r.startswith("y 550 ") or r.startswith("y 451 "), (arg[:40], r)
'

py "source routes: decided on the final address; the argument deleted as received" '
m.mail("<s@example.net>")
m.macro("R", {"i": "SR001"})
assert a("<@relay.example:alice@sales.example.com>") == "c"
assert a("<@a.example,@b.example:bob@sales.example.com>") == "c"
assert a("<@a.example:nobody@sales.example.com>") == "y 550 5.1.1 No such person in Sales"
eom = m.eom()
assert eom[-1] == ("c", []), eom
dels = sorted(f[0] for c, f in eom if c == "-")
adds = sorted(f[0] for c, f in eom if c == "2")
assert dels == ["<@a.example,@b.example:bob@sales.example.com>", "<@relay.example:alice@sales.example.com>"], dels
assert adds == ["<alice@example.com>", "<bob@example.com>"], adds
'

py "<> and other non-addresses pass untouched; nothing changed at the end" '
m.mail("<>")
for arg in ["<>", "", "<@>", "@", "<@sales.example.com>", "sales.example.com", "<alice@>",
            "<alice@.>", "<alice@[192.0.2.1]>", "postmaster"]:
    assert a(arg) == "c", (arg, a(arg))
eom = m.eom()
assert eom == [("c", [])], eom
'

py "empty and dotted local parts at a department: refused or passed, never rewritten" '
m.mail("<s@example.net>")
for arg in ["<\"\"@sales.example.com>", "<.@sales.example.com>", "<..alice@sales.example.com>",
            "<alice.@sales.example.com>"]:
    r = a(arg)
    assert r == "c" or r.startswith("y 5"), (arg, r)
eom = m.eom()
assert not [f for c, f in eom if c in "+-2"], eom
'

# An empty quoted local part at a department passes untouched today
# (decide() sees no address); the department's unknown policy should
# apply, as it does to any other unknown person.
out=$(PYTHONPATH="$here/milter" python3 - "$sock" <<'PY'
import sys
from mtclient import Milter
m = Milter(sys.argv[1]); m.negotiate(steps=0x1FFFFF & ~0xFF080); m.connect("client.test", "192.0.2.7")
m.mail("<s@example.net>")
code, data = m.rcpt('<""@sales.example.com>')
print(code, data.rstrip(b"\0").decode())
m.close()
PY
)
if [ "$out" = "y 550 5.1.1 No such person in Sales" ]; then st=0; else st=1; fi
_TAP_N=$((_TAP_N + 1))
[ $st = 0 ] && r=ok || r="not ok"
echo "$r $_TAP_N - <\"\"@sales.example.com> gets the department's unknown policy (got: $out)"

# A local part longer than ADDR_LOCAL_MAX (1,024) at a department cannot
# be anyone's: it gets the unknown policy like any stranger.
out=$(PYTHONPATH="$here/milter" python3 - "$sock" <<'PY'
import sys
from mtclient import Milter
m = Milter(sys.argv[1]); m.negotiate(steps=0x1FFFFF & ~0xFF080); m.connect("client.test", "192.0.2.7")
m.mail("<s@example.net>")
code, data = m.rcpt("<" + "x" * 1100 + "@sales.example.com>")
print(code, data.rstrip(b"\0").decode())
m.close()
PY
)
if [ "$out" = "y 550 5.1.1 No such person in Sales" ]; then r=ok; else r="not ok"; fi
_TAP_N=$((_TAP_N + 1))
echo "$r $_TAP_N - a 1,100-character local part at a department gets the unknown policy (got: $out)"

# bounded memory: VmRSS after a warm-up, then after 20,000 more hostile
# recipients (64 KB, invalid UTF-8, nested quotes) over 200 connections
hostile_run() {
    PYTHONPATH="$here/milter" python3 - "$sock" "$1" <<'PY'
import sys
from mtclient import Milter
big = "a" * 60000      # + ORCPT: libmilter takes packets up to 64 KB
args = ["<" + big + "@sales.example.com>", b"<\xff\xfe\xc0@sales.example.com>",
        "<" + "\"" * 3000 + "x@sales.example.com>", "<@r.example:alice@sales.example.com>",
        "<alice+" + big[:5000] + "@sales.example.com>", "<nobody@sales.example.com>",
        "<info@sales.example.com>", "<x@example.net>", "<>", "<\"\\\\\"@sales.example.com>"]
for conn in range(int(sys.argv[2])):
    m = Milter(sys.argv[1]); m.negotiate(steps=0x1FFFFF & ~0xFF080); m.connect("client.test", "192.0.2.7")
    m.mail("<" + big + "@example.net>")
    for i in range(100):
        m.rcpt(args[i % len(args)], "ORCPT=rfc822;" + big[:600], "NOTIFY=SUCCESS")
    if conn % 2:
        m.eom()
    else:
        m.abort()
    m.close()
PY
}
hostile_run 20
ok $? "warm-up: 2,000 hostile recipients over 20 connections"
sleep 0.5
rss1=$(rss)
hostile_run 200
ok $? "20,000 hostile recipients over 200 connections"
sleep 0.5
rss2=$(rss)
ok $((rss2 - rss1 > 8192)) "memory bounded: VmRSS ${rss1} kB after the warm-up, ${rss2} kB after 20,000 more (growth under 8 MB)"
kill -0 "$MILTER_PID"
ok $? "deptmilter still running"

python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
data.decode("utf-8")
bad = [c for c in set(data) if c < 32 and c != 10 or c == 127]
sys.exit(1 if bad else 0)' "$MILTER_LOG"
ok $? "the log is valid UTF-8 with no control character but newline"
is "$(awk 'length > 8192' "$MILTER_LOG" | wc -l)" 0 "no log line longer than 8 KB"
like "$(milter_log_lines 'reject: .*to=<\\xff' | head -1)" 'to=<\\xff\\xfe@sales\.example\.com>' \
    "invalid UTF-8 is logged escaped (\\xHH)"
