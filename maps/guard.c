/*
 * guard - the shrink guard (see guard.h)
 *
 * One walk over the records of the map in place: each addr: record is
 * counted for its department and looked up in the same department of the
 * map to come, which tinycdb answers by hash.  Memory: one struct loss per
 * department of the map in place, and the few names an error shows.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "maps/guard.h"
#include "rewrite/buf.h"
#include "rewrite/record.h"

/* What one department of the map in place would lose. */
struct loss {
    const struct map_dept *next;	/* the same department in the new map */
    size_t  total;			/* names in the map in place */
    size_t  lost;			/* of them, missing from the new map */
    size_t  shown;			/* of them, in names */
    struct buf names;			/* "a, b, c" */
};

/* The state of one comparison. */
struct compare {
    const struct map *old;
    const struct map *next;
    struct loss *loss;			/* by department index in old */
    const struct map_dept *dept;	/* of the record before, in old */
};

/* guard_limit - a department's shrink-limit, inherited when unset */
int guard_limit(const struct rules *r, const struct rule_dept *d)
{
    if (d->shrink_line)
	return d->shrink_limit;
    return r->shrink_line ? r->shrink_limit : SHRINK_DEFAULT;
}

/* old_dept - the department of old a domain names (the one before when
 * it is the same: records of one department lie together), or NULL */
static const struct map_dept *old_dept(struct compare *c, const char *dom, size_t dlen)
{
    char    domain[RECORD_DOMAIN_MAX + 1];

    if (c->dept && c->dept->domain_len == dlen
	&& memcmp(c->dept->domain, dom, dlen) == 0)
	return c->dept;
    memcpy(domain, dom, dlen);
    domain[dlen] = 0;
    return c->dept = map_department(c->old, domain);
}

/* note_lost - one more name that would go; the first few are kept */
static int note_lost(struct loss *l, const char *local, size_t llen)
{
    l->lost++;
    if (l->shown >= GUARD_SHOWN || l->names.len + llen > GUARD_SHOWN_BYTES)
	return 0;
    if ((l->shown && buf_add(&l->names, ", ", 2) < 0)
	|| buf_add(&l->names, local, llen) < 0)
	return -1;
    l->shown++;
    return 0;
}

/* count_record - one record of old: a name kept or lost (postmaster,
 * which every department has, does not count); 0, or -1 */
static int count_record(struct compare *c, const struct map_record *rec)
{
    const char *dom, *local;
    size_t  dlen, llen;
    const struct map_dept *od;
    struct loss *l;
    struct record_addr entry;
    int     found;

    if (!record_key_addr_parse(rec->key, rec->klen, &dom, &dlen, &local, &llen)
	|| (od = old_dept(c, dom, dlen)) == 0)
	return 0;
    if (llen == 10 && memcmp(local, "postmaster", 10) == 0)
	return 0;				/* every department's, not a person */
    l = c->loss + od->index;
    l->total++;
    if (l->next == 0)
	return 0;
    if ((found = map_entry(c->next, l->next, local, llen, &entry)) < 0) {
	errno = EIO;
	return -1;
    }
    return found ? 0 : note_lost(l, local, llen);
}

/* refuse - the error of one department over its limit */
static void refuse(const struct rule_dept *d, const struct loss *l, int limit,
		   struct errs *errs)
{
    char    more[64] = "";

    if (l->lost > l->shown)
	snprintf(more, sizeof(more), " and %zu more", l->lost - l->shown);
    errs_add(errs, d->src->shown, d->line, "department %s would lose %zu of its %zu"
	     " names (%zu%%, over its shrink-limit of %d%%): %s%s; nothing written"
	     " (deptmap compile --force accepts it)", d->domain, l->lost, l->total,
	     l->lost * 100 / l->total, limit, l->names.s ? l->names.s : "", more);
}

/* judge - refuse each department of r over its limit; how many were */
static int judge(const struct rules *r, struct compare *c, struct errs *errs)
{
    const struct map_dept *od;
    const struct loss *l;
    size_t  i;
    int     limit, refused = 0;

    for (i = 0; i < r->ndepts; i++) {
	if ((limit = guard_limit(r, r->depts + i)) == SHRINK_NONE
	    || (od = map_department(c->old, r->depts[i].domain)) == 0)
	    continue;
	l = c->loss + od->index;
	if (l->lost > 1 && l->lost * 100 > (size_t) limit * l->total) {
	    refuse(r->depts + i, l, limit, errs);
	    refused++;
	}
    }
    return refused;
}

/* guard_check - refuse the departments that would shrink too much */
int guard_check(const struct rules *r, const struct map *old,
		const struct map *next, struct errs *errs)
{
    struct compare c;
    struct map_record rec;
    unsigned pos = 0;
    size_t  i;
    int     ret = -1;

    memset(&c, 0, sizeof(c));
    c.old = old, c.next = next;
    if (old->ndepts && (c.loss = calloc(old->ndepts, sizeof(*c.loss))) == 0) {
	errs_nomem(errs);
	return -1;
    }
    for (i = 0; i < old->ndepts; i++)
	c.loss[i].next = map_department(next, old->depts[i].domain);
    while (map_record_next(old, &pos, &rec))
	if (count_record(&c, &rec) < 0)
	    goto out;
    ret = judge(r, &c, errs);
out:
    if (ret < 0 && errno == ENOMEM)
	errs_nomem(errs);
    for (i = 0; i < old->ndepts; i++)
	buf_free(&c.loss[i].names);
    free(c.loss);
    return ret;
}
