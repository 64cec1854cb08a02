#ifndef DEPT_DECIDE_H
#define DEPT_DECIDE_H
/*
 * decide - the decision for one recipient address
 *
 * decide() is the one place where an RCPT argument becomes PASS, REJECT,
 * REWRITE or TEMPFAIL; deptmap query and the milter both call it.  Order:
 * exact entry, the same without extension (extension carried over), match
 * rules in file order, "members *", then the department's unknown policy.
 *
 * The caller owns the struct decision: decision_init() once, decide() as
 * often as wanted (the target buffer is reused), decision_free() at the end.
 * Targets are external-form addresses without brackets, de-duplicated, in
 * order; decision_target() walks them.  An optional trace callback hears
 * every lookup tried (deptmap query --explain).
 * decision_same_answer() says whether two decisions (for one address, on
 * two maps) give the same answer: action, targets in order, reply (code,
 * DSN, text) and map error.  The rule and the department that decided do
 * not count: a rule that only moved, or a domain that became a department
 * passing the same address untouched, is the same answer.
 *
 * decide_nobody() is the answer a department gives a local part that no
 * entry or match rule names: "members *" (its target shown as
 * *@CANONICAL) or the unknown policy (deptmap diff compares it).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "rewrite/map.h"

enum decision_action {
    DECIDE_PASS,
    DECIDE_REJECT,
    DECIDE_REWRITE,
    DECIDE_TEMPFAIL,
};

struct decision {
    enum decision_action action;
    const struct map_dept *dept;	/* NULL outside the departments */
    char    rule[RULE_MAX];		/* "file:line" or "-" */
    const char *code;			/* reject and tempfail */
    const char *dsn;
    const char *text;
    int     map_error;			/* tempfail because the map failed */
    char   *targets;			/* NUL-separated */
    size_t  ntargets;
    size_t  len;
    size_t  cap;
};

typedef void (*decide_trace_fn)(void *ctx, const char *fmt, ...);

void    decision_init(struct decision *d);
void    decision_free(struct decision *d);
int     decide(const struct map *map, const char *rcpt, struct decision *d,
	       decide_trace_fn trace, void *ctx);
int     decide_nobody(const struct map *map, const struct map_dept *dept,
		      struct decision *d);
const char *decision_target(const struct decision *d, const char *prev);
const char *decision_action_name(enum decision_action action);
int     decision_same_answer(const struct decision *a, const struct decision *b);

#endif
