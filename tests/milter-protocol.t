#!/bin/bash
# deptmilter at the milter-protocol level, no MTA: miltertest(8) Lua
# scripts for negotiation, the exact argument deleted, CR/LF, abort and a
# message in flight across a map reload; tests/milter/mtclient.py (raw
# protocol) where miltertest cannot go: arguments with NUL or of 64 KB,
# 1,000 recipients, and the parameters of added recipients (miltertest's
# eom_check does not see SMFIR_ADDRCPT_PAR).
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/milter.sh"

milter_require
command -v miltertest >/dev/null || skip_all "needs miltertest"
[ "$(id -u)" = 0 ] || skip_all "needs root (socket owner, user change)"

plan 24

tmpdir_make
milter_map "$TEST_TMP"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock" log_level=debug
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"

# Lua prelude: connect, conninfo, and helpers that raise on a wrong reply.
cat >"$TEST_TMP/prelude.lua" <<'LUA'
function open()
    local conn = mt.connect("unix:" .. SOCK, 5, 0.1)
    if conn == nil then error("connect failed") end
    if mt.conninfo(conn, "client.test", "192.0.2.7") ~= nil then error("conninfo") end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then error("conninfo reply") end
    return conn
end
function expect(conn, want, what)
    local got = mt.getreply(conn)
    if got ~= want then error(what .. ": reply " .. tostring(got) .. ", wanted " .. tostring(want)) end
end
function mail(conn, from)
    if mt.mailfrom(conn, from) ~= nil then error("mailfrom") end
    expect(conn, SMFIR_CONTINUE, "MAIL " .. from)
end
function rcpt(conn, want, ...)
    if mt.rcptto(conn, ...) ~= nil then error("rcptto") end
    expect(conn, want, "RCPT")
end
function eom(conn, qid)
    if mt.eom(conn) ~= nil then error("eom") end
    expect(conn, SMFIR_CONTINUE, "EOM")
end
LUA

# mt NAME LUA -- run a miltertest script (prelude prepended); ok when it
# exits 0 and deptmilter is still alive
mt() {
    local name=$1 out rc
    cat "$TEST_TMP/prelude.lua" - >"$TEST_TMP/t.lua" <<<"$2"
    out=$(miltertest -D SOCK="$sock" -D TMP="$TEST_TMP" -D DEPTMAP="$DEPTMAP_BIN" \
          -s "$TEST_TMP/t.lua" 2>&1); rc=$?
    kill -0 "$MILTER_PID" 2>/dev/null || { rc=99; out="$out (deptmilter died)"; }
    ok "$rc" "$name" || diag "$out"
}

mt "negotiates MAIL, RCPT and connect only, no reply to connect and MAIL; add-with-parameters and delete actions" '
conn = open()
for _, o in ipairs({SMFIP_NOHELO, SMFIP_NOHDRS, SMFIP_NOBODY, SMFIP_NOEOH, SMFIP_NOUNKNOWN, SMFIP_NODATA}) do
    if not mt.test_option(conn, o) then error("option not requested: " .. o) end
end
for _, o in ipairs({SMFIP_NOMAIL, SMFIP_NORCPT, SMFIP_NOCONNECT}) do
    if mt.test_option(conn, o) then error("step switched off: " .. o) end
end
for _, o in ipairs({SMFIP_NR_CONN, SMFIP_NR_MAIL}) do
    if not mt.test_option(conn, o) then error("no-reply not requested: " .. o) end
end
if mt.test_option(conn, SMFIP_NR_RCPT) then error("RCPT must get a reply") end
for _, a in ipairs({SMFIF_ADDRCPT_PAR, SMFIF_DELRCPT}) do
    if not mt.test_action(conn, a) then error("action not declared: " .. a) end
end
if mt.test_action(conn, SMFIF_ADDHDRS) or mt.test_action(conn, SMFIF_CHGBODY) then error("needless action") end
mt.disconnect(conn)'

mt "delrcpt gets the RCPT argument exactly as received; target added" '
conn = open()
mail(conn, "<s@example.net>")
mt.macro(conn, SMFIC_RCPT, "i", "AAAA1")
rcpt(conn, SMFIR_CONTINUE, "<Alice+X@Sales.Example.COM>")
rcpt(conn, SMFIR_CONTINUE, "<dave@example.net>")
eom(conn)
if not mt.eom_check(conn, MT_RCPTDELETE, "<Alice+X@Sales.Example.COM>") then error("no delete of the argument as received") end
if mt.eom_check(conn, MT_RCPTDELETE, "<dave@example.net>") then error("outside address deleted") end
mt.disconnect(conn)'
is "$(milter_log_lines '^AAAA1: rewrite: ')" \
    "AAAA1: rewrite: to=<Alice+X@Sales.Example.COM> -> <alice+X@example.com> rule=departments.rules:7" \
    "rewrite line keeps the address as received"

