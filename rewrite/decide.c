/*
 * decide - the decision for one recipient address (see decide.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewrite/decide.h"
#include "rewrite/address.h"
#include "rewrite/buf.h"
#include "rewrite/domain.h"
#include "rewrite/quoted.h"

#define TARGET_MAX	(ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 8)

/* The lookup in progress. */
struct lookup {
    const struct map *map;
    struct decision *d;
    decide_trace_fn trace;
    void   *ctx;
    struct addr a;
    char    key[ADDR_FOLD_MAX + 1];	/* local part, folded unless exact */
    size_t  key_len;
    int     nobody;			/* decide_nobody: no mailbox check */
};

#define TRACE(lk, ...) do { if ((lk)->trace) (lk)->trace((lk)->ctx, __VA_ARGS__); } while (0)

/* decision_init - an empty decision */
void decision_init(struct decision *d)
{
    memset(d, 0, sizeof(*d));
    strcpy(d->rule, "-");
}

/* decision_free - release the target buffer */
void decision_free(struct decision *d)
{
    free(d->targets);
    decision_init(d);
}

/* decision_reset - forget the previous decision, keep the buffer */
static void decision_reset(struct decision *d)
{
    d->action = DECIDE_PASS;
    d->dept = 0;
    strcpy(d->rule, "-");
    d->code = d->dsn = d->text = 0;
    d->map_error = 0;
    d->ntargets = d->len = 0;
}

/* decision_target - the target after prev (NULL: the first), or NULL */
const char *decision_target(const struct decision *d, const char *prev)
{
    const char *next;

    if (d->ntargets == 0)
	return 0;
    if (prev == 0)
	return d->targets;
    next = prev + strlen(prev) + 1;
    return next < d->targets + d->len ? next : 0;
}

/* decision_action_name - PASS, REJECT, REWRITE or TEMPFAIL */
const char *decision_action_name(enum decision_action action)
{
    static const char *names[] = { "PASS", "REJECT", "REWRITE", "TEMPFAIL" };

    return names[action];
}

/* same_text - two reply fields equal, NULL as "" */
static int same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* decision_same_answer - the same action, targets and reply */
int decision_same_answer(const struct decision *a, const struct decision *b)
{
    if (a->action != b->action || a->map_error != b->map_error)
	return 0;
    if (a->ntargets != b->ntargets || a->len != b->len
	|| (a->len && memcmp(a->targets, b->targets, a->len) != 0))
	return 0;
    return same_text(a->code, b->code) && same_text(a->dsn, b->dsn)
	&& same_text(a->text, b->text);
}

/* add_target - append a target unless it is there already; -1 no memory */
static int add_target(struct decision *d, const char *t, size_t n)
{
    const char *p;

    for (p = decision_target(d, 0); p; p = decision_target(d, p))
	if (strlen(p) == n && memcmp(p, t, n) == 0)
	    return 0;
    if (grow((void **) &d->targets, &d->cap, d->len + n + 1, 1) < 0)
	return -1;
    memcpy(d->targets + d->len, t, n);
    d->targets[d->len + n] = 0;
    d->len += n + 1;
    d->ntargets++;
    return 0;
}

/* add_with_ext - a target with the extension put before its "@" */
static int add_with_ext(struct decision *d, const char *t, size_t n, const char *ext)
{
    char    buf[TARGET_MAX + ADDR_LOCAL_MAX];
    const char *at;
    size_t  head, elen;

    if (ext == 0 || *ext == 0 || (at = memrchr(t, '@', n)) == 0)
	return add_target(d, t, n);
    elen = strlen(ext);
    head = at - t;
    if (head > 0 && t[head - 1] == '"')
	head--;
    if (n + elen >= sizeof(buf))
	return add_target(d, t, n);
    memcpy(buf, t, head);
    memcpy(buf + head, ext, elen);
    memcpy(buf + head + elen, t + head, n - head);
    return add_target(d, buf, n + elen);
}

