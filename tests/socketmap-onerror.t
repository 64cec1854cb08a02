#!/bin/bash
# on_error for the socketmap, with a real broken map and a real Postfix
# (the socketmap only: no milter attached).  A map whose record for carol
# is broken (her lookup is a map error; the others decide): with on_error
# = tempfail the socketmap answers TEMP for her, postmap -q fails with the
# reason, smtpd refuses her at RCPT with 4xx, and mail from sendmail(1)
# waits in the maildrop and is delivered once a good map is in service:
# never lost, never passed.  dry_run answers NOTFOUND and logs that it
# would have answered TEMP.  With on_error = accept she is NOTFOUND and
# her mail goes on untouched, as the milter passes it.  A map replaced by
# a corrupt file leaves the one in service answering; with deptmilter
# stopped (nothing answers on the socket) Postfix tempfails every lookup and keeps
# the mail until deptmilter is back.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks sendmail postkick
command -v cdb >/dev/null || skip_all "needs cdb (tinycdb)"

plan 18

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
milter_map "$TEST_TMP" "$here/socketmap/departments.rules" || bail_out "map did not compile"
cp "$MILTER_MAP" "$TEST_TMP/good.cdb"
# carol's record without a target: her lookup is a map error
cdb -d "$TEST_TMP/good.cdb" | perl -ne '
    if (/^\+\d+,\d+:(addr:sales\.example\.com:carol)->/) {
        my ($k, $v) = ($1, "rule=broken");
        printf "+%d,%d:%s->%s\n", length $k, length $v, $k, $v; next }
    print' | cdb -c "$TEST_TMP/broken.cdb"
cp "$TEST_TMP/broken.cdb" "$MILTER_MAP"
SM=$TEST_TMP/socketmap.sock

# serve KEY=VALUE... -- deptmilter (again) with the socketmap and the lines
serve() {
    milter_stop
    milter_conf "$TEST_TMP" "unix:$TEST_TMP/deptmilter.sock" "socketmap=unix:$SM" "$@"
    milter_start "$TEST_TMP" && milter_wait_log '^socketmap: listening on ' ||
        bail_out "deptmilter did not start"
}
serve on_error=tempfail dry_run=yes
cat >"$TEST_TMP/socketmap.cf" <<EOT
smtpd_milters =
virtual_alias_maps = socketmap:unix:$SM:virtual
relay_domains = socketmap:unix:$SM:domains
smtpd_recipient_restrictions = check_recipient_access socketmap:unix:$SM:access, permit_mynetworks, reject
EOT
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$TEST_TMP/deptmilter.sock" \
    "$TEST_TMP/socketmap.cf" || bail_out "Postfix did not start"

# pq TABLE KEY -- postmap -q: "RC value-or-messages"
pq() {
    local out
    out=$(postmap -c "$PF_CONF" -q "$2" "socketmap:unix:$SM:$1" 2>&1)
    echo "$? $out"
}
# local_send RCPT -- one message through sendmail(1) and pickup
local_send() {
    printf 'Subject: on_error\n\nbody\n' |
        MAIL_CONFIG=$PF_CONF sendmail -f sender@example.net "$1"
}
# delivered -- the recipients in the sink once the queue is empty; emptied
delivered() {
    pf_wait_delivered "$TEST_TMP" 1 60 >&2 || pf_maillog | tail -20 >&2
    sink_rcpts "$TEST_TMP" | awk '{ print $1 }' | tr -d '<>'
    sink_clear "$TEST_TMP"
}
# maildrop -- how many messages wait in the maildrop
maildrop() { find "$PF_QUEUE/maildrop" -type f | wc -l; }

# dry_run: NOTFOUND, and what would have been answered logged
is "$(pq virtual carol@sales.example.com)" "1 " "dry_run: the map error is answered NOTFOUND"
milter_wait_log 'map error for to=<carol@sales\.example\.com>; would answer TEMP \(on_error = tempfail\) table=virtual' 5
ok $? "dry_run: logged as 'would answer TEMP'"