mt "unknown rejected with a reply code; nothing changed at end of message" '
conn = open()
mail(conn, "<s@example.net>")
rcpt(conn, SMFIR_REPLYCODE, "<nobody@sales.example.com>")
rcpt(conn, SMFIR_CONTINUE, "<dave@example.net>")
eom(conn)
if mt.eom_check(conn, MT_RCPTDELETE, "<nobody@sales.example.com>") or mt.eom_check(conn, MT_RCPTDELETE, "<dave@example.net>") then error("envelope changed") end
mt.disconnect(conn)'

mt "CR/LF in MAIL and RCPT arguments: no crash" '
conn = open()
mail(conn, "<evil\r\nX-Injected: yes@example.net>")
rcpt(conn, SMFIR_REPLYCODE, "<nobody@sales.example.com>")
rcpt(conn, SMFIR_REPLYCODE, "<bo\r\nb@sales.example.com>")
rcpt(conn, SMFIR_CONTINUE, "<x\ty\r\n@example.net>")
eom(conn)
mt.disconnect(conn)'
like "$(milter_log_lines 'reject: .*from=<evil')" \
    'from=<evil\\x0d\\x0aX-Injected: yes@example\.net> to=<nobody@sales\.example\.com>' \
    "CR/LF in MAIL FROM: escaped in the reject line"
like "$(milter_log_lines 'to=<bo')" 'to=<bo\\x0d\\x0ab@sales\.example\.com>' \
    "CR/LF in RCPT: escaped in the log"
! grep -q $'\r' "$MILTER_LOG"
ok $? "no raw CR anywhere in the log"
is "$(grep -c '' "$MILTER_LOG")" "$(grep -cE '^(NOQUEUE|[0-9A-Z]+|map|stats|starting|stopping|warning|error)[: ]' "$MILTER_LOG")" \
    "every log line starts as a deptmilter line (no injected lines)"

# py NAME PYTHON -- run a Python script with m = a connected mtclient.Milter
# (negotiated, connect sent); ok when it exits 0 and deptmilter lives
py() {
    local name=$1 out rc
    out=$(PYTHONPATH="$here/milter" python3 - "$sock" 2>&1 <<PY
import sys
from mtclient import Milter
m = Milter(sys.argv[1])
m.negotiate()
assert m.connect("client.test", "192.0.2.7") is None    # no reply agreed
$2
m.close()
PY
); rc=$?
    kill -0 "$MILTER_PID" 2>/dev/null || { rc=99; out="$out (deptmilter died)"; }
    ok "$rc" "$name" || diag "$out"
}

py "added recipients carry ORCPT (xtext) and the client's NOTIFY" '
assert m.mail("<s@example.net>") == (None, b"")
m.macro("R", {"i": "CCCC3"})
assert m.rcpt("<alice+x=y@sales.example.com>", "NOTIFY=SUCCESS,FAILURE")[0] == "c"
eom = m.eom()
assert eom[-1] == ("c", []), eom
assert ("-", ["<alice+x=y@sales.example.com>"]) in eom, eom
assert ("2", ["<alice+x=y@example.com>", "ORCPT=rfc822;alice+2Bx+3Dy@sales.example.com NOTIFY=SUCCESS,FAILURE"]) in eom, eom
'

py "a target reached twice is added once, with the first ORCPT" '
assert m.mail("<s@example.net>")[0] is None
assert m.rcpt("<info@sales.example.com>")[0] == "c"
assert m.rcpt("<alice@sales.example.com>")[0] == "c"
assert m.rcpt("<bob@example.com>")[0] == "c"
eom = m.eom()
adds = [f for c, f in eom if c == "2"]
assert adds == [["<alice@example.com>", "ORCPT=rfc822;info@sales.example.com"]], eom
dels = sorted(f[0] for c, f in eom if c == "-")
assert dels == ["<alice@sales.example.com>", "<info@sales.example.com>"], eom
'

py "NUL in an RCPT argument: no crash, the pieces are separate arguments" '
assert m.mail("<s@example.net>")[0] is None
assert m.rcpt("<nobody@sales.example.com>\0NOTIFY=NEVER")[0] == "y"
assert m.rcpt("<bo\0b@sales.example.com>")[0] == "c"
assert m.rcpt("\0")[0] in "cy"
assert m.rcpt("<bob@sales.example.com>\0NOTIFY=NEVER")[0] == "c"
eom = m.eom()
assert ("2", ["<bob@example.com>", "ORCPT=rfc822;bob@sales.example.com NOTIFY=NEVER"]) in eom, eom
'