/* set_rule - the rule that decided, truncated to fit */
static void set_rule(struct decision *d, const char *rule)
{
    size_t  n = strnlen(rule, sizeof(d->rule) - 1);

    memcpy(d->rule, rule, n);
    d->rule[n] = 0;
}

/* map_failed - the map could not answer: tempfail, and say so; 0 (decided) */
static int map_failed(struct lookup *lk, const char *rule, const char *why)
{
    struct decision *d = lk->d;

    d->action = DECIDE_TEMPFAIL;
    d->map_error = 1;
    d->code = "451";
    d->dsn = "4.3.0";
    d->text = "Temporary lookup failure";
    set_rule(d, rule);
    TRACE(lk, "map error: %s", why);
    return 0;
}

/* take_entry - REWRITE to the targets of an exact entry */
static int take_entry(struct lookup *lk, const struct record_addr *e, const char *ext)
{
    struct decision *d = lk->d;
    size_t  pos = 0, tlen;
    const char *t;

    d->action = DECIDE_REWRITE;
    if (e->rule) {
	memcpy(d->rule, e->rule, e->rule_len);
	d->rule[e->rule_len] = 0;
    }
    while (record_target_next(e->val, e->vlen, &pos, &t, &tlen))
	if (add_with_ext(d, t, tlen, ext) < 0)
	    return -1;
    if (d->ntargets == 0)
	return map_failed(lk, d->rule, "entry without targets");
    return 0;
}

/* try_exact - look up one key: 1 decided, 0 not found, -1 no memory */
static int try_exact(struct lookup *lk, size_t len, const char *ext)
{
    struct record_addr e;
    int     r = map_entry(lk->map, lk->d->dept, lk->key, len, &e);

    TRACE(lk, "lookup %.*s@%s: %s", (int) len, lk->key, lk->d->dept->domain,
	  r > 0 ? "found" : r == 0 ? "not found" : "map error");
    if (r < 0) {
	map_failed(lk, "-", "corrupt map");
	return 1;
    }
    if (r == 0)
	return 0;
    if (e.dn)
	TRACE(lk, "from directory entry %.*s", (int) e.dn_len, e.dn);
    return take_entry(lk, &e, ext) < 0 ? -1 : 1;
}

/* A match target being made: the template, the subject and its captures. */
struct expansion {
    const char *subject;
    const size_t *ov;
    char    local[ADDR_LOCAL_MAX + 1];	/* unquoted */
    char    domain[TARGET_MAX];
    size_t  n;				/* bytes in the part being made */
};

/* put_bytes - n bytes to the part being made; -1 when they do not fit */
static int put_bytes(struct expansion *x, char *part, size_t size, const char *s,
		     size_t n)
{
    if (x->n + n >= size)
	return -1;
    memcpy(part + x->n, s, n);
    x->n += n;
    part[x->n] = 0;
    return 0;
}

/* put_capture - capture k (none: nothing) to the part being made */
static int put_capture(struct expansion *x, char *part, size_t size, int k)
{
    if (x->ov[2 * k] == (size_t) -1)
	return 0;
    return put_bytes(x, part, size, x->subject + x->ov[2 * k],
		     x->ov[2 * k + 1] - x->ov[2 * k]);
}

/* is_dollar - whether b starts "$N" before end */
static int is_dollar(const char *b, const char *end)
{
    return *b == '$' && b + 1 < end && b[1] >= '0' && b[1] <= '9';
}

/* expand_local - the local part of a template as written, $N replaced by
 * the captures as they are and its quoting undone: the local part itself */
static int expand_local(struct expansion *x, const char *t, size_t len)
{
    struct quoted q;
    const char *b;
    enum quoted_kind k;

    x->n = 0;
    x->local[0] = 0;
    quoted_start(&q, t, len);
    while ((k = quoted_next(&q, &b)) != QUOTED_END) {
	if (k == QUOTED_MARK)
	    continue;
	if (k != QUOTED_ESCAPED && is_dollar(b, q.end)) {
	    q.p++;				/* the digit */
	    if (put_capture(x, x->local, sizeof(x->local), b[1] - '0') < 0)
		return -1;
	} else if (put_bytes(x, x->local, sizeof(x->local), b, 1) < 0)
	    return -1;
    }
    return 0;
}

