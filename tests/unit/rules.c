/*
 * rules.c - unit tests of the rules parser (maps/rules, roster, lines,
 * finish): what a rules file becomes in struct rules, before any map is
 * written: settings inherited, keys folded, targets without their syntax,
 * replies, match rules, rosters read literally, errors at FILE:LINE.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tests/unit/tap.h"
#include "maps/rules.h"

static char dir[] = "/tmp/rules-test-XXXXXX";

/* put_file - write a file into the test directory */
static void put_file(const char *name, const char *text)
{
    char    path[128];
    FILE   *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((fp = fopen(path, "w")) == 0 || fputs(text, fp) < 0 || fclose(fp) != 0) {
	printf("Bail out! cannot write %s\n", path);
	exit(1);
    }
}

/* load - parse one rules file of the test directory */
static int load(const char *name, const char *text, struct rules *r)
{
    char    path[128];

    put_file(name, text);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return rules_load(path, r);
}

/* dept - the department of a domain, or NULL */
static const struct rule_dept *dept(const struct rules *r, const char *domain)
{
    size_t  i;

    for (i = 0; i < r->ndepts; i++)
	if (strcmp(r->depts[i].domain, domain) == 0)
	    return r->depts + i;
    return 0;
}

/* entry - the entry of a key in a department, or NULL */
static const struct rule_entry *entry(const struct rule_dept *d, const char *key)
{
    size_t  i;

    for (i = 0; d && i < d->nentries; i++)
	if (strcmp(d->entries[i].key, key) == 0)
	    return d->entries + i;
    return 0;
}

/* target_is - the n-th target of an entry is local@domain (domain NULL:
 * the canonical domain) */
static void target_is(const struct rule_entry *e, size_t n, const char *local,
		      const char *domain, const char *name)
{
    char    what[200];

    if (!ok(e != 0 && n < e->ntargets, "%s: has target %zu", name, n))
	return;
    snprintf(what, sizeof(what), "%s: target %zu local part", name, n);
    is_str(e->targets[n].local, local, what);
    snprintf(what, sizeof(what), "%s: target %zu domain", name, n);
    is_str(e->targets[n].domain, domain, what);
}

/* settings - defaults inherited, departments' own settings kept */
static void settings(void)
{
    struct rules r;
    const struct rule_dept *s, *e;

    ok(load("settings.rules",
	    "canonical Example.COM\n"
	    "delimiter +\n"
	    "department Sales.Example.com.\n"
	    "department bücher.example\n"
	    "    canonical example.org\n"
	    "    delimiter -\n" "    case-sensitive\n", &r) == 0, "settings: parsed");
    s = dept(&r, "sales.example.com");
    e = dept(&r, "xn--bcher-kva.example");
    ok(s != 0 && e != 0, "settings: domains normalised (lower case, A-label, no dot)");
    if (s && e) {
	is_str(s->canonical, "example.com", "settings: canonical inherited, normalised");
	is_str(s->delimiters, "+", "settings: delimiter inherited");
	ok(s->case_exact == 0, "settings: case folded by default");
	is_str(e->canonical, "example.org", "settings: canonical of the department");
	is_str(e->delimiters, "-", "settings: delimiter of the department");
	ok(e->case_exact == 1, "settings: case-sensitive department");
	ok(s->unknown == UNKNOWN_REJECT && strcmp(s->code, "550") == 0
	   && strcmp(s->dsn, "5.1.1") == 0 && strcmp(s->text, "No such user here") == 0,
	   "settings: unknown people rejected by default, 550 5.1.1");
    }
    rules_free(&r);
}

/* members - keys folded as the map keys them, targets as written */
static void members(void)
{
    struct rules r;
    const struct rule_dept *d, *lab;
    const struct rule_entry *e;

    ok(load("members.rules",
	    "canonical example.com\n"
	    "department sales.example.com\n"
	    "    members JÖRG \"john smith\" erin.smith@Example.NET\n"
	    "    alias info -> alice, \"x y\", ops@Ops.Example.com\n"
	    "department lab.example.com\n"
	    "    case-sensitive\n" "    members Alice\n", &r) == 0, "members: parsed");
    d = dept(&r, "sales.example.com");
    lab = dept(&r, "lab.example.com");
    target_is(entry(d, "jörg"), 0, "JÖRG", 0, "member JÖRG (key jörg)");
    target_is(entry(d, "john smith"), 0, "john smith", 0, "quoted member");
    target_is(entry(d, "erin.smith"), 0, "erin.smith", "example.net",
	      "member given as an address");
    e = entry(d, "info");
    ok(e && e->alias && e->ntargets == 3, "alias: three targets");
    target_is(e, 0, "alice", 0, "alias");
    target_is(e, 1, "x y", 0, "alias");
    target_is(e, 2, "ops", "ops.example.com", "alias");
    ok(entry(lab, "Alice") != 0 && entry(lab, "alice") == 0,
       "case-sensitive department: key kept as written");
    rules_free(&r);
}

