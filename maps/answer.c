/*
 * answer - one address's answer as deptmap prints it (see answer.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <string.h>
#include "maps/answer.h"
#include "rewrite/text.h"

/* answer_add_escaped - n bytes, control characters as \xHH */
int answer_add_escaped(struct buf *b, const char *s, size_t n)
{
    size_t  room;

    if (n > SIZE_MAX / 8 || buf_room(b, 4 * n) < 0)
	return -1;
    room = b->cap - b->len;
    if (text_escape_controls(s, n, b->s + b->len, room) < 0)
	return -1;
    b->len += strlen(b->s + b->len);
    return 0;
}

/* answer_add - "ACTION<TAB>DETAIL" */
int answer_add(struct buf *b, const struct decision *d)
{
    const char *t;

    if (buf_adds(b, decision_action_name(d->action)) < 0 || buf_adds(b, "\t") < 0)
	return -1;
    if ((d->action == DECIDE_REJECT || d->action == DECIDE_TEMPFAIL)
	&& buf_addf(b, "%s %s %s", d->code, d->dsn, d->text) < 0)
	return -1;
    for (t = decision_target(d, 0); t; t = decision_target(d, t))
	if ((t != d->targets && buf_adds(b, ",") < 0)
	    || answer_add_escaped(b, t, strlen(t)) < 0)
	    return -1;
    return 0;
}
