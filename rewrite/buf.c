/*
 * buf - growing arrays and strings (see buf.h)
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewrite/buf.h"

/* grow - room for need elements of size bytes, doubling; -1 no memory */
int     grow(void **v, size_t *cap, size_t need, size_t size)
{
    size_t  ncap = *cap ? *cap : 8;
    void   *nv;

    if (need <= *cap)
	return 0;
    while (ncap < need && ncap <= SIZE_MAX / 2)
	ncap *= 2;
    if (ncap < need || ncap > SIZE_MAX / size
	|| (nv = realloc(*v, ncap * size)) == 0)
	return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* buf_add - append n bytes; -1 no memory (the string is unchanged) */
int     buf_add(struct buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 < b->len
	|| grow((void **) &b->s, &b->cap, b->len + n + 1, 1) < 0)
	return -1;
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
    return 0;
}

/* buf_adds - append a terminated string */
int     buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* buf_addf - append a formatted string */
int     buf_addf(struct buf *b, const char *fmt,...)
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
void    buf_free(struct buf *b)
{
    free(b->s);
    b->s = 0;
    b->len = b->cap = 0;
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