/* matches_and_replies - match rules, comments, quoted reply text */
static void matches_and_replies(void)
{
    struct rules r;
    const struct rule_dept *d, *h;

    ok(load("match.rules",
	    "canonical example.com   # the default\n"
	    "department sales.example.com\n"
	    "    match /^a#b(.*)$/i -> $1@x.example.net, ops  # a comment\n"
	    "    unknown reject 551 5.7.1 \"No \\\"such\\\" person # here\"\n"
	    "department hr.example.com\n"
	    "    unknown tempfail\n"
	    "department it.example.com\n"
	    "    unknown redirect Desk@Help.Example.org\n", &r) == 0,
       "match and replies: parsed");
    d = dept(&r, "sales.example.com");
    h = dept(&r, "hr.example.com");
    if (ok(d && d->nmatches == 1, "match: one rule")) {
	is_str(d->matches[0].pattern, "^a#b(.*)$",
	       "match: \"#\" inside a word is no comment");
	ok(d->matches[0].caseless, "match: flag i");
	ok(d->matches[0].ntargets == 2, "match: two targets");
	is_str(d->matches[0].targets[0], "$1@x.example.net",
	       "match: target kept as written");
	is_str(d->text, "No \"such\" person # here",
	       "reply: quoted, escaped quotes, # kept");
	is_str(d->code, "551", "reply: code");
	is_str(d->dsn, "5.7.1", "reply: enhanced status");
    }
    ok(h && h->unknown == UNKNOWN_TEMPFAIL && strcmp(h->code, "450") == 0
       && strcmp(h->text, "Recipient not yet known, try again later") == 0,
       "unknown tempfail: 450 and its default text");
    d = dept(&r, "it.example.com");
    ok(d && d->unknown == UNKNOWN_REDIRECT && d->redirect.local
       && strcmp(d->redirect.local, "Desk") == 0
       && strcmp(d->redirect.domain, "help.example.org") == 0,
       "unknown redirect: target without its syntax, domain normalised");
    rules_free(&r);
}

/* roster - a members-file read literally: CSV, BOM, CRLF, comments */
static void roster(void)
{
    struct rules r;
    const struct rule_dept *d;
    const struct rule_entry *e;

    put_file("staff.txt", "\xef\xbb\xbf" "alice,Alice A.\r\n"
	     "# a comment\r\n"
	     "\r\n"
	     "\"o\"\"brien\";x\r\n" "  dave  \r\n" "erin.smith@example.com,Erin\r\n");
    ok(load("roster.rules",
	    "canonical example.com\n"
	    "department sales.example.com\n"
	    "    members-file staff.txt\n", &r) == 0, "roster: parsed");
    d = dept(&r, "sales.example.com");
    ok(d
       && d->nentries == 5,
       "roster: four members (comment and blank line skipped), and postmaster");
    target_is(entry(d, "alice"), 0, "alice", 0, "roster, first CSV column after a BOM");
    target_is(entry(d, "o\"brien"), 0, "o\"brien", 0,
	      "roster: quoted CSV column, taken literally");
    target_is(entry(d, "dave"), 0, "dave", 0, "roster: trimmed");
    target_is(entry(d, "erin.smith"), 0, "erin.smith", "example.com",
	      "roster: an address");
    e = entry(d, "dave");
    ok(e && e->line == 5 && strcmp(e->src->recorded, "staff.txt") == 0,
       "roster: the rule of a member is its roster line");
    rules_free(&r);
}

/* errors - every error at its FILE:LINE, the rest still read */
static void errors(void)
{
    struct rules r;
    char    want[2048];

    ok(load("bad.rules",
	    "canonical example.com\n"
	    "members alice\n"
	    "department sales.example.com\n"
	    "    members bob \"unterminated\n"
	    "    members bob\n"
	    "    frobnicate\n"
	    "    alias info -> a@\n" "    bob\n", &r) < 0, "errors: the load fails");
    snprintf(want, sizeof(want),
	     "%s/bad.rules:2: \"members\" outside a department (add \"department DOMAIN\" above)\n"
	     "%s/bad.rules:4: invalid member \"\"unterminated\": unterminated quote\n"
	     "%s/bad.rules:6: unknown keyword \"frobnicate\"\n"
	     "%s/bad.rules:7: invalid target \"a@\": empty domain\n"
	     "%s/bad.rules:8: unknown keyword \"bob\"\n"
	     "%s/bad.rules:5: duplicate name \"bob\" in sales.example.com (first at %s/bad.rules:4)\n",
	     dir, dir, dir, dir, dir, dir, dir);
    is_str(errs_text(&r.errs), want, "errors: each with FILE:LINE, in order");
    ok(r.errs.nomem == 0, "errors: not out of memory");
    rules_free(&r);
}

/* main - every group, in a directory of their own */
int main(void)
{
    tap_tmpdir(dir);
    settings();
    members();
    matches_and_replies();
    roster();
    errors();
    tap_rmdir(dir);
    return done();
}
