# tests/lib/postfix.sh -- run a PRIVATE Postfix instance and an smtp-sink
# for tests. Never touches /etc/postfix or the system instance.
#
# Source after tap.sh (needs tmpdir_make/cleanup_add/free_port):
#
#   . "$(dirname "$0")/lib/tap.sh"
#   . "$(dirname "$0")/lib/postfix.sh"
#   pf_require || skip_all "no postfix"       # optional
#   tmpdir_make                               # -> $TEST_TMP
#   read -r SMTPD_PORT SINK_PORT <<<"$(free_port 2)"
#   sink_start "$TEST_TMP" "$SINK_PORT"
#   pf_start   "$TEST_TMP" "$SMTPD_PORT" "$SINK_PORT" [extra.cf ...]
#   swaks --server 127.0.0.1:$SMTPD_PORT --from a@example.net --to b@example.com --silent 2
#   pf_wait_delivered "$TEST_TMP" 1 || pf_maillog >&2
#   sink_rcpts "$TEST_TMP"                    # "<b@example.com> ORCPT=rfc822;b@example.com"
#
# Functions
#
#   pf_require
#       0 when postfix, postconf, smtp-sink are installed and we are root.
#
#   sink_start DIR PORT
#       smtp-sink as user postfix on 127.0.0.1:PORT, one file per message in
#       DIR/sink/ (smtp-sink -d template, each file has X-Mail-Args and one
#       X-Rcpt-Args line per RCPT). Waits until it listens (max 5 s), kills it
#       at exit. Sets SINK_PID, SINK_DIR.
#
#   pf_start DIR SMTPD_PORT SINK_PORT [EXTRA_MAIN_CF_FILE...]
#       Builds a private instance under DIR/pf:
#         DIR/pf/conf     main.cf, master.cf            (exported as PF_CONF)
#         DIR/pf/queue    queue_directory
#         DIR/pf/data     data_directory (owned by postfix)
#         DIR/pf/maillog  maillog_file (via postlogd)
#       smtpd listens on 127.0.0.1:SMTPD_PORT only; everything not local
#       (mydestination = mx.test, localhost) is relayed to
#       [127.0.0.1]:SINK_PORT, from mynetworks (127.0.0.0/8) for any domain.
#       No DNS, no chroot, local delivery disabled, fast retries.
#       Each EXTRA file is appended verbatim to main.cf, in order; a later
#       "name = value" overrides an earlier one for the same name (earlier
#       definitions are commented out, so Postfix logs no "overriding
#       earlier entry" warnings). Runs "postfix check" and "postfix start";
#       on failure prints the output and the maillog to stderr, returns 1. Stops the instance at exit (SIGTERM
#       to master, then kill -9 of its process group as last resort).
#       Sets PF_CONF, PF_QUEUE, PF_MAILLOG, PF_SMTPD_PORT, PF_SINK_PORT.
#
#   pf_master_append FILE SERVICE ADDRESS
#       Append FILE (master.cf lines) to the running instance's master.cf
#       verbatim, except that the first column of the entry named SERVICE
#       becomes ADDRESS (for an inet service: 127.0.0.1:PORT), then
#       "postfix reload" and wait (5 s) until 127.0.0.1:PORT listens.
#       Other columns stay as FILE has them (a chroot "y" stays: the
#       service then resolves paths inside the queue directory).
#
#   pf_wait_log REGEX [TIMEOUT [COUNT]]
#       Wait until COUNT (default 1) lines of the maillog match REGEX
#       (grep -E). TIMEOUT in seconds, default 30. Returns 1 on timeout
#       (with a diag of the count and the maillog's tail).
#
#   pf_postconf NAME=VALUE...
#       postconf -c $PF_CONF -e ..., then "postfix reload" if running.
#
#   pf_stop
#       Stop the instance now (also done automatically at exit).
#
#   pf_wait_delivered DIR N [TIMEOUT]
#       Wait until DIR/sink holds at least N message files AND the Postfix
#       queue is empty (so every file is complete). TIMEOUT in seconds,
#       default 30. Returns 1 on timeout (with a diag of queue and counts).
#
#   pf_queue_empty
#       0 when postqueue -p shows an empty queue.
#
#   sink_count DIR
#       Number of message files in DIR/sink.
#
#   sink_rcpts DIR
#       Every envelope recipient of every message in the sink, one per line,
#       as written in the X-Rcpt-Args lines ("<addr> ORCPT=rfc822;orig"),
#       sorted (LC_ALL=C).
#
#   sink_files DIR
#       The message files, one path per line, sorted.
#
#   sink_clear DIR
#       Remove every message file from the sink.
#
#   pf_maillog
#       cat the private instance's maillog.
#
#   xtext_decode STRING
#       Decode RFC 3461 xtext ("alice+2Bx" -> "alice+x").
#
# Postfix quirks handled here
#   - Postfix programs re-read a main.cf/master.cf modified in the last
#     second or so, sleeping 300 ms per try (they wait for the file to
#     settle): freshly written files made check+start take 2-4 s. The files
#     are backdated by 10 s after every write (pf_start, pf_postconf).
#   - "postfix stop" polls in 1-second steps; pf_stop signals master itself
#     and polls every 50 ms. This machine's PID 1 reaps orphans slowly, so
#     a dead master stays a zombie for ~1 s: liveness checks ignore zombies.
#   - "postfix start" repeats the slow integrity check that "postfix check"
#     just did; the queue_directory/quick-start flag file skips the repeat.
#   - Without a syslog socket, a failed start is silent; maillog_file (with
#     maillog_file_prefixes covering DIR/pf, postlogd in master.cf) fixes it.
# SPDX-License-Identifier: BSD-2-Clause

