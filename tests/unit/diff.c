/*
 * diff.c - unit tests of what deptmap diff and deptmap test stand on:
 * decide_nobody() for every unknown policy and "members *", answer_add()
 * as query prints an answer, diff_maps() for each kind of change (and
 * none for rules that only moved), expect_path().
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include "tests/unit/tap.h"
#include "maps/answer.h"
#include "maps/compile.h"
#include "maps/diff.h"
#include "maps/expect.h"
#include "rewrite/decide.h"

static const char old_text[] = "canonical example.com\n" "department sales.example.com\n"	/* 2 */
    "  members alice bob\n"			/* 3 */
    "  match /^([a-z]+)\\.([a-z]+)$/ -> $1\n"	/* 4 */
    "  unknown reject 550 5.1.1 \"No such person\"\n"	/* 5 */
    "department eng.example.com\n"		/* 6 */
    "  canonical example.org\n" "  members *\n"	/* 8 */
    "department lab.example.com\n"		/* 9 */
    "  case-sensitive\n" "  match /^A/i -> a\n" "  unknown pass\n"	/* 12 */
    "department desk.example.com\n"		/* 13 */
    "  unknown redirect desk\n"			/* 14 */
    "department hr.example.com\n" "  unknown tempfail\n";	/* 16 */

/* open_text - rules text compiled into a map, or NULL */
static struct map *open_text(const char *text)
{
    FILE   *fp = fmemopen((void *) text, strlen(text), "r");
    struct rules r;
    struct map *map = 0;
    char    err[512] = "";

    if (fp == 0)
	return 0;
    if (rules_read(fp, "x.rules", &r) != 0
	|| compile_map(&r, &map, err, sizeof(err)) != COMPILE_OK)
	printf("# %s%s\n", errs_text(&r.errs), err);
    rules_free(&r);
    fclose(fp);
    return map;
}

/* nobody - decide_nobody's answer for a domain, as "ACTION\tDETAIL rule" */
static void nobody(const struct map *map, const char *domain, const char *want)
{
    struct decision d;
    struct buf b = { 0 };

    decision_init(&d);
    decide_nobody(map, map_department(map, domain), &d);
    answer_add(&b, &d);
    buf_addf(&b, " %s", d.rule);
    is_str(b.s, want, domain);
    buf_free(&b);
    decision_free(&d);
}

/* collect - diff_maps's lines, one after the other */
static void collect(void *ctx, const char *line)
{
    buf_addf(ctx, "%s\n", line);
}

/* diff_is - the lines from old_text to new_text */
static void diff_is(const struct map *old, const char *new_text, const char *want,
		    const char *name)
{
    struct map *new = open_text(new_text);
    struct buf b = { 0 };
    long    n, lines;

    if (!ok(new != 0, "%s: the new rules compile", name))
	return;
    buf_adds(&b, "");
    n = diff_maps(old, new, collect, &b);
    is_str(b.s, want, name);
    for (lines = 0; *want; want++)
	lines += *want == '\n';
    ok(n == lines, "%s: %ld lines counted", name, lines);
    map_close(new);
    buf_free(&b);
}

/* replace - old_text with one piece replaced, in a static buffer */
static const char *replace(const char *from, const char *to)
{
    static char out[4096];
    const char *at = strstr(old_text, from);

    if (at == 0)
	return old_text;
    snprintf(out, sizeof(out), "%.*s%s%s", (int) (at - old_text), old_text, to,
	     at + strlen(from));
    return out;
}

int main(void)
{
    struct map *old = open_text(old_text);
    char   *p;

    if (!ok(old != 0, "the rules compile"))
	return done();
    nobody(old, "sales.example.com", "REJECT\t550 5.1.1 No such person x.rules:5");
    nobody(old, "eng.example.com", "REWRITE\t*@example.org x.rules:8");
    nobody(old, "lab.example.com", "PASS\t x.rules:12");
    nobody(old, "desk.example.com", "REWRITE\tdesk@example.com x.rules:14");
    nobody(old, "hr.example.com",
	   "TEMPFAIL\t450 4.1.1 Recipient not yet known, try again later x.rules:16");

    diff_is(old, old_text, "", "the same rules: no line");
    diff_is(old,
	    replace("canonical example.com\n", "canonical example.com\n\n# moved\n"), "",
	    "rules that only moved: no line");
    diff_is(old, replace("alice bob", "alice bob carol"),
	    "-carol@sales.example.com\tREJECT\t550 5.1.1 No such person\n"
	    "+carol@sales.example.com\tREWRITE\tcarol@example.com\n", "a member added");
    diff_is(old, replace("unknown tempfail", "unknown pass"),
	    "-*@hr.example.com\tTEMPFAIL\t450 4.1.1 Recipient not yet known, try again later\n"
	    "+*@hr.example.com\tPASS\t\n", "a policy changed");
    diff_is(old, replace("/^A/i -> a", "/^A/ -> a"),
	    "-match\tlab.example.com\t/^A/i -> a\n"
	    "+match\tlab.example.com\t/^A/ -> a\n",
	    "the flag i shown in a case-sensitive department");
    diff_is(old,
	    replace("  match /^([a-z]+)\\.([a-z]+)$/ -> $1\n",
		    "  match /^b/ -> b\n  match /^([a-z]+)\\.([a-z]+)$/ -> $1\n"),
	    "+match\tsales.example.com\t/^b/ -> b\n", "a match rule added in front");
    diff_is(old, replace("department desk.example.com\n  unknown redirect desk\n", ""),
	    "-department\tdesk.example.com\tcanonical=example.com delimiter= case=fold\n"
	    "-*@desk.example.com\tREWRITE\tdesk@example.com\n"
	    "+*@desk.example.com\tPASS\t\n"
	    "-postmaster@desk.example.com\tREWRITE\tpostmaster@example.com\n"
	    "+postmaster@desk.example.com\tPASS\t\n", "a department removed");

    p = expect_path("dir/departments.rules");
    is_str(p, "dir/departments.tests", "expect_path: .rules replaced");
    free(p);
    p = expect_path("rules");
    is_str(p, "rules.tests", "expect_path: .tests appended");
    free(p);
    map_close(old);
    return done();
}
