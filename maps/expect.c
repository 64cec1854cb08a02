/*
 * expect - a tests file: the answers expected of a map (see expect.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "maps/expect.h"
#include "maps/answer.h"
#include "maps/lines.h"
#include "rewrite/decide.h"

#define RULE_PREFIX	"rule="

/* One line of a tests file; the strings point into the line. */
struct expectation {
    char   *addr;
    char   *action;
    char   *detail;			/* "" when there is none */
    char   *rule;			/* "rule=...", NULL: not compared */
};

/* expect_path - RULES with .rules replaced by .tests */
char   *expect_path(const char *rules)
{
    size_t  n = strlen(rules);
    char   *out = malloc(n + 7);

    if (out == 0)
	return 0;
    if (n > 6 && strcmp(rules + n - 6, ".rules") == 0)
	n -= 6;
    sprintf(out, "%.*s.tests", (int) n, rules);
    return out;
}

/* trim - s without blanks at either end, in place */
static char *trim(char *s)
{
    char   *end;

    s += strspn(s, " \t");
    for (end = s + strlen(s); end > s && (end[-1] == ' ' || end[-1] == '\t'); end--)
	/* void */ ;
    *end = 0;
    return s;
}

/* is_rule - whether a field is the rule= field */
static int is_rule(const char *f)
{
    return strncmp(f, RULE_PREFIX, strlen(RULE_PREFIX)) == 0;
}

/* split_tabs - fields separated by tabs, as deptmap query prints them */
static const char *split_tabs(char *line, struct expectation *x)
{
    char   *f[4], *tab;
    size_t  n = 0, i;

    for (;;) {
	if (n == 4)
	    return "more fields than ADDRESS, ACTION, DETAIL and rule=";
	f[n++] = line;
	if ((tab = strchr(line, '\t')) == 0)
	    break;
	*tab = 0;
	line = tab + 1;
    }
    for (i = 0; i < n; i++)
	f[i] = trim(f[i]);
    x->rule = n >= 3 && is_rule(f[n - 1]) ? f[--n] : 0;
    if (n < 2 || n > 3)
	return n < 2 ? "expected ADDRESS, ACTION, DETAIL and rule=, separated by tabs"
	    : "the fourth field must be rule=";
    x->addr = f[0];
    x->action = f[1];
    x->detail = n == 3 ? f[2] : f[1] + strlen(f[1]);
    return 0;
}

/* split_blanks - fields separated by blanks, as a person may write them */
static const char *split_blanks(char *line, struct expectation *x)
{
    char   *last, *rest = 0;

    x->addr = strtok_r(line, " ", &rest);
    x->action = strtok_r(0, " ", &rest);
    if (x->addr == 0 || x->action == 0)
	return "expected ADDRESS, ACTION, DETAIL and rule=, separated by tabs";
    x->detail = trim(rest ? rest : x->action + strlen(x->action));
    x->rule = 0;
    last = strrchr(x->detail, ' ');
    if (is_rule(last ? last + 1 : x->detail)) {
	x->rule = last ? last + 1 : x->detail;
	if (last)
	    *last = 0;
	x->detail = last ? trim(x->detail) : x->detail + strlen(x->detail);
    }
    return 0;
}

/* parse - one line of a tests file, without blanks at either end: NULL,
 * or what is wrong with it */
static const char *parse(char *line, struct expectation *x)
{
    return strchr(line, '\t') ? split_tabs(line, x) : split_blanks(line, x);
}

/* action_known - whether an expected action is one decide() gives */
static int action_known(const char *action)
{
    int     i;

    for (i = DECIDE_PASS; i <= DECIDE_TEMPFAIL; i++)
	if (strcmp(action, decision_action_name(i)) == 0)
	    return 1;
    return 0;
}

/* shown - an answer for a message: tabs as blanks, none at the end */
static char *shown(struct buf *b)
{
    char   *p;

    for (p = b->s; *p; p++)
	if (*p == '\t')
	    *p = ' ';
    while (b->len > 0 && b->s[b->len - 1] == ' ')
	b->s[--b->len] = 0;
    return b->s;
}

/* check - one expectation: 0 as expected, 1 not, -1 no memory */
static int check(const struct map *map, const struct expectation *x,
		 struct lines *l, struct decision *d)
{
    struct buf got = { 0 }, want = { 0 };
    int     ret = -1;

    if (decide(map, x->addr, d, 0, 0) < 0 || answer_add(&got, d) < 0
	|| buf_addf(&want, "%s\t%s", x->action, x->detail) < 0)
	goto out;
    ret = 0;
    if (strcmp(got.s, want.s) == 0
	&& (x->rule == 0 || strcmp(x->rule + strlen(RULE_PREFIX), d->rule) == 0))
	goto out;
    ret = 1;
    shown(&want);
    if (x->rule && (buf_adds(&want, " ") < 0 || buf_adds(&want, x->rule) < 0))
	ret = -1;
    else
	errs_add(l->errs, l->shown, l->line, "%s: expected %s, got %s rule=%s",
		 x->addr, want.s, shown(&got), d->rule);
out:
    buf_free(&got);
    buf_free(&want);
    return ret;
}

/* run_lines - every line of an open tests file */
static int run_lines(struct lines *l, const struct map *map, struct expect_count *count)
{
    struct expectation x;
    struct decision d;
    const char *why;
    char   *line;
    size_t  len;
    long    last = 0;
    int     r = 0;

    decision_init(&d);
    while (r >= 0 && (line = lines_next(l, &len)) != 0) {
	count->failed += l->line - last - 1;	/* lines that could not be read */
	count->tests += l->line - last - 1;
	last = l->line;
	line = trim(line);
	if (*line == 0 || *line == '#')
	    continue;
	count->tests++;
	if ((why = parse(line, &x)) != 0) {
	    errs_add(l->errs, l->shown, l->line, "malformed test: %s", why);
	    count->failed++;
	} else if (!action_known(x.action)) {
	    errs_add(l->errs, l->shown, l->line, "malformed test: unknown action \"%s\""
		     " (PASS, REJECT, REWRITE or TEMPFAIL)", x.action);
	    count->failed++;
	} else if ((r = check(map, &x, l, &d)) > 0)
	    count->failed++;
    }
    count->failed += l->line - last;		/* unreadable lines at the end */
    count->tests += l->line - last;
    decision_free(&d);
    if (r < 0)
	errs_nomem(l->errs);
    return r < 0 ? -1 : 0;
}

/* expect_run - check every line of a tests file against map */
enum expect_result expect_run(const char *path, const struct map *map,
			      struct errs *errs, struct expect_count *count)
{
    struct lines l;
    FILE   *fp;
    enum expect_result ret = EXPECT_SYSTEM;

    count->tests = count->failed = 0;
    if ((fp = fopen(path, "r")) == 0) {
	if (errno == ENOMEM) {
	    errs_nomem(errs);
	    return EXPECT_SYSTEM;
	}
	errs_add(errs, path, 0, "cannot open: %s", strerror(errno));
	return EXPECT_FAIL;
    }
    lines_start(&l, fp, path, errs);
    if (run_lines(&l, map, count) == 0 && !errs->nomem) {
	ret = count->failed ? EXPECT_FAIL : EXPECT_PASS;
	if (lines_error(&l)) {
	    errs_add(errs, path, 0, "read error: %s", strerror(errno));
	    ret = EXPECT_FAIL;
	}
    }
    lines_end(&l);
    fclose(fp);
    return ret;
}
