#ifndef DEPT_GUARD_H
#define DEPT_GUARD_H
/*
 * guard - the shrink guard: a department that would lose too many names
 *
 * guard_check() compares a map about to replace the map in place (next
 * against old), department by department, on the final names of each:
 * the members and aliases the map holds (its addr: records), whatever
 * made them (the rules, a roster file, a directory).  A name of a
 * department in old that the same department lacks in next would go.  A
 * department of r whose limit (guard_limit(): its shrink-limit, else the
 * global one, else SHRINK_DEFAULT percent) is exceeded gets one error in
 * errs at its department line, naming how many would go out of how many
 * and the first GUARD_SHOWN of them.  Exceeded means: more than the
 * limit's share of the names old has, and more than one name, so that a
 * small department may lose one person at a time.  A department that old
 * does not have (new, or renamed) is not guarded, nor one that r no
 * longer has; SHRINK_NONE turns the guard off.
 *
 * guard_check() returns the number of departments refused, or -1 when a
 * map could not be read (errno; ENOMEM noted in errs).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "maps/errors.h"
#include "maps/rules.h"
#include "rewrite/map.h"

#define GUARD_SHOWN	20			/* names listed in an error */
#define GUARD_SHOWN_BYTES 600			/* at most, for a line that fits */

int     guard_limit(const struct rules *r, const struct rule_dept *d);
int     guard_check(const struct rules *r, const struct map *old,
		    const struct map *next, struct errs *errs);

#endif
