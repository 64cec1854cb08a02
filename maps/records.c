/*
 * records - the records of a map, made from checked rules in key order
 * (see records.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "maps/records.h"
#include "maps/target.h"
#include "maps/writer.h"
#include "rewrite/address.h"
#include "rewrite/record.h"
#include "rewrite/sources.h"

enum block_kind {
    BLOCK_ADDR,				/* a department's members and aliases */
    BLOCK_DEPT,				/* its dept: record */
    BLOCK_INDEX,			/* the index: record of its position */
    BLOCK_MATCH,			/* its match rules */
    BLOCK_MAILBOX,			/* the mailbox list's mailboxes */
    BLOCK_MAILBOXES,			/* the domains it covers */
};

struct record_block {
    enum block_kind kind;
    size_t  dept;			/* position in r->depts */
    size_t *order;			/* match: rule numbers in key order */
};

/* A key to sort by, and what it stands for. */
struct keyed {
    char   *key;
    size_t  klen;
    size_t  i;
};

/* The state of one walk: one key and one value buffer for every record. */
struct walk {
    struct records *rs;
    const struct resolution *res;
    records_fn fn;
    void   *ctx;
    char    key[RECORD_KEY_MAX];
    struct buf val;
    struct rec rec;
};

/* keyed_cmp - by key bytes */
static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int     c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* key_result - a key's length, or -1 with errno when it did not fit */
static int key_result(int klen)
{
    if (klen < 0)
	errno = ENAMETOOLONG;
    return klen;
}

/* copy_key - a key spelled already, into buf */
static int copy_key(char *buf, size_t len, const char *key)
{
    size_t  n = strlen(key);

    if (n >= len)
	return key_result(-1);
    memcpy(buf, key, n + 1);
    return (int) n;
}

/* block_key - the key of the first record a block makes */
static int block_key(const struct rules *r, const struct record_block *b,
		     char *buf, size_t len)
{
    const struct rule_dept *d = r->depts + b->dept;

    switch (b->kind) {
    case BLOCK_ADDR:
	return key_result(record_key_addr(buf, len, d->domain, strlen(d->domain),
					  d->entries[0].key, strlen(d->entries[0].key)));
    case BLOCK_DEPT:
	return key_result(record_key_dept(buf, len, d->domain));
    case BLOCK_INDEX:
	return key_result(record_key_index(buf, len, b->dept));
    case BLOCK_MATCH:
	return key_result(record_key_match(buf, len, d->domain, b->order[0]));
    case BLOCK_MAILBOX:			/* kept as keys already */
	return copy_key(buf, len, r->mbox.keys[0]);
    case BLOCK_MAILBOXES:
	return copy_key(buf, len, RECORD_KEY_MAILBOXES);
    }
    return -1;
}

/* keyed_free - the keys and the array */
static void keyed_free(struct keyed *v, size_t n)
{
    size_t  i;

    for (i = 0; v && i < n; i++)
	free(v[i].key);
    free(v);
}

/* key_order - 0..n-1 in the byte order of their keys; NULL with errno */
static size_t *key_order(size_t n, int (*key)(const void *, size_t, char *, size_t),
			 const void *ctx)
{
    struct keyed *v = calloc(n, sizeof(*v));
    size_t *order = calloc(n, sizeof(*order));
    char    buf[RECORD_KEY_MAX];
    size_t  i;
    int     klen = 0;

    for (i = 0; v && order && i < n && klen >= 0; i++) {
	if ((klen = key(ctx, i, buf, sizeof(buf))) >= 0
	    && (v[i].key = malloc(klen + 1)) == 0)
	    klen = -1;
	else if (klen >= 0)
	    memcpy(v[i].key, buf, klen), v[i].klen = klen, v[i].i = i;
    }
    if (v && order && klen >= 0) {
	qsort(v, n, sizeof(*v), keyed_cmp);
	for (i = 0; i < n; i++)
	    order[i] = v[i].i;
    } else
	free(order), order = 0;
    keyed_free(v, n);
    return order;
}

/* match_key - the key of match rule i of a department */
static int match_key(const void *ctx, size_t i, char *buf, size_t len)
{
    const struct rule_dept *d = ctx;

    return key_result(record_key_match(buf, len, d->domain, i));
}

/* plan_key - the key that sorts block i */
static int plan_key(const void *ctx, size_t i, char *buf, size_t len)
{
    const struct records *rs = ctx;

    return block_key(rs->r, rs->blocks + i, buf, len);
}

