/*
 * diff - the answers that change between two maps (see diff.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "maps/diff.h"
#include "maps/answer.h"
#include "rewrite/address.h"
#include "rewrite/buf.h"
#include "rewrite/decide.h"

#define LCS_CELLS	(1u << 22)		/* largest table for match rules */
#define ADDR_MAX	(ADDR_FOLD_MAX + ADDR_DOMAIN_MAX + 8)

/* A member or alias key of either map; points into the map. */
struct key {
    const char *domain;
    size_t  dlen;
    const char *local;
    size_t  llen;
};

/* The comparison in progress. */
struct diff {
    const struct map *old, *new;
    diff_line_fn fn;
    void   *ctx;
    struct decision d1, d2;
    struct buf a, b, line;		/* two answers, the line to hand out */
    long    lines;
};

/* bytes_cmp - byte order, a prefix first (strcmp's order for text) */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int     c = memcmp(a, b, an < bn ? an : bn);

    return c ? c : (an > bn) - (an < bn);
}

/* key_cmp - by domain, then local part */
static int key_cmp(const void *x, const void *y)
{
    const struct key *a = x, *b = y;
    int     c = bytes_cmp(a->domain, a->dlen, b->domain, b->dlen);

    return c ? c : bytes_cmp(a->local, a->llen, b->local, b->llen);
}

/* collect - the member and alias keys of a map, added to *v */
static int collect(const struct map *map, struct key **v, size_t *n, size_t *cap)
{
    struct map_record r;
    struct key k;
    unsigned pos = 0;

    while (map_record_next(map, &pos, &r)) {
	if (!record_key_addr_parse(r.key, r.klen, &k.domain, &k.dlen, &k.local, &k.llen))
	    continue;
	if (grow((void **) v, cap, *n + 1, sizeof(**v)) < 0)
	    return -1;
	(*v)[(*n)++] = k;
    }
    return 0;
}

/* all_keys - the keys of both maps, sorted, each once */
static int all_keys(const struct map *old, const struct map *new, struct key **v,
		    size_t *n)
{
    size_t  cap = 0, i, k = 0;

    *v = 0;
    *n = 0;
    if (collect(old, v, n, &cap) < 0 || collect(new, v, n, &cap) < 0)
	return -1;
    if (*n > 1)
	qsort(*v, *n, sizeof(**v), key_cmp);
    for (i = 0; i < *n; i++)
	if (k == 0 || key_cmp(*v + k - 1, *v + i) != 0)
	    (*v)[k++] = (*v)[i];
    *n = k;
    return 0;
}

/* clear - an empty string, its memory kept */
static void clear(struct buf *b)
{
    b->len = 0;
    if (b->s)
	b->s[0] = 0;
}

/* emit - hand out SIGN KEY<TAB>REST */
static int emit(struct diff *df, int sign, const char *key, const char *rest)
{
    clear(&df->line);
    if (buf_addf(&df->line, "%c%s\t%s", sign, key, rest) < 0)
	return -1;
    df->fn(df->ctx, df->line.s);
    df->lines++;
    return 0;
}

/* emit_change - "-KEY old" and "+KEY new" when the two differ */
static int emit_change(struct diff *df, const char *key, const char *old,
		       const char *new)
{
    if (strcmp(old, new) == 0)
	return 0;
    return emit(df, '-', key, old) < 0 || emit(df, '+', key, new) < 0 ? -1 : 0;
}

/* compare_answers - the two decisions in df, as query prints them */
static int compare_answers(struct diff *df, const char *addr)
{
    struct buf key = { 0 };
    int     ret = -1;

    clear(&df->a);
    clear(&df->b);
    if (answer_add(&df->a, &df->d1) == 0 && answer_add(&df->b, &df->d2) == 0
	&& answer_add_escaped(&key, addr, strlen(addr)) == 0)
	ret = emit_change(df, key.s, df->a.s, df->b.s);
    buf_free(&key);
    return ret;
}

/* compare_addr - one address decided on both maps */
static int compare_addr(struct diff *df, const struct key *k)
{
    char    local[ADDR_FOLD_MAX + 1], domain[ADDR_DOMAIN_MAX + 1], addr[ADDR_MAX];

    if (k->llen >= sizeof(local) || k->dlen >= sizeof(domain)
	|| memchr(k->local, 0, k->llen))
	return 0;				/* no address can reach it */
    memcpy(local, k->local, k->llen);
    local[k->llen] = 0;
    memcpy(domain, k->domain, k->dlen);
    domain[k->dlen] = 0;
    if (addr_format(addr, sizeof(addr), local, domain) < 0)
	return 0;
    if (decide(df->old, addr, &df->d1, 0, 0) < 0
	|| decide(df->new, addr, &df->d2, 0, 0) < 0)
	return -1;
    return compare_answers(df, addr);
}