/* expand_domain - the domain of a template, $N replaced */
static int expand_domain(struct expansion *x, const char *t, size_t len)
{
    const char *p, *end = t + len;

    x->n = 0;
    x->domain[0] = 0;
    for (p = t; p < end; p++) {
	if (is_dollar(p, end)) {
	    if (put_capture(x, x->domain, sizeof(x->domain), *++p - '0') < 0)
		return -1;
	} else if (put_bytes(x, x->domain, sizeof(x->domain), p, 1) < 0)
	    return -1;
    }
    return 0;
}

static int apply_unknown(struct lookup *);

/* mailbox_lookup - one lookup of the first len bytes of local@domain */
static int mailbox_lookup(struct lookup *lk, const char *local, size_t len,
			  const char *domain)
{
    int     r = map_mailbox(lk->map, local, len, domain);

    TRACE(lk, "mailbox %.*s@%s (list rule=%s): %s", (int) len, local, domain,
	  lk->map->mbox_rule, r > 0 ? "found" : r == 0 ? "not found" : "map error");
    return r;
}

/* mailbox_known - whether a result address may be taken: 1 its domain
 * is not covered by the map's mailbox list or it is a mailbox there,
 * 0 it is not, -1 the map is broken.  The local part is looked up
 * without its extension first (one lookup where it is found), then whole */
static int mailbox_known(struct lookup *lk, const char *local, const char *domain)
{
    size_t  len = strlen(local), base;
    int     r;

    if (!map_mailbox_covers(lk->map, domain))
	return 1;
    base = addr_split_ext(local, lk->d->dept->rec.delimiters);
    if ((r = mailbox_lookup(lk, local, base, domain)) == 0 && base < len)
	r = mailbox_lookup(lk, local, len, domain);
    return r;
}

/* no_mailbox - a result that is not a mailbox: the unknown policy,
 * its rule the one that made the address, marked so (the mark is kept
 * whole: a rule too long loses its end instead) */
static int no_mailbox(struct lookup *lk, const char *made_by)
{
    static const char mark[] = ",no-mailbox";
    char    rule[RULE_MAX];
    size_t  n = strnlen(made_by, sizeof(rule) - sizeof(mark));

    memcpy(rule, made_by, n);
    memcpy(rule + n, mark, sizeof(mark));
    lk->d->ntargets = lk->d->len = 0;
    if (apply_unknown(lk) < 0)
	return -1;
    set_rule(lk->d, rule);
    return 0;
}

/* add_expanded - one match target made from its template: the local part
 * as the template writes it with the captures put in literally (quoted
 * again as needed), in the domain written or the canonical one; 0, 1 when
 * it is not a valid address (why says why), -1 without memory; *missing
 * is set when the address is not in the map's mailbox list (1) or the
 * list could not be read (-1) */
static int add_expanded(struct lookup *lk, const char *tmpl, const size_t *ov,
			char *why, size_t whylen, int *missing)
{
    struct expansion x;
    char    out[TARGET_MAX + 4], dom[ADDR_DOMAIN_MAX + 1];
    const char *at, *domain = lk->d->dept->rec.canonical;
    size_t  len = strlen(tmpl);
    int     r;

    x.subject = lk->key, x.ov = ov;
    (void) quoted_scan(tmpl, len, &at);
    if (expand_local(&x, tmpl, at ? (size_t) (at - tmpl) : len) < 0
	|| (at && expand_domain(&x, at + 1, tmpl + len - (at + 1)) < 0)) {
	snprintf(why, whylen, "longer than %d bytes", TARGET_MAX);
	return 1;
    }
    if (addr_check_literal(x.local, strlen(x.local), why, whylen) < 0)
	return 1;
    if (at) {
	if (domain_check(x.domain, strlen(x.domain), why, whylen) < 0
	    || domain_normalise(x.domain, dom, sizeof(dom)) < 0)
	    return 1;
	domain = dom;
    }
    if ((r = mailbox_known(lk, x.local, domain)) <= 0) {
	*missing = r == 0 ? 1 : -1;
	return 0;
    }
    if (addr_format(out, sizeof(out), x.local, domain) < 0) {
	snprintf(why, whylen, "longer than %d bytes", TARGET_MAX);
	return 1;
    }
    return add_target(lk->d, out, strlen(out)) < 0 ? -1 : 0;
}

