#ifndef DEPT_QUOTED_H
#define DEPT_QUOTED_H
/*
 * quoted - the one scanner of double quotes and backslashes
 *
 * RCPT arguments and the words of a rules file follow one rule: a double
 * quote opens or closes a quoted string, and a backslash makes the byte
 * after it literal (a backslash at the very end is literal itself).
 * quoted_next() walks a word byte by byte and says what each byte is;
 * everything else here is built on it:
 *
 *   quoted_span()   bytes up to the first bare byte of stops (or the end)
 *   quoted_scan()   the last bare "@" and whether a quote is left open
 *   quoted_copy()   the content: marks and escaping backslashes removed
 *
 * "Bare" means outside quotes and not escaped: only bare bytes separate
 * words, start comments or split an address.  Nothing here allocates.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <sys/types.h>

struct quoted {
    const char *p;
    const char *end;
    int     inside;			/* within a quoted string */
};

enum quoted_kind {
    QUOTED_END,				/* no more bytes */
    QUOTED_MARK,			/* a double quote that opens or closes */
    QUOTED_ESCAPED,			/* the byte after a backslash */
    QUOTED_INSIDE,			/* a byte within a quoted string */
    QUOTED_BARE,			/* any other byte */
};

void    quoted_start(struct quoted *q, const char *s, size_t len);
enum quoted_kind quoted_next(struct quoted *q, const char **byte);
size_t  quoted_span(const char *s, size_t len, const char *stops);
int     quoted_scan(const char *s, size_t len, const char **last_at);
ssize_t quoted_copy(const char *s, size_t len, char *out, size_t size);

#endif
