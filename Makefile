# deptmilter - department addresses for Postfix
#
# make all | check | demo | bench | install | uninstall | clean | deps
# PREFIX (default /usr/local) and DESTDIR are honoured.  SANITIZE=1 builds
# with AddressSanitizer and UndefinedBehaviorSanitizer.
# SPDX-License-Identifier: BSD-2-Clause

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
PKGS	= libcdb libpcre2-8 libidn2 icu-uc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wformat=2 -I.
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libldap, for deptmap's rosters from a directory (maps/dirsearch.c) only:
# deptmilter links none of it.
LDAP_LIBS  = $(shell pkg-config --libs ldap 2>/dev/null || echo -lldap -llber)

# libmilter, linked in from its static archive with its own calls of
# accept(), read(), sigwait() and close(), and only those, bound to
# deptmilter's milter_accept(), milter_read() (milter/tcp.c: TCP_NODELAY,
# TCP_QUICKACK; milter/drain.c: the sessions counted), milter_sigwait()
# (milter/stop.c: a stop that lets the sessions end, then at once) and
# milter_close() (milter/drain.c: a session ends).  No function of the
# C library is defined by deptmilter.  The build fails when libmilter
# calls something the binding does not cover, or when a binding found
# nothing to bind.
MILTER_A = $(shell pkg-config --variable=libdir milter 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)/libmilter.a
MILTER_BOUND = milter/libmilter-bound.o
MILTER_BIND = accept=milter_accept read=milter_read sigwait=milter_sigwait close=milter_close

LIB_OBJS = rewrite/buf.o rewrite/quoted.o rewrite/text.o rewrite/domain.o \
	   rewrite/address.o rewrite/record.o rewrite/regex.o rewrite/map.o \
	   rewrite/decide.o rewrite/sources.o \
	   maps/errors.o maps/reply.o maps/lines.o maps/roster.o maps/mailboxes.o maps/rules.o \
	   maps/finish.o maps/strset.o maps/atomic.o maps/target.o \
	   maps/records.o maps/digest.o maps/writer.o maps/resolve.o maps/guard.o \
	   maps/compile.o maps/postmaster.o maps/answer.o maps/expect.o maps/diff.o \
	   maps/directory.o maps/dirsearch.o
DEPTMAP_OBJS = maps/deptmap.o
MILTER_OBJS  = milter/main.o milter/config.o milter/log.o milter/generation.o \
	       milter/stats.o milter/message.o milter/callbacks.o \
	       milter/daemon.o milter/control.o milter/tcp.o \
	       milter/stop.o milter/netstring.o milter/tables.o milter/socketmap.o \
	       milter/shadow.o milter/drain.o milter/listen.o milter/handover.o \
	       milter/claims.o

UNIT_TESTS = tests/unit/address.bin tests/unit/decide.bin tests/unit/reply.bin \
	     tests/unit/text.bin tests/unit/regex_skip.bin tests/unit/rules.bin \
	     tests/unit/generation.bin tests/unit/writer.bin tests/unit/mailbox.bin \
	     tests/unit/diff.bin tests/unit/mailboxes.bin tests/unit/record.bin \
	     tests/unit/directory.bin tests/unit/claims.bin

# Debian packages the build and the tests need; `make deps` installs them.
DEB_PKGS = build-essential pkg-config libcdb-dev tinycdb libpcre2-dev \
	   libidn2-dev libicu-dev libmilter-dev postfix postfix-cdb swaks miltertest \
	   python3 valgrind time bc iproute2 strace gdb clang libclang-rt-14-dev \
	   libldap-dev slapd ldap-utils openssl
BENCH_PKGS = gnuplot-nox

all: deptmap deptmilter

libdept.a: $(LIB_OBJS)
	$(AR) rcs $@ $(LIB_OBJS)

deptmap: $(DEPTMAP_OBJS) libdept.a
	$(CC) $(LDFLAGS) -o $@ $(DEPTMAP_OBJS) libdept.a $(PKG_LIBS) $(LDAP_LIBS)

deptmilter: $(MILTER_OBJS) $(MILTER_BOUND) libdept.a
	$(CC) $(LDFLAGS) -o $@ $(MILTER_OBJS) $(MILTER_BOUND) libdept.a $(PKG_LIBS) -lpthread

$(MILTER_BOUND): $(MILTER_A) Makefile
	ld -r --whole-archive $(MILTER_A) -o $@.tmp
	objcopy $(MILTER_BIND:%=--redefine-sym %) $@.tmp $@
	@rm -f $@.tmp; \
	if nm $@ | grep -E ' U (accept|accept4|read|__read_chk|sigwait|sigtimedwait|close)$$'; then \
	    echo "$@: libmilter calls the above unbound"; rm -f $@; exit 1; fi; \
	for b in $(MILTER_BIND); do nm $@ | grep -q " U $${b#*=}$$" || \
	    { echo "$@: nothing in libmilter calls $${b%%=*}"; rm -f $@; exit 1; }; done

