#!/bin/bash
# bench/run.sh - deptmilter's speed, side by side with its baselines
#
#   make bench          the full run (BENCHMARKS.md says how long it took)
#   make bench-smoke    the same code on small inputs (SMOKE=1), in check
#   ONLY="e2e socketmap" BENCH_OUT=DIR make bench   some parts only (e2e
#                       decide regex compile reload ldap socketmap)
#
# Every figure is a ratio against a baseline measured in the same run,
# the two alternating (A B A B ...); medians with the spread (min..max).
# Prints a table and writes BENCHMARKS.md (and bench-e2e.png when gnuplot
# is there).  Nothing here is typed in by hand: every number is measured.
# BENCH_OUT=DIR puts BENCHMARKS.md and the chart elsewhere (smoke: a
# temporary folder).
# SPDX-License-Identifier: BSD-2-Clause

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/postfix.sh"
trap '_tap_cleanup' EXIT
set -o pipefail

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
    set -- 1 100 5 20000 0.2 3 2000 2000 0.2 3
else
    set -- 5 2000 20 1000000 1 20 20000 100000 1 12
fi
# each can be set from the environment, e.g. PAIRS=2 MSGS=500 make bench
PAIRS=${PAIRS:-$1} MSGS=${MSGS:-$2} SESSIONS=${SESSIONS:-$3} ROSTER=${ROSTER:-$4}
DECIDE_SECS=${DECIDE_SECS:-$5} RELOADS=${RELOADS:-$6} CALLGRIND_N=${CALLGRIND_N:-$7}
LDAP_ENTRIES=${LDAP_ENTRIES:-$8} SM_SECS=${SM_SECS:-$9} SM_COUNT=${SM_COUNT:-${10}}
ONLY=${ONLY:-e2e decide regex compile reload ldap socketmap}
DEPTMAP=$top/deptmap
DEPTMILTER=$top/deptmilter

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (private Postfix instances)"
for c in smtp-source smtp-sink postfix valgrind /usr/bin/time cdb python3; do
    command -v "$c" >/dev/null || die "needs $c (make bench installs it)"
done
tmpdir_make W || die "no temporary folder"
OUT=${BENCH_OUT:-$top}
[ "$SMOKE" = 1 ] && [ -z "${BENCH_OUT:-}" ] && OUT=$W
ROWS=$W/rows

# ---------------------------------------------------------------------------
# helpers

# median and spread of numbers on stdin: "MEDIAN MIN MAX"
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 0 0"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

# row WORK BASELINE DEPTMILTER RATIO SPREAD GOAL MET
row() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"
}

# verdict VALUE OP LIMIT: "yes" or "no"
verdict() {
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
        ok = (op == "<=") ? v <= l : v >= l; print ok ? "yes" : "no" }'
}

now() { date +%s.%N; }

# ---------------------------------------------------------------------------
# 1. end to end: Postfix accept rate with and without deptmilter

# instance NAME [MAIN_CF_EXTRA...] - a private Postfix relaying to a sink
instance() {
    local name=$1 dir=$W/$1 smtpd sink
    shift
    mkdir -p "$dir"
    read -r smtpd sink <<<"$(free_port 2)"
    smtp-sink -u postfix "127.0.0.1:$sink" 1000 >/dev/null 2>&1 &
    cleanup_add "kill $! 2>/dev/null"
    pf_start "$dir" "$smtpd" "$sink" "$@" >"$dir/start.log" 2>&1 ||
        { cat "$dir/start.log" >&2; die "Postfix $name did not start"; }
    cleanup_add "postfix -c $PF_CONF stop"
    eval "PORT_$name=$smtpd CONF_$name=$PF_CONF"
}

# CGROUP2 - where the cgroup v2 hierarchy is mounted (on a hybrid system
# /sys/fs/cgroup/unified), or nothing: its cpu.stat counts the CPU time
# of every process in a group, whichever the controllers
CGROUP2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# cg_make NAME - a cgroup of its own for an instance's processes:
# CG_NAME is its directory, or empty where none can be made
cg_make() {
    local d=$CGROUP2/deptbench.$$.$1
    if [ -n "$CGROUP2" ] && mkdir "$d" 2>/dev/null; then
        # after the instance's stop (hooks run last-registered first)
        cleanup_add "for _ in \$(seq 50); do rmdir $d && break; sleep 0.1; done"
    else
        d=
    fi
    eval "CG_$1=$d"
}

# cg_usec NAME - the CPU time every process of an instance's cgroup used
# so far, in us; empty without one
cg_usec() {
    local d
    eval "d=\${CG_$1:-}"
    [ -n "$d" ] && awk '$1 == "usage_usec" { print $2 }' "$d/cpu.stat"
}

# instances NAME:CF[,CF...]... - instance for each, started side by side
# (each start mostly waits), each in a cgroup of its own (cg_make) when
# there can be one; its stop registered here, in the main shell
instances() {
    local spec name dir smtpd sink pids=() names=() i cfs cg
    for spec in "$@"; do
        name=${spec%%:*} dir=$W/${spec%%:*}
        IFS=, read -r -a cfs <<<"${spec#*:}"
        mkdir -p "$dir"
        read -r smtpd sink <<<"$(free_port 2)"
        smtp-sink -u postfix "127.0.0.1:$sink" 1000 >/dev/null 2>&1 &
        cleanup_add "kill $! 2>/dev/null"
        cg_make "$name"
        eval "cg=\$CG_$name"
        cleanup_add "PF_QUEUE=$dir/pf/queue pf_stop"
        eval "PORT_$name=$smtpd CONF_$name=$dir/pf/conf"
        {
            [ -z "$cg" ] || echo "$BASHPID" >"$cg/cgroup.procs"
            pf_start "$dir" "$smtpd" "$sink" "${cfs[@]}"
        } >"$dir/start.log" 2>&1 &
        pids+=($!) names+=("$name")
    done
    for i in "${!pids[@]}"; do
        wait "${pids[i]}" ||
            { cat "$W/${names[i]}/start.log" >&2; die "Postfix ${names[i]} did not start"; }
    done
}