/* take_match - REWRITE to the targets of a match rule that matched; any
 * target that is not a valid address makes it a tempfail (all or none) */
static int take_match(struct lookup *lk, const struct map_match *m, const size_t *ov)
{
    const char *t;
    size_t  k;
    char    why[512], msg[700];
    int     r, missing = 0;

    lk->d->action = DECIDE_REWRITE;
    set_rule(lk->d, m->rule);
    for (t = m->targets, k = 0; k < m->ntargets; k++, t += strlen(t) + 1) {
	if ((r = add_expanded(lk, t, ov, why, sizeof(why), &missing)) < 0)
	    return -1;
	if (missing < 0) {
	    lk->d->ntargets = lk->d->len = 0;
	    return map_failed(lk, m->rule, "corrupt map");
	}
	if (missing)
	    return no_mailbox(lk, m->rule);
	if (r > 0) {
	    lk->d->ntargets = lk->d->len = 0;
	    snprintf(msg, sizeof(msg), "match target %s is not a valid address: %s", t,
		     why);
	    return map_failed(lk, m->rule, msg);
	}
    }
    if (lk->d->ntargets == 0)			/* decided: it matched */
	return map_failed(lk, m->rule, "match target is not an address");
    return 0;
}

/* try_matches - the match rules in file order: 1 decided, 0 none, -1 */
static int try_matches(struct lookup *lk)
{
    const struct map_dept *dept = lk->d->dept;
    const struct map_match *m;
    size_t  ov[2 * MAP_MATCH_PAIRS], i;
    int     r;

    for (i = 0; i < dept->rec.nmatches; i++) {
	m = dept->matches + i;
	r = map_match(lk->map, m, lk->key, lk->key_len, ov, MAP_MATCH_PAIRS);
	TRACE(lk, "match /%s/ (rule=%s): %s", m->pattern, m->rule,
	      r > 0 ? "matched" : r == 0 ? "no match" : "match limit or error");
	if (r < 0) {
	    map_failed(lk, m->rule, "match limit");
	    return 1;
	}
	if (r > 0)
	    return take_match(lk, m, ov) < 0 ? -1 : 1;
    }
    return 0;
}

/* apply_unknown - the department's policy for people it does not know */
static int apply_unknown(struct lookup *lk)
{
    struct decision *d = lk->d;
    const struct map_dept *dept = d->dept;

    set_rule(d, dept->rec.unknown_rule);
    TRACE(lk, "unknown: policy %s (rule=%s)", record_policy_name(dept->rec.unknown),
	  d->rule);
    switch (dept->rec.unknown) {
    case UNKNOWN_PASS:
	d->action = DECIDE_PASS;
	return 0;
    case UNKNOWN_REDIRECT:
	d->action = DECIDE_REWRITE;
	return add_target(d, dept->rec.redirect, strlen(dept->rec.redirect));
    case UNKNOWN_TEMPFAIL:
	d->action = DECIDE_TEMPFAIL;
	break;
    case UNKNOWN_REJECT:
	d->action = DECIDE_REJECT;
	break;
    }
    d->code = dept->rec.code;
    d->dsn = dept->rec.dsn;
    d->text = dept->rec.text;
    return 0;
}