# Header dependencies come from the compiler: -MMD writes foo.d beside
# foo.o (or foo.bin) naming every header of the project it includes, -MP
# adds an empty rule for each header so that a removed one breaks nothing.
# A .d exists only once its object has been built; until then the object
# is missing and is built anyway.
DEPFLAGS = -MMD -MP
DEPS = $(LIB_OBJS:.o=.d) $(DEPTMAP_OBJS:.o=.d) $(MILTER_OBJS:.o=.d) $(UNIT_TESTS:.bin=.d)

%.o: %.c
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -c -o $@ $<

tests/unit/%.bin: tests/unit/%.c libdept.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< libdept.a $(PKG_LIBS) $(LDAP_LIBS)

# the map generations of deptmilter, without libmilter
GEN_OBJS = milter/generation.o milter/log.o
tests/unit/generation.bin: tests/unit/generation.c $(GEN_OBJS) libdept.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(GEN_OBJS) libdept.a $(PKG_LIBS) $(LDAP_LIBS) -lpthread

tests/unit/claims.bin: tests/unit/claims.c milter/claims.o
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< milter/claims.o -lpthread

-include $(DEPS)

# install_pkgs - install the Debian packages in $(1) that are missing
define install_pkgs
	@missing=""; for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	    echo "missing packages:$$missing"; \
	    echo "run as root: apt-get update && apt-get install -y$$missing"; exit 1; \
	fi; \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq $$missing >/dev/null
endef

deps:
	$(call install_pkgs,$(DEB_PKGS))

bench-deps: deps
	$(call install_pkgs,$(BENCH_PKGS))

# check: every test; with SANITIZE=1 everything built with ASan + UBSan.
# Without SANITIZE, first the format (make check-format: GNU indent with
# .indent.pro, one return style), the man pages (mandoc lint), the unit tests
# under valgrind and the concurrent reload tests against a ThreadSanitizer
# build of deptmilter (neither goes with ASan), CHECK_JOBS of them at once,
# each one's output kept together; then every test, prove's summary last.
# CHECK_JOBS tests run at once (prove -j).
CHECK_JOBS ?= 2
check: deps
	$(MAKE) all $(UNIT_TESTS)
ifneq ($(SANITIZE),1)
	$(MAKE) -j$(CHECK_JOBS) -O check-format check-man valgrind tsan-check