# milter NAME SOCKET [LINE...] - deptmilter on SOCKET with the example
# map; each LINE ("key = value") is added to its deptmilter.conf, in place
# of the default for that key.  Started once the map is loaded, or (a
# log_level that does not log that) once its socketmap socket is there.
milter() {
    local name=$1 socket=$2 dir=$W/milter-$1 line sm=
    shift 2
    mkdir -p "$dir"
    cat >"$dir/deptmilter.conf" <<EOT
socket = $socket
socket_mode = 0666
map = $W/departments.cdb
user = nobody
log_level = info
stats_interval = 0
pid_file =
EOT
    for line in "$@"; do
        sed -i "/^${line%% *} =/d" "$dir/deptmilter.conf"
        echo "$line" >>"$dir/deptmilter.conf"
        [[ $line == "socketmap = unix:"* ]] && sm=${line#socketmap = unix:}
    done
    "$DEPTMILTER" -f -c "$dir/deptmilter.conf" 2>"$dir/log" &
    cleanup_add "kill $! 2>/dev/null"
    eval "MPID_$name=$!"
    for _ in $(seq 100); do
        grep -q '^map: loaded' "$dir/log" && return 0
        [ -n "$sm" ] && [ -S "$sm" ] && return 0
        sleep 0.05
    done
    cat "$dir/log" >&2
    die "deptmilter $name did not start"
}

# drain CONF - wait until the instance's queue is empty
drain() {
    local i
    for i in $(seq 600); do
        postqueue -c "$1" -p 2>/dev/null | grep -q 'Mail queue is empty' && return 0
        sleep 0.1
    done
    echo "bench: queue of $1 did not drain" >&2
}

# cpu_ticks PID - the user and system CPU time a process used, in ticks
# (/proc/PID/stat fields 14 and 15; the name in field 2 has no blank)
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# run_source NAME [RCPT] - seconds smtp-source needs for MSGS messages to
# RCPT (alice@sales.example.com); the milter's own CPU ticks for them go
# to $W/e2e.cpu
run_source() {
    local port conf t0 t1 mpid c0=0 rcpt=${2:-alice@sales.example.com}
    eval "port=\$PORT_$1 conf=\$CONF_$1 mpid=\${MPID_$1:-}"
    [ -n "$mpid" ] && c0=$(cpu_ticks "$mpid")
    t0=$(now)
    smtp-source -s "$SESSIONS" -m "$MSGS" -f bench@example.net \
        -t "$rcpt" "127.0.0.1:$port" 2>>"$W/source-$1.err"
    t1=$(now)
    drain "$conf"
    [ -n "$mpid" ] && echo "$1 $(($(cpu_ticks "$mpid") - c0))" >>"$W/e2e.cpu"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

e2e_setup() {
    cp "$top/examples/departments.rules" "$top/examples/sales.txt" "$W/" &&
        "$DEPTMAP" compile "$W/departments.rules" && "$DEPTMAP" domains \
        "$W/departments.cdb" >"$W/domains" || die "cannot compile the example rules"
    read -r INET_PORT <<<"$(free_port 1)"
    milter unix "unix:$W/deptmilter.sock"
    milter inet "inet:$INET_PORT@127.0.0.1"
    cc -O2 -o "$W/null_milter" "$top/tests/bench/null_milter.c" $(pkg-config --libs milter) \
        -lpthread || die "cannot build null_milter"
    (umask 0; exec "$W/null_milter" "unix:$W/null.sock") &
    cleanup_add "kill $! 2>/dev/null"
    MPID_null=$!
    printf 'deptmilter_socket = unix:%s\ndeptmilter_domains = %s\n' \
        "$W/null.sock" "$W/domains" >"$W/site-null.cf"
    printf 'deptmilter_socket = unix:%s\ndeptmilter_domains = %s\n' \
        "$W/deptmilter.sock" "$W/domains" >"$W/site-unix.cf"
    printf 'deptmilter_socket = inet:127.0.0.1:%s\ndeptmilter_domains = %s\n' \
        "$INET_PORT" "$W/domains" >"$W/site-inet.cf"
    printf 'relay_domains = %s\nrecipient_delimiter = +\n' "$W/domains" >"$W/plain.cf"
    instance none "$W/plain.cf"
    instance unix "$top/postfix/milter-only.cf.snippet" "$W/site-unix.cf"
    instance inet "$top/postfix/milter-only.cf.snippet" "$W/site-inet.cf"
    instance null "$top/postfix/milter-only.cf.snippet" "$W/site-null.cf"
    # the same rewrite done by Postfix itself
    printf 'alice@sales.example.com alice@example.com\n' >"$W/virtual.map"
    postmap -c "$CONF_none" cdb:"$W/virtual.map" || die "postmap failed"
    printf 'relay_domains = %s\nrecipient_delimiter = +\nvirtual_alias_maps = cdb:%s\n' \
        "$W/domains" "$W/virtual.map" >"$W/virtual.cf"
    instance virtual "$W/virtual.cf"
}

e2e() {
    local i name t
    e2e_setup
    for name in none unix inet virtual null; do run_source "$name" >/dev/null; done	# warm up
    : >"$W/e2e.times"
    : >"$W/e2e.cpu"
    for i in $(seq "$PAIRS"); do
        for name in none unix inet virtual null; do
            t=$(run_source "$name")
            echo "$i $name $t" >>"$W/e2e.times"
        done
    done
    e2e_rows
}

# e2e_ratio NAME BASE - per-round ratios NAME/BASE, then "MEDIAN MIN MAX"
e2e_ratio() {
    awk -v a="$1" -v b="$2" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
        END { for (i in x) if (y[i] > 0) print x[i] / y[i] }' "$W/e2e.times" | stats
}

e2e_rows() {
    local base med r lo hi name goal
    base=$(awk '$2 == "none" { print $3 }' "$W/e2e.times" | stats | cut -d' ' -f1)
    for name in unix inet virtual; do
        med=$(awk -v n="$name" '$2 == n { print $3 }' "$W/e2e.times" | stats | cut -d' ' -f1)
        read -r r lo hi <<<"$(e2e_ratio "$name" none)"
        case $name in
        unix) goal=1.03 ;; inet) goal=1.10 ;; virtual) goal=- ;;
        esac
        if [ "$name" = virtual ]; then
            row "e2e: Postfix virtual_alias_maps (cdb), $MSGS msgs" "${base}s" "${med}s" "$r" \
                "$lo..$hi" "baseline for the next row" "-"
        else
            row "e2e: deptmilter over $name socket, $MSGS msgs, ${SESSIONS} sessions" \
                "${base}s" "${med}s" "$r" "$lo..$hi" "<= $goal" "$(verdict "$r" "<=" "$goal")"
        fi
    done
    read -r r lo hi <<<"$(e2e_ratio unix virtual)"
    row "e2e: deptmilter (unix) against virtual_alias_maps" "-" "-" "$r" "$lo..$hi" \
        "<= 1.05" "$(verdict "$r" "<=" 1.05)"
    med=$(awk '$2 == "null" { print $3 }' "$W/e2e.times" | stats | cut -d' ' -f1)
    read -r r lo hi <<<"$(e2e_ratio null none)"
    row "e2e: a libmilter filter that does nothing (unix), same steps" "${base}s" "${med}s" \
        "$r" "$lo..$hi" "what the protocol costs" "-"
    read -r r lo hi <<<"$(e2e_ratio unix null)"
    row "e2e: deptmilter (unix) against that filter" "-" "-" "$r" "$lo..$hi" \
        "what deptmilter adds" "-"
    e2e_cpu_rows
    for name in none unix inet virtual null; do
        [ -s "$W/source-$name.err" ] && { echo "smtp-source errors ($name):"; head -3 "$W/source-$name.err"; }
    done
}

# e2e_cpu_rows - each milter process's own CPU time per message, from
# /proc (wall-clock ratios swing with the other load of a shared machine;
# the CPU a process spends per message does not)
e2e_cpu_rows() {
    local tck name us null
    tck=$(getconf CLK_TCK)
    for name in null unix inet; do
        us=$(awk -v n="$name" -v t="$tck" -v m="$MSGS" -v p="$PAIRS" \
            '$1 == n { s += $2 } END { printf "%.0f", s * 1e6 / t / (m * p) }' "$W/e2e.cpu")
        eval "cpu_$name=$us"
    done
    null=$cpu_null
    for name in unix inet; do
        eval "us=\$cpu_$name"
        row "e2e: deptmilter ($name) own CPU per message, against the null filter's" \
            "${null} us" "${us} us" "$(awk -v a="$us" -v b="$null" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print 0 }')" \
            "-" "-" "-"
    done
}

