/*
 * target - a target as written in the rules, as the map keeps it (see target.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include "maps/target.h"
#include "rewrite/address.h"

/* target_dept_cmp - departments by domain */
int target_dept_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rule_dept *) a)->domain,
		  ((const struct rule_dept *) b)->domain);
}

/* is_department - whether a domain is one of the departments */
static int is_department(const struct rules *r, const char *domain)
{
    struct rule_dept key;

    key.domain = (char *) domain;
    return r->ndepts > 0
	&& bsearch(&key, r->depts, r->ndepts, sizeof(key), target_dept_cmp) != 0;
}

/* target_form - a target as an external-form address; a department
 * address among them (written with its domain, or a name whose canonical
 * domain is a department) means chains to resolve */
int target_form(const struct rules *r, const struct rule_dept *d,
		const struct rule_target *t, char *out, size_t len, int *chains)
{
    const char *domain = t->domain ? t->domain : d->canonical;

    if (chains)
	*chains |= is_department(r, domain);
    return addr_format(out, len, t->local, domain);
}
