/*
 * records - the records of a map, built from checked rules (see records.h)
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

/* recs_add - take ownership of a key and a value */
static struct rec *recs_add(struct recs *rs, char *key, size_t klen, char *val,
			            size_t vlen)
{
    struct rec *r;

    if (key == 0 || val == 0
	|| grow((void **) &rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)) < 0) {
	free(key);
	free(val);
	rs->nomem = 1;
	return 0;
    }
    r = rs->v + rs->n++;
    memset(r, 0, sizeof(*r));
    r->key = key, r->klen = klen, r->val = val, r->vlen = vlen;
    return r;
}

/* records_free - release every record */
void    records_free(struct recs *rs)
{
    size_t  i;

    for (i = 0; i < rs->n; i++) {
	free(rs->v[i].key);
	free(rs->v[i].val);
    }
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

/* rec_cmp - records by key bytes */
static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int     c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* add_targets - "to=ADDRESS" for each target, once */
static int add_targets(struct recs *rs, const struct rules *r, const struct rule_dept *d,
		               struct buf *val, char **t, size_t n)
{
    char    buf[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];
    size_t  i;

    for (i = 0; i < n; i++) {
	if (target_form(r, d, t[i], buf, sizeof(buf), &rs->chains) < 0)
	    return -1;
	if (record_has_target(val->s, val->len, buf))
	    continue;
	if (record_add_target(val, buf) < 0)
	    return -1;
    }
    return 0;
}

/* recs_add_buf - a record of a key spelled in key (klen < 0: it did not
 * fit) and a value built in val, which the record takes */
static struct rec *recs_add_buf(struct recs *rs, const char *key, int klen,
				        struct buf *val, int ok)
{
    char   *k = klen >= 0 ? strndup(key, klen) : 0;

    if (!ok || val->s == 0) {
	free(k);
	buf_free(val);
	rs->nomem = 1;
	return 0;
    }
    return recs_add(rs, k, klen, val->s, val->len);
}

/* add_entries - one addr: record per member and alias */
static void add_entries(struct recs *rs, const struct rules *r, const struct rule_dept *d)
{
    const struct rule_entry *e;
    struct buf val;
    char    key[RECORD_KEY_MAX];
    size_t  i;
    int     klen, ok;
    struct rec *rec;

    for (i = 0; i < d->nentries && !rs->nomem; i++) {
	e = d->entries + i;
	memset(&val, 0, sizeof(val));
	klen = record_key_addr(key, sizeof(key), d->domain, strlen(d->domain),
			       e->key, strlen(e->key));
	ok = record_add_rule(&val, e->src->recorded, e->line) == 0
	    && add_targets(rs, r, d, &val, e->targets, e->ntargets) == 0;
	if ((rec = recs_add_buf(rs, key, klen, &val, ok)) != 0)
	    rec->entry = e, rec->dept = d;
    }
}

/* add_matches - one match: record per match rule, in file order */
static void add_matches(struct recs *rs, const struct rule_dept *d)
{
    const struct rule_match *m;
    struct buf val;
    char    key[RECORD_KEY_MAX];
    size_t  i;
    int     ok;

    for (i = 0; i < d->nmatches && !rs->nomem; i++) {
	m = d->matches + i;
	memset(&val, 0, sizeof(val));
	ok = record_match_value(&val, m->src->recorded, m->line, m->caseless,
				m->targets, m->ntargets, m->pattern) == 0;
	recs_add_buf(rs, key, record_key_match(key, sizeof(key), d->domain, i),
		     &val, ok);
    }
}

/* dept_record - the settings of a department as the map keeps them */
static void dept_record(const struct rules *r, const struct rule_dept *d,
			        struct record_dept *rd)
{
    int     dummy = 0;

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
    if (d->redirect && target_form(r, d, d->redirect, rd->redirect,
				   sizeof(rd->redirect), &dummy) < 0)
	rd->redirect[0] = 0;
    rd->nmatches = d->nmatches;
}

/* add_dept - the dept: and index: records of one department */
static void add_dept(struct recs *rs, const struct rules *r, const struct rule_dept *d,
		             size_t index)
{
    struct record_dept rd;
    struct buf val;
    char    key[RECORD_KEY_MAX];

    dept_record(r, d, &rd);
    memset(&val, 0, sizeof(val));
    recs_add_buf(rs, key, record_key_dept(key, sizeof(key), d->domain), &val,
		 record_dept_value(&val, &rd) == 0);
    memset(&val, 0, sizeof(val));
    recs_add_buf(rs, key, record_key_index(key, sizeof(key), index), &val,
		 buf_adds(&val, d->domain) == 0);
    add_entries(rs, r, d);
    add_matches(rs, d);
}

/* records_build - every record but meta, sorted */
int     records_build(struct recs *rs, struct rules *r)
{
    size_t  i;

    if (r->ndepts > 1)
	qsort(r->depts, r->ndepts, sizeof(*r->depts), target_dept_cmp);
    for (i = 0; i < r->ndepts && !rs->nomem; i++)
	add_dept(rs, r, r->depts + i, i);
    if (rs->nomem) {
	errno = ENOMEM;
	return -1;
    }
    if (rs->n > 1)
	qsort(rs->v, rs->n, sizeof(*rs->v), rec_cmp);
    return 0;
}

/* records_write - the map of these records, written to fd */
int     records_write(const struct recs *rs, size_t ndepts, int fd)
{
    struct writer w;
    size_t  i;

    if (writer_start(&w, fd, ndepts, rs->n) == 0)
	for (i = 0; i < rs->n; i++)
	    if (writer_add(&w, rs->v[i].key, rs->v[i].klen, rs->v[i].val,
			   rs->v[i].vlen) < 0)
		break;
    return writer_finish(&w);
}
