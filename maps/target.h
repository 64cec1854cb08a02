#ifndef DEPT_TARGET_H
#define DEPT_TARGET_H
/*
 * target - a target as written in the rules, as the map keeps it
 *
 * target_form() writes a target (a local part, with a domain or without)
 * as one address in external form into out: without a domain it is in the
 * department's canonical domain.  It returns 0, or -1 when the address
 * does not fit in len bytes.  When the address is in one of the
 * departments (written so, or through a canonical domain that is one) it
 * sets *chains, unless chains is NULL: that target must be followed
 * further (resolve.h).
 *
 * target_dept_cmp() orders departments by domain; target_form() needs
 * r->depts in that order.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "maps/rules.h"

int     target_form(const struct rules *r, const struct rule_dept *d,
		    const struct rule_target *t, char *out, size_t len, int *chains);
int     target_dept_cmp(const void *a, const void *b);

#endif
