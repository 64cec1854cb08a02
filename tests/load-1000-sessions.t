#!/bin/bash
# 1,000 SMTP sessions held open at once through a real Postfix with
# deptmilter: each taken past RCPT, so that each has its own live milter
# connection on which deptmilter has decided a recipient; all held at
# the same moment, then finished.  Every message is accepted, reaches the
# sink once, rewritten; Postfix logs nothing about the milter but the
# held RCPTs' refusals, deptmilter no error.  While the sessions are held,
# deptmilter's own memory (VmRSS) and threads are measured against its
# idle figures, printed per session and bounded.
#
# The held RCPT is refused (erin@sales.example.com, unknown): Postfix
# opens a queue file, and so takes a cleanup process, only at the first
# accepted recipient, and on this machine each Postfix process costs
# 30 to 50 ms of CPU to start.  Each session then sends an accepted RCPT
# (alice@sales.example.com), DATA and QUIT, 50 sessions at a time.
#
# Threads: Debian's libmilter is built with its pool of workers
# (_FFR_WORKERS_POOL): one thread polls every idle session, and a worker
# thread runs only while a command is being handled (two at least; those
# beyond stay 10 s idle at most).  So the threads do not grow with the
# sessions held; a libmilter with a thread per connection would add one
# per session, and fail here.
#
# LOAD_HOLD_SESSIONS (default 1000) and LOAD_HOLD_SERVICES (default 10,
# the smtpd services that share them) size it.
# SPDX-License-Identifier: BSD-2-Clause

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/postfix.sh"
. "$here/lib/milter.sh"

milter_postfix_require swaks python3

N=${LOAD_HOLD_SESSIONS:-1000}
SERVICES=${LOAD_HOLD_SERVICES:-10}
FINISH=50				# sessions finishing at once
POOL=16					# more threads than idle, at most
MEM_KIB=16				# memory per session, at most
# Descriptors: the client holds N sockets; Postfix's master and each of
# its processes a few.  deptmilter starts with systemd's soft limit
# (1024) and raises it itself.
want_fds=$((4 * N + 1024))
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge "$want_fds" ] ||
    skip_all "needs a descriptor limit of $want_fds (hard limit $hard)"

plan 15

tmpdir_make || bail_out "no temporary folder"
read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
read -r -a more_ports <<<"$(free_port $((SERVICES - 1)))"
milter_map "$TEST_TMP" "$here/milter/fault-a.rules" || bail_out "the test map did not compile"
sock=$TEST_TMP/deptmilter.sock
milter_conf "$TEST_TMP" "unix:$sock"
ulimit -Sn 1024
milter_start "$TEST_TMP" || bail_out "deptmilter did not start"
ulimit -Sn "$want_fds" || bail_out "cannot raise the descriptor limit to $want_fds"
# Room for the smtpd processes, with slack for those still closing a
# session (default_process_limit is 100; cleanup has no limit in
# master.cf); no limit on connections per client (anvil counts all of
# them as 127.0.0.1).
cat >"$TEST_TMP/limits.cf" <<EOF
default_process_limit = $((N + N / 2))
smtpd_client_connection_count_limit = 0
EOF
milter_postfix "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" "unix:$sock" "$TEST_TMP/limits.cf" \
    || bail_out "Postfix did not start"
# Postfix's master starts one process of a service at a time, the next
# once the last has taken its connection: 5 to 10 a second on this
# machine under load, minutes for 1,000.  SERVICES smtpd services, each
# on its own port with its own cleanup service, start SERVICES at a time.
ports=$SMTPD_PORT
for i in "${!more_ports[@]}"; do
    p=${more_ports[i]}
    postconf -c "$PF_CONF" -Me \
        "127.0.0.1:$p/inet = 127.0.0.1:$p inet n - n - - smtpd -o cleanup_service_name=cleanup$i" \
        "cleanup$i/unix = cleanup$i unix n - n - 0 cleanup" || bail_out "postconf -M failed"
    ports=$ports,$p
