/*
 * target - a target as written in the rules, as the map keeps it (see target.h)
 */
#include <stdlib.h>
#include <string.h>
#include "maps/target.h"
#include "rewrite/address.h"

/* target_dept_cmp - departments by domain */
int     target_dept_cmp(const void *a, const void *b)
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

/* target_form - a written target as an external-form address */
int     target_form(const struct rules *r, const struct rule_dept *d,
		            const char *t, char *out, size_t len, int *chains)
{
    struct addr a;
    char   *u;
    int     ret;

    if (strchr(t, '@') && addr_parse(t, &a) == ADDR_OK && !a.null_sender) {
	*chains |= is_department(r, a.domain);
	return addr_format(out, len, a.local, a.domain);
    }
    if (strpbrk(t, "\"\\") == 0)		/* nothing to unquote */
	return addr_format(out, len, t, d->canonical);
    if ((u = rules_unquote(t)) == 0)
	return -1;
    ret = addr_format(out, len, u, d->canonical);
    free(u);
    return ret;
}