/* nobody - the answer of one map for a local part its department does
 * not name (PASS when the domain is no department there) */
static int nobody(const struct map *map, const struct map_dept *dept,
		  const char *addr, struct decision *d)
{
    return dept ? decide_nobody(map, dept, d) : decide(map, addr, d, 0, 0);
}

/* compare_nobody - "*@DOMAIN" */
static int compare_nobody(struct diff *df, const struct map_dept *od,
			  const struct map_dept *nd)
{
    char    addr[ADDR_DOMAIN_MAX + 3];

    snprintf(addr, sizeof(addr), "*@%s", od ? od->domain : nd->domain);
    if (nobody(df->old, od, addr, &df->d1) < 0 || nobody(df->new, nd, addr, &df->d2) < 0)
	return -1;
    return compare_answers(df, addr);
}

/* settings - a department's settings for its "department" line */
static int settings(struct buf *b, const struct map_dept *d)
{
    clear(b);
    return buf_addf(b, "canonical=%s delimiter=%s case=%s", d->rec.canonical,
		    d->rec.delimiters, d->rec.case_exact ? "exact" : "fold");
}

/* compare_settings - a department added, removed or changed */
static int compare_settings(struct diff *df, const struct map_dept *od,
			    const struct map_dept *nd)
{
    char    key[ADDR_DOMAIN_MAX + 16];

    snprintf(key, sizeof(key), "department\t%s", od ? od->domain : nd->domain);
    if ((od && settings(&df->a, od) < 0) || (nd && settings(&df->b, nd) < 0))
	return -1;
    if (od && nd)
	return emit_change(df, key, df->a.s, df->b.s);
    return od ? emit(df, '-', key, df->a.s) : emit(df, '+', key, df->b.s);
}

/* rule_text - "/PATTERN/FLAGS -> TARGET, ..." of one match rule; the
 * flag i is shown where it is not implied (a case-sensitive department) */
static char *rule_text(const struct map_dept *d, const struct map_match *m)
{
    struct buf b = { 0 };
    const char *t;
    size_t  i;

    if (buf_adds(&b, "/") < 0
	|| answer_add_escaped(&b, m->pattern, strlen(m->pattern)) < 0
	|| buf_adds(&b, m->caseless && d->rec.case_exact ? "/i ->" : "/ ->") < 0)
	goto fail;
    for (i = 0, t = m->targets; i < m->ntargets; i++, t += strlen(t) + 1)
	if (buf_adds(&b, i ? ", " : " ") < 0 || answer_add_escaped(&b, t, strlen(t)) < 0)
	    goto fail;
    return b.s;
fail:
    buf_free(&b);
    return 0;
}

/* rule_texts - the match rules of a department (none when dept is NULL) */
static char **rule_texts(const struct map_dept *d, size_t *n)
{
    char  **v;
    size_t  i;

    *n = d ? d->rec.nmatches : 0;
    if ((v = calloc(*n + 1, sizeof(*v))) == 0)
	return 0;
    for (i = 0; i < *n; i++) {
	if ((v[i] = rule_text(d, d->matches + i)) == 0) {
	    while (i > 0)
		free(v[--i]);
	    free(v);
	    return 0;
	}
    }
    return v;
}

/* lcs_table - L[i][j], the longest common subsequence of a[i..n) and
 * b[j..m), in (n+1) x (m+1) cells; NULL when too large or no memory */
static unsigned *lcs_table(char **a, size_t n, char **b, size_t m)
{
    unsigned *L;
    size_t  i, j, w = m + 1;

    if (n == 0 || m == 0 || n > LCS_CELLS / m
	|| (L = calloc((n + 1) * w, sizeof(*L))) == 0)
	return 0;
    for (i = n; i-- > 0;)
	for (j = m; j-- > 0;)
	    L[i * w + j] = strcmp(a[i], b[j]) == 0 ? L[(i + 1) * w + j + 1] + 1
		: L[(i + 1) * w + j] > L[i * w + j + 1] ? L[(i + 1) * w + j]
		: L[i * w + j + 1];
    return L;
}

/* edit - the rules removed ("-") and added ("+") between a and b, in file
 * order, as diff(1) shows lines; without a table all of a, then all of b */
