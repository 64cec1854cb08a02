#ifndef DEPT_ANSWER_H
#define DEPT_ANSWER_H
/*
 * answer - one address's answer as deptmap prints it
 *
 * answer_add() appends "ACTION<TAB>DETAIL" for a decision to a buf: the
 * action's name, then for REJECT and TEMPFAIL the reply (code, enhanced
 * status code, text), for REWRITE the targets separated by commas, for
 * PASS nothing.  deptmap query prints it between the address and rule=,
 * deptmap test compares an expected answer with it and deptmap diff the
 * answers of two maps, so that the three agree on what an answer is.
 * answer_add_escaped() appends n bytes with control characters escaped
 * as \xHH (text_escape_controls), as every address and target is shown.
 * Both return 0, or -1 when memory ran out (the buf is then unchanged
 * or holds a terminated prefix).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "rewrite/buf.h"
#include "rewrite/decide.h"

int     answer_add(struct buf *b, const struct decision *d);
int     answer_add_escaped(struct buf *b, const char *s, size_t n);

#endif
