#ifndef DEPT_ROSTER_H
#define DEPT_ROSTER_H
/*
 * roster - a members-file: one name or canonical address per line
 *
 * roster_open() opens DIR/PATH (PATH relative to the rules file's
 * directory unless absolute), refusing what is not a regular file;
 * roster_next() gives the name on each member line, and the line's
 * number; roster_close() ends it.  "#" comments, blank lines, CRLF line
 * ends and a UTF-8 byte order mark are tolerated; a CSV line gives its
 * first column (double-quoted with "" for a quote, or up to the first ","
 * or ";"), trimmed.  The name is literal: no rules syntax applies to it.
 *
 * A file that cannot be read is reported to errs at the members-file line
 * of the rules (from, line); bad lines at the roster's own FILE:LINE.
 * The roster knows nothing of departments: the rules parser adds members.
 * roster_path() is DIR/PATH as roster_open() makes it (malloc'd, or NULL).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "maps/errors.h"
#include "maps/lines.h"

struct roster {
    char   *full;			/* DIR/PATH, as errors show it */
    FILE   *fp;
    struct lines lines;
    struct errs *errs;
    const char *from;			/* the rules file and line naming it */
    long    from_line;
};

int     roster_open(struct roster *ro, const char *dir, const char *path,
		    struct errs *errs, const char *from, long from_line);
char   *roster_next(struct roster *ro, long *line);
char   *roster_path(const char *dir, const char *path);
void    roster_close(struct roster *ro);

#endif
