/*
 * resolve - aliases that point at department addresses (see resolve.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "maps/resolve.h"
#include "maps/strset.h"
#include "rewrite/address.h"
#include "rewrite/decide.h"
#include "rewrite/map.h"
#include "rewrite/record.h"

/* The state of following one entry's chain of department addresses.  An
 * address already followed to its end ("done", with how many department
 * addresses deep its chain went) is not followed again when its
 * chain still fits under CHAIN_MAX from here: its final targets are in
 * the value already.  Without that, aliases that share targets level
 * after level (a1 -> a2, b2; b1 -> a2, b2; ...) took 2^levels walks.
 * Match rules can make a new address at every step, which no memory
 * helps with: an entry may pass through FOLLOW_MAX addresses and end at
 * as many targets, ten times Postfix's virtual_alias_expansion_limit. */
struct follow {
    const struct map *map;
    struct rules *r;
    const struct rule_entry *entry;
    struct buf val;			/* the new value being built */
    const char *chain[CHAIN_MAX + 1];	/* addresses on the way */
    char    rules[CHAIN_MAX + 1][RULE_MAX];
    struct strset done;			/* address -> height of its chain */
    struct strset seen;			/* the final targets so far */
    int     visits;			/* at most FOLLOW_MAX */
    int     failed;			/* stop: an error, or no memory */
    int     nomem;
};

/* An entry that needs resolution, found on the first-pass map. */
struct todo {
    const struct rule_entry *entry;
    size_t  dept, index;
};

/* The entries to resolve: collected by a walk over the records. */
struct todo_list {
    const struct map *map;
    struct todo *v;
    size_t  n, cap;
};

/* shown_rule - "file:line" with the file as the user named it */
static void shown_rule(const struct rules *r, const char *rule, char *buf, size_t len)
{
    const char *colon = strrchr(rule, ':');
    size_t  i, n = colon ? (size_t) (colon - rule) : 0;

    for (i = 0; colon && i < r->nsrcs; i++) {
	if (strlen(r->srcs[i]->recorded) == n
	    && strncmp(r->srcs[i]->recorded, rule, n) == 0) {
	    snprintf(buf, len, "%s%s", r->srcs[i]->shown, colon);
	    return;
	}
    }
    snprintf(buf, len, "%s", rule);
}

/* follow_error - an error at the entry being resolved, once */
static void follow_error(struct follow *f, const char *msg)
{
    const struct rule_entry *e = f->entry;

    if (!f->failed)
	errs_add(&f->r->errs, e->src->shown, e->line, "%s", msg);
    f->failed = 1;
}

/* follow_nomem - out of memory: stop */
static void follow_nomem(struct follow *f)
{
    f->failed = f->nomem = 1;
}

/* follow_add - one final target, once */
static void follow_add(struct follow *f, const char *t)
{
    char    msg[100];
    int     r;

    if ((r = strset_put(&f->seen, t, 0)) <= 0) {
	if (r < 0)
	    follow_nomem(f);
	return;
    }
    if (f->seen.n > FOLLOW_MAX) {
	snprintf(msg, sizeof(msg), "alias reaches more than %d addresses", FOLLOW_MAX);
	follow_error(f, msg);
	return;
    }
    if (record_add_target(&f->val, t) < 0)
	follow_nomem(f);
}

/* loop_text - "a -> b -> a (rules x:1, x:2)" */
static void loop_text(struct follow *f, int depth, const char *again,
		      char *buf, size_t len)
{
    size_t  at = 0;
    int     i;

    for (i = 0; i <= depth && at < len; i++)
	at += snprintf(buf + at, len - at, "%s -> ", f->chain[i]);
    if (at < len)
	at += snprintf(buf + at, len - at, "%s (", again);
    for (i = 1; i <= depth + 1 && at < len; i++)
	at += snprintf(buf + at, len - at, "%s%s", i > 1 ? ", " : "", f->rules[i]);
    if (at < len)
	snprintf(buf + at, len - at, ")");
}