pf_require() {
    [ "$(id -u)" = 0 ] || return 1
    command -v postfix >/dev/null && command -v postconf >/dev/null \
        && command -v smtp-sink >/dev/null
}

# _pf_listening PORT -- 0 when a TCP socket listens on 127.0.0.1:PORT.
# Uses ss(8) so that no probe connection shows up in the daemon's log.
_pf_listening() {
    if command -v ss >/dev/null; then
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# _pf_wait_listen PORT SECONDS [PID] -- poll until 127.0.0.1:PORT listens;
# fail early when PID (the daemon) is gone
_pf_wait_listen() {
    local port=$1 tries=$(( ${2:-5} * 20 )) pid=${3:-}
    while [ "$tries" -gt 0 ]; do
        _pf_listening "$port" && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
        tries=$((tries - 1))
    done
    return 1
}

sink_start() {
    local dir=$1 port=$2
    SINK_DIR=$dir/sink
    mkdir -p "$SINK_DIR" && chown postfix: "$SINK_DIR" || return 1
    if _pf_listening "$port"; then
        echo "sink_start: 127.0.0.1:$port is already in use" >&2
        return 1
    fi
    # smtp-sink writes as user postfix: every directory above must be
    # searchable by it (a TMPDIR of mode 0700 is not)
    if command -v runuser >/dev/null &&
       ! runuser -u postfix -- test -w "$SINK_DIR" 2>/dev/null; then
        echo "sink_start: user postfix cannot write to $SINK_DIR (check the modes of its parent directories)" >&2
        return 1
    fi
    # -u: required as root; -d: one file per transaction (template expanded
    # by strftime plus a random hex suffix); -h: name in the Received line.
    smtp-sink -u postfix -h sink.test -d "$SINK_DIR/%M." "127.0.0.1:$port" 100 \
        >"$dir/sink.log" 2>&1 </dev/null &
    SINK_PID=$!
    cleanup_add "kill $SINK_PID; wait $SINK_PID"
    if ! _pf_wait_listen "$port" 5 "$SINK_PID"; then
        echo "sink_start: smtp-sink not listening on 127.0.0.1:$port:" >&2
        cat "$dir/sink.log" >&2
        return 1
    fi
}

sink_files() {
    find "$1/sink" -type f 2>/dev/null | LC_ALL=C sort
}

sink_count() {
    find "$1/sink" -type f 2>/dev/null | wc -l
}

sink_clear() {
    find "$1/sink" -type f -delete 2>/dev/null
}

sink_rcpts() {
    local f
    sink_files "$1" | while IFS= read -r f; do
        sed -n 's/\r$//; s/^X-Rcpt-Args: //p' "$f"
    done | LC_ALL=C sort
}

xtext_decode() {
    perl -e '$_ = shift; s/\+([0-9A-Fa-f]{2})/chr(hex($1))/ge; print "$_\n"' -- "$1"
}

_pf_write_main_cf() {
    local dir=$1 smtpd_port=$2 sink_port=$3
    cat <<EOF
# private test instance written by tests/lib/postfix.sh
compatibility_level = 3.6
queue_directory = $dir/pf/queue
data_directory = $dir/pf/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/pf/maillog
maillog_file_prefixes = $dir/pf
syslog_name = postfix-test
myhostname = mx.test
mydomain = test
myorigin = \$myhostname
mydestination = \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8
relay_domains =
relayhost = [127.0.0.1]:$sink_port
default_transport = smtp
relay_transport = smtp
local_transport = error:5.1.1 local delivery disabled in test instance
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_delay_reject = yes
smtp_tls_security_level = none
smtpd_tls_security_level = none
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
in_flow_delay = 0
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
smtp_rcpt_timeout = 10s
smtp_data_done_timeout = 10s
delay_warning_time = 0
notify_classes =
smtputf8_enable = yes
EOF
}

_pf_write_master_cf() {
    local smtpd_port=$1
    # chroot (5th column) = n for every service; the smtp inet service moves
    # to 127.0.0.1:PORT; any other inet listener is dropped; postlogd (needed
    # for maillog_file) is enabled in master.cf.dist already.
    awk -v port="$smtpd_port" '
        /^[ \t]/ || /^#/ || NF < 8 {
            if (skip && /^[ \t]/) next
            skip = 0; print; next
        }
        {
            skip = 0
            if ($2 == "inet") {
                if ($1 == "smtp") $1 = "127.0.0.1:" port
                else { skip = 1; next }
            }
            $5 = "n"
            print
        }' /usr/share/postfix/master.cf.dist
}