# on_error = tempfail
serve on_error=tempfail
like "$(pq virtual carol@sales.example.com)" \
    '^[1-9][0-9]* postmap: warning: socketmap:unix:.*:virtual socketmap server temporary error: Department map unavailable, try again later' \
    "on_error = tempfail: postmap -q of the broken record fails with the TEMP reason"
is "$(pq virtual bob@sales.example.com)" "0 bob@example.com" "... another member is still answered"
milter_wait_log '^socketmap: error: map error for to=<carol@sales\.example\.com>; answered TEMP \(on_error = tempfail\) table=virtual client=postmap\[[0-9]+\]$' 5
ok $? "... logged as a map error answered TEMP"
out=$(smtp_send sender@example.net carol@sales.example.com --quit-after RCPT)
like "$out" '<\*\* 4[0-9][0-9] ' "on_error = tempfail: smtpd refuses her at RCPT with 4xx"
note "$(echo "$out" | grep '<\*\*')"
local_send carol@sales.example.com
milter_wait_log 'map error for to=<carol@sales\.example\.com>; answered TEMP .* client=cleanup\[[0-9]+\]$' 30
ok $? "sendmail(1) to her: cleanup asked and got TEMP"
for _ in $(seq 50); do [ "$(maildrop)" = 1 ] && break; sleep 0.1; done
is "$(maildrop)/$(sink_count "$TEST_TMP")" "1/0" "... the message waits in the maildrop, nothing delivered"
grep -q 'status=bounced' "$PF_MAILLOG"
ok $(( ! $? )) "... and nothing bounced"

# a good map in service: the waiting message is delivered
cp "$TEST_TMP/good.cdb" "$TEST_TMP/new.cdb" && mv "$TEST_TMP/new.cdb" "$MILTER_MAP"
milter_wait_log '^map: loaded .* generation=2 ' 10
postkick -c "$PF_CONF" public pickup W
is "$(delivered)" carol@example.com "with a good map in service, the waiting message is delivered to her target"

# a corrupt file renamed over the map: the map in service goes on
head -c 3000 /dev/urandom >"$TEST_TMP/new.cdb" && mv "$TEST_TMP/new.cdb" "$MILTER_MAP"
milter_wait_log "^map: cannot load $MILTER_MAP: .*; keeping generation=2\$" 10
ok $? "a corrupt map: logged, generation 2 kept"
is "$(pq virtual carol@sales.example.com)" "0 carol@example.com" "... and the socketmap still answers from it"

# on_error = accept
cp "$TEST_TMP/broken.cdb" "$MILTER_MAP"
serve on_error=accept
is "$(pq virtual carol@sales.example.com)" "1 " "on_error = accept: the broken record is NOTFOUND"
milter_wait_log '^socketmap: warning: map error for to=<carol@sales\.example\.com>; answered NOTFOUND \(on_error = accept\) table=virtual' 5
ok $? "... logged as a warning"
local_send carol@sales.example.com
is "$(delivered)" carol@sales.example.com "on_error = accept: her mail goes on untouched, as the milter passes it"

# deptmilter stopped: nothing answers; Postfix keeps the mail
milter_stop
out=$(smtp_send sender@example.net alice@sales.example.com --quit-after RCPT)
like "$out" '<\*\* 4[0-9][0-9] ' "deptmilter stopped: smtpd refuses a department address at RCPT with 4xx"
local_send alice@sales.example.com
for _ in $(seq 100); do [ "$(maildrop)" = 1 ] && break; sleep 0.1; done
is "$(maildrop)/$(sink_count "$TEST_TMP")" "1/0" "... and mail from sendmail(1) waits in the maildrop"
cp "$TEST_TMP/good.cdb" "$MILTER_MAP"
serve on_error=tempfail
postkick -c "$PF_CONF" public pickup W
is "$(delivered)" alice@example.com "... until deptmilter is back: then delivered to the target"