py "64 KB addresses in MAIL and RCPT: no crash" '
big = "a" * 65000
assert m.mail("<" + big + "@example.net>")[0] is None
assert m.rcpt("<" + big + "@sales.example.com>")[0] in "cy"
assert m.rcpt("<nobody@sales.example.com>")[0] == "y"
assert m.rcpt("<alice@sales.example.com>", "ORCPT=rfc822;" + "b" * 64000)[0] == "c"
eom = m.eom()
assert eom[-1] == ("c", []), eom
assert ("2", ["<alice@example.com>", "ORCPT=rfc822;alice@sales.example.com"]) in eom, eom
'
like "$(milter_log_lines 'reject: .*from=<aaaa' | tail -1)" 'from=<a+\.\.\.> to=<nobody@sales\.example\.com> rule=departments\.rules:11$' \
    "64 KB sender: cut in the log line, marked with ..."
is "$(awk 'length > 8192' "$MILTER_LOG" | wc -l)" 0 "no log line longer than 8 KB"

py "1,000 recipients in one message: 1,000 deletes and adds, in order" '
assert m.mail("<s@example.net>")[0] is None
m.macro("R", {"i": "BBBB2"})
for i in range(1000):
    assert m.rcpt("<alice+%d@sales.example.com>" % i)[0] == "c"
eom = m.eom()
assert eom[-1] == ("c", []), eom[-1]
dels = [f[0] for c, f in eom if c == "-"]
adds = [f for c, f in eom if c == "2"]
assert dels == ["<alice+%d@sales.example.com>" % i for i in range(1000)], dels[:3]
assert adds == [["<alice+%d@example.com>" % i, "ORCPT=rfc822;alice+2B%d@sales.example.com" % i] for i in range(1000)], adds[:3]
'
milter_wait_log '^BBBB2: rewrite: to=<alice\+999@' 5
is "$(milter_log_lines '^BBBB2: rewrite: ' | wc -l)" 1000 "1,000 recipients: 1,000 rewrite lines"

mt "abort, then a new message on the same connection" '
conn = open()
mail(conn, "<s@example.net>")
rcpt(conn, SMFIR_CONTINUE, "<alice@sales.example.com>")
if mt.abort(conn) ~= nil then error("abort") end
mail(conn, "<s2@example.net>")
rcpt(conn, SMFIR_CONTINUE, "<bob@sales.example.com>")
eom(conn)
if mt.eom_check(conn, MT_RCPTDELETE, "<alice@sales.example.com>") then error("aborted recipient rewritten") end
if not mt.eom_check(conn, MT_RCPTDELETE, "<bob@sales.example.com>") then error("no delete of bob") end
mt.disconnect(conn)'

mt "connection closed in mid-message: no crash" '
conn = open()
mail(conn, "<s@example.net>")
rcpt(conn, SMFIR_CONTINUE, "<alice@sales.example.com>")
mt.disconnect(conn, false)'

mt "unknown tempfail policy: tempfail reply at RCPT" '
conn = open()
mail(conn, "<s@example.net>")
rcpt(conn, SMFIR_REPLYCODE, "<who@ops.example.com>")
mt.disconnect(conn)'

cp "$here/milter/departments-v2.rules" "$TEST_TMP/v2.rules"
mt "a message in flight finishes on the map it started with" '
conn = open()
mail(conn, "<s@example.net>")
os.execute(DEPTMAP .. " compile --force -o " .. TMP .. "/departments.cdb " .. TMP .. "/v2.rules")
local f, n = nil, 0
repeat
    mt.sleep(0.1); n = n + 1
    f = io.open(TMP .. "/milter.log"):read("a")
until f:find("generation=2") or n > 50
if not f:find("generation=2") then error("map not reloaded") end
rcpt(conn, SMFIR_CONTINUE, "<alice@sales.example.com>")
eom(conn)
if not mt.eom_check(conn, MT_RCPTDELETE, "<alice@sales.example.com>") then error("old generation not used") end
mail(conn, "<s@example.net>")
rcpt(conn, SMFIR_REPLYCODE, "<alice@sales.example.com>")
rcpt(conn, SMFIR_CONTINUE, "<erin@sales.example.com>")
mt.disconnect(conn)'

kill -USR2 "$MILTER_PID"
milter_wait_log '^stats: department=sales' 5
like "$(milter_log_lines '^stats: department=sales')" \
    '^stats: department=sales\.example\.com pass=0 reject=[0-9]+ rewrite=[0-9]+ tempfail=0$' \
    "SIGUSR2: stats line for a department"
like "$(milter_log_lines '^stats: department=ops')" 'tempfail=1$' "stats: the tempfail counted"
kill -0 "$MILTER_PID"
ok $? "deptmilter still running after all of it"