done
touch -d '-10 seconds' "$PF_CONF/master.cf"
postfix -c "$PF_CONF" reload >/dev/null 2>&1 || bail_out "postfix reload failed"
for p in "${more_ports[@]}"; do
    _pf_wait_listen "$p" 30 || bail_out "Postfix does not listen on 127.0.0.1:$p after its reload"
done
read -r master <"$PF_QUEUE/pid/master.pid"

# figures of deptmilter's process, from /proc; status with builtins
# only, as it is polled (a fork costs 5 to 10 ms of CPU on this machine)
status() {
    local k v _
    while read -r k v _; do
        [ "$k" = "$1:" ] && { echo "$v"; return; }
    done <"/proc/$MILTER_PID/status"
}
sockets() { find "/proc/$MILTER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$MILTER_PID/stat"; }
per() { awk -v d="$1" -v n="$2" -v f="$3" 'BEGIN { printf f, d / n }'; }
# wait_until SECONDS CMD... -- poll CMD every 0.2 s until it succeeds
wait_until() {
    local tries=$(($1 * 5))
    shift
    until "$@"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.2
    done
}
idle_again() { [ "$(sockets)" -le "$idle_sockets" ] && [ "$(status Threads)" -le "$idle_threads" ]; }

# Idle figures after one message (the first session loads what every
# session uses: pages of code and data, malloc's arenas), once its
# session has ended.
idle_sockets=$(sockets)
idle_threads=$(status Threads)
out=$(smtp_send sender@example.net alice@sales.example.com)
pf_wait_delivered "$TEST_TMP" 1 30 && wait_until 30 idle_again
ok $? "a first message is delivered and its session ends" ||
    diag "$(echo "$out" | tail -3)" "sockets $(sockets) (idle $idle_sockets), threads $(status Threads) (idle $idle_threads)"
sink_clear "$TEST_TMP"
idle_rss=$(status VmRSS)
idle_threads=$(status Threads)
idle_ticks=$(cpu_ticks)

# The sessions, held past RCPT until told "go" on the fifo.
mkfifo "$TEST_TMP/go"
: >"$TEST_TMP/client.out"
start=$(now_ms)
python3 "$here/milter/holdsessions.py" "127.0.0.1:$ports" "$N" erin@sales.example.com \
    alice@sales.example.com "$FINISH" <"$TEST_TMP/go" >"$TEST_TMP/client.out" 2>&1 &
client=$!
cleanup_add "kill $client 2>/dev/null"
exec 3>"$TEST_TMP/go"
cleanup_add "exec 3>&-"
peak_threads=$idle_threads
held() {
    local k v _ line=
    while read -r k v _; do
        [ "$k" = Threads: ] && [ "$v" -gt "$peak_threads" ] && peak_threads=$v
    done <"/proc/$MILTER_PID/status"
    read -r line <"$TEST_TMP/client.out"
    [[ $line == held* ]] || ! kill -0 "$client" 2>/dev/null
}
wait_until 600 held
held_ms=$(($(now_ms) - start))
# all at the same moment: deptmilter's figures now
now_sockets=$(sockets)
now_threads=$(status Threads)
now_rss=$(status VmRSS)
smtpds=$(pgrep -c -P "$master" -x smtpd)
is "$(sed -n 's/^held //p' "$TEST_TMP/client.out")" "$N" \
    "$N SMTP sessions are held open at once, each past RCPT" ||
    diag "$(head -5 "$TEST_TMP/client.out")"
is "$((now_sockets - idle_sockets))" "$N" \
    "deptmilter holds $N milter connections at that moment ($now_sockets sockets, $idle_sockets idle)"
threads=$((now_threads - idle_threads))
ok $((threads > POOL)) \
    "libmilter's pool: at most $POOL more threads with $N sessions held: $threads more ($now_threads, idle $idle_threads)"
# memory: libmilter's context and macros, deptmilter's connection and
# message state; the kernel's socket buffers are not in VmRSS
slack=$(milter_memory_slack)
rss=$((now_rss - idle_rss))
per_kib=$(per "$rss" "$N" %.1f)
bound=$((MEM_KIB * slack))
ok $((rss > bound * N)) \
    "deptmilter's memory grows by less than $bound KiB per session: $per_kib KiB ($rss KiB for $N, idle $idle_rss KiB)"
