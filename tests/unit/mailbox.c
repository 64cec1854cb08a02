/*
 * mailbox.c - unit tests of the checks of written addresses:
 * addr_check(), addr_check_local(), addr_check_literal() and
 * domain_check() (RFC 5321 Dot-string and Quoted-string, RFC 6531 UTF-8,
 * LDH and IDNA2008 labels), each refusal with its reason.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>
#include "tests/unit/tap.h"
#include "rewrite/address.h"
#include "rewrite/domain.h"

/* good - addr_check accepts s */
static void good(const char *s)
{
    char    why[512] = "";

    ok(addr_check(s, strlen(s), why, sizeof(why)) == 0, "valid: %s%s%s", s,
       *why ? " -- " : "", why);
}

/* bad - addr_check refuses s with exactly this reason */
static void bad(const char *s, const char *want)
{
    char    why[512] = "(accepted)", name[600];

    ok(addr_check(s, strlen(s), why, sizeof(why)) < 0, "invalid: %s", s);
    snprintf(name, sizeof(name), "reason for %s", s);
    is_str(why, want, name);
}

/* literal - addr_check_literal says ok (want NULL) or this reason */
static void literal(const char *s, const char *want)
{
    char    why[512] = "(accepted)", name[600];
    int     r = addr_check_literal(s, strlen(s), why, sizeof(why));

    snprintf(name, sizeof(name), "literal local part %s", s);
    if (want == 0)
	ok(r == 0, "%s valid", name);
    else
	is_str(r < 0 ? why : "(accepted)", want, name);
}

int main(void)
{
    char    big[400], why[256];

    /* valid edge cases */
    good("alice@example.com");
    good("alice+news@example.com");
    good("o'neil@example.com");
    good("a.b.c@example.com");
    good("!#$%&'*+-/=?^_`{|}~@example.com");
    good("\"john smith\"@example.com");
    good("\"a@b\"@example.com");
    good("\"a\\\"b\"@example.com");
    good("\"a..b\"@example.com");
    good("jörg@example.com");
    good("用户@例子.广告");
    good("anna@bücher.example");
    good("anna@Müller.Example");
    good("anna@xn--bcher-kva.example");
    good("x@a-b.example.com");
    good("x@123.example.com");
    good("x@a.b.c.d.e.f.g.example");
    memset(big, 'a', 64);
    strcpy(big + 64, "@example.com");
    good(big);

    /* invalid: local part */
    bad("a@b@example.com", "local part \"a@b\" has an unquoted \"@\" (quote the"
	" local part, or remove it)");
    bad("alice@@example.com", "local part \"alice@\" has an unquoted \"@\" (quote"
	" the local part, or remove it)");
    bad("@example.com", "empty local part");
    bad("\"\"@example.com", "empty local part");
    bad(".alice@example.com", "local part \".alice\" starts with a dot");
    bad("alice.@example.com", "local part \"alice.\" ends with a dot");
    bad("al..ice@example.com", "local part \"al..ice\" has two dots in a row");
    bad("john smith@example.com", "local part \"john smith\" has an unquoted \" \""
	" (quote the local part, or remove it)");
    bad("a(b)@example.com", "local part \"a(b)\" has an unquoted \"(\" (quote the"
	" local part, or remove it)");
    bad("a,b@example.com", "local part \"a,b\" has an unquoted \",\" (quote the"
	" local part, or remove it)");
    bad("a\\b@example.com", "local part \"a\\b\" has a backslash outside quotes");
    bad("ab\"c\"@example.com", "local part \"ab\"c\"\" has a quote inside it (quote"
	" the whole local part)");
    bad("\"ab\"c@example.com", "local part \"\"ab\"c\" has text after its closing"
	" quote");
    bad("\"ab\\\"@example.com", "unterminated quote");
    bad("a\tb@example.com", "local part \"a\tb\" has a control character");
    bad("a\xc2\x85@example.com", "local part \"a\xc2\x85\" has a control character");
    bad("j\xf6rg@example.com", "local part \"j\xf6rg\" is not valid UTF-8");
    memset(big, 'a', 65);
    strcpy(big + 65, "@example.com");
    bad(big,
	"local part \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
	" is longer than 64 octets");
    bad("alice", "no \"@\" and domain");

    /* invalid: domain */
    bad("a@", "empty domain");
    bad("a@example..com", "domain \"example..com\": empty label (two dots in a row)");
    bad("a@.example.com", "domain \".example.com\": empty first label (a leading dot)");
    bad("a@example.com.", "domain \"example.com.\": a trailing dot");
    bad("a@-sales.example.com",
	"domain \"-sales.example.com\": label \"-sales\" starts with a hyphen");
    bad("a@sales-.example.com",
	"domain \"sales-.example.com\": label \"sales-\" ends with a hyphen");
    bad("a@sa_les.example.com",
	"domain \"sa_les.example.com\": label \"sa_les\" has \"_\" (letters, digits and"
	" hyphens only)");
    bad("a@exa mple.com",
	"domain \"exa mple.com\": label \"exa mple\" has \" \" (letters, digits and hyphens"
	" only)");
    bad("a@[192.0.2.1]",
	"domain \"[192.0.2.1]\": address literals are not accepted: name a domain");
    bad("a@192.0.2.1",
	"domain \"192.0.2.1\": top-level label \"1\" is all digits"
	" (an IP address is not a mail domain)");
    bad("a@xn--zz.example",
	"domain \"xn--zz.example\": label \"xn--zz\" is not a valid IDNA2008 label: string"
	" contains invalid punycode data");
    bad("a@b\xe2\x80\xa0r.example",
	"domain \"b\xe2\x80\xa0r.example\": label \"b\xe2\x80\xa0r\" is not a valid IDNA2008"
	" label: string contains a disallowed character");
    bad("a@b\xfcr.example",
	"domain \"b\xfcr.example\": label \"b\xfcr\" is not valid UTF-8");
    memset(big, 'l', 64);
    strcpy(big + 64, ".example");
    ok(domain_check(big, strlen(big), why, sizeof(why)) < 0
       && strstr(why, "is longer than 63 octets") != 0, "a 64-octet label: %s", why);
    for (int i = 0; i < 5; i++)
	memset(big + 60 * i, 'l', 59), big[60 * i + 59] = '.';
    strcpy(big + 300, "example");
    ok(domain_check(big, strlen(big), why, sizeof(why)) < 0
       && strstr(why, "longer than 253 octets") != 0, "a 307-octet domain: %s", why);
    ok(domain_check("example.com", 7, why, sizeof(why)) == 0,
       "domain_check reads only n bytes");

    /* literal local parts: any printable text, quoted again when written */
    literal("john smith", 0);
    literal("o\"neil", 0);
    literal("back\\slash", 0);
    literal("a..b", 0);
    literal("jörg", 0);
    literal("", "empty local part");
    literal("a\x01", "local part \"a\x01\" has a control character");
    literal("a\x7f", "local part \"a\x7f\" has a control character");
    literal("\xff", "local part \"\xff\" is not valid UTF-8");
    ok(addr_check_local("\"a b\"", 5, why, sizeof(why)) == 0,
       "addr_check_local: a quoted string");
    return done();
}
