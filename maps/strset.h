#ifndef DEPT_STRSET_H
#define DEPT_STRSET_H
/*
 * strset - a set of strings, each with a number
 *
 * Open addressing, at most half full, hashed with fnv1a().  strset_put()
 * keeps its own copy of a key; strset_get() gives the number kept with a
 * key, or -1 when the key is not there.  A zeroed struct is an empty set;
 * strset_free() releases the set and its copies.  Nothing here prints or
 * exits: running out of memory is a result.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

struct strset {
    char  **keys;
    int    *vals;
    size_t  n, cap;
};

int     strset_get(const struct strset *set, const char *key);
int     strset_put(struct strset *set, const char *key, int val);
void    strset_free(struct strset *set);

#endif
