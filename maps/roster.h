#ifndef DEPT_ROSTER_H
#define DEPT_ROSTER_H
/*
 * roster - a members-file: one name or canonical address per line
 *
 * roster_open() opens DIR/PATH (PATH relative to the rules file's
 * directory unless absolute), refusing what is not a regular file;
 * roster_next() gives the name on each member line, and the line's
 * number; roster_close() ends it.  "#" comments, blank lines, CRLF line
 * ends and a UTF-8 byte order mark are tolerated.  A line is a CSV
 * record: fields separated by opts->sep ("," or ";" either when 0), each
 * trimmed of blanks, or double-quoted with "" for a quote (a separator
 * inside quotes is text).  The name is the field in column opts->column
 * (from 1), taken literally: no rules syntax applies to it.  A line whose
 * field is empty is skipped; a line without that column is an error.
 *
 * With opts->header the first record names the columns and is no member;
 * opts->column_name (non-NULL) picks the column by that name (compared
 * without regard to case).  Without it, a first record whose field looks
 * like a header (a heading word such as "email" or "name", or text with
 * a blank, which no mailbox name has) is an error that says to declare
 * the header: a header must never become a member without a word.
 *
 * A file that cannot be read is reported to errs at the members-file line
 * of the rules (from, line); bad lines at the roster's own FILE:LINE.
 * The roster knows nothing of departments: the rules parser adds members.
 * roster_path() is DIR/PATH as roster_open() makes it (malloc'd, or NULL).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "maps/errors.h"
#include "maps/lines.h"

/* How a members-file's lines are read (members-file FILE [header]
 * [column N|NAME] [separator , | ; | tab]). */
struct roster_opts {
    int     header;			/* the first record names the columns */
    size_t  column;			/* from 1; 0 with column_name */
    const char *column_name;		/* NULL: by number */
    char    sep;			/* 0: "," or ";" */
};

struct roster {
    char   *full;			/* DIR/PATH, as errors show it */
    FILE   *fp;
    struct lines lines;
    struct errs *errs;
    const char *from;			/* the rules file and line naming it */
    long    from_line;
    struct roster_opts opts;
    int     first;			/* the next record is the first */
};

int     roster_open(struct roster *ro, const char *dir, const char *path,
		    const struct roster_opts *opts, struct errs *errs,
		    const char *from, long from_line);
char   *roster_next(struct roster *ro, long *line);
char   *roster_path(const char *dir, const char *path);
void    roster_close(struct roster *ro);

#endif
