/*
 * tables - the answers of deptmilter's socketmap tables
 *
 * See tables.h.  Log lines, at info unless said (debug: what Postfix asks
 * most and decides nothing; "would " before the action with dry_run):
 *
 *   socketmap: rewrite: to=<a@dept> -> <x@y>, <z@y> rule=F:L table=virtual client=cleanup[123]
 *   socketmap: reject: 550 5.1.1 text; to=<a@dept> rule=F:L table=access client=smtpd[124]
 *   socketmap: tempfail: 451 4.2.1 text; to=<a@dept> rule=F:L table=access client=...
 *   socketmap: pass: to=<a@dept> rule=F:L table=virtual client=...   (debug outside)
 *   socketmap: notfound: to=<a@dept> decision=REJECT rule=F:L table=virtual client=...  (debug)
 *   socketmap: shadow: to=<a@dept> now=... candidate=... rule=F:L candidate_rule=F:L table=virtual client=...
 *
 * There is no queue id to log: Postfix does not send it, and smtpd asks
 * before there is one while cleanup asks after; "NOQUEUE" would be wrong
 * for the second, so the line says "socketmap:" in its place.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>

#include "rewrite/address.h"
#include "rewrite/domain.h"
#include "milter/claims.h"
#include "milter/generation.h"
#include "milter/log.h"
#include "milter/netstring.h"
#include "milter/shadow.h"
#include "milter/stats.h"
#include "milter/tables.h"

#define BASE_MAX	(ADDR_LOCAL_MAX * 2 + ADDR_DOMAIN_MAX + 8)

/* One table: its name, its answer for one key on one map, and whether
 * that answer is a decision (one the shadow map is asked too). */
struct table {
    const char *name;
    int     decides;
    /* *INDENT-OFF* (indent reads "struct tables * t" here) */
    int     (*answer) (struct tables *t, const struct map *map, const char *key,
		       const char *client, struct buf *r);
    /* *INDENT-ON* */
};

/* tables_init - three empty decisions */
void tables_init(struct tables *t, const struct config *cf)
{
    t->cf = cf;
    decision_init(&t->d);
    decision_init(&t->base);
    decision_init(&t->shadow);
    t->quiet = 0;
}

/* tables_free - release the decisions' buffers */
void tables_free(struct tables *t)
{
    decision_free(&t->d);
    decision_free(&t->base);
    decision_free(&t->shadow);
}

/* reply - "STATUS value" as the whole reply */
static int reply(struct buf *r, const char *status, const char *value)
{
    r->len = 0;
    if (buf_adds(r, status) < 0 || buf_add(r, " ", 1) < 0 || buf_adds(r, value) < 0)
	return -1;
    return 0;
}

/* would - the "would " of dry_run */
static const char *would(const struct tables *t)
{
    return t->cf->dry_run ? "would " : "";
}

/* map_trouble - a map error, or no map in service: on_error decides */
static int map_trouble(struct tables *t, const char *table, const char *key,
		       const char *client, const char *why, struct buf *r)
{
    char    to[LOG_ESC_MAX];

    log_esc(key, to, sizeof(to));
    if (t->cf->on_error == ON_ERROR_ACCEPT) {
	stats_count(t->d.dept, STATS_PASS);
	log_msg(LOG_WARNING, "socketmap: warning: %s for to=<%s>; answered NOTFOUND"
		" (on_error = accept) table=%s client=%s", why, to, table, client);
	return reply(r, "NOTFOUND", "");
    }
    stats_count(t->d.dept, STATS_TEMPFAIL);
    log_msg(LOG_ERR, "socketmap: error: %s for to=<%s>; %s (on_error = tempfail)"
	    " table=%s client=%s", why, to, t->cf->dry_run ? "would answer TEMP"
	    : "answered TEMP", table, client);
    return t->cf->dry_run ? reply(r, "NOTFOUND", "") : reply(r, "TEMP", NOMAP_TEXT);
}

/* base_action - decide() for key without its extension, as Postfix asks
 * it after a NOTFOUND; DECIDE_PASS when key has no extension */
static enum decision_action base_action(struct tables *t, const struct map *map,
					const char *key)
{
    struct addr a;
    char    base[BASE_MAX];
    size_t  n;

    if (t->d.dept == 0 || addr_parse(key, &a) != ADDR_OK)
	return DECIDE_PASS;
    if ((n = addr_split_ext(a.local, t->d.dept->rec.delimiters)) >= a.local_len)
	return DECIDE_PASS;
    a.local[n] = 0;
    if (addr_format(base, sizeof(base), a.local, a.domain) < 0
	|| (decide(map, base, &t->base, 0, 0) < 0 && t->base.action != DECIDE_TEMPFAIL))
	return DECIDE_PASS;
    return t->base.map_error ? DECIDE_PASS : t->base.action;
}