endif
	prove -j$(CHECK_JOBS) --exec "" $(UNIT_TESTS) tests/*.t

# The unit tests under valgrind memcheck: any error or definite leak fails.
VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full \
	   --errors-for-leak-kinds=definite,indirect --suppressions=tests/valgrind.supp
valgrind: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do \
	    $(VALGRIND) $$t >/dev/null 2>tests/unit/valgrind.out || \
		{ cat tests/unit/valgrind.out; echo "valgrind: $$t FAILED"; exit 1; }; \
	done; rm -f tests/unit/valgrind.out; echo "valgrind: $(words $(UNIT_TESTS)) unit tests clean"

# deptmilter built with clang -fsanitize=thread, and the tests that reload
# the map under concurrent load run against it; any report fails.
TSAN_BIN = tests/tmp/deptmilter-tsan
TSAN_DIR = tests/tmp/tsan
TSAN_TESTS = tests/fault-reload-under-load.t tests/milter-reload.t
$(TSAN_BIN): $(MILTER_OBJS:.o=.c) $(MILTER_BOUND) $(LIB_OBJS:.o=.c) milter/*.h rewrite/*.h maps/*.h
	@mkdir -p tests/tmp
	clang -g -O1 -std=c11 -D_GNU_SOURCE -I. -fsanitize=thread $(PKG_CFLAGS) -o $@ \
	    $(MILTER_OBJS:.o=.c) $(MILTER_BOUND) $(LIB_OBJS:.o=.c) $(PKG_LIBS) $(LDAP_LIBS) -lpthread
tsan-check: $(TSAN_BIN) deptmap
	@rm -rf $(TSAN_DIR) && mkdir -p $(TSAN_DIR) && chmod 1777 $(TSAN_DIR)
	TSAN_OPTIONS="log_path=$(CURDIR)/$(TSAN_DIR)/report suppressions=$(CURDIR)/tests/tsan.supp" \
	    MILTER_BIN=$(CURDIR)/$(TSAN_BIN) \
	    LOAD_MESSAGES=2000 prove $(TSAN_TESTS)
	@if ls $(TSAN_DIR)/report* >/dev/null 2>&1; then \
	    cat $(TSAN_DIR)/report*; echo "ThreadSanitizer: races reported"; exit 1; fi; \
	echo "ThreadSanitizer: no report"
.PHONY: valgrind tsan-check

# make bench: deptmilter against its baselines, BENCHMARKS.md and a chart;
# bench-smoke: the same code on small inputs (tests/bench-smoke.t runs it
# in check; it asserts that every row was measured, not how fast)
bench: bench-deps all
	bash tests/bench/run.sh

bench-smoke: all
	SMOKE=1 bash tests/bench/run.sh

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=N runs each for N seconds
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = address rules map netstring
FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
	     -fno-sanitize-recover=all
LIB_SRCS = $(LIB_OBJS:.o=.c)

tests/fuzz/fuzz_%.bin: tests/fuzz/fuzz_%.c $(LIB_SRCS) rewrite/*.h maps/*.h
	clang $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS) $(LDAP_LIBS)

# the socketmap's request reader: milter/netstring.c, which needs rewrite/buf.c only
tests/fuzz/fuzz_netstring.bin: tests/fuzz/fuzz_netstring.c milter/netstring.c rewrite/buf.c \
		milter/netstring.h milter/tables.h rewrite/buf.h
	clang $(FUZZ_FLAGS) -o $@ $< milter/netstring.c rewrite/buf.c

fuzz: $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%.bin)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p tests/fuzz/work/$$t; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    ./tests/fuzz/fuzz_$$t.bin -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		tests/fuzz/work/$$t tests/fuzz/corpus/$$t 2>&1 | \
		grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|crash-' || exit 1; \
	done

# The main job on loopback: private Postfix + deptmilter + smtp-sink.
demo: deps all
	@bash examples/demo.sh

clean:
	rm -f $(LIB_OBJS) $(DEPTMAP_OBJS) $(MILTER_OBJS) $(MILTER_BOUND) libdept.a deptmap deptmilter \
	      tests/unit/*.bin tests/fuzz/*.bin
	rm -f $(DEPS) maps/*.d rewrite/*.d milter/*.d tests/unit/*.d
	rm -rf tests/tmp

.PHONY: all check clean deps bench-deps demo bench bench-smoke install uninstall fuzz

# ---- install, uninstall, man page lint, package test ---------------------
# Programs and man pages go under PREFIX; the example configuration goes to
# SYSCONFDIR/deptmilter (default /etc/deptmilter, whatever PREFIX is: that
# is where deptmilter and deptmap look by default) and never replaces a
# file that is there.  The systemd units (deptmilter, and the map refresh
# timer with its service, not enabled) and the tmpfiles.d entry go where
# systemd looks for them under PREFIX (/usr/local/lib/... is searched too).
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
DOCDIR		?= $(PREFIX)/share/doc/deptmilter
SYSCONFDIR	?= /etc
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d
MAN5 = man/deptmilter.conf.5 man/departments.rules.5
MAN8 = man/deptmilter.8 man/deptmap.8
ETC_FILES = deptmilter.conf departments.rules sales.txt
DOC_FILES = README INSTALL postfix/main.cf.snippet postfix/master.cf.snippet postfix/milter-only.cf.snippet

# mandoc: check-man; debhelper: package-test (dpkg-dev comes with build-essential);
# indent: check-format
DEB_PKGS += mandoc debhelper indent lintian

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/deptmilter \
	    $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 deptmilter deptmap $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(ETC_FILES:%=examples/%) $(DESTDIR)$(DOCDIR)/examples/
	sed 's|/usr/sbin/|$(SBINDIR)/|g' contrib/systemd/deptmilter.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/deptmilter.service
	sed -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/etc/deptmilter|$(SYSCONFDIR)/deptmilter|g' \
	    contrib/systemd/deptmap-refresh.service >$(DESTDIR)$(SYSTEMDUNITDIR)/deptmap-refresh.service
	install -m 0644 contrib/systemd/deptmap-refresh.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/deptmilter.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/deptmap-refresh.service
	install -m 0644 contrib/systemd/deptmilter.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 contrib/systemd/deptmilter.tmpfiles $(DESTDIR)$(TMPFILESDIR)/deptmilter.conf
	@for f in $(ETC_FILES); do \
	    t=$(DESTDIR)$(SYSCONFDIR)/deptmilter/$$f; \
	    if [ -e "$$t" ]; then echo "kept $$t (the example is in $(DOCDIR)/examples)"; \
	    else echo "install -m 0644 examples/$$f $$t"; install -m 0644 examples/$$f "$$t" || exit 1; fi; \
	done

# The configuration stays unless it is still the unchanged example.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/deptmilter $(DESTDIR)$(SBINDIR)/deptmap \
	    $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) $(MAN8:man/%=$(DESTDIR)$(MANDIR)/man8/%) \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/deptmilter.service $(DESTDIR)$(SYSTEMDUNITDIR)/deptmilter.socket \
	    $(DESTDIR)$(TMPFILESDIR)/deptmilter.conf \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/deptmap-refresh.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/deptmap-refresh.timer
	rm -rf $(DESTDIR)$(DOCDIR)
	@for f in $(ETC_FILES); do \
	    t=$(DESTDIR)$(SYSCONFDIR)/deptmilter/$$f; \
	    if [ ! -e "$$t" ]; then :; \
	    elif cmp -s "examples/$$f" "$$t"; then echo "rm -f $$t"; rm -f "$$t"; \
	    else echo "kept $$t (changed since it was installed)"; fi; \
	done
	-@rmdir $(DESTDIR)$(SYSCONFDIR)/deptmilter 2>/dev/null; true

# Every man page through mandoc's linter (down to its style hints) and
# man-db's groff warnings; any message is a failure, except mandoc's
# look-ups of the pages named by .Xr, whose answer depends on what this
# machine has installed and indexed.
check-man: $(MAN5) $(MAN8)
	@command -v mandoc >/dev/null || { echo "check-man: mandoc is missing (make deps)"; exit 1; }
	@out=$$(mandoc -T lint -W style $(MAN5) $(MAN8) 2>&1 | \
		grep -v -e 'STYLE: referenced manual not found' -e 'mandoc.db'; \
	    for m in $(MAN5) $(MAN8); do \
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l $$m 2>&1 >/dev/null; \
	    done); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "check-man: $(words $(MAN5) $(MAN8)) man pages, no warnings"

# Every C file through GNU indent with .indent.pro, into a temporary
# directory: each file that would change is listed with the number of its
# lines that change and the first FORMAT_DIFF_LINES lines of the diff.
# indent keeps "return (x);" as it finds it, so a perl check lists those
# too: the project writes "return x;".  Not part of check until the tree
# has been reformatted.
FORMAT_SRCS = $(wildcard rewrite/*.[ch] maps/*.[ch] milter/*.[ch] tests/unit/*.[ch] \
		tests/fuzz/*.c tests/bench/*.c)
FORMAT_DIFF_LINES ?= 10
check-format:
	@command -v indent >/dev/null || { echo "check-format: indent is missing (make deps)"; exit 1; }
	@tmp=$$(mktemp -d) || exit 1; trap 'rm -rf "$$tmp"' EXIT; bad=0; \
	for f in $(FORMAT_SRCS); do \
	    mkdir -p "$$tmp/$$(dirname $$f)"; \
	    INDENT_PROFILE=$(CURDIR)/.indent.pro indent "$$f" -o "$$tmp/$$f" || \
		{ echo "check-format: indent failed on $$f"; exit 1; }; \
	    cmp -s "$$f" "$$tmp/$$f" && continue; \
	    bad=$$((bad + 1)); \
	    echo "$$f: $$(diff "$$f" "$$tmp/$$f" | grep -c '^<') of its lines would change"; \
	    diff -u "$$f" "$$tmp/$$f" | sed -n "3,$$(($(FORMAT_DIFF_LINES) + 2))s/^/    /p"; \
	done; \
	perl -0777 -n \
	    -e 's{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\x27(?:\\.|[^\x27\\\n])*\x27}{$$&=~s/[^\n]//gr}gse;' \
	    -e 'while (/\breturn\s*(\((?:[^()]++|(?1))*\))\s*;/g) {' \
	    -e '    printf "%s %d\n", $$ARGV, 1 + (substr($$_, 0, $$-[0]) =~ tr/\n//);' \
	    -e '}' $(FORMAT_SRCS) >"$$tmp/returns" || exit 1; \
	returns=$$(wc -l <"$$tmp/returns"); \
	awk '$$1 != f { if (f) print f ": " n " return (x); at lines" l; f = $$1; n = 0; l = "" } \
	     { n++; if (n <= 8) l = l " " $$2; else if (n == 9) l = l " ..." } \
	     END { if (f) print f ": " n " return (x); at lines" l }' "$$tmp/returns"; \
	echo "check-format: $$bad of $(words $(FORMAT_SRCS)) files would change," \
	     "$$returns return (x);"; \
	[ $$bad = 0 ] && [ "$$returns" = 0 ]

# The fault test of restarts and upgrades while mail flows (root; long:
# about 10,000 messages; FAULT_MESSAGES, FAULT_RESTARTS, FAULT_UPGRADES
# size it; the upgrades install and purge the package, as package-test).
fault-test: deps all
	prove -v --exec bash tests/fault-restarts.sh

# Build the .deb, install it with dpkg -i, check it, purge it (root).
package-test: deps
	prove --exec bash tests/package-test.sh

.PHONY: check-man check-format package-test fault-test
