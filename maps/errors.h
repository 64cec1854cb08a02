#ifndef DEPT_ERRORS_H
#define DEPT_ERRORS_H
/*
 * errors - the errors a user must fix, one "FILE:LINE: text" line each
 *
 * Library code collects them here and never prints; main decides what to
 * do with them.  errs_add() formats one line; after ERRS_MAX lines one
 * "too many errors" line ends the list.  The struct owns its buffer.
 * errs_nomem() notes that memory ran out, which is not the user's to fix:
 * the library carries on as far as it safely can and the program reports
 * it (deptmap: one line, exit 3).  A line that cannot be kept notes it too.
 * errs_warn() adds "FILE:LINE: warning: text", which is shown with the
 * errors but is none: it counts neither as an error nor towards ERRS_MAX.
 * system says that among the lines is one the rules cannot help (a
 * directory that cannot be read): the program exits 3, not 1.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#define ERRS_MAX	100

struct errs {
    char   *buf;			/* lines, each ending in "\n" */
    size_t  len;
    size_t  cap;
    int     count;
    int     nomem;			/* memory ran out: a system error */
    int     system;			/* and the system failed (a directory) */
};

void    errs_init(struct errs *e);
void    errs_free(struct errs *e);
void    errs_add(struct errs *e, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void    errs_warn(struct errs *e, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *errs_text(const struct errs *e);
void    errs_nomem(struct errs *e);

#endif
