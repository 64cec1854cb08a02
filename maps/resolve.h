#ifndef DEPT_RESOLVE_H
#define DEPT_RESOLVE_H
/*
 * resolve - aliases that point at department addresses, followed to the end
 *
 * resolve_chains() writes the records to a temporary file, opens it as a
 * first-pass map and, for every addr: record that has a department address
 * among its targets, asks decide() on that map where each one goes, over
 * and over, until only addresses outside the departments are left: those
 * replace the record's targets.  Loops, chains deeper than CHAIN_MAX,
 * more than FOLLOW_MAX addresses and targets a department refuses are
 * errors in r->errs, at the entry's rule, in file order (COMPILE_RULES);
 * COMPILE_SYSTEM says what failed in err.
 */
#include <stddef.h>
#include "maps/compile.h"
#include "maps/records.h"

#define CHAIN_MAX	32		/* alias chain depth */
#define FOLLOW_MAX	10000		/* addresses on the way, targets at the end */

enum compile_result resolve_chains(struct recs *rs, struct rules *r, char *err,
				   size_t errlen);

#endif