/* add_block - one more block; -1 without memory (order is not taken) */
static int add_block(struct records *rs, size_t *cap, enum block_kind kind,
		     size_t dept, size_t *order)
{
    struct record_block *b;

    if (grow((void **) &rs->blocks, cap, rs->nblocks + 1, sizeof(*b)) < 0)
	return -1;
    b = rs->blocks + rs->nblocks++;
    b->kind = kind, b->dept = dept, b->order = order;
    return 0;
}

/* plan_dept - the blocks of one department */
static int plan_dept(struct records *rs, size_t *cap, size_t i)
{
    const struct rule_dept *d = rs->r->depts + i;
    size_t *order;

    if ((d->nentries && add_block(rs, cap, BLOCK_ADDR, i, 0) < 0)
	|| add_block(rs, cap, BLOCK_DEPT, i, 0) < 0
	|| add_block(rs, cap, BLOCK_INDEX, i, 0) < 0)
	return -1;
    rs->n += d->nentries + 2 + d->nmatches;
    if (d->nmatches == 0)
	return 0;
    if ((order = key_order(d->nmatches, match_key, d)) == 0)
	return -1;
    if (add_block(rs, cap, BLOCK_MATCH, i, order) < 0) {
	free(order);
	return -1;
    }
    return 0;
}

/* plan_mailboxes - the blocks of the mailbox list, when there is one */
static int plan_mailboxes(struct records *rs, size_t *cap)
{
    const struct mailboxes *m = &rs->r->mbox;

    if (!m->declared)
	return 0;
    if ((m->nkeys && add_block(rs, cap, BLOCK_MAILBOX, 0, 0) < 0)
	|| add_block(rs, cap, BLOCK_MAILBOXES, 0, 0) < 0)
	return -1;
    rs->n += m->nkeys + 1;
    return 0;
}

/* records_plan - the blocks of every department, in key order */
int records_plan(struct records *rs, struct rules *r)
{
    struct record_block *sorted;
    size_t  i, cap = 0, *order;

    memset(rs, 0, sizeof(*rs));
    rs->r = r;
    rs->n = r->nsrcs > 0;			/* the sources record */
    if (r->ndepts > 1)
	qsort(r->depts, r->ndepts, sizeof(*r->depts), target_dept_cmp);
    for (i = 0; i < r->ndepts; i++)
	if (plan_dept(rs, &cap, i) < 0)
	    return -1;
    if (plan_mailboxes(rs, &cap) < 0)
	return -1;
    if (rs->nblocks < 2)
	return 0;
    if ((order = key_order(rs->nblocks, plan_key, rs)) == 0
	|| (sorted = calloc(rs->nblocks, sizeof(*sorted))) == 0) {
	free(order);
	return -1;
    }
    for (i = 0; i < rs->nblocks; i++)
	sorted[i] = rs->blocks[order[i]];
    free(rs->blocks);
    free(order);
    rs->blocks = sorted;
    return 0;
}

/* records_free - release the plan */
void records_free(struct records *rs)
{
    size_t  i;

    for (i = 0; i < rs->nblocks; i++)
	free(rs->blocks[i].order);
    free(rs->blocks);
    memset(rs, 0, sizeof(*rs));
}

/* resolution_free - release the values */
void resolution_free(struct resolution *res)
{
    size_t  i;

    for (i = 0; i < res->n; i++)
	free(res->v[i].val);
    free(res->v);
    memset(res, 0, sizeof(*res));
}