/* in_department - whether an address is in one of the departments */
static int in_department(const struct map *map, const char *t)
{
    struct addr a;

    return addr_parse(t, &a) == ADDR_OK && map_department(map, a.domain) != 0;
}

/* refused - a target whose department rejects or tempfails it */
static void refused(struct follow *f, const char *addr, const struct decision *d)
{
    char    buf[1024], msg[1200];

    shown_rule(f->r, d->rule, buf, sizeof(buf));
    snprintf(msg, sizeof(msg), "target %s is refused by its department:"
	     " %s %s %s (rule=%s)", addr, d->code, d->dsn, d->text, buf);
    follow_error(f, msg);
}

static int follow(struct follow *, const char *, int);

/* follow_target - one target of a department address: final, followed
 * already, or followed now; *height grows to its chain's; -1 at a loop */
static int follow_target(struct follow *f, const struct decision *d, const char *t,
			 int depth, int *height)
{
    char    buf[1024], msg[1200];
    int     i, h;

    if (!in_department(f->map, t)) {
	follow_add(f, t);
	return 0;
    }
    if ((h = strset_get(&f->done, t)) < 0 || depth + 1 + h >= CHAIN_MAX) {
	shown_rule(f->r, d->rule, f->rules[depth + 1], RULE_MAX);
	for (i = 0; i <= depth && strcmp(f->chain[i], t) != 0; i++)
	    /* void */ ;
	if (i <= depth || depth + 1 >= CHAIN_MAX) {
	    loop_text(f, depth, t, buf, sizeof(buf));
	    snprintf(msg, sizeof(msg), "alias %s: %s", i <= depth ? "loop"
		     : "chain too long", buf);
	    follow_error(f, msg);
	    return -1;
	}
	f->chain[depth + 1] = t;
	h = follow(f, t, depth + 1);
    }
    if (h + 1 > *height)
	*height = h + 1;
    return 0;
}

/* follow - the final targets of a department address; how many department
 * addresses deep its chain goes below it */
static int follow(struct follow *f, const char *addr, int depth)
{
    struct decision d;
    const char *t;
    char    msg[100];
    int     height = 0;

    if (++f->visits > FOLLOW_MAX) {
	snprintf(msg, sizeof(msg), "alias chain passes through more than %d"
		 " department addresses", FOLLOW_MAX);
	follow_error(f, msg);
	return 0;
    }
    decision_init(&d);
    if (decide(f->map, addr, &d, 0, 0) < 0)
	follow_nomem(f);
    else if (d.action == DECIDE_PASS)
	follow_add(f, addr);
    else if (d.action != DECIDE_REWRITE)
	refused(f, addr, &d);
    for (t = decision_target(&d, 0); t && !f->failed && d.action == DECIDE_REWRITE;
	 t = decision_target(&d, t))
	if (follow_target(f, &d, t, depth, &height) < 0)
	    break;
    if (!f->failed && strset_put(&f->done, addr, height) < 0)
	follow_nomem(f);
    decision_free(&d);
    return height;
}

/* resolve_entry - an entry's final targets, added to res; -1 without
 * memory (an error the user must fix is in r->errs, and adds nothing) */
static int resolve_entry(const struct map *map, struct rules *r, const struct todo *t,
			 struct resolution *res)
{
    struct follow f;
    struct resolved *rv;
    char    self[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];

