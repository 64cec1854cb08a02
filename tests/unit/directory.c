/*
 * directory.c - unit tests of the pure parts of rosters from a directory:
 * what a proxyAddresses value is by its prefix (SMTP: primary, smtp: and
 * any other case secondary, every other type ignored), and the dn= field
 * of a member record (rewrite/record.c): written after the rule with
 * control bytes escaped, read back, absent from records made before it,
 * and skipped by the walk over the targets.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include "tests/unit/tap.h"
#include "maps/directory.h"
#include "rewrite/buf.h"
#include "rewrite/record.h"

/* kinds - each prefix's kind */
static void kinds(void)
{
    static const struct {
	const char *value;
	enum directory_proxy kind;
    } t[] = {
	{"SMTP:alice@example.com", PROXY_PRIMARY},
	{"smtp:alice@sales.example.com", PROXY_SECONDARY},
	{"Smtp:alice@sales.example.com", PROXY_SECONDARY},
	{"smtP:alice@sales.example.com", PROXY_SECONDARY},
	{"x500:/o=Example/cn=alice", PROXY_OTHER},
	{"X500:/o=Example/cn=alice", PROXY_OTHER},
	{"X400:c=US;a= ;p=Example;s=Alice", PROXY_OTHER},
	{"sip:alice@sales.example.com", PROXY_OTHER},
	{"SIP:alice@sales.example.com", PROXY_OTHER},
	{"eum:100@sales.example.com", PROXY_OTHER},
	{"alice@sales.example.com", PROXY_OTHER},
	{"smtp", PROXY_OTHER},
	{"", PROXY_OTHER},
    };
    size_t  i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
	ok(directory_proxy_kind(t[i].value) == t[i].kind, "proxy kind of \"%s\"",
	   t[i].value);
}

/* dn_field - a member record with a DN, written and read back */
static void dn_field(void)
{
    struct buf v = { 0, 0, 0 };
    struct record_addr a;
    const char *t;
    size_t  pos = 0, tlen;

    ok(record_add_rule(&v, "departments.rules", 7) == 0
       && record_add_dn(&v, "cn=Smith\\, Ann\t1,ou=Staff") == 0
       && record_add_target(&v, "ann@example.com") == 0,
       "a record with a DN is written");
    is_str(v.s,
	   "rule=departments.rules:7\tdn=cn=Smith\\, Ann\\091,ou=Staff"
	   "\tto=ann@example.com", "the DN follows the rule, its tab written \\09");
    record_addr_parse(v.s, v.len, &a);
    ok(a.rule && a.rule_len == 19 && memcmp(a.rule, "departments.rules:7", 19) == 0,
       "the rule reads back");
    ok(a.dn && a.dn_len == 27 && memcmp(a.dn, "cn=Smith\\, Ann\\091,ou=Staff", 27) == 0,
       "the DN reads back");
    ok(record_target_next(a.val, a.vlen, &pos, &t, &tlen) && tlen == 15
       && memcmp(t, "ann@example.com", 15) == 0
       && !record_target_next(a.val, a.vlen, &pos, &t, &tlen),
       "the targets are the to= fields only");
    record_addr_parse("rule=x:1\tto=bob@example.com", 27, &a);
    ok(a.dn == 0 && a.dn_len == 0, "a record made before dn= existed has none");
    buf_free(&v);
}

int main(void)
{
    kinds();
    dn_field();
    return done();
}
