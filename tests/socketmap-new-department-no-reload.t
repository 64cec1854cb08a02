#!/bin/bash
# With the recommended setup (postfix/main.cf.snippet verbatim), Postfix
# learns the department domains from the map in service through the
# socketmap's domains table: a department added to the rules is accepted
# from a client outside mynetworks, rewritten, as soon as deptmap compile
# has replaced the map; no domains file, no "postfix reload".  Before the
# compile the same address is refused as relaying.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"
. "$here/lib/paths.sh"

milter_postfix_require swaks

plan 7

paths_milter
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
# 127.0.0.1 is outside mynetworks here: relaying is what relay_domains allows
echo 'mynetworks = 192.0.2.0/24' >"$TEST_TMP/outside.cf"
milter_postfix_recommended "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "unix:$SM" \
    "$TEST_TMP/outside.cf" || bail_out "Postfix did not start"
started=$(stat -c %Y "$PF_CONF/main.cf")

out=$(smtp_send sender@example.net alice@sales.example.com)
like "$out" '<-  250 2\.0\.0 Ok: queued as' "a department of the first map is relayed for a client outside mynetworks"
pf_wait_delivered "$TEST_TMP" 1 30 >&2
sink_clear "$TEST_TMP"

out=$(smtp_send sender@example.net x@legal.example.com --quit-after RCPT)
like "$out" '<\*\* [45]54 [45]\.7\.1 <x@legal\.example\.com>: Relay access denied' \
    "a domain that is no department yet is refused as relaying"

cat >>"$TEST_TMP/departments.rules" <<'EOT'

department legal.example.com
    members erin
EOT
"$DEPTMAP_BIN" compile -o "$MILTER_MAP" "$TEST_TMP/departments.rules"
ok $? "the rules with a new department compile"
milter_wait_log '^map: loaded .* generation=2 ' 10
ok $? "deptmilter loaded the new map"

out=$(smtp_send sender@example.net erin@legal.example.com)
like "$out" '<-  250 2\.0\.0 Ok: queued as' \
    "the new department is accepted at once, without postfix reload" ||
    diag "$(grep -E 'legal|warning' "$PF_MAILLOG" | tail -5)"
pf_wait_delivered "$TEST_TMP" 1 30 >&2
is "$(sink_rcpts "$TEST_TMP" | awk '{ print $1 }')" "<erin@example.com>" \
    "and rewritten to its member's mailbox"
is "$(stat -c %Y "$PF_CONF/main.cf") $(grep -cE 'master\[[0-9]+\]: reload' "$PF_MAILLOG")" "$started 0" \
    "Postfix's configuration untouched and never reloaded"
# smtpd caches how it resolved an address for as long as its process lives
# (max_idle, max_use): the address refused before the compile shows it
out=$(smtp_send sender@example.net x@legal.example.com --quit-after RCPT)
note "the address refused before the compile, asked again: $(grep -E '^<(-|\*\*) +[0-9]{3} .*x@legal|^<- +250 2\.1\.5' <<<"$out" | tail -1)"