    memset(&f, 0, sizeof(f));
    f.map = map, f.r = r, f.entry = t->entry;
    if (addr_format(self, sizeof(self), t->entry->key, r->depts[t->dept].domain) < 0)
	return 0;				/* a folded name too long: as written */
    if (record_add_rule(&f.val, t->entry->src->recorded, t->entry->line) < 0
	|| (t->entry->dn && record_add_dn(&f.val, t->entry->dn) < 0))
	follow_nomem(&f);
    f.chain[0] = self;
    strcpy(f.rules[0], "-");
    if (!f.failed)
	(void) follow(&f, self, 0);
    strset_free(&f.done);
    strset_free(&f.seen);
    if (!f.failed && grow((void **) &res->v, &res->cap, res->n + 1, sizeof(*rv)) < 0)
	follow_nomem(&f);
    if (f.failed) {
	buf_free(&f.val);
	errno = ENOMEM;
	return f.nomem ? -1 : 0;
    }
    rv = res->v + res->n++;
    rv->dept = t->dept, rv->index = t->index;
    rv->val = f.val.s, rv->vlen = f.val.len;
    return 0;
}

/* needs_resolution - whether a record has a department address target */
static int needs_resolution(const struct map *map, const struct rec *rec)
{
    size_t  pos = 0, tlen;
    const char *t;
    char    buf[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];

    while (record_target_next(rec->val, rec->vlen, &pos, &t, &tlen)) {
	if (tlen >= sizeof(buf))
	    continue;
	memcpy(buf, t, tlen);
	buf[tlen] = 0;
	if (in_department(map, buf))
	    return 1;
    }
    return 0;
}

/* collect - a member or alias that needs resolution, to the list */
static int collect(void *ctx, const struct rec *rec)
{
    struct todo_list *l = ctx;
    struct todo *t;

    if (rec->entry == 0 || !needs_resolution(l->map, rec))
	return 0;
    if (grow((void **) &l->v, &l->cap, l->n + 1, sizeof(*t)) < 0)
	return -1;
    t = l->v + l->n++;
    t->entry = rec->entry, t->dept = rec->dept, t->index = rec->index;
    return 0;
}

/* src_order - the position of a rule source in the order it was read */
static size_t src_order(const struct rules *r, const struct rule_src *src)
{
    size_t  i;

    for (i = 0; i < r->nsrcs && r->srcs[i] != src; i++)
	/* void */ ;
    return i;
}

/* in_file_order - entries by where their rule stands, for error order */
static int in_file_order(const void *a, const void *b, void *ctx)
{
    const struct rule_entry *x = ((const struct todo *) a)->entry;
    const struct rule_entry *y = ((const struct todo *) b)->entry;
    size_t  sx = src_order(ctx, x->src), sy = src_order(ctx, y->src);

    if (sx != sy)
	return sx < sy ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* resolve_all - the final targets of every entry in the list */
static int resolve_all(struct todo_list *l, struct records *rs, struct resolution *res)
{
    size_t  i;

    qsort_r(l->v, l->n, sizeof(*l->v), in_file_order, rs->r);
    for (i = 0; i < l->n; i++)
	if (resolve_entry(l->map, rs->r, l->v + i, res) < 0)
	    return -1;
    if (res->n > 1)
	qsort(res->v, res->n, sizeof(*res->v), resolution_cmp);
    return 0;
}

/* resolve_chains - follow every target that is a department address */
enum compile_result resolve_chains(struct records *rs, int fd, struct resolution *res,
				   char *err, size_t errlen)
{
    struct map *map = 0;
    struct todo_list l;
    enum compile_result ret = COMPILE_SYSTEM;
    int     dupfd;

    memset(&l, 0, sizeof(l));
    memset(res, 0, sizeof(*res));
    if ((dupfd = dup(fd)) < 0)
	goto fail;
    if (map_open_fd(dupfd, &map, err, errlen) < 0) {
	if (errno == ENOMEM)
	    errs_nomem(&rs->r->errs);
	goto out;
    }
    l.map = map;
    if (records_walk(rs, 0, collect, &l) < 0 || resolve_all(&l, rs, res) < 0)
	goto fail;
    ret = rs->r->errs.count ? COMPILE_RULES : COMPILE_OK;
    goto out;
fail:
    if (errno == ENOMEM)
	errs_nomem(&rs->r->errs);
    snprintf(err, errlen, "%s", strerror(errno));
out:
    free(l.v);
    map_close(map);
    return ret;
}