/* refused - a decision that refuses the address */
static int refused(enum decision_action action)
{
    return action == DECIDE_REJECT || action == DECIDE_TEMPFAIL;
}

/* asked_by - whether client ("comm[pid]" of a unix peer) is program */
static int asked_by(const char *client, const char *program)
{
    size_t  n = strlen(program);

    return strncmp(client, program, n) == 0 && client[n] == '[';
}

/* log_refusal - the "reject:" or "tempfail:" line of a refusal, counted
 * when logged at info */
static void log_refusal(const struct tables *t, const char *table, const char *key,
			const char *client, int level)
{
    const struct decision *d = &t->d;
    char    to[LOG_ESC_MAX], txt[LOG_ESC_MAX];
    int     reject = d->action == DECIDE_REJECT;

    if (level == LOG_INFO)
	stats_count(d->dept, reject ? STATS_REJECT : STATS_TEMPFAIL);
    log_msg(level, "socketmap: %s%s: %s %s %s; to=<%s> rule=%s table=%s client=%s",
	    would(t), reject ? "reject" : "tempfail", d->code, d->dsn,
	    log_esc(d->text, txt, sizeof(txt)), log_esc(key, to, sizeof(to)), d->rule,
	    table, client);
}

/* log_other - a department address a table does not act on, or one
 * outside: at debug, but a department's pass at info once (virtual: the
 * table every message meets), unless quiet */
static void log_other(const struct tables *t, const char *table, const char *key,
		      const char *client, const char *answer, int quiet)
{
    const struct decision *d = &t->d;
    char    to[LOG_ESC_MAX];
    int     level = !quiet && d->dept && d->action == DECIDE_PASS
	&& strcmp(table, "virtual") == 0 ? LOG_INFO : LOG_DEBUG;

    log_esc(key, to, sizeof(to));
    if (d->action == DECIDE_PASS)
	log_msg(level, "socketmap: pass: to=<%s> rule=%s table=%s client=%s%s", to,
		d->rule, table, client, answer);
    else
	log_msg(level, "socketmap: notfound: to=<%s> decision=%s rule=%s table=%s"
		" client=%s%s", to, decision_action_name(d->action), d->rule,
		table, client, answer);
}

/* targets_value - "OK a@x,b@y", Postfix's answer for the targets */
static int targets_value(const struct decision *d, struct buf *r)
{
    const char *t;

    r->len = 0;
    if (buf_adds(r, "OK ") < 0)
	return -1;
    for (t = decision_target(d, 0); t; t = decision_target(d, t))
	if ((r->len > 3 && buf_add(r, ",", 1) < 0) || buf_adds(r, t) < 0)
	    return -1;
    return 0;
}

/* log_rewrite - the "rewrite:" line of a rewrite, counted at info */
static void log_rewrite(const struct tables *t, const char *key, const char *client,
			int level, const char *why)
{
    const struct decision *d = &t->d;
    char    list[LOG_TARGETS_MAX], to[LOG_ESC_MAX];

    if (level == LOG_INFO)
	stats_count(d->dept, STATS_REWRITE);
    log_msg(level, "socketmap: %srewrite: to=<%s> -> %s rule=%s table=virtual"
	    " client=%s%s", would(t), log_esc(key, to, sizeof(to)),
	    log_targets(d->targets, d->ntargets, list, sizeof(list)), d->rule,
	    client, why);
}

/* virtual_level - how a virtual answer is logged: smtpd's lookup (its
 * unlisted-recipient check) at debug, the decision being logged by
 * access or the milter at RCPT, or by cleanup; cleanup's, the step every
 * message passes, at info unless a milter session claimed it (claims.h:
 * the session logs a rewrite with the queue id, a department's pass at
 * RCPT); any other client at info */
static int virtual_level(const struct tables *t, const char *key, const char *client)
{
    if (asked_by(client, "smtpd"))
	return LOG_DEBUG;
    if ((t->d.action == DECIDE_REWRITE || (t->d.action == DECIDE_PASS && t->d.dept))
	&& !t->cf->dry_run && asked_by(client, "cleanup") && claims_take(key))
	return LOG_DEBUG;
    return LOG_INFO;
}