# ---------------------------------------------------------------------------
# 2. one decision on a large map, against a bare cdb_find of the same keys

big_setup() {
    mkdir -p "$W/big"
    python3 - "$W/big" "$ROSTER" <<'PY'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
random.seed(42)
with open(d + "/roster.txt", "w") as f:
    f.write("alice\n")
    for i in range(n - 1):
        f.write("user%07d\n" % i)
for name, fmt in (("hit", "<user%07d@sales.example.com>"),
                  ("miss", "<nobody%07d@sales.example.com>"),
                  ("hit-ext", "<user%07d+news@sales.example.com>"),
                  ("miss-ext", "<nobody%07d+news@sales.example.com>")):
    with open("%s/%s.addrs" % (d, name), "w") as f:
        for i in range(20000):
            f.write(fmt % random.randrange(n - 1) + "\n")
with open(d + "/regex.rules", "w") as f:
    f.write("canonical example.com\ndelimiter +\ndepartment sales.example.com\n"
            "    members alice\n")
    for i in range(50):
        f.write("    match /^team%02d\\.([a-z]+)$/ -> $1@example.com\n" % i)
with open(d + "/regex.addrs", "w") as f:
    for i in range(20000):
        f.write("<team49.%s@sales.example.com>\n" % random.choice(["ann", "bob", "eve"]))
with open(d + "/exact.addrs", "w") as f:
    for i in range(20000):
        f.write("<alice@sales.example.com>\n")
PY
    printf '%s\n' "canonical example.com" "delimiter +" "department sales.example.com" \
        "    members-file roster.txt" "    unknown reject 550 5.1.1 \"No such person\"" \
        >"$W/big/a.rules"
    sed 's/No such person/No such person here/' "$W/big/a.rules" >"$W/big/b.rules"
    cp "$W/big/roster.txt" "$W/big/roster-b.txt"
    "$DEPTMAP" compile "$W/big/a.rules" && "$DEPTMAP" compile "$W/big/b.rules" &&
        "$DEPTMAP" compile "$W/big/regex.rules" || die "cannot compile the large maps"
    cc -O2 -std=c11 -D_GNU_SOURCE -I"$top" -o "$W/decide_bench" \
        "$top/tests/bench/decide_bench.c" "$top/libdept.a" \
        $(pkg-config --libs libcdb libpcre2-8 libidn2 icu-uc) || die "cannot build decide_bench"
}

# instructions FUNCTION MAP ADDRS - instructions callgrind counts in FUNCTION
instructions() {
    local mode=$1
    valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" \
        --toggle-collect="run_$mode" "$W/decide_bench" "$mode" "$2" "$3" >/dev/null 2>&1 &&
        awk '/^(summary|totals):/ { print $2; exit }' "$W/cg.out"
}

decide_bench() {
    local set ratios d b di bi r lo hi med map=$W/big/a.cdb n
    for set in hit miss hit-ext miss-ext; do
        head -n "$CALLGRIND_N" "$W/big/$set.addrs" >"$W/big/$set.cg"
        n=$(wc -l <"$W/big/$set.cg")
        di=$(instructions decide "$map" "$W/big/$set.cg")
        bi=$(instructions bare "$map" "$W/big/$set.cg")
        : >"$W/rates"
        for _ in $(seq "$PAIRS"); do
            "$W/decide_bench" rate "$map" "$W/big/$set.addrs" "$DECIDE_SECS" >"$W/rate" || die "decide_bench failed"
            d=$(awk '$1 == "decide" { print $2 }' "$W/rate")
            b=$(awk '$1 == "bare" { print $2 }' "$W/rate")
            echo "$d $b" >>"$W/rates"
        done
        read -r med lo hi <<<"$(awk '{ print $2 / $1 }' "$W/rates" | stats)"
        d=$(awk '{ print $1 }' "$W/rates" | stats | cut -d' ' -f1)
        r=$(awk -v a="$di" -v b="$bi" 'BEGIN { printf "%.2f", a / b }')
        row "decide, $ROSTER members, $set: instructions/address (decisions/s: ${d%.*})" \
            "$((bi / n))" "$((di / n))" "$r" "time ratio $med ($lo..$hi)" "<= 1.5" \
            "$(verdict "$r" "<=" 1.5)"
    done
}

# ---------------------------------------------------------------------------
# 3. regex rules: 50 match rules, the last one matching

regex_bench() {
    local out rx ex
    : >"$W/regex.rates"
    for _ in $(seq "$PAIRS"); do
        rx=$("$W/decide_bench" rate "$W/big/regex.cdb" "$W/big/regex.addrs" "$DECIDE_SECS" | awk '$1 == "decide" { print $2 }')
        ex=$("$W/decide_bench" rate "$W/big/regex.cdb" "$W/big/exact.addrs" "$DECIDE_SECS" | awk '$1 == "decide" { print $2 }')
        echo "$rx $ex" >>"$W/regex.rates"
    done
    rx=$(awk '{ print $1 }' "$W/regex.rates" | stats | cut -d' ' -f1)
    ex=$(awk '{ print $2 }' "$W/regex.rates" | stats | cut -d' ' -f1)
    read -r out lo hi <<<"$(awk '{ print $1 / $2 }' "$W/regex.rates" | stats)"
    row "regex: 50 match rules, the last matching: decisions/s (baseline: exact member)" \
        "${ex%.*}/s" "${rx%.*}/s" "$out" "$lo..$hi" ">= 1000000/s" "$(verdict "$rx" ">=" 1000000)"
}

# ---------------------------------------------------------------------------
# 4. compiling a large roster, against tinycdb's own cdb -c on the same
# records in the same order (cdb -d of the map: meta first), so that both
# write the same bytes

