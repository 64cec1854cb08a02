#ifndef DEPT_MILTER_SHADOW_H
#define DEPT_MILTER_SHADOW_H
/*
 * shadow - every decision made again on a candidate map, changing nothing
 *
 * With "shadow_map = PATH" each decision of the milter (every RCPT) and
 * of the socketmap (every virtual and access answer) is also made with
 * decide() on the shadow map's generation (generation.h); when the
 * answers differ (decision_same_answer: action, targets, reply; a rule
 * that only moved is no difference) one line says so:
 *
 *   QUEUEID: shadow: to=<a@dept> now=ANSWER candidate=ANSWER rule=F:L candidate_rule=F:L
 *
 * where ANSWER is PASS, REWRITE (<x@y>, <z@y>), REJECT (550 5.1.1 text)
 * or TEMPFAIL (451 4.3.0 text), and the socketmap writes "socketmap:"
 * for the queue id and adds " table=... client=...".  Nothing of the
 * mail changes: replies, rewrites, dry_run, on_error and the decision's
 * own log lines are those of the map in service.
 *
 * shadow_init() reads the setting (empty: off, nothing else happens):
 * the stats lines get their shadow= counter and the shadow map is
 * loaded; one that does not load is a warning, logged at once when now
 * is set (deptmilter -t), else by gen_announce().
 * shadow_differs() decides rcpt on the shadow map into cand and returns
 * 1 when its answer differs from now, 0 when not (or when now is a map
 * error: the map in service is the trouble then, and is logged as such),
 * -1 when decide() failed (logged).
 * shadow_report() writes the line and counts it in the stats (STATS_SHADOW,
 * under the department of now, else of cand); with counted = 0 it is a
 * repeat of a difference reported elsewhere: debug, and not counted.
 * to is the address, escaped; tail is appended ("" for none).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rewrite/decide.h"

void    shadow_init(const char *path, int now);
int     shadow_differs(const struct map *shadow, const char *rcpt,
		       const struct decision *now, struct decision *cand);
void    shadow_report(int counted, const char *where, const char *to,
		      const struct decision *now, const struct decision *cand,
		      const char *tail);

#endif