/* answer_virtual - virtual_alias_maps: the targets of a rewritten address */
static int answer_virtual(struct tables *t, const struct map *map, const char *key,
			  const char *client, struct buf *r)
{
    struct decision *d = &t->d;
    char    to[LOG_ESC_MAX];
    int     level;

    if (decide(map, key, d, 0, 0) < 0 && d->action != DECIDE_TEMPFAIL)
	return -1;
    if (d->action == DECIDE_TEMPFAIL && d->map_error)
	return map_trouble(t, "virtual", key, client, "map error", r);
    level = virtual_level(t, key, client);
    t->quiet = level != LOG_INFO;
    if (d->action == DECIDE_REWRITE) {
	if (targets_value(d, r) < 0)
	    return -1;
	if (r->len > TABLES_REPLY_MAX) {
	    log_msg(LOG_ERR, "socketmap: error: to=<%s> has targets longer than %d"
		    " bytes, Postfix's socketmap_max_reply_size: answered TEMP"
		    " rule=%s", log_esc(key, to, sizeof(to)), TABLES_REPLY_MAX, d->rule);
	    return reply(r, "TEMP", "reply too long");
	}
	log_rewrite(t, key, client, level, level == LOG_INFO
		    || asked_by(client, "smtpd") ? "" : " (logged by the milter)");
	return t->cf->dry_run ? reply(r, "NOTFOUND", "") : 0;
    }
    if (refused(d->action))			/* transport_maps bounces it */
	log_refusal(t, "virtual", key, client, level);
    else if (d->action == DECIDE_PASS && d->dept && level == LOG_INFO)
	stats_count(d->dept, STATS_PASS);
    if (!t->cf->dry_run && base_action(t, map, key) == DECIDE_REWRITE) {
	if (!refused(d->action))
	    log_other(t, "virtual", key, client, " answer=itself", level != LOG_INFO);
	return reply(r, "OK", key);		/* itself: Postfix stops here */
    }
    if (!refused(d->action))
	log_other(t, "virtual", key, client, "", level != LOG_INFO);
    return reply(r, "NOTFOUND", "");
}

/* answer_access - check_recipient_access: a department's refusal */
static int answer_access(struct tables *t, const struct map *map, const char *key,
			 const char *client, struct buf *r)
{
    struct decision *d = &t->d;

    t->quiet = 0;
    if (decide(map, key, d, 0, 0) < 0 && d->action != DECIDE_TEMPFAIL)
	return -1;
    if (d->action == DECIDE_TEMPFAIL && d->map_error)
	return map_trouble(t, "access", key, client, "map error", r);
    if (refused(d->action)) {
	log_refusal(t, "access", key, client, LOG_INFO);
	if (t->cf->dry_run)
	    return reply(r, "NOTFOUND", "");
	r->len = 0;
	return buf_addf(r, "OK %s %s %s", d->code, d->dsn, d->text) < 0 ? -1 : 0;
    }
    if (!t->cf->dry_run && refused(base_action(t, map, key))) {
	log_other(t, "access", key, client, " answer=DUNNO", 1);
	return reply(r, "OK", "DUNNO");		/* no shorter key */
    }
    log_other(t, "access", key, client, "", 1);
    return reply(r, "NOTFOUND", "");
}

/* transport_value - "OK error:DSN text" for a refusal (bounce with the
 * department's text), "OK retry:DSN text" for a tempfail (defer) */
static int transport_value(const struct decision *d, struct buf *r)
{
    r->len = 0;
    return buf_addf(r, "OK %s:%s %s", d->action == DECIDE_REJECT ? "error" : "retry",
		    d->dsn, d->text) < 0 ? -1 : 0;
}

/* answer_transport - transport_maps: where a refused department address
 * goes (error: or retry: with the department's text), so that mail that
 * no smtpd refused bounces with it; logged at debug only: the decision
 * was logged where it was made (access at RCPT, virtual in cleanup) */
static int answer_transport(struct tables *t, const struct map *map, const char *key,
			    const char *client, struct buf *r)
{
    struct decision *d = &t->d;
    char    to[LOG_ESC_MAX];

    if (strchr(key, '@') == 0) {		/* Postfix's domain and "*" keys */
	t->d.dept = 0;
	return reply(r, "NOTFOUND", "");
    }
    if (decide(map, key, d, 0, 0) < 0 && d->action != DECIDE_TEMPFAIL)
	return -1;
    if (d->action == DECIDE_TEMPFAIL && d->map_error)
	return map_trouble(t, "transport", key, client, "map error", r);
    log_msg(LOG_DEBUG, "socketmap: transport: to=<%s> decision=%s rule=%s%s"
	    " table=transport client=%s", log_esc(key, to, sizeof(to)),
	    decision_action_name(d->action), d->rule, refused(d->action)
	    && t->cf->dry_run ? " (dry_run: answered NOTFOUND)" : "", client);
    if (t->cf->dry_run)
	return reply(r, "NOTFOUND", "");
    if (refused(d->action))
	return transport_value(d, r);
    if (refused(base_action(t, map, key)))
	return reply(r, "OK", ":");		/* no shorter key: as usual */
    return reply(r, "NOTFOUND", "");
}

