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

/* expand - a match target with $N replaced; 0 or -1 when it did not fit */
static int expand(const char *tmpl, const char *subject, const size_t *ov,
		  char *out, size_t len)
{
    size_t  at = 0, n, k;
    const char *src;

    for (; *tmpl; tmpl++) {
	if (*tmpl == '$' && tmpl[1] >= '0' && tmpl[1] <= '9') {
	    k = *++tmpl - '0';
	    if (ov[2 * k] == (size_t) -1)
		continue;
	    src = subject + ov[2 * k];
	    n = ov[2 * k + 1] - ov[2 * k];
	} else
	    src = tmpl, n = 1;
	if (at + n >= len)
	    return -1;
	memcpy(out + at, src, n);
	at += n;
    }
    out[at] = 0;
    return 0;
}

/* add_expanded - a match result as an address in the right form */
static int add_expanded(struct lookup *lk, const char *raw)
{
    char    local[TARGET_MAX], out[TARGET_MAX + 4];
    const char *at = strrchr(raw, '@');
    const char *domain = at ? at + 1 : lk->d->dept->rec.canonical;
    size_t  n = at ? (size_t) (at - raw) : strlen(raw);

    if (n == 0 || n >= sizeof(local))
	return 1;
    memcpy(local, raw, n);
    local[n] = 0;
    if (addr_format(out, sizeof(out), local, domain) < 0)
	return 1;
    return add_target(lk->d, out, strlen(out));
}

/* try_matches - the match rules in file order: 1 decided, 0 none, -1 */
static int try_matches(struct lookup *lk)
{
    const struct map_dept *dept = lk->d->dept;
    const struct map_match *m;
    size_t  ov[2 * MAP_MATCH_PAIRS], i, k;
    char    raw[TARGET_MAX];
    const char *t;
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
	if (r == 0)
	    continue;
	lk->d->action = DECIDE_REWRITE;
	set_rule(lk->d, m->rule);
	for (t = m->targets, k = 0; k < m->ntargets; k++, t += strlen(t) + 1)
	    if (expand(t, lk->key, ov, raw, sizeof(raw)) == 0
		&& add_expanded(lk, raw) < 0)
		return -1;
	if (lk->d->ntargets == 0)		/* decided: it matched */
	    map_failed(lk, m->rule, "match target is not an address");
	return 1;
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

/* decide_dept - the lookup order inside a department */
static int decide_dept(struct lookup *lk)
{
    const struct map_dept *dept = lk->d->dept;
    char    out[TARGET_MAX + 4];
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
    if (dept->rec.all_rule[0]) {
	TRACE(lk, "members * (rule=%s)", dept->rec.all_rule);
	lk->d->action = DECIDE_REWRITE;
	set_rule(lk->d, dept->rec.all_rule);
	if (addr_format(out, sizeof(out), lk->a.local, dept->rec.canonical) < 0)
	    return map_failed(lk, dept->rec.all_rule, "address too long");
	return add_target(lk->d, out, strlen(out));
    }
    return apply_unknown(lk);
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
