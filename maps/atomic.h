#ifndef DEPT_ATOMIC_H
#define DEPT_ATOMIC_H
/*
 * atomic - a file that replaces another whole or not at all
 *
 * atomic_open() creates a file in OUT's directory that has no name yet
 * (O_TMPFILE; where the file system has none, a hidden ".BASE.XXXXXX"),
 * open for reading and writing in a->fd.  atomic_commit() makes it mode 0644, fsyncs
 * it, links it under a temporary name, renames that over OUT and fsyncs
 * the directory.  atomic_free() closes and releases everything and, unless
 * the commit succeeded, removes what was created: a compiler killed or
 * failing halfway leaves OUT as it was and nothing beside it.
 *
 * Both return 0, or -1 with errno set and one "OUT: text" line in errs.
 * The struct owns its strings and fd; call atomic_free() after either.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "maps/errors.h"

struct atomic {
    char   *out;			/* the name to replace */
    char   *tmp;			/* DIR/.BASE.XXXXXX */
    char   *dir;			/* OUT's directory */
    int     fd;				/* -1 once closed */
    int     linked;			/* tmp names a file to remove */
};

int     atomic_open(struct atomic *a, const char *out, struct errs *errs);
int     atomic_commit(struct atomic *a, struct errs *errs);
void    atomic_free(struct atomic *a);

#endif
