/*
 * lines - the lines of a rules file or a members-file (see lines.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "maps/lines.h"
#include "rewrite/text.h"

#define BOM	"\xef\xbb\xbf"

/* lines_start - read fp, naming it shown in errors */
void lines_start(struct lines *l, FILE *fp, const char *shown, struct errs *errs)
{
    memset(l, 0, sizeof(*l));
    l->fp = fp;
    l->shown = shown;
    l->errs = errs;
}

/* line_ok - whether a line may be read at all; if not, say why */
static int line_ok(struct lines *l, const char *s, size_t n)
{
    if (memchr(s, 0, n) != 0)
	errs_add(l->errs, l->shown, l->line, "NUL byte in line");
    else if (n > LINES_MAX)
	errs_add(l->errs, l->shown, l->line, "line longer than %d bytes", LINES_MAX);
    else if (!text_utf8_valid(s, n))
	errs_add(l->errs, l->shown, l->line, "line is not valid UTF-8");
    else
	return 1;
    return 0;
}

/* lines_next - the next good line, or NULL at the end */
char   *lines_next(struct lines *l, size_t *len)
{
    ssize_t n;

    errno = 0;
    while ((n = getline(&l->buf, &l->cap, l->fp)) >= 0) {
	l->line++;
	while (n > 0 && (l->buf[n - 1] == '\n' || l->buf[n - 1] == '\r'))
	    l->buf[--n] = 0;
	if (l->line == 1 && strncmp(l->buf, BOM, 3) == 0)
	    memmove(l->buf, l->buf + 3, (n -= 3) + 1);
	if (line_ok(l, l->buf, n)) {
	    *len = n;
	    return l->buf;
	}
    }
    if (errno == ENOMEM)
	errs_nomem(l->errs);
    return 0;
}

/* lines_error - whether the last NULL of lines_next was a read error */
int lines_error(const struct lines *l)
{
    return ferror(l->fp);
}

/* lines_end - release the line buffer (the file stays open) */
void lines_end(struct lines *l)
{
    free(l->buf);
    l->buf = 0;
    l->cap = 0;
}