compile_bench() {
    local i t m rt rm lo hi tlo thi bt bm same goal
    cdb -d "$W/big/a.cdb" >"$W/big/records.cdbmake" || die "cdb -d failed"
    : >"$W/compile.times"
    for i in $(seq "$PAIRS"); do
        rm -f "$W/big/c.cdb"    # a first compile: no map in place to compare with
        /usr/bin/time -f '%e %M' -o "$W/t1" "$DEPTMAP" compile -o "$W/big/c.cdb" "$W/big/a.rules" ||
            die "deptmap compile failed"
        /usr/bin/time -f '%e %M' -o "$W/t2" cdb -c "$W/big/c2.cdb" <"$W/big/records.cdbmake" ||
            die "cdb -c failed"
        echo "$(cat "$W/t1") $(cat "$W/t2")" >>"$W/compile.times"
    done
    t=$(awk '{ print $1 }' "$W/compile.times" | stats | cut -d' ' -f1)
    m=$(awk '{ print $2 }' "$W/compile.times" | stats | cut -d' ' -f1)
    bt=$(awk '{ print $3 }' "$W/compile.times" | stats | cut -d' ' -f1)
    bm=$(awk '{ print $4 }' "$W/compile.times" | stats | cut -d' ' -f1 | cut -d. -f1)
    read -r rt tlo thi <<<"$(awk '{ print ($3 > 0 ? $1 / $3 : 0) }' "$W/compile.times" | stats)"
    same=$(cmp -s "$W/big/c.cdb" "$W/big/c2.cdb" && echo yes || echo no)
    goal=no
    [ "$same" = yes ] && [ "$(verdict "$rt" "<=" 1.5)" = yes ] && goal=yes
    row "compile $ROSTER-member roster: wall time (deptmap compile vs cdb -c; same bytes: $same)" \
        "${bt}s" "${t}s" "$rt" "$tlo..$thi" "<= 1.5" "$goal"
    read -r rm lo hi <<<"$(awk '{ print $2 / $4 }' "$W/compile.times" | stats)"
    row "compile $ROSTER-member roster: peak memory (goal: at most 120 MB)" \
        "$bm KB" "${m%.*} KB" "$rm" "$lo..$hi" "<= 122880 KB" "$(verdict "${m%.*}" "<=" 122880)"
}

# ---------------------------------------------------------------------------
# 5. reloading a large map while mail flows

reload_bench() {
    local log=$W/milter-unix/log port conf sent failed before msgs lat lo hi
    eval "port=\$PORT_unix conf=\$CONF_unix"
    msgs=$((RELOADS * 150))
    ln -f "$W/big/a.cdb" "$W/map.new" && mv -f "$W/map.new" "$W/departments.cdb"
    python3 - "$log" 0 "$W" <<'PY' >/dev/null || die "the large map did not load"
import sys, time, re
log, deadline = sys.argv[1], time.time() + 20
while time.time() < deadline:
    if re.search(r"map: loaded \S+ generation=\d+ records=[1-9]\d{3,}", open(log).read()):
        sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
PY
    before=$(grep -c 'status=sent' "$W/unix/pf/maillog")
    smtp-source -s "$SESSIONS" -m "$msgs" -f bench@example.net \
        -t alice@sales.example.com "127.0.0.1:$port" 2>"$W/reload-source.err" &
    local src=$!
    python3 - "$log" "$RELOADS" "$W" >"$W/reload.ms" <<'PY'
import os, re, sys, time
log, n, w = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def generation():
    gens = re.findall(r"map: loaded .* generation=(\d+)", open(log).read())
    return int(gens[-1]) if gens else 0
for i in range(n):
    src = "%s/big/%s.cdb" % (w, "b" if i % 2 == 0 else "a")
    want = generation() + 1
    os.link(src, w + "/map.new")
    t0 = time.perf_counter()
    os.rename(w + "/map.new", w + "/departments.cdb")
    while generation() < want and time.perf_counter() - t0 < 5:
        time.sleep(0.0005)
    print("%.2f" % ((time.perf_counter() - t0) * 1000))
    time.sleep(0.2)
PY
    wait "$src"
    drain "$conf"
    sent=$(( $(grep -c 'status=sent' "$W/unix/pf/maillog") - before ))
    failed=$(( msgs - sent ))
    read -r lat lo hi <<<"$(stats <"$W/reload.ms")"
    row "reload $ROSTER-entry map x$RELOADS under load: ms from rename to new generation" \
        "-" "${lat} ms" "-" "$lo..$hi ms" "< 50 ms" "$(verdict "$hi" "<=" 50)"
    row "reload x$RELOADS under load: messages failed of $msgs" "-" "$failed" "-" "-" \
        "0" "$( [ "$failed" = 0 ] && echo yes || echo no)"
}

# ---------------------------------------------------------------------------
# 6. a roster from a directory: deptmap compile reading LDAP_ENTRIES people
# from a private slapd (members-ldap, paged), against the same people read
# from a members-file, alternating

ldap_bench() {
    local i d=$W/ldap t bt m bm r lo hi n1 n2
    . "$top/tests/lib/slapd.sh"
    slapd_require || die "ldap: needs slapd, ldap-utils and openssl (make deps)"
    mkdir -p "$d"
    slapd_setup "$d" 1000 && slapd_bulk_ldif "$d/bulk.ldif" "$LDAP_ENTRIES" &&
        slapd_load "$d" "$top/tests/ldap/base.ldif" "$d/bulk.ldif" &&
        slapd_start "$d" "$(free_port)" || die "ldap: slapd did not start"
    slapd_bind_file "$d/bind" "$SLAPD_USER" "$SLAPD_USERPW"
    printf '%s\n' "canonical example.com" "ldap-server $SLAPD_URI" "ldap-bind-file bind" \
        "department bulk.example.com" \
        "    members-ldap \"ou=Bulk,dc=example,dc=com\" \"(department=Bulk)\"" >"$d/ldap.rules"
    awk -v n="$LDAP_ENTRIES" 'BEGIN { for (k = 1; k <= n; k++) printf "bulk%d@example.com\n", k }' \
        >"$d/bulk.txt"
    printf '%s\n' "canonical example.com" "department bulk.example.com" \
        "    members-file bulk.txt" >"$d/file.rules"
    : >"$W/ldap.times"
    for i in $(seq "$PAIRS"); do
        /usr/bin/time -f '%e %M' -o "$W/t1" "$DEPTMAP" compile "$d/ldap.rules" ||
            die "ldap: deptmap compile from the directory failed"
        /usr/bin/time -f '%e %M' -o "$W/t2" "$DEPTMAP" compile "$d/file.rules" ||
            die "ldap: deptmap compile from the members-file failed"
        echo "$(cat "$W/t1") $(cat "$W/t2")" >>"$W/ldap.times"
    done
    n1=$("$DEPTMAP" dump "$d/ldap.cdb" | grep -c '^addr:')
    n2=$("$DEPTMAP" dump "$d/file.cdb" | grep -c '^addr:')
    slapd_stop
    t=$(awk '{ print $1 }' "$W/ldap.times" | stats | cut -d' ' -f1)
    bt=$(awk '{ print $3 }' "$W/ldap.times" | stats | cut -d' ' -f1)
    m=$(awk '{ print $2 }' "$W/ldap.times" | stats | cut -d' ' -f1 | cut -d. -f1)
    bm=$(awk '{ print $4 }' "$W/ldap.times" | stats | cut -d' ' -f1 | cut -d. -f1)
    read -r r lo hi <<<"$(awk '{ print ($3 > 0 ? $1 / $3 : 0) }' "$W/ldap.times" | stats)"
    row "compile $LDAP_ENTRIES directory entries (members-ldap, slapd on loopback, pages of 500; members: $n1) vs the same from a members-file (members: $n2); peak memory ${m} KB vs ${bm} KB" \
        "${bt}s" "${t}s" "$r" "$lo..$hi" "<= 30 s" "$(verdict "$t" "<=" 30)"
}

# ---------------------------------------------------------------------------
# 7. deptmilter's socketmap (no milter): end to end against the same
# rewrite from a cdb: table and, for mail outside every department,
# against no table; deptmilter's own CPU per query and lookups per second
# against a minimal netstring server (tests/bench/null_socketmap.c),
# driven by tests/bench/smload.c; and the questions Postfix asks per
# message, counted by a proxy (tests/bench/smcount.py)

