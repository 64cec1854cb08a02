/*
 * mailboxes.c - unit tests of the mailbox list: its keys (record.c), the
 * list as the compiler keeps it (maps/mailboxes.c: covered domains,
 * catch-alls, the key fold, extensions) and its records read back
 * (mailboxes record, domain fields).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include "tests/unit/tap.h"
#include "maps/mailboxes.h"
#include "rewrite/record.h"

/* write_file - a file of the given text, or bail out */
static void write_file(const char *path, const char *text)
{
    FILE   *fp = fopen(path, "w");

    if (fp == 0 || fputs(text, fp) < 0 || fclose(fp) != 0) {
	printf("Bail out! cannot write %s\n", path);
	exit(1);
    }
}

/* test_keys - record_key_mailbox folds the local part, not the domain */
static void test_keys(void)
{
    char    key[RECORD_KEY_MAX];
    int     n;

    n = record_key_mailbox(key, sizeof(key), "J\xc3\x96RG+x", 5, "example.com");
    is_str(key, "mailbox:example.com:j\xc3\xb6rg",
	   "key: local part folded (UTF-8), cut at len");
    ok(n == (int) strlen(key), "key: its length returned (%d)", n);
    ok(record_key_mailbox(key, 20, "alice", 5, "example.com") < 0,
       "key: one that does not fit is -1");
}

/* test_record - the mailboxes record's value read back */
static void test_record(void)
{
    struct buf v = { 0, 0, 0 };
    struct record_mailboxes rm;
    const char *d;
    size_t  pos = 0, dlen;
    char    got[200] = "";

    ok(record_add_rule(&v, "d.rules", 3) == 0 && record_add_domain(&v, "a.example") == 0
       && record_add_domain(&v, "b.example") == 0, "record: value built");
    is_str(v.s, "rule=d.rules:3\tdomain=a.example\tdomain=b.example",
	   "record: its bytes");
    ok(record_mailboxes_parse(v.s, v.len, &rm) == 0, "record: parsed");
    is_str(rm.rule, "d.rules:3", "record: its rule");
    while (record_domain_next(rm.val, rm.vlen, &pos, &d, &dlen))
	snprintf(got + strlen(got), sizeof(got) - strlen(got), "%.*s;", (int) dlen, d);
    is_str(got, "a.example;b.example;", "record: its domains in order");
    ok(record_mailboxes_parse("domain=x", 8, &rm) < 0, "record: without rule is bad");
    buf_free(&v);
}

/* test_list - a text list loaded, sealed and asked */
static void test_list(void)
{
    char    dir[] = "/tmp/mailboxes-test-XXXXXX", path[80];
    struct mailboxes m;
    struct errs e;

    tap_tmpdir(dir);
    snprintf(path, sizeof(path), "%s/list", dir);
    write_file(path, "# list\nAlice@Example.COM v\n  cont@example.com\n"
	       "bob@example.com\nbob@example.com\n@catch.example x\n"
	       "carol@catch.example\nexample.net\n");
    memset(&m, 0, sizeof(m));
    errs_init(&e);
    ok(mailboxes_load(&m, dir, "list", &e, "r", 1) == 0 && e.count == 0,
       "list: loaded without error");
    mailboxes_seal(&m);
    ok(m.nkeys == 3, "list: three mailboxes (a duplicate once, no continuation) (%zu)",
       m.nkeys);
    ok(mailboxes_covers(&m, "example.com") && mailboxes_covers(&m, "example.net"),
       "list: covers the domains of its addresses and its domain keys");
    ok(!mailboxes_covers(&m, "catch.example") && !mailboxes_covers(&m, "other.example"),
       "list: a catch-all domain and another are not covered");
    ok(mailboxes_has(&m, "ALICE", "example.com", "+"), "list: case folded");
    ok(mailboxes_has(&m, "alice+news", "example.com", "+"), "list: extension removed");
    ok(!mailboxes_has(&m, "alice-news", "example.com", "+"),
       "list: only at a delimiter");
    ok(!mailboxes_has(&m, "cont", "example.com", "+"), "list: continuation not a key");
    mailboxes_free(&m);
    errs_free(&e);
    tap_rmdir(dir);
}

/* main - run them */
int main(void)
{
    test_keys();
    test_record();
    test_list();
    return done();
}
