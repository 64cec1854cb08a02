# tests/lib/tap.sh -- tiny TAP producer for bash test scripts (tests/*.t).
#
# Source it first thing:   . "$(dirname "$0")/lib/tap.sh"
#
#   plan N                  print the plan up front ("1..N")
#   done_testing            print the plan at the end (when plan was not used)
#   ok STATUS NAME...       pass when STATUS is 0:   cmd; ok $? "cmd works"
#   check NAME CMD [ARG...] run CMD, pass when it exits 0 (its output is
#                           shown as diagnostics on failure)
#   is GOT EXPECTED NAME    string equality; on failure a diff as diagnostics
#   like GOT REGEX NAME     bash =~ match
#   pass NAME / fail NAME   unconditional
#   todo_ok STATUS REASON NAME  like ok, marked "# TODO REASON" when REASON
#                           is not empty (a known bug, reported)
#   skip REASON [N]         N (default 1) skipped tests
#   diag TEXT...            "# TEXT" on stderr (shown by prove)
#   note TEXT...            "# TEXT" on stdout (shown by prove -v)
#   skip_all REASON         "1..0 # SKIP REASON" and exit 0
#   bail_out REASON         "Bail out! REASON" and exit 255 (stops all of prove)
#   fail_rest REASON        fail every remaining planned test, then exit:
#                           for a test that cannot go on (Postfix won't start)
#
#   tmpdir_make [VAR]       create a private temp dir under ${TMPDIR:-/tmp}
#                           (mode 0755, so that daemons running as user
#                           postfix can reach subdirectories), store its
#                           path in VAR (default TEST_TMP) and remove it on
#                           exit; KEEP_TMP=1 keeps it (path printed as diag).
#                           Must be called in the main shell, not in $(...).
#   cleanup_add CMD         register a shell command (a string, eval'd) to
#                           run at exit; hooks run last-registered first,
#                           before the temp dirs are removed.
#   free_port [N]           print N (default 1) distinct currently unused TCP
#                           ports on 127.0.0.1, space-separated, drawn at
#                           random below the kernel's ephemeral range and
#                           reserved for this test (under /tmp/tap-ports.d,
#                           released at exit, reclaimed if the owner died),
#                           so parallel tests never get the same port.
#   now_ms                  milliseconds on a clock that does not step
#                           (/proc/uptime), for "within N ms" checks.
#
# ok/is/... count in the main shell: do not call them inside a pipeline
# (cmd | while ...; do ok ...; done) or $(...), whose counts are lost.
#
# The exit code is 0 when every test passed and the plan matched, else the
# number of failures (max 254), or 255 for a plan mismatch. Cleanup runs on
# normal exit, on a failing command mid-way, and on INT/TERM/HUP.
# SPDX-License-Identifier: BSD-2-Clause

_TAP_N=0
_TAP_FAILED=0
_TAP_PLAN=
_TAP_DONE=
_TAP_MAINPID=$BASHPID
_TAP_HOOKS=()
_TAP_DIRS=()

plan() {
    _TAP_PLAN=$1
    echo "1..$1"
}

done_testing() {
    if [ -z "$_TAP_PLAN" ]; then
        _TAP_PLAN=$_TAP_N
        echo "1..$_TAP_N"
    fi
    _TAP_DONE=1
}

diag() {
    local line
    printf '%s\n' "$@" | while IFS= read -r line; do
        printf '# %s\n' "$line"
    done >&2
}

note() {
    local line
    printf '%s\n' "$@" | while IFS= read -r line; do
        printf '# %s\n' "$line"
    done
}

ok() {
    local status=$1; shift
    local name="$*"
    name=${name//#/\\#}
    _TAP_N=$((_TAP_N + 1))
    if [ "$status" = 0 ]; then
        echo "ok $_TAP_N - $name"
        return 0
    fi
    echo "not ok $_TAP_N - $name"
    _TAP_FAILED=$((_TAP_FAILED + 1))
    diag "  Failed test '$*'"
    [ -n "${BASH_SOURCE[2]:-}" ] && diag "  at ${BASH_SOURCE[2]} line ${BASH_LINENO[1]}."
    return 1
}

# todo_ok STATUS REASON NAME...: like ok; with a REASON the test is marked
# TODO (a known bug: reported, not counted as a failure)
todo_ok() {
    local status=$1 reason=$2; shift 2
    [ -z "$reason" ] && { ok "$status" "$@"; return; }
    _TAP_N=$((_TAP_N + 1))
    if [ "$status" = 0 ]; then
        echo "ok $_TAP_N - $* # TODO $reason"
        return 0
    fi
    echo "not ok $_TAP_N - $* # TODO $reason"
    return 1
}

pass() { ok 0 "$@"; }
fail() { ok 1 "$@"; }

check() {
    local name=$1; shift
    local out rc
    out=$("$@" 2>&1); rc=$?
    ok "$rc" "$name" || { diag "  command: $*"; diag "  exit status: $rc"; [ -n "$out" ] && diag "$out"; }
    return $rc
}

is() {
    local got=$1 exp=$2; shift 2
    if [ "$got" == "$exp" ]; then
        ok 0 "$@"
        return 0
    fi
    ok 1 "$@"
    diag "$(diff -u --label expected --label got <(printf '%s\n' "$exp") <(printf '%s\n' "$got"))"
    return 1
}

like() {
    local got=$1 re=$2; shift 2
    if [[ $got =~ $re ]]; then
        ok 0 "$@"
        return 0
    fi
    ok 1 "$@"
    diag "  got:        '$got'"
    diag "  not like:   /$re/"
    return 1
}

skip() {
    local reason=$1 n=${2:-1} i
    for ((i = 0; i < n; i++)); do
        _TAP_N=$((_TAP_N + 1))
        echo "ok $_TAP_N # skip $reason"
    done
}

skip_all() {
    echo "1..0 # SKIP $*"
    _TAP_PLAN=0 _TAP_DONE=1 _TAP_N=0
    exit 0
}

bail_out() {
    echo "Bail out! $*"
    _TAP_BAILED=1
    exit 255
}

fail_rest() {
    local reason=$*
    if [ -n "$_TAP_PLAN" ]; then
        while [ "$_TAP_N" -lt "$_TAP_PLAN" ]; do
            ok 1 "not run: $reason" 2>/dev/null
        done
    fi
    diag "cannot go on: $reason"
    exit 1
}

cleanup_add() {
    _TAP_HOOKS+=("$1")
}

tmpdir_make() {
    local var=${1:-TEST_TMP} d
    if [ "$BASHPID" != "$_TAP_MAINPID" ]; then
        echo "tmpdir_make: must run in the test's main shell, not in a subshell or \$(...)" >&2
        return 2
    fi
    d=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .t).XXXXXX") || return 1
    chmod 0755 "$d"
    _TAP_DIRS+=("$d")
    printf -v "$var" '%s' "$d"
    export "${var?}"
}