# _pf_dedupe FILE -- keep only the last "name = value" logical line for each
# name (with its whitespace-led continuation lines). Postfix itself lets the
# last one win too, but every daemon then logs "overriding earlier entry".
_pf_dedupe() {
    local f=$1
    awk '
        function pname(line) {
            if (match(line, /^[A-Za-z0-9_]+[ \t]*=/)) {
                line = substr(line, 1, RLENGTH - 1); sub(/[ \t]+$/, "", line)
                return line
            }
            return ""
        }
        NR == FNR { n = pname($0); if (n != "") last[n] = FNR; next }
        /^[ \t]/ && /[^ \t]/ { if (!skip) print; next }
        {
            n = pname($0)
            skip = (n != "" && last[n] != FNR)
            if (skip) print "# (overridden below) " $0
            else print
        }' "$f" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
}

_pf_backdate() {
    touch -d '-10 seconds' "$PF_CONF/main.cf" "$PF_CONF/master.cf"
}

# _pf_tty_rerun CMD -- rerun "postfix -c $PF_CONF CMD" on a pseudo-tty:
# Postfix commands print their fatal errors to stderr only when it is a tty
# (otherwise only to syslog, which is absent here)
_pf_tty_rerun() {
    command -v script >/dev/null || return 0
    script -qec "postfix -c '$PF_CONF' $1" /dev/null 2>&1 | tr -d '\r'
}

pf_start() {
    local dir=$1 smtpd_port=$2 sink_port=$3 f
    shift 3
    if [ "$(id -u)" != 0 ]; then
        echo "pf_start: must run as root" >&2
        return 1
    fi
    if _pf_listening "$smtpd_port"; then
        # master (like smtp-sink) binds with SO_REUSEPORT: it would not fail
        echo "pf_start: 127.0.0.1:$smtpd_port is already in use" >&2
        return 1
    fi
    export PF_CONF=$dir/pf/conf
    PF_QUEUE=$dir/pf/queue
    PF_MAILLOG=$dir/pf/maillog
    export PF_QUEUE PF_MAILLOG PF_SMTPD_PORT=$smtpd_port PF_SINK_PORT=$sink_port
    mkdir -p "$PF_CONF" "$PF_QUEUE" "$dir/pf/data" || return 1
    chmod 0755 "$dir/pf" "$PF_CONF" "$PF_QUEUE"
    chown postfix: "$dir/pf/data" && chmod 0700 "$dir/pf/data"
    : >"$PF_MAILLOG"
    _pf_write_main_cf "$dir" "$smtpd_port" "$sink_port" >"$PF_CONF/main.cf"
    _pf_write_master_cf "$smtpd_port" >"$PF_CONF/master.cf"
    for f in "$@"; do
        if [ ! -r "$f" ]; then
            echo "pf_start: cannot read $f" >&2
            return 1
        fi
        { printf '\n# ---- appended from %s\n' "$f"; cat "$f"; echo; } >>"$PF_CONF/main.cf"
    done
    _pf_dedupe "$PF_CONF/main.cf"
    # Postfix re-reads a main.cf/master.cf whose mtime is within the last
    # second or two, sleeping 300 ms each time (dict_load_file waits for the
    # file to "settle"): backdate them so check+start take 0.3 s, not 2+ s.
    _pf_backdate
    # Register the stop before starting: a half-started master is stopped too.
    cleanup_add "pf_stop"
    if ! postfix -c "$PF_CONF" check >"$dir/pf/check.out" 2>&1; then
        echo "pf_start: postfix check failed:" >&2
        _pf_tty_rerun check >>"$dir/pf/check.out"
        cat "$dir/pf/check.out" "$PF_MAILLOG" >&2
        return 1
    fi
    # "postfix start" repeats the (slow) check; the quick-start flag skips it.
    touch "$PF_QUEUE/quick-start"
    if ! postfix -c "$PF_CONF" start >"$dir/pf/start.out" 2>&1; then
        echo "pf_start: postfix start failed:" >&2
        cat "$dir/pf/start.out" >&2
        sleep 0.2
        cat "$PF_MAILLOG" >&2
        return 1
    fi
    if ! _pf_wait_listen "$smtpd_port" 5; then
        echo "pf_start: Postfix smtpd not listening on 127.0.0.1:$smtpd_port" >&2
        cat "$PF_MAILLOG" >&2
        return 1
    fi
    return 0
}

