#ifndef DEPT_ROSTER_H
#define DEPT_ROSTER_H
/*
 * roster - a members-file: one name or canonical address per line
 *
 * roster_load() reads DIR/PATH (PATH relative to the rules file's
 * directory unless absolute) and adds a member to the department for each
 * line.  "#" comments, blank lines, CRLF line ends and a UTF-8 byte order
 * mark are tolerated; a CSV line gives its first column (which may be
 * double-quoted, with "" for a quote) and is taken literally: no rules
 * syntax applies to it.  Problems go to r->errs as "FILE:LINE: text"; an
 * unreadable file is reported at the members-file line of the rules.
 */
#include "maps/rules.h"

void    roster_load(struct rules *r, struct rule_dept *d, const char *dir,
		    const char *path, const struct rule_src *from, long line);

#endif