SM_MEMBER=alice@sales.example.com
SM_OUTSIDE=bob@example.net

# cpu_ns PID - the CPU time of every thread of a process, in ns, then the
# time they waited for a CPU, runnable (/proc/PID/task/*/schedstat)
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null |
        awk '{ s += $1; w += $2 } END { printf "%.0f %.0f\n", s, w }'
}

# sm_rcpt NAME - the recipient of an instance of this section
sm_rcpt() {
    case $1 in
    smcdb | smvirt) echo "$SM_MEMBER" ;;
    *) echo "$SM_OUTSIDE" ;;
    esac
}

# sm_virtual_table - every address of the example map's dump with its
# targets, as a Postfix cdb: table; both tables must answer every one of
# them alike (postmap -q), or the comparison would mean nothing
sm_virtual_table() {
    "$DEPTMAP" dump "$SM_MAP" | awk -F'\t' '$1 ~ /^addr:/ {
        s = substr($1, 6); d = substr(s, 1, index(s, ":") - 1); l = substr(s, index(s, ":") + 1)
        v = ""; for (i = 2; i <= NF; i++) if ($i ~ /^to=/) v = v (v == "" ? "" : ",") substr($i, 4)
        print l "@" d, v }' >"$W/sm-virtual" || die "socketmap: deptmap dump failed"
    postmap cdb:"$W/sm-virtual" || die "socketmap: postmap failed"
    SM_KEYS=$(wc -l <"$W/sm-virtual")
    cut -d' ' -f1 "$W/sm-virtual" >"$W/sm-keys"
    postmap -q - cdb:"$W/sm-virtual" <"$W/sm-keys" >"$W/sm-cdb.answers"
    postmap -q - "socketmap:unix:$W/sm.sock:virtual" <"$W/sm-keys" \
        >"$W/sm-socketmap.answers"
    [ "$(wc -l <"$W/sm-cdb.answers")" = "$SM_KEYS" ] &&
        cmp -s "$W/sm-cdb.answers" "$W/sm-socketmap.answers" ||
        die "socketmap: cdb: and socketmap answer differently: $(diff "$W/sm-cdb.answers" \
            "$W/sm-socketmap.answers" | head -5)"
}

sm_setup() {
    local dir=$W/sm-cf
    # the example map, of its own: the reload rows replace $W/departments.cdb
    mkdir -p "$dir" "$W/sm-map"
    SM_MAP=$W/sm-map/departments.cdb
    cp "$top/examples/departments.rules" "$top/examples/sales.txt" "$W/sm-map/" &&
        "$DEPTMAP" compile "$W/sm-map/departments.rules" &&
        "$DEPTMAP" domains "$SM_MAP" >"$W/sm-map/domains" || die "cannot compile the example rules"
    milter sm "unix:$W/sm-milter.sock" "socketmap = unix:$W/sm.sock" "map = $SM_MAP"
    SM_PID=$MPID_sm
    milter smq "unix:$W/smq-milter.sock" "socketmap = unix:$W/smq.sock" "map = $SM_MAP" \
        "log_level = warning"
    for p in null_socketmap smload; do
        cc -O2 -std=c11 -D_GNU_SOURCE -o "$W/$p" "$top/tests/bench/$p.c" || die "cannot build $p"
    done
    (umask 0; exec "$W/null_socketmap" "$W/null-sm.sock") &
    cleanup_add "kill $! 2>/dev/null"
    NULL_SM_PID=$!
    python3 "$top/tests/bench/smcount.py" "$W/count.sock" "$W/sm.sock" "$W/count.log" &
    cleanup_add "kill $! 2>/dev/null"
    for _ in $(seq 100); do
        [ -S "$W/null-sm.sock" ] && [ -S "$W/count.sock" ] && [ -S "$W/sm.sock" ] && break
        sleep 0.05
    done
    # no table at all, the baseline of mail outside every department
    printf 'relay_domains =\n' >"$dir/bare.cf"
    # the same rewrite: deptmilter's virtual table, or a cdb: table
    printf 'relay_domains = %s\nrecipient_delimiter = +\nvirtual_alias_maps = %s\n' \
        "$W/sm-map/domains" "socketmap:unix:$W/sm.sock:virtual" >"$dir/smvirt.cf"
    printf 'relay_domains = %s\nrecipient_delimiter = +\nvirtual_alias_maps = cdb:%s\n' \
        "$W/sm-map/domains" "$W/sm-virtual" >"$dir/smcdb.cf"
    # the recommended tables, verbatim, without the milter
    printf 'deptmilter_socketmap = socketmap:unix:%s\nsmtpd_milters =\n' "$W/sm.sock" >"$dir/small.cf"
    printf 'deptmilter_socketmap = socketmap:unix:%s\nsmtpd_milters =\n' "$W/count.sock" >"$dir/cntrec.cf"
    # the same tables on the minimal server, which answers NOTFOUND as
    # deptmilter does for an address outside every department
    printf 'deptmilter_socketmap = socketmap:unix:%s\nsmtpd_milters =\n' "$W/null-sm.sock" >"$dir/smnull.cf"
    sm_virtual_table
    instances "bare:$dir/bare.cf" "smcdb:$dir/smcdb.cf" "smvirt:$dir/smvirt.cf" \
        "small:$top/postfix/main.cf.snippet,$dir/small.cf" \
        "smnull:$top/postfix/main.cf.snippet,$dir/smnull.cf" \
        "cntrec:$top/postfix/main.cf.snippet,$dir/cntrec.cf"
}

# sm_e2e - the five instances in turn, PAIRS rounds: "ROUND NAME SECONDS
# SERVER-CPU-NS POSTFIX-CPU-US" to $W/sm.times: the CPU time of the
# socketmap server the instance asks (deptmilter, the minimal server, or
# none: 0) and of every process of the Postfix instance (cg_usec; "-"
# without cgroups)
sm_e2e() {
    local i name t c0 c1 p0 p1 pid
    for name in smcdb smvirt bare small smnull; do     # warm up
        MSGS=$((MSGS / 10 + 1)) run_source "$name" "$(sm_rcpt "$name")" >/dev/null
    done
    : >"$W/sm.times"
    for i in $(seq "$PAIRS"); do
        for name in smcdb smvirt bare small smnull; do
            case $name in
            smvirt | small) pid=$SM_PID ;; smnull) pid=$NULL_SM_PID ;; *) pid= ;;
            esac
            c0=0 c1=0
            [ -n "$pid" ] && read -r c0 _ <<<"$(cpu_ns "$pid")"
            p0=$(cg_usec "$name")
            t=$(run_source "$name" "$(sm_rcpt "$name")")
            [ -n "$pid" ] && read -r c1 _ <<<"$(cpu_ns "$pid")"
            p1=$(cg_usec "$name")
            [ -n "$p0" ] && p1=$((p1 - p0)) || p1=-
            echo "$i $name $t $((c1 - c0)) $p1" >>"$W/sm.times"
        done
    done
}