/* decide_rest - "members *", else the department's unknown policy */
static int decide_rest(struct lookup *lk)
{
    const struct map_dept *dept = lk->d->dept;
    char    out[TARGET_MAX + 4];
    int     r;

    if (dept->rec.all_rule[0]) {
	TRACE(lk, "members * (rule=%s)", dept->rec.all_rule);
	lk->d->action = DECIDE_REWRITE;
	set_rule(lk->d, dept->rec.all_rule);
	if (addr_format(out, sizeof(out), lk->a.local, dept->rec.canonical) < 0)
	    return map_failed(lk, dept->rec.all_rule, "address too long");
	if (!lk->nobody
	    && (r = mailbox_known(lk, lk->a.local, dept->rec.canonical)) <= 0)
	    return r < 0 ? map_failed(lk, dept->rec.all_rule, "corrupt map")
		: no_mailbox(lk, dept->rec.all_rule);
	return add_target(lk->d, out, strlen(out));
    }
    return apply_unknown(lk);
}

/* decide_dept - the lookup order inside a department */
static int decide_dept(struct lookup *lk)
{
    const struct map_dept *dept = lk->d->dept;
    size_t  base;
    ssize_t n;
    int     r;

    if ((n = addr_key(lk->a.local, lk->a.local_len, dept->rec.case_exact,
		      lk->key, sizeof(lk->key))) < 0)
	return map_failed(lk, "-", "local part does not fit as a key");
    lk->key_len = (size_t) n;
    if ((r = try_exact(lk, lk->key_len, 0)) != 0)
	return r < 0 ? -1 : 0;
    /* the extension is carried over as the client wrote it, as Postfix
     * does: folding keeps the delimiters, so the local part as written
     * splits at the same one, at its own offset (folding can change lengths) */
    base = addr_split_ext(lk->key, dept->rec.delimiters);
    if (base < lk->key_len
	&& (r = try_exact(lk, base, lk->a.local
			  + addr_split_ext(lk->a.local, dept->rec.delimiters))) != 0)
	return r < 0 ? -1 : 0;
    if ((r = try_matches(lk)) != 0)
	return r < 0 ? -1 : 0;
    return decide_rest(lk);
}

/* decide - PASS, REJECT, REWRITE or TEMPFAIL for one RCPT argument */
int decide(const struct map *map, const char *rcpt, struct decision *d,
	   decide_trace_fn trace, void *ctx)
{
    struct lookup lk;
    int     r;

    decision_reset(d);
    lk.map = map;
    lk.d = d;
    lk.trace = trace;
    lk.ctx = ctx;
    lk.nobody = 0;
    if ((r = addr_parse(rcpt, &lk.a)) == ADDR_TOOLONG && lk.a.domain[0]
	&& (d->dept = map_department(map, lk.a.domain)) != 0) {
	TRACE(&lk, "local part longer than %d bytes: nobody there", ADDR_LOCAL_MAX);
	return apply_unknown(&lk);
    }
    if (r != ADDR_OK || lk.a.null_sender) {
	TRACE(&lk, "not an address with a domain: pass");
	return 0;
    }
    TRACE(&lk, "address: local part \"%s\", domain %s", lk.a.local, lk.a.domain);
    if ((d->dept = map_department(map, lk.a.domain)) == 0) {
	TRACE(&lk, "%s is not a department: pass", lk.a.domain);
	return 0;
    }
    return decide_dept(&lk);
}

/* decide_nobody - a department's answer for a local part that no entry
 * or match rule names, shown as "*" ("members *" gives *@CANONICAL) */
int decide_nobody(const struct map *map, const struct map_dept *dept, struct decision *d)
{
    struct lookup lk;

    decision_reset(d);
    memset(&lk, 0, sizeof(lk));
    lk.map = map;
    lk.d = d;
    d->dept = dept;
    lk.nobody = 1;
    strcpy(lk.a.local, "*");
    lk.a.local_len = 1;
    return decide_rest(&lk);
}