/* resolution_cmp - resolved values by department, then entry */
int resolution_cmp(const void *a, const void *b)
{
    const struct resolved *x = a, *y = b;

    if (x->dept != y->dept)
	return x->dept < y->dept ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* resolution_find - the resolved value of an entry, or NULL */
static const struct resolved *resolution_find(const struct resolution *res,
					      size_t dept, size_t index)
{
    struct resolved key;

    if (res == 0 || res->n == 0)
	return 0;
    key.dept = dept, key.index = index;
    return bsearch(&key, res->v, res->n, sizeof(key), resolution_cmp);
}

/* addr_value - "rule=" and each target once, as written */
static int addr_value(struct records *rs, const struct rule_dept *d,
		      const struct rule_entry *e, struct buf *val)
{
    char    buf[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];
    size_t  i;

    if (record_add_rule(val, e->src->recorded, e->line) < 0
	|| (e->dn && record_add_dn(val, e->dn) < 0))
	return -1;
    for (i = 0; i < e->ntargets; i++) {
	if (target_form(rs->r, d, e->targets + i, buf, sizeof(buf), &rs->chains) < 0)
	    return -1;
	if ((i == 0 || !record_has_target(val->s, val->len, buf))
	    && record_add_target(val, buf) < 0)
	    return -1;
    }
    return 0;
}

/* dept_record - the settings of a department as the map keeps them */
static void dept_record(const struct rules *r, const struct rule_dept *d,
			struct record_dept *rd)
{
    memset(rd, 0, sizeof(*rd));
    snprintf(rd->canonical, sizeof(rd->canonical), "%s", d->canonical);
    snprintf(rd->delimiters, sizeof(rd->delimiters), "%s", d->delimiters);
    rd->case_exact = d->case_exact;
    if (d->all_line)
	snprintf(rd->all_rule, sizeof(rd->all_rule), "%s:%ld",
		 d->all_src->recorded, d->all_line);
    rd->unknown = d->unknown;
    snprintf(rd->unknown_rule, sizeof(rd->unknown_rule), "%s:%ld", d->src->recorded,
	     d->unknown_line ? d->unknown_line : d->line);
    snprintf(rd->code, sizeof(rd->code), "%s", d->code);
    snprintf(rd->dsn, sizeof(rd->dsn), "%s", d->dsn);
    snprintf(rd->text, sizeof(rd->text), "%s", d->text ? d->text : "");
    if (d->redirect.local && target_form(r, d, &d->redirect, rd->redirect,
					 sizeof(rd->redirect), 0) < 0)
	rd->redirect[0] = 0;
    rd->nmatches = d->nmatches;
}

/* emit - the record in the walk's key and value, to fn */
static int emit(struct walk *w, int klen, const char *val, size_t vlen)
{
    if (klen < 0)
	return -1;
    w->rec.key = w->key, w->rec.klen = klen;
    w->rec.val = val, w->rec.vlen = vlen;
    return w->fn(w->ctx, &w->rec);
}

/* walk_addr - one addr: record per member and alias */
static int walk_addr(struct walk *w, const struct record_block *b)
{
    const struct rule_dept *d = w->rs->r->depts + b->dept;
    const struct rule_entry *e;
    const struct resolved *rv;
    size_t  i, dlen = strlen(d->domain);
    int     klen, ret = 0;

    for (i = 0; i < d->nentries && ret == 0; i++) {
	e = d->entries + i;
	w->rec.entry = e, w->rec.dept = b->dept, w->rec.index = i;
	klen = key_result(record_key_addr(w->key, sizeof(w->key), d->domain, dlen,
					  e->key, strlen(e->key)));
	if ((rv = resolution_find(w->res, b->dept, i)) != 0) {
	    ret = emit(w, klen, rv->val, rv->vlen);
	    continue;
	}
	w->val.len = 0;
	if (addr_value(w->rs, d, e, &w->val) < 0)
	    errno = ENOMEM, ret = -1;
	else
	    ret = emit(w, klen, w->val.s, w->val.len);
    }
    w->rec.entry = 0;
    return ret;
}

/* walk_dept - the dept: record of a department */
static int walk_dept(struct walk *w, const struct record_block *b)
{
    const struct rule_dept *d = w->rs->r->depts + b->dept;
    struct record_dept rd;

    dept_record(w->rs->r, d, &rd);
    w->val.len = 0;
    if (record_dept_value(&w->val, &rd) < 0) {
	errno = ENOMEM;
	return -1;
    }
    return emit(w, key_result(record_key_dept(w->key, sizeof(w->key), d->domain)),
		w->val.s, w->val.len);
}

/* walk_index - the index: record of a department's position */
static int walk_index(struct walk *w, const struct record_block *b)
{
    w->val.len = 0;
    if (buf_adds(&w->val, w->rs->r->depts[b->dept].domain) < 0) {
	errno = ENOMEM;
	return -1;
    }
    return emit(w, key_result(record_key_index(w->key, sizeof(w->key), b->dept)),
		w->val.s, w->val.len);
}

/* walk_match - one match: record per match rule */
static int walk_match(struct walk *w, const struct record_block *b)
{
    const struct rule_dept *d = w->rs->r->depts + b->dept;
    const struct rule_match *m;
    size_t  i;
    int     ret = 0;

    for (i = 0; i < d->nmatches && ret == 0; i++) {
	m = d->matches + b->order[i];
	w->val.len = 0;
	if (record_match_value(&w->val, m->src->recorded, m->line, m->caseless,
			       m->targets, m->ntargets, m->pattern) < 0)
	    errno = ENOMEM, ret = -1;
	else
	    ret = emit(w, key_result(record_key_match(w->key, sizeof(w->key),
						      d->domain, b->order[i])),
		       w->val.s, w->val.len);
    }
    return ret;
}

/* seen_source - was the i-th source's name recorded before it? */
static int seen_source(const struct rules *r, size_t i)
{
    size_t  j;

    for (j = 0; j < i; j++)
	if (strcmp(r->srcs[j]->recorded, r->srcs[i]->recorded) == 0)
	    return 1;
    return 0;
}

/* walk_sources - the sources record: each source's name and digest (a
 * source that cannot be read again is left out: it gives no warning) */
static int walk_sources(struct walk *w)
{
    const struct rules *r = w->rs->r;
    uint64_t digest;
    size_t  i;
    int     klen = (int) strlen(RECORD_KEY_SOURCES);

    w->val.len = 0;
    for (i = 0; i < r->nsrcs; i++) {
	if (seen_source(r, i))
	    continue;
	if (sources_file_digest(r->srcs[i]->shown, &digest) < 0)
	    continue;				/* rules from a stream: no file */
	if (record_add_source(&w->val, r->srcs[i]->recorded, digest) < 0) {
	    errno = ENOMEM;
	    return -1;
	}
    }
    memcpy(w->key, RECORD_KEY_SOURCES, (size_t) klen + 1);
    return emit(w, klen, w->val.s ? w->val.s : "", w->val.len);
}

/* walk_mailbox - one mailbox: record per mailbox of the list, empty */
static int walk_mailbox(struct walk *w, const struct record_block *b)
{
    const struct mailboxes *m = &w->rs->r->mbox;
    size_t  i;
    int     ret = 0;

    (void) b;
    for (i = 0; i < m->nkeys && ret == 0; i++)
	ret = emit(w, copy_key(w->key, sizeof(w->key), m->keys[i]), "", 0);
    return ret;
}

/* walk_mailboxes - the mailboxes record: its rule and covered domains */
static int walk_mailboxes(struct walk *w, const struct record_block *b)
{
    const struct mailboxes *m = &w->rs->r->mbox;
    size_t  i;

    (void) b;
    w->val.len = 0;
    if (record_add_rule(&w->val, m->file, m->line) < 0) {
	errno = ENOMEM;
	return -1;
    }
    for (i = 0; i < m->ndomains; i++)
	if (record_add_domain(&w->val, m->domains[i]) < 0) {
	    errno = ENOMEM;
	    return -1;
	}
    return emit(w, copy_key(w->key, sizeof(w->key), RECORD_KEY_MAILBOXES),
		w->val.s, w->val.len);
}

/* records_walk - every record but meta, made in key order, to fn */
int records_walk(struct records *rs, const struct resolution *res,
		 records_fn fn, void *ctx)
{
    static int (*const walkers[])(struct walk *, const struct record_block *) = {
	[BLOCK_ADDR] = walk_addr,[BLOCK_DEPT] = walk_dept,
	[BLOCK_INDEX] = walk_index,[BLOCK_MATCH] = walk_match,
	[BLOCK_MAILBOX] = walk_mailbox,[BLOCK_MAILBOXES] = walk_mailboxes,
    };
    struct walk *w;
    size_t  i;
    int     ret = 0;

    if ((w = calloc(1, sizeof(*w))) == 0)
	return -1;
    w->rs = rs, w->res = res, w->fn = fn, w->ctx = ctx;
    for (i = 0; i < rs->nblocks && ret == 0; i++)
	ret = walkers[rs->blocks[i].kind] (w, rs->blocks + i);
    if (ret == 0 && rs->r->nsrcs > 0)
	ret = walk_sources(w);
    buf_free(&w->val);
    free(w);
    return ret;
}

/* write_one - a walked record to the writer */
static int write_one(void *ctx, const struct rec *rec)
{
    return writer_add(ctx, rec->key, rec->klen, rec->val, rec->vlen);
}

/* records_write - the map, written to fd */
int records_write(struct records *rs, const struct resolution *res, int fd)
{
    struct writer w;
    int     saved;

    if (writer_start(&w, fd, rs->r->ndepts, rs->n) < 0
	|| records_walk(rs, res, write_one, &w) < 0) {
	saved = errno;
	(void) writer_finish(&w);
	errno = saved;
	return -1;
    }
    return writer_finish(&w);
}
