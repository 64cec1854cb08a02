/*
 * buf - growing arrays and strings (see buf.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewrite/buf.h"

/* grow - room for need elements of size bytes, doubling; -1 no memory */
int grow(void **v, size_t *cap, size_t need, size_t size)
{
    size_t  ncap = *cap ? *cap : 8;
    void   *nv;

    if (need <= *cap)
	return 0;
    while (ncap < need && ncap <= SIZE_MAX / 2)
	ncap *= 2;
    if (ncap < need || ncap > SIZE_MAX / size || (nv = realloc(*v, ncap * size)) == 0)
	return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* buf_room - room for n more bytes and the NUL; -1 no memory */
int buf_room(struct buf *b, size_t n)
{
    if (n < b->cap - b->len)			/* the common case: no call */
	return 0;
    return b->len + n + 1 < b->len
	|| grow((void **) &b->s, &b->cap, b->len + n + 1, 1) < 0 ? -1 : 0;
}

/* buf_add - append n bytes; -1 no memory (the string is unchanged) */
int buf_add(struct buf *b, const char *p, size_t n)
{
    if (buf_room(b, n) < 0)
	return -1;
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
    return 0;
}

/* buf_adds - append a terminated string */
int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* buf_addf - append a formatted string */
int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int     n;

    va_start(ap, fmt);
    n = vsnprintf(0, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow((void **) &b->s, &b->cap, b->len + n + 1, 1) < 0)
	return -1;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, n + 1, fmt, ap);
    va_end(ap);
    b->len += n;
    return 0;
}

/* buf_free - release the string; the buf is empty again */
void buf_free(struct buf *b)
{
    free(b->s);
    b->s = 0;
    b->len = b->cap = 0;
}

#define ARENA_BLOCK	(1024 * 1024 - 64)	/* malloc's own header fits */

struct arena_block {
    struct arena_block *next;
    max_align_t data[];
};

/* arena_get - n bytes aligned to align (a power of 2); NULL without memory */
static void *arena_get(struct arena *a, size_t n, size_t align)
{
    struct arena_block *b;
    size_t  at = (a->used + align - 1) & ~(align - 1), size;

    if (a->blocks == 0 || at > a->size || a->size - at < n) {
	size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK - sizeof(*b);
	if (n > SIZE_MAX - sizeof(*b) || (b = malloc(sizeof(*b) + size)) == 0)
	    return 0;
	b->next = a->blocks;
	a->blocks = b;
	a->size = size;
	at = 0;
    }
    a->used = at + n;
    return (char *) a->blocks->data + at;
}

/* arena_alloc - n bytes, aligned for anything; NULL without memory */
void   *arena_alloc(struct arena *a, size_t n)
{
    return arena_get(a, n, sizeof(max_align_t));
}

/* arena_strndup - a terminated copy of n bytes; NULL without memory */
char   *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char   *copy;

    if (n == SIZE_MAX || (copy = arena_get(a, n + 1, 1)) == 0)
	return 0;
    memcpy(copy, s, n);
    copy[n] = 0;
    return copy;
}

/* arena_free - everything the arena gave, at once */
void arena_free(struct arena *a)
{
    struct arena_block *b;

    while ((b = a->blocks) != 0) {
	a->blocks = b->next;
	free(b);
    }
    a->used = a->size = 0;
}

/* fnv1a - FNV-1a 64 over more bytes */
uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len-- > 0) {
	h ^= *p++;
	h *= UINT64_C(0x100000001b3);
    }
    return h;
}
