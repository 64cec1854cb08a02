/*
 * postmaster - every department reaches a postmaster (see postmaster.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "maps/postmaster.h"
#include "rewrite/buf.h"
#include "rewrite/decide.h"
#include "rewrite/map.h"
#include "rewrite/regex.h"

#define POSTMASTER	"postmaster"

/* has_entry - whether the department has a member or alias postmaster
 * (keys are folded: addr_key folds postmaster in every department) */
static int has_entry(const struct rule_dept *d)
{
    size_t  i;

    for (i = 0; i < d->nentries; i++)
	if (strcmp(d->entries[i].key, POSTMASTER) == 0)
	    return 1;
    return 0;
}

/* matches_postmaster - whether a match rule takes "postmaster" */
static int matches_postmaster(const struct rule_match *m)
{
    pcre2_code *re;
    pcre2_match_data *md = 0;
    int     errcode, r = 0;
    size_t  off;

    if ((re = regex_compile(m->pattern, strlen(m->pattern), m->caseless, &errcode,
			    &off)) == 0)
	return 0;				/* reported by the parser */
    if ((md = pcre2_match_data_create_from_pattern(re, 0)) != 0)
	r = pcre2_match(re, (PCRE2_SPTR) POSTMASTER, strlen(POSTMASTER), 0, 0, md,
			0) >= 0;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return r;
}

/* says_postmaster - whether the department's rules say what postmaster is */
static int says_postmaster(const struct rule_dept *d)
{
    size_t  i;

    if (d->postmaster_off || d->all_line || has_entry(d))
	return 1;
    for (i = 0; i < d->nmatches; i++)
	if (matches_postmaster(d->matches + i))
	    return 1;
    return 0;
}

/* postmaster_default - postmaster -> postmaster@CANONICAL, unless the
 * rules say otherwise */
void postmaster_default(struct rules *r, struct rule_dept *d)
{
    struct rule_target *t;
    struct rule_entry *e;

    if (d->canonical == 0 || says_postmaster(d))
	return;
    if ((t = arena_alloc(&r->mem, sizeof(*t))) == 0
	|| (t->local = rules_keep(r, POSTMASTER)) == 0
	|| grow((void **) &d->entries, &d->entries_cap, d->nentries + 1,
		sizeof(*d->entries)) < 0) {
	errs_nomem(&r->errs);
	return;
    }
    t->domain = 0;				/* the canonical domain */
    e = d->entries + d->nentries;
    memset(e, 0, sizeof(*e));
    e->key = t->local;
    e->targets = t;
    e->ntargets = 1;
    e->src = d->src;
    e->line = d->line;
    e->alias = 1;
    e->seq = d->nentries++;
}

/* rule_place - the rules file and line of a decision's "file:line", as
 * the user named the file; the department's line when it is no rules
 * file's */
static void rule_place(const struct rules *r, const struct rule_dept *d,
		       const char *rule, const char **file, long *line)
{
    const char *colon = strrchr(rule, ':');
    size_t  i;

    *file = d->src->shown;
    *line = d->line;
    for (i = 0; colon && i < r->nsrcs; i++) {
	if (strlen(r->srcs[i]->recorded) == (size_t) (colon - rule)
	    && strncmp(r->srcs[i]->recorded, rule, colon - rule) == 0) {
	    *file = r->srcs[i]->shown;
	    *line = strtol(colon + 1, 0, 10);
	    return;
	}
    }
}

/* warn_refused - the warning for a department that refuses postmaster */
static void warn_refused(struct rules *r, const struct rule_dept *d,
			 const struct decision *dec)
{
    const char *file;
    long    line;

    rule_place(r, d, dec->rule, &file, &line);
    errs_warn(&r->errs, file, line, "postmaster@%s is refused (%s %s %s):"
	      " RFC 5321 wants a postmaster at every domain that takes mail;"
	      " %sadd \"alias postmaster -> ADDRESS\"",
	      d->domain, dec->code, dec->dsn, dec->text,
	      d->postmaster_off ? "drop \"postmaster off\" or " : "");
}

/* postmaster_check - warn for each department that refuses postmaster */
int postmaster_check(struct rules *r, int fd)
{
    struct map *map = 0;
    struct decision dec;
    char    err[256], addr[RECORD_DOMAIN_MAX + 16];
    size_t  i;
    int     mfd, ret = 0;

    if ((mfd = dup(fd)) < 0 || map_open_fd(mfd, &map, err, sizeof(err)) < 0)
	return -1;
    decision_init(&dec);
    for (i = 0; i < r->ndepts && ret == 0; i++) {
	snprintf(addr, sizeof(addr), POSTMASTER "@%s", r->depts[i].domain);
	if (decide(map, addr, &dec, 0, 0) < 0)
	    ret = -1;
	else if (dec.action == DECIDE_REJECT || dec.action == DECIDE_TEMPFAIL)
	    warn_refused(r, r->depts + i, &dec);
    }
    decision_free(&dec);
    map_close(map);
    return ret;
}