# sm_ratio FILE A B - per-round ratios of column 3, A/B: "MEDIAN MIN MAX"
sm_ratio() {
    awk -v a="$2" -v b="$3" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
        END { for (i in x) if (y[i] > 0) print x[i] / y[i] }' "$1" | stats
}

# sm_med FILE NAME COLUMN - the median of a column over the rows of NAME
sm_med() {
    awk -v n="$2" -v c="$3" '$2 == n { print $c }' "$1" | stats | cut -d' ' -f1
}

# sm_cpu FILE - $W/sm.times with column 3 replaced by the CPU time per
# message of the Postfix instance and deptmilter together, in us (no
# line where the instance's CPU time was not read)
sm_cpu() {
    awk -v m="$MSGS" '$5 != "-" { print $1, $2, ($5 + $4 / 1000) / m }' "$W/sm.times" >"$1"
}

# sm_cpu_rows - the two end-to-end comparisons again, by CPU time per
# message: what a wall-clock ratio on a shared machine cannot resolve
sm_cpu_rows() {
    local r lo hi f=$W/sm.cpu
    sm_cpu "$f"
    if [ ! -s "$f" ]; then
        row "socketmap e2e CPU per message: no cgroup v2 here to count a Postfix instance's processes" \
            "-" "-" "-" "-" "-" "-"
        return
    fi
    read -r r lo hi <<<"$(sm_ratio "$f" smvirt smcdb)"
    row "socketmap e2e CPU per message (every process of the Postfix instance, from its cgroup's cpu.stat, plus deptmilter's): virtual_alias_maps = socketmap against the cdb: table, to $SM_MEMBER" \
        "$(fmt %.0f "$(sm_med "$f" smcdb 3)") us" "$(fmt %.0f "$(sm_med "$f" smvirt 3)") us" \
        "$r" "$lo..$hi" "<= 1.03" "$(verdict "$r" "<=" 1.03)"
    read -r r lo hi <<<"$(sm_ratio "$f" small bare)"
    row "socketmap e2e CPU per message (the same count): to $SM_OUTSIDE, main.cf.snippet's four socketmap tables against no table" \
        "$(fmt %.0f "$(sm_med "$f" bare 3)") us" "$(fmt %.0f "$(sm_med "$f" small 3)") us" \
        "$r" "$lo..$hi" "<= 1.02" "$(verdict "$r" "<=" 1.02)"
    read -r r lo hi <<<"$(sm_ratio "$f" small smnull)"
    row "socketmap e2e CPU per message (the same count, the minimal server's CPU in place of deptmilter's): the four tables on deptmilter against the same on the minimal server" \
        "$(fmt %.0f "$(sm_med "$f" smnull 3)") us" "$(fmt %.0f "$(sm_med "$f" small 3)") us" \
        "$r" "$lo..$hi" "what deptmilter adds" "-"
}

sm_e2e_rows() {
    local r lo hi
    read -r r lo hi <<<"$(sm_ratio "$W/sm.times" smvirt smcdb)"
    row "socketmap e2e: virtual_alias_maps = socketmap:...:virtual (deptmilter, no milter) against the same $SM_KEYS addresses as a cdb: table (from deptmap dump), $MSGS msgs to $SM_MEMBER" \
        "$(sm_med "$W/sm.times" smcdb 3)s" "$(sm_med "$W/sm.times" smvirt 3)s" "$r" "$lo..$hi" \
        "<= 1.03" "$(verdict "$r" "<=" 1.03)"
    read -r r lo hi <<<"$(sm_ratio "$W/sm.times" small bare)"
    row "socketmap e2e: $MSGS msgs to $SM_OUTSIDE (outside every department), main.cf.snippet's four socketmap tables (smtpd_milters =) against no table" \
        "$(sm_med "$W/sm.times" bare 3)s" "$(sm_med "$W/sm.times" small 3)s" "$r" "$lo..$hi" \
        "<= 1.02" "$(verdict "$r" "<=" 1.02)"
    read -r r lo hi <<<"$(sm_ratio "$W/sm.times" small smnull)"
    row "socketmap e2e: the same, deptmilter's four tables against the same tables on the minimal server (tests/bench/null_socketmap.c: NOTFOUND, as deptmilter answers here)" \
        "$(sm_med "$W/sm.times" smnull 3)s" "$(sm_med "$W/sm.times" small 3)s" "$r" "$lo..$hi" \
        "what deptmilter adds" "-"
}

# sm_load - smload against the null server and deptmilter, alternating:
# for a member's and an outside address's virtual request, over 1 and 50
# connections, and for the member over 1 connection also against a second
# deptmilter that logs warnings only (the answer without its log line);
# "ROUND SERVER CONNS KIND RATE CPU-NS LOOKUPS CLIENT-CPU SECONDS WAIT-NS"
# lines to $W/sm.load
sm_load() {
    local i kind conns srv servers pid sock req c0 w0 c1 w1 out
    : >"$W/sm.load"
    for kind in member outside; do
        [ "$kind" = member ] && req="virtual $SM_MEMBER" || req="virtual $SM_OUTSIDE"
        for conns in 1 50; do
            servers="null dept"
            [ "$kind$conns" = member1 ] && servers="null dept quiet"
            for i in $(seq "$PAIRS"); do
                for srv in $servers; do
                    case $srv in
                    null) pid=$NULL_SM_PID sock=$W/null-sm.sock ;;
                    dept) pid=$SM_PID sock=$W/sm.sock ;;
                    quiet) pid=$MPID_smq sock=$W/smq.sock ;;
                    esac
                    read -r c0 w0 <<<"$(cpu_ns "$pid")"
                    out=$("$W/smload" "$sock" "$conns" "$SM_SECS" "$req") || die "smload failed"
                    read -r c1 w1 <<<"$(cpu_ns "$pid")"
                    # a reply other than OK or NOTFOUND: the figure is not a lookup's
                    [[ $out == *" other=0" ]] || die "smload: unexpected replies: $out"
                    echo "$i $srv $conns $kind $((c1 - c0)) $((w1 - w0)) $out" |
                        awk '{ gsub(/[a-z_]+=/, "")
                        print $1, $2, $3, $4, $9, $5, $7, $10, $8, $6 }' >>"$W/sm.load"
                done
            done
        done
    done
}

# sm_load_col SERVER CONNS KIND EXPR - the median of an awk expression
# over the runs of one server ($5 rate, $6 CPU ns, $7 lookups, $8 client
# CPU, $9 seconds, $10 ns waiting for a CPU)
sm_load_col() {
    awk -v s="$1" -v c="$2" -v k="$3" "\$2 == s && \$3 == c && \$4 == k { print $4 }" \
        "$W/sm.load" | stats | cut -d' ' -f1
}

# sm_load_ratio SERVER CONNS KIND EXPR - per-round ratios of an awk
# expression, SERVER against the null server: "MEDIAN MIN MAX"
sm_load_ratio() {
    awk -v s="$1" -v c="$2" -v k="$3" "\$3 == c && \$4 == k && \$2 == \"null\" { x[\$1] = $4 }
        \$3 == c && \$4 == k && \$2 == s { y[\$1] = $4 }
        END { for (i in y) if (x[i] > 0) print y[i] / x[i] }" "$W/sm.load" | stats
}

