# deptmilter - department addresses for Postfix
#
# make all | check | demo | bench | install | uninstall | clean | deps
# PREFIX (default /usr/local) and DESTDIR are honoured.  SANITIZE=1 builds
# with AddressSanitizer and UndefinedBehaviorSanitizer.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
PKGS	= libcdb libpcre2-8 libidn2
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wformat=2 -I.
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
MILTER_LIBS = $(shell pkg-config --libs milter 2>/dev/null || echo -lmilter)

LIB_OBJS = rewrite/address.o rewrite/domain.o rewrite/decide.o rewrite/text.o \
	   maps/errors.o maps/reply.o maps/rules.o maps/roster.o \
	   maps/finish.o maps/pattern.o maps/compile.o maps/map.o maps/record.o
DEPTMAP_OBJS = maps/deptmap.o
MILTER_OBJS  = milter/main.o milter/config.o milter/log.o milter/generation.o \
	       milter/stats.o milter/message.o milter/callbacks.o \
	       milter/daemon.o milter/control.o

UNIT_TESTS = tests/unit/address.bin tests/unit/decide.bin tests/unit/reply.bin \
	     tests/unit/text.bin tests/unit/pattern.bin

# Debian packages the build and the tests need; `make deps` installs them.
DEB_PKGS = build-essential pkg-config libcdb-dev tinycdb libpcre2-dev \
	   libidn2-dev libmilter-dev postfix postfix-cdb swaks

all: deptmap deptmilter

libdept.a: $(LIB_OBJS)
	$(AR) rcs $@ $(LIB_OBJS)

deptmap: $(DEPTMAP_OBJS) libdept.a
	$(CC) $(LDFLAGS) -o $@ $(DEPTMAP_OBJS) libdept.a $(PKG_LIBS)

deptmilter: $(MILTER_OBJS) libdept.a
	$(CC) $(LDFLAGS) -o $@ $(MILTER_OBJS) libdept.a $(PKG_LIBS) $(MILTER_LIBS) -lpthread

$(MILTER_OBJS): milter/*.h rewrite/*.h maps/*.h

%.o: %.c
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

tests/unit/%.bin: tests/unit/%.c tests/unit/tap.h libdept.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< libdept.a $(PKG_LIBS)

$(LIB_OBJS) $(DEPTMAP_OBJS): rewrite/*.h maps/*.h

deps:
	@missing=""; for p in $(DEB_PKGS); do \
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

check: deps
	$(MAKE) all $(UNIT_TESTS)
	prove --exec "" $(UNIT_TESTS) tests/*.t

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=N runs each for N seconds
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = address rules map
FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
	     -fno-sanitize-recover=all
LIB_SRCS = $(LIB_OBJS:.o=.c)

tests/fuzz/fuzz_%.bin: tests/fuzz/fuzz_%.c $(LIB_SRCS) rewrite/*.h maps/*.h
	clang $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS)

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
	rm -f $(LIB_OBJS) $(DEPTMAP_OBJS) $(MILTER_OBJS) libdept.a deptmap deptmilter \
	      tests/unit/*.bin tests/fuzz/*.bin

.PHONY: all check clean deps demo bench install uninstall fuzz
