#ifndef DEPT_RESOLVE_H
#define DEPT_RESOLVE_H
/*
 * resolve - aliases that point at department addresses, followed to the end
 *
 * resolve_chains() opens the map just written to fd (by records_write(),
 * without res) as a first-pass map and, for every member or alias that
 * has a department address among its targets, asks decide() on that map
 * where each one goes, over and over, until only addresses outside the
 * departments are left: those are the entry's value in res.  Loops,
 * chains deeper than CHAIN_MAX, more than FOLLOW_MAX addresses and
 * targets a department refuses are errors in rs->r->errs, at the entry's
 * rule, in file order (COMPILE_RULES).  COMPILE_SYSTEM says in err what
 * failed: the system, or the map reader on the first-pass map.  The
 * caller frees res with resolution_free(), whatever the result.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "maps/compile.h"
#include "maps/records.h"

#define CHAIN_MAX	32			/* alias chain depth */
#define FOLLOW_MAX	10000			/* addresses on the way, targets at the end */

enum compile_result resolve_chains(struct records *rs, int fd, struct resolution *res,
				   char *err, size_t errlen);

#endif