static int edit(struct diff *df, const char *key, char **a, size_t n, char **b, size_t m)
{
    unsigned *L = lcs_table(a, n, b, m);
    size_t  i = 0, j = 0, w = m + 1;
    int     r = 0;

    while (r == 0 && (i < n || j < m)) {
	if (L && i < n && j < m && strcmp(a[i], b[j]) == 0)
	    i++, j++;
	else if (i < n && (j == m || !L || L[(i + 1) * w + j] >= L[i * w + j + 1]))
	    r = emit(df, '-', key, a[i++]);
	else
	    r = emit(df, '+', key, b[j++]);
    }
    free(L);
    return r;
}

/* compare_rules - the match rules of a department, changed ones shown */
static int compare_rules(struct diff *df, const struct map_dept *od,
			 const struct map_dept *nd)
{
    char    key[ADDR_DOMAIN_MAX + 16], **a, **b = 0;
    size_t  n = 0, m = 0, pre = 0, suf = 0, i;
    int     r = -1;

    snprintf(key, sizeof(key), "match\t%s", od ? od->domain : nd->domain);
    if ((a = rule_texts(od, &n)) == 0 || (b = rule_texts(nd, &m)) == 0)
	goto out;
    while (pre < n && pre < m && strcmp(a[pre], b[pre]) == 0)
	pre++;
    while (suf < n - pre && suf < m - pre && strcmp(a[n - 1 - suf], b[m - 1 - suf]) == 0)
	suf++;
    r = edit(df, key, a + pre, n - pre - suf, b + pre, m - pre - suf);
out:
    for (i = 0; a && i < n; i++)
	free(a[i]);
    for (i = 0; b && i < m; i++)
	free(b[i]);
    free(a);
    free(b);
    return r;
}

/* compare_dept - one department of either map, and its keys from *k on */
static int compare_dept(struct diff *df, const struct map_dept *od,
			const struct map_dept *nd, const struct key *v, size_t n,
			size_t *k)
{
    const char *domain = od ? od->domain : nd->domain;
    size_t  dlen = strlen(domain);

    if (compare_settings(df, od, nd) < 0 || compare_rules(df, od, nd) < 0
	|| compare_nobody(df, od, nd) < 0)
	return -1;
    while (*k < n && bytes_cmp(v[*k].domain, v[*k].dlen, domain, dlen) < 0)
	(*k)++;					/* no department's: unreachable */
    for (; *k < n && bytes_cmp(v[*k].domain, v[*k].dlen, domain, dlen) == 0; (*k)++)
	if (compare_addr(df, v + *k) < 0)
	    return -1;
    return 0;
}

/* walk - every department of either map, by domain */
static int walk(struct diff *df, const struct key *v, size_t n)
{
    const struct map *o = df->old, *w = df->new;
    const struct map_dept *od, *nd;
    size_t  i = 0, j = 0, k = 0;
    int     c;

    while (i < o->ndepts || j < w->ndepts) {
	c = i == o->ndepts ? 1 : j == w->ndepts ? -1
	    : strcmp(o->depts[i].domain, w->depts[j].domain);
	od = c <= 0 ? o->depts + i++ : 0;
	nd = c >= 0 ? w->depts + j++ : 0;
	if (compare_dept(df, od, nd, v, n, &k) < 0)
	    return -1;
    }
    return 0;
}

/* diff_maps - every answer that changes from old to new */
long diff_maps(const struct map *old, const struct map *new, diff_line_fn fn, void *ctx)
{
    struct diff df;
    struct key *v;
    size_t  n;
    long    ret = -1;

    memset(&df, 0, sizeof(df));
    df.old = old;
    df.new = new;
    df.fn = fn;
    df.ctx = ctx;
    decision_init(&df.d1);
    decision_init(&df.d2);
    if (all_keys(old, new, &v, &n) == 0 && walk(&df, v, n) == 0)
	ret = df.lines;
    free(v);
    decision_free(&df.d1);
    decision_free(&df.d2);
    buf_free(&df.a);
    buf_free(&df.b);
    buf_free(&df.line);
    return ret;
}

/* diff_is_map - 1 a map (a NUL byte in the first block), 0 text, -1 */
int diff_is_map(const char *path)
{
    char    block[4096];
    ssize_t n;
    int     fd, saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
	return -1;
    n = read(fd, block, sizeof(block));
    saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? -1 : memchr(block, 0, n) != 0;
}
