#ifndef DEPT_RECORDS_H
#define DEPT_RECORDS_H
/*
 * records - the records of a map, made from checked rules in key order
 *
 * A map's records must reach the writer in key order (writer.h), and a
 * large roster must not be held twice in memory, so the records are never
 * collected: records_plan() sorts r->depts by domain and works out the
 * order once, and records_walk() makes each record when its turn comes
 * and hands it to fn.  The keys are spelled by rewrite/record alone; the
 * plan only relies on this: the records of one kind for one department
 * (its addr: records, its dept: record, its index: record, its match:
 * records) lie together in key order.  So the plan is these blocks,
 * sorted by a key from each; inside a block addr: records follow the
 * entries, which rules_finish() sorted by name, and match: records the
 * order of their own keys.  The writer checks the order it is given.
 *
 * A record of a member or alias comes with its department and entry
 * (positions in r->depts and d->entries); its value is the one res holds
 * for that entry, when there is one (resolve.h fills res), else the
 * targets as written.  A walk sets rs->chains when some written target is
 * a department address.  records_write() walks into a map on fd.
 *
 * records_plan(), records_walk() and records_write() return 0, or -1 with
 * errno set (or fn's -1).  The plan owns its memory; records_free()
 * releases it, after records_plan() whatever it returned.  res owns its
 * values, sorted with resolution_cmp(); resolution_free() releases them.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "maps/rules.h"

/* One record while it is handed over: valid until fn returns. */
struct rec {
    const char *key;
    size_t  klen;
    const char *val;
    size_t  vlen;
    const struct rule_entry *entry;	/* members and aliases, else NULL */
    size_t  dept, index;		/* of entry, in r->depts, d->entries */
};

struct record_block;

struct records {
    struct rules *r;
    struct record_block *blocks;	/* in key order */
    size_t  nblocks;
    size_t  n;				/* records, meta not counted */
    int     chains;			/* some target is a department address */
};

/* The values that replace those of some members and aliases. */
struct resolved {
    size_t  dept, index;		/* the entry, as in struct rec */
    char   *val;
    size_t  vlen;
};

struct resolution {
    struct resolved *v;			/* sorted by dept, then index */
    size_t  n, cap;
};

typedef int (*records_fn)(void *ctx, const struct rec * rec);

int     records_plan(struct records *rs, struct rules *r);
int     records_walk(struct records *rs, const struct resolution *res,
		     records_fn fn, void *ctx);
int     records_write(struct records *rs, const struct resolution *res, int fd);
void    records_free(struct records *rs);
int     resolution_cmp(const void *a, const void *b);
void    resolution_free(struct resolution *res);

#endif
