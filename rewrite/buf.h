#ifndef DEPT_BUF_H
#define DEPT_BUF_H
/*
 * buf - growing arrays and strings, one way for the whole program; a hash
 *
 * grow() makes room for need elements of size bytes in *v, doubling the
 * capacity (*cap); it returns 0, or -1 when memory ran out (the array is
 * then as it was).  struct buf is a string that grows by grow(): always
 * terminated once something was added; the caller owns s and frees it
 * with buf_free() (or takes it and sets s to NULL).  buf_room() makes
 * room for n more bytes and the NUL, for a caller that writes s itself.
 *
 * struct arena hands out memory freed all at once (see below).
 * fnv1a() is FNV-1a 64 over more bytes (start with FNV1A_INIT): the map's
 * digest and the compiler's string sets hash with it.
 *
 * None of them prints nor exits: each program decides what running out of
 * memory means (deptmap: one line and exit 3; deptmilter: a tempfail).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <stdint.h>

struct buf {
    char   *s;
    size_t  len;
    size_t  cap;
};

int     grow(void **v, size_t *cap, size_t need, size_t size);
int     buf_room(struct buf *b, size_t n);
int     buf_add(struct buf *b, const char *p, size_t n);
int     buf_adds(struct buf *b, const char *s);
int     buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void    buf_free(struct buf *b);

/* An arena: many small allocations that live and die together (a
 * million roster names cost a million mallocs otherwise).  What it gives
 * never moves; arena_free() releases everything at once. */
struct arena {
    struct arena_block *blocks;
    size_t  used;			/* bytes used of the newest block */
    size_t  size;			/* bytes in the newest block */
};

void   *arena_alloc(struct arena *a, size_t n);
char   *arena_strndup(struct arena *a, const char *s, size_t n);
void    arena_free(struct arena *a);

#define FNV1A_INIT	UINT64_C(0xcbf29ce484222325)
uint64_t fnv1a(uint64_t h, const void *data, size_t len);

#endif