# fmt FORMAT NUMBER - a number printed with an awk format
fmt() {
    awk -v f="$1" -v n="$2" 'BEGIN { printf f, n }'
}

sm_load_rows() {
    local srv kind conns what nus dus r lo hi cl sv wv
    for srv in dept:member quiet:member dept:outside; do
        kind=${srv#*:} srv=${srv%:*}
        case $srv$kind in
        deptmember) what="virtual $SM_MEMBER (a rewrite, its line logged at info)" ;;
        quietmember) what="virtual $SM_MEMBER (a rewrite; log_level = warning: the answer without its log line)" ;;
        *) what="virtual $SM_OUTSIDE (outside every department, no log line)" ;;
        esac
        nus=$(fmt %.1f "$(sm_load_col null 1 "$kind" '$6 / $7 / 1000')")
        dus=$(fmt %.1f "$(sm_load_col "$srv" 1 "$kind" '$6 / $7 / 1000')")
        read -r r lo hi <<<"$(sm_load_ratio "$srv" 1 "$kind" '$6 / $7')"
        row "socketmap: deptmilter's own CPU per query (/proc schedstat), $what, 1 connection, against a minimal netstring server answering NOTFOUND" \
            "${nus} us" "${dus} us" "$r" "$lo..$hi" "<= 50 us" "$(verdict "$dus" "<=" 50)"
    done
    for kind in member outside; do
        [ "$kind" = member ] && what=$SM_MEMBER || what=$SM_OUTSIDE
        for conns in 1 50; do
            read -r r lo hi <<<"$(sm_load_ratio dept "$conns" "$kind" '$5')"
            cl=$(fmt %.2f "$(sm_load_col dept "$conns" "$kind" '$8')")
            sv=$(fmt %.2f "$(sm_load_col dept "$conns" "$kind" '$6 / 1e9 / $9')")
            wv=$(fmt %.2f "$(sm_load_col dept "$conns" "$kind" '$10 / 1e9 / $9')")
            dus=$(fmt %.1f "$(sm_load_col dept "$conns" "$kind" '$6 / $7 / 1000')")
            row "socketmap lookups/s over $conns connection(s), virtual $what, against the minimal server (client tests/bench/smload.c, C, one request in flight per connection; deptmilter on a CPU $sv s a second and runnable waiting for one $wv s a second, $dus us CPU a query; the client on a CPU $cl s a second)" \
                "$(fmt %.0f "$(sm_load_col null "$conns" "$kind" '$5')")/s" \
                "$(fmt %.0f "$(sm_load_col dept "$conns" "$kind" '$5')")/s" "$r" "$lo..$hi" "-" "-"
        done
    done
}

# sm_count LABEL INSTANCE RCPT... - SM_COUNT one-recipient messages
# through an instance attached to the counting proxy, one session each,
# to the RCPTs in turn (one RCPT: the same every message, as in the e2e
# runs); what they asked, one line a question, to $W/count-LABEL
sm_count() {
    local label=$1 port conf before i
    eval "port=\$PORT_$2 conf=\$CONF_$2"
    shift 2
    before=$(wc -l <"$W/count.log")
    for i in $(seq 0 $((SM_COUNT - 1))); do
        smtp-source -s 1 -m 1 -f bench@example.net -t "${@:$((i % $# + 1)):1}" \
            "127.0.0.1:$port" 2>>"$W/source-count.err"
    done
    drain "$conf"
    tail -n +"$((before + 1))" "$W/count.log" >"$W/count-$label"
}

# sm_questions LABEL - questions per message of a count: the total, then
# "process table N" for each, most first, comma separated
sm_questions() {
    awk -F'\t' -v n="$SM_COUNT" '{ q[$1 " " $2]++; t++ }
        END { printf "%.1f", t / n; for (k in q) printf "\t%s %.1f", k, q[k] / n; print "" }' \
        "$W/count-$1" | tr '\t' '\n' | { read -r t; printf '%s\t' "$t"; sort -k3,3gr -k1,2 |
        paste -sd, | sed 's/,/, /g'; }
}

# sm_count_all - each setup and recipient counted with a different
# recipient every message (members of the example map, or outside
# addresses) and with the same one (as the e2e runs send)
sm_count_all() {
    local members outside i
    members=$(awk '{ split($1, a, "@"); split($2, b, "@")
        if (a[2] == "sales.example.com" && $2 !~ /,/ && a[1] == b[1]) print $1 }' "$W/sm-virtual")
    for i in 1 2 3 4 5 6; do outside="$outside user$i@example.net"; done
    # shellcheck disable=SC2086
    {
        sm_count member-each cntrec $members
        sm_count member-same cntrec "$SM_MEMBER"
        sm_count outside-each cntrec $outside
        sm_count outside-same cntrec "$SM_OUTSIDE"
    }
}

sm_count_rows() {
    local kind who each same
    sm_count_all
    for kind in member outside; do
        [ "$kind" = member ] && who="a member of sales.example.com" ||
            who="an address outside every department"
        each=$(sm_questions "$kind-each")
        same=$(sm_questions "$kind-same")
        row "socketmap questions per one-recipient message to $who, main.cf.snippet's four tables, smtpd_milters = (tests/bench/smcount.py, $SM_COUNT msgs, a different recipient each: ${each#*$'\t'}; the same recipient every message, as the e2e runs send: ${same%%$'\t'*})" \
            "-" "${each%%$'\t'*}" "-" "-" "-" "-"
    done
}

# sm_where_table - each question of the counts with a different
# recipient every message, the local part of an address key as "*"
sm_where_table() {
    local kind
    echo "| recipient | process | table | key | answer | per message |"
    echo "|---|---|---|---|---|---|"
    for kind in member outside; do
        awk -F'\t' -v n="$SM_COUNT" -v r="$kind" '
            { sub(/^[^@]*@/, "*@", $3); k = $1 " | " $2 " | " $3 " | " $4
              if (!(k in q)) o[++m] = k; q[k]++ }
            END { for (i = 1; i <= m; i++) printf "| %s | %s | %.1f |\n", r, o[i], q[o[i]] / n }' \
            "$W/count-$kind-each"
    done
}