/* answer_domains - relay_domains: whether key is a department domain */
static int answer_domains(struct tables *t, const struct map *map, const char *key,
			  const char *client, struct buf *r)
{
    const struct map_dept *dept = 0;
    char    dom[ADDR_DOMAIN_MAX + 1], esc[LOG_ESC_MAX];

    if (domain_normalise(key, dom, sizeof(dom)) == 0)
	dept = map_department(map, dom);
    log_msg(LOG_DEBUG, "socketmap: domain=%s %s%s table=domains client=%s",
	    log_esc(key, esc, sizeof(esc)), dept ? "found" : "not found",
	    dept && t->cf->dry_run ? " (dry_run: answered NOTFOUND)" : "", client);
    if (dept == 0 || t->cf->dry_run)
	return reply(r, "NOTFOUND", "");
    return reply(r, "OK", dept->domain);
}

static const struct table tables[] = {
    {"virtual", 1, answer_virtual},
    {"access", 1, answer_access},
    {"domains", 0, answer_domains},
    {"transport", 0, answer_transport},
};

/* owner - the table that logs a decision at info: access a refusal,
 * virtual a rewrite or a department's pass; NULL outside the departments */
static const char *owner(const struct decision *d)
{
    if (refused(d->action))
	return "access";
    return d->action == DECIDE_REWRITE || d->dept ? "virtual" : 0;
}

/* answer_shadow - the key decided on the shadow map too: a different
 * answer reported by the table that logs the decision in service (the
 * candidate's, for an address outside every department now) where that
 * table logged its decision at info, and repeated at debug otherwise */
static void answer_shadow(struct tables *t, const char *table, const struct map *map,
			  const char *key, const char *client)
{
    char    to[LOG_ESC_MAX], tail[TABLES_NAME_MAX + LOG_ESC_MAX + 32];
    const char *o;
    int     info;

    if (shadow_differs(map, key, &t->d, &t->shadow) <= 0)
	return;
    o = owner(&t->d) ? owner(&t->d) : owner(&t->shadow);
    snprintf(tail, sizeof(tail), " table=%s client=%s", table, client);
    info = o && strcmp(o, table) == 0 && !t->quiet;
    shadow_report(info, "socketmap", log_esc(key, to, sizeof(to)), &t->d, &t->shadow,
		  tail);
}

#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/* find_table - the table of a request's name, or NULL */
static const struct table *find_table(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < NTABLES; i++)
	if (strlen(tables[i].name) == len && memcmp(tables[i].name, name, len) == 0)
	    return tables + i;
    return 0;
}

/* tables_answer - one request, "NAME KEY", into reply */
int tables_answer(struct tables *t, const char *req, size_t len, const char *client,
		  struct buf *r)
{
    struct request q;
    enum request_status st = netstring_split(req, len, TABLES_KEY_MAX, &q);
    const struct table *tab;
    char    key[TABLES_KEY_MAX + 1], esc[LOG_ESC_MAX];
    struct gen *gen, *shadow;
    int     ret;

    if (st == REQUEST_NO_KEY || (tab = find_table(q.name, q.name_len)) == 0) {
	log_msg(LOG_WARNING, "socketmap: warning: not a table of deptmilter"
		" (virtual, access, domains, transport): \"%s\" client=%s",
		log_esc_n(q.name, q.name_len, esc, sizeof(esc)), client);
	return reply(r, "PERM",
		     "unknown table; deptmilter has virtual, access, domains, transport");
    }
    if (st != REQUEST_OK) {
	log_msg(LOG_WARNING, "socketmap: warning: key with NUL, CR or LF, or longer"
		" than %d bytes: \"%s\" answered NOTFOUND table=%s client=%s",
		TABLES_KEY_MAX, log_esc_n(q.key, q.key_len, esc, sizeof(esc)), tab->name,
		client);
	return reply(r, "NOTFOUND", "");
    }
    memcpy(key, q.key, q.key_len);
    key[q.key_len] = 0;
    if ((gen = gen_acquire()) == 0) {
	t->d.dept = 0;				/* no department known */
	return map_trouble(t, tab->name, key, client, "no map in service", r);
    }
    ret = tab->answer(t, gen->map, key, client, r);
    /* t->d points into gen's map: compare before letting it go */
    if (ret == 0 && tab->decides && (shadow = gen_shadow_acquire()) != 0) {
	answer_shadow(t, tab->name, shadow->map, key, client);
	gen_release(shadow);
    }
    gen_release(gen);
    return ret;
}