# _pf_alive PID -- running and not a zombie (this machine's PID 1 reaps
# orphans only about once a second, so kill -0 alone lags behind)
_pf_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

_pf_master_pid() {
    local p
    [ -n "${PF_QUEUE:-}" ] && [ -r "$PF_QUEUE/pid/master.pid" ] || return 1
    read -r p <"$PF_QUEUE/pid/master.pid" || return 1
    [ -n "$p" ] && _pf_alive "$p" && echo "$p"
}

# _pf_group_alive PGID -- some live (non-zombie) process in the group
_pf_group_alive() {
    local p
    for p in $(pgrep -g "$1" 2>/dev/null); do
        _pf_alive "$p" && return 0
    done
    return 1
}

pf_stop() {
    local pid tries=100
    pid=$(_pf_master_pid) || return 0
    # What "postfix stop" does (SIGTERM to master, which passes it to its
    # process group), without its 1-second polling steps.
    kill -TERM "$pid" 2>/dev/null
    while [ "$tries" -gt 0 ] && _pf_group_alive "$pid"; do
        sleep 0.05
        tries=$((tries - 1))
    done
    if _pf_group_alive "$pid"; then
        # last resort; master is a process group leader (setsid)
        kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null
    fi
    return 0
}

pf_postconf() {
    postconf -c "$PF_CONF" -e "$@" || return 1
    _pf_backdate
    if _pf_master_pid >/dev/null; then
        postfix -c "$PF_CONF" reload >/dev/null 2>&1
    fi
}

pf_master_append() {
    local file=$1 service=$2 address=$3
    [ -r "$file" ] || { echo "pf_master_append: cannot read $file" >&2; return 1; }
    {
        printf '\n# ---- appended from %s (%s on %s)\n' "$file" "$service" "$address"
        awk -v s="$service" -v a="$address" '
            !done && /^[^ \t#]/ && $1 == s { sub(/^[^ \t]+/, a); done = 1 }
            { print }' "$file"
    } >>"$PF_CONF/master.cf" || return 1
    _pf_backdate
    if ! postfix -c "$PF_CONF" reload >/dev/null 2>&1 ||
       ! _pf_wait_listen "${address##*:}" 5; then
        echo "pf_master_append: $service not listening on $address after reload:" >&2
        tail -20 "$PF_MAILLOG" >&2
        return 1
    fi
}

pf_wait_log() {
    local re=$1 timeout=${2:-30} count=${3:-1} start n
    start=$(date +%s)
    while :; do
        n=$(grep -Ecs -- "$re" "$PF_MAILLOG")
        [ "${n:-0}" -ge "$count" ] && return 0
        if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
            echo "pf_wait_log: timeout after ${timeout}s: ${n:-0} of $count maillog lines match /$re/; its tail:" >&2
            tail -15 "$PF_MAILLOG" >&2
            return 1
        fi
        sleep 0.1
    done
}

pf_queue_empty() {
    local out
    out=$(postqueue -c "$PF_CONF" -p 2>&1) || return 1
    [[ $out == *"Mail queue is empty"* ]]
}

pf_wait_delivered() {
    local dir=$1 n=$2 timeout=${3:-30} start now count
    start=$(date +%s)
    while :; do
        count=$(sink_count "$dir")
        if [ "$count" -ge "$n" ] && pf_queue_empty; then
            return 0
        fi
        now=$(date +%s)
        if [ $((now - start)) -ge "$timeout" ]; then
            echo "pf_wait_delivered: timeout after ${timeout}s: $count of $n messages in the sink" >&2
            postqueue -c "$PF_CONF" -p >&2 2>&1
            return 1
        fi
        sleep 0.1
    done
}

pf_maillog() {
    cat "${PF_MAILLOG:?pf_maillog: no instance started}"
}
