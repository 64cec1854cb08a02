/*
 * errors - the errors a user must fix (see errors.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "maps/errors.h"
#include "rewrite/buf.h"
#include "rewrite/text.h"

/* errs_init - an empty list */
void errs_init(struct errs *e)
{
    e->buf = 0;
    e->len = e->cap = 0;
    e->count = 0;
    e->nomem = 0;
    e->system = 0;
}

/* errs_free - release the list */
void errs_free(struct errs *e)
{
    free(e->buf);
    errs_init(e);
}

/* errs_append - add one formatted line; out of memory drops the line */
static void errs_append(struct errs *e, const char *line)
{
    size_t  n = strlen(line);

    if (grow((void **) &e->buf, &e->cap, e->len + n + 2, 1) < 0) {
	e->nomem = 1;
	return;
    }
    memcpy(e->buf + e->len, line, n);
    e->len += n;
    e->buf[e->len++] = '\n';
    e->buf[e->len] = 0;
}

/* errs_vline - append "FILE:LINE: PREFIXtext" (FILE alone when line is 0) */
static void errs_vline(struct errs *e, const char *file, long line, const char *prefix,
		       const char *fmt, va_list ap)
{
    char    raw[1024], text[4 * sizeof(raw)], where[sizeof(text) + 300];

    vsnprintf(raw, sizeof(raw), fmt, ap);
    text_escape_controls(raw, strlen(raw), text, sizeof(text));
    if (line > 0)
	snprintf(where, sizeof(where), "%s:%ld: %s%s", file, line, prefix, text);
    else
	snprintf(where, sizeof(where), "%s: %s%s", file, prefix, text);
    errs_append(e, where);
}

/* errs_add - record "FILE:LINE: text" (FILE alone when line is 0) */
void errs_add(struct errs *e, const char *file, long line, const char *fmt, ...)
{
    char    where[1300];
    va_list ap;

    if (e->count > ERRS_MAX)
	return;
    if (++e->count > ERRS_MAX) {
	snprintf(where, sizeof(where), "%s: too many errors, giving up", file);
	errs_append(e, where);
	return;
    }
    va_start(ap, fmt);
    errs_vline(e, file, line, "", fmt, ap);
    va_end(ap);
}

/* errs_warn - record "FILE:LINE: warning: text", not an error */
void errs_warn(struct errs *e, const char *file, long line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    errs_vline(e, file, line, "warning: ", fmt, ap);
    va_end(ap);
}

/* errs_nomem - memory ran out */
void errs_nomem(struct errs *e)
{
    e->nomem = 1;
}

/* errs_text - all lines, "" when there are none */
const char *errs_text(const struct errs *e)
{
    return e->buf ? e->buf : "";
}
