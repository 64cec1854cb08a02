/*
 * address.c - unit tests of rewrite/address and rewrite/domain
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "tests/unit/tap.h"
#include "rewrite/address.h"
#include "rewrite/domain.h"

/* parses_to - addr_parse gives this local part and domain */
static void parses_to(const char *raw, const char *local, const char *domain)
{
    struct addr a;
    char    name[2200];
    int     r = addr_parse(raw, &a);

    snprintf(name, sizeof(name), "parse %s -> local", raw);
    if (!ok(r == ADDR_OK, "parse %s succeeds", raw))
	return;
    is_str(a.local, local, name);
    snprintf(name, sizeof(name), "parse %s -> domain", raw);
    is_str(a.domain, domain, name);
}

/* split - addr_split_ext leaves this base */
static void split(const char *local, const char *delims, const char *base)
{
    char    got[256];
    size_t  n = addr_split_ext(local, delims);

    snprintf(got, sizeof(got), "%.*s", (int) n, local);
    snprintf(got + 128, 128, "split %s on '%s'", local, delims);
    is_str(got, base, got + 128);
}

/* folds - addr_fold gives this, with its length */
static void folds(const char *local, const char *want)
{
    char    got[3 * 64 + 1];
    ssize_t n = addr_fold(local, strlen(local), got, sizeof(got));

    ok(n == (ssize_t) strlen(want), "fold %s: length %zd", local, n);
    is_str(n >= 0 ? got : "(error)", want, "fold as Postfix folds keys with SMTPUTF8");
}

/* format - addr_format quotes where needed */
static void format(const char *local, const char *domain, const char *want)
{
    char    buf[256];

    ok(addr_format(buf, sizeof(buf), local, domain) == 0, "format %s fits", want);
    is_str(buf, want, "format quotes as needed");
}

int main(void)
{
    struct addr a;
    char    big[70000], dom[300];

    parses_to("<alice@sales.example.com>", "alice", "sales.example.com");
    parses_to("alice@sales.example.com", "alice", "sales.example.com");
    parses_to(" <alice@sales.example.com> ", "alice", "sales.example.com");
    parses_to("<Alice@SALES.Example.COM>", "Alice", "sales.example.com");
    parses_to("<alice@sales.example.com.>", "alice", "sales.example.com");
    parses_to("<\"a b\"@sales.example.com>", "a b", "sales.example.com");
    parses_to("<\"a\\\"q\"@sales.example.com>", "a\"q", "sales.example.com");
    parses_to("<\"x@y\"@sales.example.com>", "x@y", "sales.example.com");
    parses_to("<@a.example,@b.example:bob@sales.example.com>", "bob",
	      "sales.example.com");
    parses_to("<x@bücher.example>", "x", "xn--bcher-kva.example");
    parses_to("<x@XN--BCHER-KVA.example>", "x", "xn--bcher-kva.example");
    ok(addr_parse("<>", &a) == ADDR_OK && a.null_sender, "<> is the null address");
    ok(addr_parse("<postmaster>", &a) == ADDR_BAD, "no domain: not ours");
    ok(addr_parse("<alice@>", &a) == ADDR_BAD, "empty domain: not ours");
    ok(addr_parse("<@sales.example.com>", &a) == ADDR_BAD, "empty local part: not ours");
    ok(addr_parse("<\"\"@sales.example.com>", &a) == ADDR_OK && a.local[0] == 0
       && strcmp(a.domain, "sales.example.com") == 0, "quoted empty local part parses");
    ok(addr_parse("<alice@sales.example.com", &a) == ADDR_BAD, "unbalanced bracket");
    ok(addr_parse("<\"open@sales.example.com>", &a) == ADDR_BAD, "unterminated quote");
    ok(addr_parse("<a@[192.0.2.1]>", &a) == ADDR_BAD, "address literal: not ours");
    ok(addr_parse("<a@bad..example>", &a) == ADDR_BAD, "empty label");
    ok(addr_parse("<a@\xff\xfe.example>", &a) == ADDR_BAD, "invalid UTF-8 domain");
    memset(big, 'a', sizeof(big) - 20);
    strcpy(big + sizeof(big) - 20, "@sales.example.com");
    ok(addr_parse(big, &a) == ADDR_TOOLONG, "64 KB local part is refused, not overrun");

    split("alice+ext", "+", "alice");
    split("alice+a+b", "+", "alice");
    split("alice-x+y", "+-", "alice");
    split("alice", "+", "alice");
    split("+alice", "+", "+alice");
    split("alice+", "+", "alice");
    split("alice+ext", "", "alice+ext");
    split("owner-list", "-", "owner-list");
    split("list-request", "-", "list-request");
    split("mailer-daemon", "-", "mailer-daemon");

    folds("Alice.Smith", "alice.smith");
    folds("JÖRG", "jörg");
    folds("STRAßE", "strasse");
    folds("ΔΗΜΉΤΡΗΣ", "δημήτρησ");
    folds("İpek", "i\xcc\x87pek");
    folds("A\xff\xfe" "B", "a\xff\xfe" "b");	/* not UTF-8: ASCII only */
    {
	char    small[4];

	ok(addr_fold("ßßß", 6, small, sizeof(small)) < 0,
	   "fold: too long for the buffer");
	ok(addr_fold("ABCD", 4, small, sizeof(small)) < 0, "fold: ASCII too long too");
    }
    {
	char    key[64];

	ok(addr_key("JÖRG", 5, 0, key, sizeof(key)) == 5 && strcmp(key, "jörg") == 0,
	   "key of a case-insensitive department: folded");
	ok(addr_key("JÖRG", 5, 1, key, sizeof(key)) == 5 && strcmp(key, "JÖRG") == 0,
	   "key of a case-sensitive department: as written");
	ok(addr_key("A\xff", 2, 0, key, sizeof(key)) == 2 && strcmp(key, "a\xff") == 0,
	   "key of a name that is not UTF-8: ASCII letters lowered only");
	ok(addr_key("ABCD", 4, 1, key, 4) < 0, "key too long for the buffer: -1");
    }

    format("alice", "example.com", "alice@example.com");
    format("a b", "example.com", "\"a b\"@example.com");
    format("a\"q", "example.com", "\"a\\\"q\"@example.com");
    format("a..b", "example.com", "\"a..b\"@example.com");
    format("o'brien", "example.com", "o'brien@example.com");

    ok(domain_normalise("Sales.Example.COM.", dom, sizeof(dom)) == 0
       && strcmp(dom, "sales.example.com") == 0, "domain folded, trailing dot gone");
    ok(domain_normalise("bücher.example", dom, sizeof(dom)) == 0
       && strcmp(dom, "xn--bcher-kva.example") == 0, "U-label becomes A-label");
    ok(domain_normalise("a b.example", dom, sizeof(dom)) < 0, "blank in domain refused");
    {
	char    name[80];

	memset(name, 'a', 63);
	strcpy(name + 63, ".example");
	ok(domain_normalise(name, dom, sizeof(dom)) == 0, "63-character label accepted");
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	ok(domain_normalise(name, dom, sizeof(dom)) < 0, "64-character label refused");
	ok(domain_normalise("example.", dom, sizeof(dom)) == 0
	   && domain_normalise("example..", dom, sizeof(dom)) < 0
	   && domain_normalise(".example", dom, sizeof(dom)) < 0,
	   "empty labels refused");
    }
    ok(domain_to_unicode("xn--bcher-kva.example", dom, sizeof(dom)) == 0
       && strcmp(dom, "bücher.example") == 0, "A-label shown as U-label");
    return done();
}