# sm_where - where a message's time goes, from this run's figures, as a
# section of BENCHMARKS.md
sm_where() {
    local cpu_v cpu_t rtt n_m n_o dcdb dvirt dbare dsmall
    n_m=$(sm_questions member-same | cut -f1)
    n_o=$(sm_questions outside-same | cut -f1)
    cpu_v=$(sm_med "$W/sm.times" smvirt 4 | awk -v m="$MSGS" '{ printf "%.0f", $1 / m / 1000 }')
    cpu_t=$(sm_med "$W/sm.times" small 4 | awk -v m="$MSGS" '{ printf "%.0f", $1 / m / 1000 }')
    rtt=$(sm_load_col dept 1 member '1e6 / $5' | awk '{ printf "%.0f", $1 }')
    dcdb=$(sm_med "$W/sm.times" smcdb 3)
    dvirt=$(sm_med "$W/sm.times" smvirt 3)
    dbare=$(sm_med "$W/sm.times" bare 3)
    dsmall=$(sm_med "$W/sm.times" small 3)
    cat <<EOT
## socketmap: who asks what for one message

Written by make bench from this run's figures.  Every question a Postfix
with postfix/main.cf.snippet's socketmap tables (smtpd_milters =) asked
deptmilter for $SM_COUNT one-recipient messages, each in a session of its
own, to a different recipient each time (the members of the example map
in turn, or user1..6@example.net), from bench@example.net;
tests/bench/smcount.py sits between Postfix and deptmilter and names the
asking process (SO_PEERCRED).  Per message, an address key's local part
written "*":

$(sm_where_table)

smtpd asks virtual_alias_maps as well as the access table (is the
recipient known?); cleanup asks it for the address and again for each
target; trivial-rewrite asks virtual_alias_maps for domains
(virtual_alias_domains defaults to \$virtual_alias_maps), relay_domains,
and transport_maps, for the recipient and for the sender.  smtpd, cleanup
and qmgr keep the last address they had resolved, so with the same
recipient every message, as the e2e runs send, trivial-rewrite is asked
less: $n_m questions a message for the member, $n_o for the outside
address.

Time: deptmilter's own CPU (all its threads, /proc schedstat, median of
$PAIRS runs) per message in the e2e runs was $cpu_v us for the member with
virtual_alias_maps only and $cpu_t us for the outside address with the
four tables.  One question's round trip over one connection, as smload
sees it, took $rtt us (a member's rewrite).  Each Postfix process asks one
question at a time and waits for the answer, so a message's questions
add their round trips to the time of the smtpd, cleanup or
trivial-rewrite that asked.  End to end, medians for $MSGS messages in
$SESSIONS sessions: ${dvirt}s with virtual_alias_maps on the socketmap
against ${dcdb}s from the cdb: table; ${dsmall}s with the four tables
against ${dbare}s without any, for the outside address.

EOT
}

socketmap_bench() {
    sm_setup
    sm_e2e
    sm_e2e_rows
    sm_cpu_rows
    sm_load
    sm_load_rows
    sm_count_rows
    sm_where >"$W/sm.where"
}

# ---------------------------------------------------------------------------
# output

table() {
    local fmt='%-78s  %-12s  %-12s  %-6s  %-26s  %-12s  %s\n'
    printf "$fmt" work baseline deptmilter ratio spread goal met
    while IFS=$'\t' read -r a b c d e f g; do
        printf "$fmt" "$a" "$b" "$c" "$d" "$e" "$f" "$g"
    done <"$ROWS"
}

chart() {
    command -v gnuplot >/dev/null || { echo "(no gnuplot: no chart)"; return 0; }
    [ -s "$W/e2e.times" ] || return 0
    awk '{ print $2, $3 }' "$W/e2e.times" | sort -k1,1 | awk '
        { s[$1] = s[$1] " " $2 } END { for (k in s) print k, s[k] }' >"$W/e2e.dat"
    gnuplot <<EOT 2>/dev/null || echo "(gnuplot failed: no chart)"
set terminal png size 900,480 noenhanced
set output "$OUT/bench-e2e.png"
set title "Postfix accept time for $MSGS messages, $SESSIONS sessions (each dot: one run)"
set ylabel "seconds"
set xtics ("no milter" 0, "deptmilter unix" 1, "deptmilter inet" 2, "virtual_alias_maps" 3, "null filter" 4)
set xrange [-0.5:4.5]
set yrange [0:*]
set key off
plot "< awk '\$2==\"none\"{print 0,\$3} \$2==\"unix\"{print 1,\$3} \$2==\"inet\"{print 2,\$3} \$2==\"virtual\"{print 3,\$3} \$2==\"null\"{print 4,\$3}' $W/e2e.times" with points pt 7 ps 1.5
EOT
}

report() {
    {
        echo "# deptmilter benchmarks"
        echo
        echo "Written by \`make bench\` (tests/bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC');"
        echo "every figure below was measured in that run.  Ratios compare with a"
        echo "baseline measured in the same run, alternating; spread is min..max."
        echo
        echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo),"
        echo "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r);"
        echo "Postfix $(postconf -h mail_version), deptmilter built with the Makefile's flags."
        echo "The run took $(awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 60 }')"
        echo "minutes; the load average (1 minute) was $LOAD_START when it began and"
        echo "$(cut -d' ' -f1 /proc/loadavg) when it ended: other work on the machine shows in the rows."
        echo
        echo "Commands: smtp-source -s $SESSIONS -m $MSGS -t alice@sales.example.com against"
        echo "private Postfix instances relaying to smtp-sink ($PAIRS rounds of: no milter,"
        echo "deptmilter unix, deptmilter inet, virtual_alias_maps, a libmilter filter"
        echo "that does nothing: tests/bench/null_milter.c); decide_bench"
        echo "(tests/bench/decide_bench.c) for decisions, under valgrind --tool=callgrind"
        echo "for instructions; /usr/bin/time for deptmap compile and cdb -c; a private"
        echo "slapd on loopback (tests/lib/slapd.sh) for the directory row.  Socketmap"
        echo "rows: deptmilter serving only the socketmap, no milter; the same"
        echo "smtp-source runs ($PAIRS rounds of: virtual_alias_maps from a cdb: table,"
        echo "from the socketmap, no table, main.cf.snippet's socketmap tables);"
        echo "tests/bench/smload.c (C, one thread, epoll) for $SM_SECS s a run against"
        echo "deptmilter and a minimal netstring server (tests/bench/null_socketmap.c),"
        echo "alternating, $PAIRS rounds; CPU time from /proc/PID/task/*/schedstat, a"
        echo "Postfix instance's (all its processes) from a cgroup v2 of its own;"
        echo "tests/bench/smcount.py, a proxy, counts Postfix's questions."
        echo
        echo "| work | baseline | deptmilter | ratio | spread | goal | met |"
        echo "|---|---|---|---|---|---|---|"
        sed 's/\t/ | /g; s/^/| /; s/$/ |/' "$ROWS"
        echo
        [ -f "$OUT/bench-e2e.png" ] && echo "![end to end](bench-e2e.png)" && echo
        [ -f "$W/sm.where" ] && cat "$W/sm.where"
        [ -f "$top/tests/bench/NOTES.md" ] && cat "$top/tests/bench/NOTES.md"
    } >"$OUT/BENCHMARKS.md"
}

: >"$ROWS"
T_START=$(now) LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
only() { [[ " $ONLY " == *" $1 "* ]]; }
only e2e && e2e
if only decide || only regex || only compile || only reload; then
    big_setup
fi
only decide && decide_bench
only regex && regex_bench
only compile && compile_bench
only reload && { only e2e || e2e_setup; } && reload_bench
only ldap && ldap_bench
only socketmap && socketmap_bench
table
if [ "$SMOKE" != 1 ]; then
    chart
fi
report
echo "bench: $(wc -l <"$ROWS") rows measured; written to $OUT/BENCHMARKS.md"
# every row has a measured figure (a row left empty means a step failed)
! awk -F'\t' '$3 == "" || $3 ~ /^0?(\.0+)? ?(s|ms|us|KB|\/s)$/' "$ROWS" | grep -q .
