#ifndef DEPT_POSTMASTER_H
#define DEPT_POSTMASTER_H
/*
 * postmaster - every department reaches a postmaster (RFC 5321 4.5.1)
 *
 * postmaster_default() gives a department whose rules say nothing of
 * postmaster an entry "postmaster" -> postmaster in its canonical domain,
 * at the department's line.  The rules say something when the department
 * has a member or alias named postmaster (in any case), "members *"
 * (which reaches the same address), a match rule that matches
 * "postmaster", or "postmaster off".  Call it once the department has its
 * canonical domain and its keys are folded.
 *
 * postmaster_check() decides postmaster@DEPT for every department on the
 * compiled map (the file open at fd, as the milter and the socketmap will
 * decide it) and adds a warning, not an error, to r->errs for each one
 * refused (rejected or tempfailed), at the rule that refuses it.  It
 * returns 0, or -1 with errno when the map could not be read back.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "maps/rules.h"

void    postmaster_default(struct rules *r, struct rule_dept *d);
int     postmaster_check(struct rules *r, int fd);

#endif
