/*
 * strset - a set of strings, each with a number (see strset.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include "maps/strset.h"
#include "rewrite/buf.h"

/* strset_slot - where key is in the set, or would go */
static size_t strset_slot(char **keys, size_t cap, const char *key)
{
    size_t  i = (size_t) fnv1a(FNV1A_INIT, key, strlen(key));

    for (i &= cap - 1; keys[i] && strcmp(keys[i], key) != 0; i = (i + 1) & (cap - 1))
	/* next */ ;
    return i;
}

/* strset_get - the number kept with key, or -1 when key is not there */
int strset_get(const struct strset *set, const char *key)
{
    size_t  i;

    if (set->n == 0)
	return -1;
    i = strset_slot(set->keys, set->cap, key);
    return set->keys[i] ? set->vals[i] : -1;
}

/* strset_rehash - twice the room; -1 without memory (the set is unchanged) */
static int strset_rehash(struct strset *set)
{
    size_t  i, j, cap = set->cap ? 2 * set->cap : 64;
    char  **keys = calloc(cap, sizeof(*keys));
    int    *vals = calloc(cap, sizeof(*vals));

    if (keys == 0 || vals == 0) {
	free(keys);
	free(vals);
	return -1;
    }
    for (i = 0; i < set->cap; i++)
	if (set->keys[i]) {
	    j = strset_slot(keys, cap, set->keys[i]);
	    keys[j] = set->keys[i], vals[j] = set->vals[i];
	}
    free(set->keys);
    free(set->vals);
    set->keys = keys, set->vals = vals, set->cap = cap;
    return 0;
}

/* strset_put - 1 when key is new (kept, with val), 0 when it was there
 * already, -1 without memory */
int strset_put(struct strset *set, const char *key, int val)
{
    size_t  i;

    if (2 * (set->n + 1) > set->cap && strset_rehash(set) < 0)
	return -1;
    i = strset_slot(set->keys, set->cap, key);
    if (set->keys[i])
	return 0;
    if ((set->keys[i] = strdup(key)) == 0)
	return -1;
    set->vals[i] = val;
    set->n++;
    return 1;
}

/* strset_free - release a set and its strings */
void strset_free(struct strset *set)
{
    size_t  i;

    for (i = 0; i < set->cap; i++)
	free(set->keys[i]);
    free(set->keys);
    free(set->vals);
    memset(set, 0, sizeof(*set));
}
