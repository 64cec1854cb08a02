/*
 * quoted - the one scanner of double quotes and backslashes (see quoted.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include "rewrite/quoted.h"

/* quoted_start - walk len bytes at s, outside quotes */
void quoted_start(struct quoted *q, const char *s, size_t len)
{
    q->p = s;
    q->end = s + len;
    q->inside = 0;
}

/* quoted_next - the next byte (*byte points at it) and what it is */
enum quoted_kind quoted_next(struct quoted *q, const char **byte)
{
    if (q->p >= q->end)
	return QUOTED_END;
    if (*q->p == '\\' && q->p + 1 < q->end) {
	*byte = q->p + 1;
	q->p += 2;
	return QUOTED_ESCAPED;
    }
    *byte = q->p++;
    if (**byte == '"') {
	q->inside = !q->inside;
	return QUOTED_MARK;
    }
    return q->inside ? QUOTED_INSIDE : QUOTED_BARE;
}

/* quoted_span - the length before the first bare byte of stops */
size_t quoted_span(const char *s, size_t len, const char *stops)
{
    struct quoted q;
    const char *b;
    enum quoted_kind k;

    quoted_start(&q, s, len);
    while ((k = quoted_next(&q, &b)) != QUOTED_END)
	if (k == QUOTED_BARE && *b && strchr(stops, *b))
	    return b - s;
    return len;
}

/* quoted_scan - the last bare "@" (NULL if none); 1 when a quote is open */
int quoted_scan(const char *s, size_t len, const char **last_at)
{
    struct quoted q;
    const char *b;
    enum quoted_kind k;

    *last_at = 0;
    quoted_start(&q, s, len);
    while ((k = quoted_next(&q, &b)) != QUOTED_END)
	if (k == QUOTED_BARE && *b == '@')
	    *last_at = b;
    return q.inside;
}

/* quoted_copy - the content without quote marks and escaping backslashes,
 * terminated; its length, or -1 when it does not fit in size bytes */
ssize_t quoted_copy(const char *s, size_t len, char *out, size_t size)
{
    struct quoted q;
    const char *b;
    enum quoted_kind k;
    size_t  n = 0;

    quoted_start(&q, s, len);
    while ((k = quoted_next(&q, &b)) != QUOTED_END) {
	if (k == QUOTED_MARK)
	    continue;
	if (n + 1 >= size)
	    return -1;
	out[n++] = *b;
    }
    if (size == 0)
	return -1;
    out[n] = 0;
    return (ssize_t) n;
}
