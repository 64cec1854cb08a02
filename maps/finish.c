/*
 * finish - the checks of a rules file that need all of it (see rules.h)
 *
 * rules_finish() settles what each department inherits from the defaults
 * (canonical domain, delimiters, case), folds keys where case does not
 * matter, gives a postmaster to departments whose rules name none
 * (postmaster.h), sorts the entries and reports duplicate names with both
 * places.  A name that directory entries give twice to the same target (one
 * person found by two searches, or two of their proxy addresses that
 * differ in case) is kept once, from the first.
 * rules_keep() copies a string into the rules' arena, and rules_free()
 * releases a struct rules and its arena.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include "maps/rules.h"
#include "maps/postmaster.h"
#include "maps/directory.h"
#include "rewrite/address.h"

/* entry_cmp - by key, then by order of appearance */
static int entry_cmp(const void *a, const void *b)
{
    const struct rule_entry *x = a, *y = b;
    int     c = strcmp(x->key, y->key);

    if (c)
	return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* rules_keep - a copy of s in the rules' arena; NULL (noted) when memory
 * ran out */
char   *rules_keep(struct rules *r, const char *s)
{
    char   *copy = arena_strndup(&r->mem, s, strlen(s));

    if (copy == 0)
	errs_nomem(&r->errs);
    return copy;
}

/* inherit_copy - *slot, when unset, becomes a copy of value */
static void inherit_copy(struct rules *r, char **slot, const char *value)
{
    if (*slot == 0 && value)
	*slot = rules_keep(r, value);
}

/* inherit - the department's settings, or the defaults */
static void inherit(struct rules *r, struct rule_dept *d)
{
    inherit_copy(r, &d->canonical, r->canonical);
    if (d->canonical == 0 && !r->errs.nomem)
	errs_add(&r->errs, d->src->shown, d->line, "department %s has no canonical"
		 " domain (add \"canonical DOMAIN\")", d->domain);
    else if (d->canonical && strcmp(d->canonical, d->domain) == 0)
	errs_add(&r->errs, d->src->shown, d->line, "department %s cannot be its"
		 " own canonical domain", d->domain);
    inherit_copy(r, &d->delimiters, r->delimiters ? r->delimiters : "");
    if (d->case_exact < 0)
	d->case_exact = r->case_exact;
    if (d->unknown_line == 0) {
	d->unknown = UNKNOWN_REJECT;
	strcpy(d->code, "550");
	strcpy(d->dsn, "5.1.1");
	inherit_copy(r, &d->text, "No such user here");
    }
}

/* same_member - two directory entries of one name with the same target */
static int same_member(const struct rule_entry *a, const struct rule_entry *b)
{
    const struct rule_target *x = a->targets, *y = b->targets;

    return a->dn && b->dn && a->ntargets == 1 && b->ntargets == 1
	&& strcmp(x->local, y->local) == 0
	&& (x->domain && y->domain ? strcmp(x->domain, y->domain) == 0
	    : x->domain == y->domain);
}

/* report_duplicate - a name given twice, both places (and entries) named */
static void report_duplicate(struct rules *r, const struct rule_dept *d,
			     const struct rule_entry *first, const struct rule_entry *e)
{
    errs_add(&r->errs, e->src->shown, e->line, "duplicate name \"%s\" in"
	     " %s%s%s (first at %s:%ld%s%s)", e->key, d->domain,
	     e->dn ? " from directory entry " : "", e->dn ? e->dn : "",
	     first->src->shown, first->line, first->dn ? ", directory entry " : "",
	     first->dn ? first->dn : "");
}

/* check_duplicates - sort entries; report every key given twice */
static void check_duplicates(struct rules *r, struct rule_dept *d)
{
    size_t  i, k;
    struct rule_entry *e;

    if (d->nentries < 2)
	return;
    for (i = 1; i < d->nentries && strcmp(d->entries[i - 1].key, d->entries[i].key) < 0;
	 i++)
	/* a roster is often sorted already: no sort, no copy of the array */ ;
    if (i == d->nentries)			/* and strictly: no duplicates */
	return;
    qsort(d->entries, d->nentries, sizeof(*d->entries), entry_cmp);
    for (i = k = 1; i < d->nentries; i++) {
	e = d->entries + i;
	if (strcmp(d->entries[k - 1].key, e->key) == 0) {
	    if (same_member(d->entries + k - 1, e))
		continue;
	    report_duplicate(r, d, d->entries + k - 1, e);
	}
	d->entries[k++] = *e;
    }
    d->nentries = k;
}

/* check_redirect - a redirect must name a final address, not a department */
static void check_redirect(struct rules *r, const struct rule_dept *d)
{
    char    shown[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];
    const char *domain = d->redirect.domain ? d->redirect.domain : d->canonical;
    size_t  i;

    if (d->redirect.local == 0 || domain == 0)
	return;
    for (i = 0; i < r->ndepts; i++)
	if (strcmp(r->depts[i].domain, domain) == 0
	    && addr_format(shown, sizeof(shown), d->redirect.local, domain) == 0)
	    errs_add(&r->errs, d->src->shown, d->unknown_line, "unknown redirect"
		     " to %s, a department address: name its final address", shown);
}

/* fold_key - a member or alias name as the map spells its key
 * (addr_key: case-folded where case does not matter); a new copy only
 * when folding changed it */
static void fold_key(struct rules *r, const struct rule_dept *d, struct rule_entry *e)
{
    char    key[3 * ADDR_LOCAL_MAX + 1];
    size_t  len = strlen(e->key);
    ssize_t n;

    if (len > ADDR_LOCAL_MAX
	|| (n = addr_key(e->key, len, d->case_exact, key, sizeof(key))) < 0) {
	errs_add(&r->errs, e->src->shown, e->line, "name \"%s\" does not fit"
		 " when case-folded", e->key);
	return;
    }
    if ((size_t) n != len || memcmp(key, e->key, len) != 0)
	e->key = rules_keep(r, key);
}

/* rules_finish - settle inheritance, check targets against the mailbox
 * list, fold keys, postmaster, duplicates */
void rules_finish(struct rules *r)
{
    struct rule_dept *d;
    size_t  i, k;

    mailboxes_seal(&r->mbox);
    for (k = 0; k < r->ndepts; k++) {
	d = r->depts + k;
	inherit(r, d);
	mailboxes_check(r, d);
	for (i = 0; i < d->nmatches; i++)
	    d->matches[i].caseless |= !d->case_exact;
	for (i = 0; i < d->nentries; i++)
	    if (d->entries[i].key)
		fold_key(r, d, d->entries + i);
	postmaster_default(r, d);
	check_duplicates(r, d);
	check_redirect(r, d);
    }
}

/* free_dept - the arrays of one department (its strings are in the arena) */
static void free_dept(struct rule_dept *d)
{
    free(d->entries);
    free(d->matches);
}

/* rules_free - release everything a struct rules holds */
void rules_free(struct rules *r)
{
    size_t  i;

    for (i = 0; i < r->ndepts; i++)
	free_dept(r->depts + i);
    free(r->srcs);
    free(r->depts);
    mailboxes_free(&r->mbox);
    directory_free(r->dir);
    errs_free(&r->errs);
    arena_free(&r->mem);
    memset(r, 0, sizeof(*r));
}
