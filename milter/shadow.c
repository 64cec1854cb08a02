/*
 * shadow - every decision made again on a candidate map, changing nothing
 *
 * See shadow.h.  The answers are written as deptmap query names the
 * actions, with the detail in parentheses as Postfix writes a status's
 * reason; every string in them is escaped (log_esc, log_targets).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>

#include "milter/generation.h"
#include "milter/log.h"
#include "milter/shadow.h"
#include "milter/stats.h"

#define ANSWER_MAX	(LOG_TARGETS_MAX + 32)

/* shadow_init - the shadow map of the configuration, if there is one */
void shadow_init(const char *path, int now)
{
    char    err[8192];

    if (*path == 0)
	return;
    stats_show_shadow();
    if (gen_shadow_init(path, err, sizeof(err)) < 0 && now)
	log_msg(LOG_WARNING, "%s", err);
}

/* shadow_differs - decide on the shadow map; whether the answer differs */
int shadow_differs(const struct map *shadow, const char *rcpt,
		   const struct decision *now, struct decision *cand)
{
    if (now->map_error)
	return 0;
    if (decide(shadow, rcpt, cand, 0, 0) < 0 && cand->action != DECIDE_TEMPFAIL) {
	log_msg(LOG_ERR, "shadow: error: out of memory deciding on the shadow map");
	return -1;
    }
    return !decision_same_answer(now, cand);
}

/* answer - "ACTION" or "ACTION (detail)" of a decision, into buf */
static const char *answer(const struct decision *d, char *buf, size_t len)
{
    char    list[LOG_TARGETS_MAX], txt[LOG_ESC_MAX];
    const char *name = decision_action_name(d->action);

    if (d->action == DECIDE_REWRITE)
	snprintf(buf, len, "%s (%s)", name,
		 log_targets(d->targets, d->ntargets, list, sizeof(list)));
    else if (d->action == DECIDE_REJECT || d->action == DECIDE_TEMPFAIL)
	snprintf(buf, len, "%s (%s %s %s)", name, d->code ? d->code : "",
		 d->dsn ? d->dsn : "", log_esc(d->text, txt, sizeof(txt)));
    else
	snprintf(buf, len, "%s", name);
    return buf;
}

/* shadow_report - the line of one difference, counted unless a repeat */
void shadow_report(int counted, const char *where, const char *to,
		   const struct decision *now, const struct decision *cand,
		   const char *tail)
{
    char    a[ANSWER_MAX], b[ANSWER_MAX];

    if (counted)
	stats_count(now->dept ? now->dept : cand->dept, STATS_SHADOW);
    log_msg(counted ? LOG_INFO : LOG_DEBUG, "%s: shadow: to=<%s> now=%s candidate=%s"
	    " rule=%s candidate_rule=%s%s", where, to, answer(now, a, sizeof(a)),
	    answer(cand, b, sizeof(b)), now->rule, cand->rule, tail);
}