diag "$N sessions held past RCPT after $((held_ms / 1000)).$((held_ms % 1000 / 100)) s ($smtpds smtpd processes, $SERVICES services)"
diag "deptmilter idle: VmRSS $idle_rss KiB, $idle_threads threads; with $N sessions: VmRSS $now_rss KiB, $now_threads threads (at most $peak_threads while they opened)"
diag "per session: $per_kib KiB of memory (VmRSS), $(per "$threads" "$N" %.3f) threads"

echo go >&3
exec 3>&-
wait "$client"
rc=$?
is "$(sed -n 's/^done //p' "$TEST_TMP/client.out")" "accepted=$N" \
    "every held session's message is accepted at the end of DATA" ||
    diag "$(grep '^session' "$TEST_TMP/client.out" | head -5)"
ok $rc "the client saw nothing go wrong" || diag "$(grep '^session' "$TEST_TMP/client.out" | head -5)"
# the sink's files counted with a glob (no fork), then Postfix's queue
delivered() {
    local f=("$SINK_DIR"/*)
    [ -e "${f[0]}" ] && [ "${#f[@]}" -ge "$N" ]
}
wait_until 300 delivered && pf_wait_delivered "$TEST_TMP" "$N" 60
ok $? "all $N messages delivered to the sink"
all_ms=$(($(now_ms) - start))
ticks=$(($(cpu_ticks) - idle_ticks))
# the sink's headers in one pass (sink_rcpts runs a sed per file)
sink_files "$TEST_TMP" | xargs -r awk '{ sub(/\r$/, "") }
    /^X-Rcpt-Args: / { print "rcpt", substr($0, 14) }
    /^X-Load-Id: / { print "id", substr($0, 12) }' >"$TEST_TMP/sink.txt"
ids=$(sed -n 's/^id //p' "$TEST_TMP/sink.txt" | sort -u | wc -l)
is "$(sink_count "$TEST_TMP") $ids" "$N $N" "$N copies in the sink, one of each message"
got=$(sed -n 's/^rcpt //p' "$TEST_TMP/sink.txt" | sort | uniq -c | sed 's/^ *//')
is "$got" "$N <alice@example.com> ORCPT=rfc822;alice@sales.example.com" \
    "each message reached alice@example.com, rewritten, with the ORCPT"
wait_until 60 idle_again
ok $? "once the sessions end, deptmilter is back to its idle threads and sockets" ||
    diag "threads $(status Threads) (idle $idle_threads), sockets $(sockets) (idle $idle_sockets)"
refused=": milter-reject: RCPT from [^ ]+: 550 5.1.1 No such person in Sales \(A\); from=<load@example.net> to=<erin@sales.example.com> "
is "$(grep -Ec "$refused" "$PF_MAILLOG")" "$N" "Postfix logged the $N held RCPTs' refusals from the milter"
is "$(grep -Ei 'milter|fatal|panic' "$PF_MAILLOG" | grep -Ev "$refused" | head -5)" "" \
    "Postfix logged nothing else about the milter, no fatal and no panic"
other=$(grep -E 'warning|error' "$PF_MAILLOG" | grep -viE 'milter|fatal|panic')
[ -z "$other" ] || diag "Postfix warnings not about the milter: $(echo "$other" | wc -l), first: $(echo "$other" | head -1)"
is "$(milter_log_lines ' rewrite: ' | wc -l) $(milter_log_lines ': reject: RCPT ' | wc -l)" "$((N + 1)) $N" \
    "deptmilter logged $((N + 1)) rewrites and $N refusals"
is "$(milter_log_lines '(^|: )(error|warning|fatal|panic):' | head -5)" "" "deptmilter logged no error or warning"
hz=$(getconf CLK_TCK)
diag "all $N sessions done and delivered after $((all_ms / 1000)) s; deptmilter's CPU time: $((ticks * 1000 / hz)) ms, $(per "$((ticks * 1000000 / hz))" "$N" %.0f) us per session"
