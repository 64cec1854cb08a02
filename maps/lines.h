#ifndef DEPT_LINES_H
#define DEPT_LINES_H
/*
 * lines - the lines of a rules file or a members-file, checked once
 *
 * lines_next() gives the next line without its line end (LF, and CRs
 * before it), without a UTF-8 byte order mark on the first line.  A line
 * with a NUL byte, longer than LINES_MAX bytes or not valid UTF-8 is
 * reported to errs as "FILE:LINE: text" and skipped.  It returns NULL at
 * the end of the file or at a read error (lines_error() tells which).
 * The line lives in the struct until the next call; lines_end() frees it.
 * Memory that runs out ends the file early and is noted with errs_nomem().
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include "maps/errors.h"

#define LINES_MAX	65536

struct lines {
    FILE   *fp;
    const char *shown;			/* the file as errors name it */
    long    line;			/* number of the line last given */
    char   *buf;
    size_t  cap;
    struct errs *errs;
};

void    lines_start(struct lines *l, FILE *fp, const char *shown, struct errs *errs);
char   *lines_next(struct lines *l, size_t *len);
int     lines_error(const struct lines *l);
void    lines_end(struct lines *l);

#endif