# Port reservations shared by all tests on this machine: a directory per
# port holding the owner's PID. Needed because smtp-sink and Postfix's master
# listen with SO_REUSEPORT: two tests given the same port would both start
# and silently share connections.
_TAP_PORTDIR=/tmp/tap-ports.d

now_ms() {
    local up
    read -r up _ </proc/uptime
    echo $(( ${up%.*} * 1000 + 10#${up#*.} * 10 ))
}

free_port() {
    mkdir -p "$_TAP_PORTDIR" 2>/dev/null && chmod 1777 "$_TAP_PORTDIR" 2>/dev/null
    perl -MSocket -e '
        my ($n, $dir, $owner) = @ARGV;
        $n ||= 1;
        my ($lo, $hi) = (32768, 60999);
        if (open my $fh, "<", "/proc/sys/net/ipv4/ip_local_port_range") {
            ($lo, $hi) = split " ", scalar <$fh>;
        }
        # below the ephemeral range: outgoing connections never take these
        my @c = $lo > 12000 ? (10000 .. $lo - 1) : ($hi + 1 .. 65535);
        for (my $i = @c; --$i;) { my $j = int rand($i + 1); @c[$i, $j] = @c[$j, $i]; }
        sub reserve {
            my $d = "$dir/$_[0]";
            return 1 if mkdir $d;
            # taken: reclaim it when its owner is gone
            open my $f, "<", "$d/pid" or return 0;
            my $pid = <$f>; close $f;
            return 0 if !defined $pid || $pid !~ /^\d+$/ || kill 0, $pid;
            unlink "$d/pid"; rmdir $d;
            return mkdir $d;
        }
        my @got;
        for my $p (@c) {
            next unless reserve($p);
            socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
            my $ok = bind($s, pack_sockaddr_in($p, inet_aton("127.0.0.1")));
            close $s;
            if (!$ok) { rmdir "$dir/$p"; next; }
            if (open my $f, ">", "$dir/$p/pid") { print $f "$owner\n"; close $f; }
            push @got, $p;
            last if @got == $n;
        }
        die "free_port: no free port found\n" if @got < $n;
        print "@got\n";
    ' "${1:-1}" "$_TAP_PORTDIR" "$_TAP_MAINPID"
}

_tap_release_ports() {
    local f pid
    for f in "$_TAP_PORTDIR"/*/pid; do
        [ -e "$f" ] || continue
        read -r pid <"$f" 2>/dev/null || continue
        if [ "$pid" = "$_TAP_MAINPID" ]; then
            rm -f "$f"; rmdir "${f%/pid}" 2>/dev/null
        fi
    done
}

_tap_cleanup() {
    local i
    for ((i = ${#_TAP_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${_TAP_HOOKS[i]}" >/dev/null 2>&1
    done
    _TAP_HOOKS=()
    for i in "${_TAP_DIRS[@]}"; do
        if [ "${KEEP_TMP:-0}" = 1 ]; then
            diag "KEEP_TMP=1: kept $i"
        else
            rm -rf -- "$i"
        fi
    done
    _TAP_DIRS=()
    _tap_release_ports
}

_tap_exit() {
    local rc=$?
    [ "$BASHPID" = "$_TAP_MAINPID" ] || return
    trap - EXIT
    _tap_cleanup
    [ -n "${_TAP_BAILED:-}" ] && exit 255
    if [ -z "$_TAP_PLAN" ]; then
        if [ "$_TAP_N" -gt 0 ]; then
            diag "Tests were run but no plan was declared and done_testing was not seen."
        else
            diag "Looks like your test exited with $rc before it could output anything."
        fi
        [ "$rc" = 0 ] && rc=255
        exit "$rc"
    fi
    if [ "$_TAP_N" != "$_TAP_PLAN" ]; then
        diag "Looks like you planned $_TAP_PLAN tests but ran $_TAP_N."
        exit 255
    fi
    if [ "$_TAP_FAILED" -gt 0 ]; then
        diag "Looks like you failed $_TAP_FAILED test(s) of $_TAP_N."
        exit $((_TAP_FAILED > 254 ? 254 : _TAP_FAILED))
    fi
    exit "$rc"
}

trap _tap_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
