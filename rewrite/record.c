/*
 * record - the map file format (see record.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewrite/record.h"
#include "rewrite/address.h"

static const char *policy_names[] = { "reject", "pass", "redirect", "tempfail" };

#define NPOLICIES	(sizeof(policy_names) / sizeof(policy_names[0]))

/* record_policy_name - the word for an unknown policy */
const char *record_policy_name(enum unknown_policy p)
{
    return policy_names[p];
}

/* record_key_addr - "addr:DOMAIN:LOCAL" */
int record_key_addr(char *buf, size_t len, const char *domain, size_t dlen,
		    const char *local, size_t llen)
{
    if (5 + dlen + 1 + llen >= len)
	return -1;
    memcpy(buf, "addr:", 5);
    memcpy(buf + 5, domain, dlen);
    buf[5 + dlen] = ':';
    memcpy(buf + 6 + dlen, local, llen);
    buf[6 + dlen + llen] = 0;
    return (int) (6 + dlen + llen);
}

/* record_key_addr_parse - the domain and local part of an "addr:" key;
 * 0 when the key is of another kind or malformed */
int record_key_addr_parse(const char *key, size_t klen, const char **domain,
			  size_t *dlen, const char **local, size_t *llen)
{
    const char *colon;

    if (klen < 7 || memcmp(key, "addr:", 5) != 0
	|| (colon = memchr(key + 5, ':', klen - 5)) == 0 || colon == key + 5
	|| (size_t) (colon - key - 5) > RECORD_DOMAIN_MAX || colon == key + klen - 1)
	return 0;
    *domain = key + 5;
    *dlen = colon - key - 5;
    *local = colon + 1;
    *llen = key + klen - colon - 1;
    return 1;
}

/* key_result - the length snprintf wrote, or -1 when it did not fit */
static int key_result(int n, size_t len)
{
    return n < 0 || (size_t) n >= len ? -1 : n;
}

/* record_key_dept - "dept:DOMAIN" */
int record_key_dept(char *buf, size_t len, const char *domain)
{
    return key_result(snprintf(buf, len, "dept:%s", domain), len);
}

/* record_key_index - "index:N" */
int record_key_index(char *buf, size_t len, size_t n)
{
    return key_result(snprintf(buf, len, "index:%zu", n), len);
}

/* record_key_match - "match:DOMAIN:NNNNNN", N-th rule in file order */
int record_key_match(char *buf, size_t len, const char *domain, size_t n)
{
    return key_result(snprintf(buf, len, "match:%s:%06zu", domain, n), len);
}

/* record_key_mailbox - "mailbox:DOMAIN:LOCAL", LOCAL folded as addr_key()
 * folds it: a mailbox list compares local parts without regard to case,
 * as Postfix's tables do */
int record_key_mailbox(char *buf, size_t len, const char *local, size_t llen,
		       const char *domain)
{
    size_t  dlen = strlen(domain);
    ssize_t n;

    if (8 + dlen + 1 >= len)
	return -1;
    memcpy(buf, "mailbox:", 8);
    memcpy(buf + 8, domain, dlen);
    buf[8 + dlen] = ':';
    if ((n = addr_key(local, llen, 0, buf + 9 + dlen, len - 9 - dlen)) < 0)
	return -1;
    return (int) (9 + dlen + (size_t) n);
}

/* record_meta_value - the meta record's value */
int record_meta_value(struct buf *v, size_t ndepts, size_t records, uint64_t digest)
{
    return buf_addf(v, "format=%s\tdepartments=%zu\trecords=%zu\tdigest=%016" PRIx64,
		    RECORD_FORMAT, ndepts, records, digest);
}

/* record_dept_value - a department record's value */
int record_dept_value(struct buf *v, const struct record_dept *d)
{
    return buf_addf(v, "canonical=%s\tdelimiter=%s\tcase=%s\tall=%s\tunknown=%s"
		    "\tunknown-rule=%s\tcode=%s\tdsn=%s\tredirect=%s\tmatches=%zu"
		    "\ttext=%s", d->canonical, d->delimiters,
		    d->case_exact ? "exact" : "fold",
		    d->all_rule[0] ? d->all_rule : "-",
		    record_policy_name(d->unknown), d->unknown_rule, d->code,
		    d->dsn, d->redirect, d->nmatches, d->text);
}

/* put - n bytes at *p, which moves past them */
static void put(char **p, const char *s, size_t n)
{
    memcpy(*p, s, n);
    *p += n;
}

/* record_add_rule - "rule=FILE:LINE", the first field of addr: values */
int record_add_rule(struct buf *v, const char *file, long line)
{
    char    num[24], *n = num + sizeof(num), *p;
    unsigned long k = line < 0 ? 0 : (unsigned long) line;
    size_t  flen = strlen(file), nlen;

    do						/* no printf: once per member */
	*--n = '0' + k % 10;
    while ((k /= 10) != 0);
    nlen = num + sizeof(num) - n;
    if (flen > SIZE_MAX / 2 || buf_room(v, 5 + flen + 1 + nlen) < 0)
	return -1;
    p = v->s + v->len;
    put(&p, "rule=", 5);
    put(&p, file, flen);
    put(&p, ":", 1);
    put(&p, n, nlen);
    *p = 0;
    v->len = p - v->s;
    return 0;
}

/* record_add_target - one more "to=" field */
int record_add_target(struct buf *v, const char *target)
{
    size_t  tlen = strlen(target);
    char   *p;

    if (tlen > SIZE_MAX / 2 || buf_room(v, 4 + tlen) < 0)
	return -1;
    p = v->s + v->len;
    put(&p, "\tto=", 4);
    put(&p, target, tlen + 1);
    v->len += 4 + tlen;
    return 0;
}

/* record_add_dn - the "dn=" field, after the rule; a control byte (no
 * value holds a tab, CR or LF) becomes \XX, as RFC 4514 allows */
int record_add_dn(struct buf *v, const char *dn)
{
    const unsigned char *p;

    if (buf_add(v, "\tdn=", 4) < 0)
	return -1;
    for (p = (const unsigned char *) dn; *p; p++)
	if ((*p < 0x20 || *p == 0x7f) ? buf_addf(v, "\\%02X", *p) < 0
	    : buf_add(v, (const char *) p, 1) < 0)
	    return -1;
    return 0;
}

/* record_match_value - a match rule's value; the pattern is last, so
 * that it may hold anything but a tab */
int record_match_value(struct buf *v, const char *file, long line,
		       int caseless, char **targets, size_t n, const char *pattern)
{
    size_t  i;

    if (record_add_rule(v, file, line) < 0
	|| buf_adds(v, caseless ? "\tflags=i" : "\tflags=-") < 0)
	return -1;
    for (i = 0; i < n; i++)
	if (record_add_target(v, targets[i]) < 0)
	    return -1;
    return buf_add(v, "\tpattern=", 9) < 0 || buf_adds(v, pattern) < 0 ? -1 : 0;
}

/* record_add_domain - one more "domain=" field (after record_add_rule) */
int record_add_domain(struct buf *v, const char *domain)
{
    return buf_add(v, "\tdomain=", 8) < 0 || buf_adds(v, domain) < 0 ? -1 : 0;
}

/* next_field - the field at *pos: name and value; 0 at the end */
static int next_field(const char *val, size_t vlen, size_t *pos,
		      const char **name, size_t *nlen, const char **out, size_t *outlen)
{
    const char *f, *tab, *eq;
    size_t  flen;

    if (*pos >= vlen)
	return 0;
    f = val + *pos;
    tab = memchr(f, '\t', vlen - *pos);
    flen = tab ? (size_t) (tab - f) : vlen - *pos;
    *pos += flen + 1;
    *name = f;
    if ((eq = memchr(f, '=', flen)) == 0) {
	*nlen = flen, *out = f + flen, *outlen = 0;
	return 1;
    }
    *nlen = eq - f;
    *out = eq + 1;
    *outlen = flen - (eq + 1 - f);
    return 1;
}

/* find_field - the value of the first field called name; 0 if none */
static int find_field(const char *val, size_t vlen, const char *name,
		      const char **out, size_t *outlen)
{
    size_t  pos = 0, nlen, want = strlen(name);
    const char *n;

    while (next_field(val, vlen, &pos, &n, &nlen, out, outlen))
	if (nlen == want && memcmp(n, name, nlen) == 0)
	    return 1;
    return 0;
}

/* copy_field - a field's value into buf; -1 if missing or too long */
static int copy_field(const char *val, size_t vlen, const char *name,
		      char *buf, size_t len)
{
    const char *f;
    size_t  flen;

    if (!find_field(val, vlen, name, &f, &flen) || flen >= len)
	return -1;
    memcpy(buf, f, flen);
    buf[flen] = 0;
    return 0;
}

/* field_count - a numeric field up to max; -1 if missing or not one */
static long field_count(const char *val, size_t vlen, const char *name, long max)
{
    char    buf[24], *end;
    long    n;

    if (copy_field(val, vlen, name, buf, sizeof(buf)) < 0 || buf[0] == 0)
	return -1;
    errno = 0;
    n = strtol(buf, &end, 10);
    return (*end || errno || n < 0 || n > max) ? -1 : n;
}

/* record_meta_parse - the meta record */
int record_meta_parse(const char *val, size_t vlen, struct record_meta *m)
{
    long    n, r;

    if (copy_field(val, vlen, "format", m->format, sizeof(m->format)) < 0)
	return RECORD_META_NONE;
    if (strcmp(m->format, RECORD_FORMAT) != 0)
	return RECORD_META_FORMAT;
    if ((n = field_count(val, vlen, "departments", RECORD_DEPTS_MAX)) < 0
	|| (r = field_count(val, vlen, "records", LONG_MAX)) < 0
	|| copy_field(val, vlen, "digest", m->digest, sizeof(m->digest)) < 0)
	return RECORD_META_BAD;
    m->ndepts = (size_t) n;
    m->records = (unsigned long) r;
    return RECORD_META_OK;
}

/* parse_policy - the unknown policy and its reply of a department */
static int parse_policy(const char *val, size_t vlen, struct record_dept *d)
{
    char    policy[16];
    size_t  i;

    if (copy_field(val, vlen, "unknown", policy, sizeof(policy)) < 0)
	return -1;
    for (i = 0; i < NPOLICIES && strcmp(policy, policy_names[i]) != 0; i++)
	/* void */ ;
    if (i == NPOLICIES)
	return -1;
    d->unknown = (enum unknown_policy) i;
    if (copy_field(val, vlen, "unknown-rule", d->unknown_rule, sizeof(d->unknown_rule)) <
	0 || copy_field(val, vlen, "code", d->code, sizeof(d->code)) < 0
	|| copy_field(val, vlen, "dsn", d->dsn, sizeof(d->dsn)) < 0
	|| copy_field(val, vlen, "redirect", d->redirect, sizeof(d->redirect)) < 0
	|| copy_field(val, vlen, "text", d->text, sizeof(d->text)) < 0)
	return -1;
    return 0;
}

/* record_dept_parse - a department record */
int record_dept_parse(const char *val, size_t vlen, struct record_dept *d)
{
    char    kase[8];
    long    n;

    if (copy_field(val, vlen, "canonical", d->canonical, sizeof(d->canonical)) < 0
	|| copy_field(val, vlen, "delimiter", d->delimiters, sizeof(d->delimiters)) < 0
	|| copy_field(val, vlen, "case", kase, sizeof(kase)) < 0
	|| copy_field(val, vlen, "all", d->all_rule, sizeof(d->all_rule)) < 0
	|| parse_policy(val, vlen, d) < 0
	|| (n = field_count(val, vlen, "matches", RECORD_MATCHES_MAX)) < 0)
	return -1;
    d->case_exact = strcmp(kase, "exact") == 0;
    if (strcmp(d->all_rule, "-") == 0)
	d->all_rule[0] = 0;
    d->nmatches = (size_t) n;
    return 0;
}

/* record_index_parse - the domain of an index: record */
int record_index_parse(const char *val, size_t vlen, char *domain, size_t len)
{
    if (vlen >= len || vlen > RECORD_DOMAIN_MAX)
	return -1;
    memcpy(domain, val, vlen);
    domain[vlen] = 0;
    return 0;
}

/* record_addr_parse - a member or alias: its rule (NULL when missing or
 * too long) and its value for record_target_next(), which starts after
 * the rule when the rule comes first, as the compiler writes it */
int record_addr_parse(const char *val, size_t vlen, struct record_addr *a)
{
    size_t  pos = 0, nlen;
    const char *n;

    a->val = val;
    a->vlen = vlen;
    if (next_field(val, vlen, &pos, &n, &nlen, &a->rule, &a->rule_len)
	&& nlen == 4 && memcmp(n, "rule", 4) == 0) {
	a->val = val + (pos < vlen ? pos : vlen);
	a->vlen = vlen - (pos < vlen ? pos : vlen);
    } else if (!find_field(val, vlen, "rule", &a->rule, &a->rule_len))
	a->rule = 0;
    if (a->rule == 0 || a->rule_len >= RULE_MAX)
	a->rule = 0, a->rule_len = 0;
    if (!find_field(a->val, a->vlen, "dn", &a->dn, &a->dn_len))
	a->dn = 0, a->dn_len = 0;
    return 0;
}

/* record_match_parse - a match rule; -1 without rule, flags or pattern */
int record_match_parse(const char *val, size_t vlen, struct record_match *m)
{
    char    flags[4];

    if (copy_field(val, vlen, "rule", m->rule, sizeof(m->rule)) < 0
	|| copy_field(val, vlen, "flags", flags, sizeof(flags)) < 0
	|| !find_field(val, vlen, "pattern", &m->pattern, &m->pattern_len))
	return -1;
    m->caseless = flags[0] == 'i';
    m->val = val;
    m->vlen = vlen;
    return 0;
}

/* record_add_source - one more "source=HEX:NAME" field; a name that
 * cannot be a field (tab, CR, LF) is left out */
int record_add_source(struct buf *v, const char *name, uint64_t digest)
{
    if (strpbrk(name, "\t\r\n") != 0)
	return 0;
    return buf_addf(v, "%ssource=%016" PRIx64 ":%s", v->len ? "\t" : "", digest, name);
}

/* record_source_next - the next well-formed "source=" field at *pos; 0 at
 * the end */
int record_source_next(const char *val, size_t vlen, size_t *pos,
		       const char **name, size_t *nlen, uint64_t *digest)
{
    const char *n, *f;
    size_t  len, flen, i;

    while (next_field(val, vlen, pos, &n, &len, &f, &flen)) {
	if (len != 6 || memcmp(n, "source", 6) != 0 || flen < 18 || f[16] != ':')
	    continue;
	for (*digest = 0, i = 0; i < 16 && isxdigit((unsigned char) f[i]); i++)
	    *digest = *digest << 4 | (uint64_t) (isdigit((unsigned char) f[i])
						 ? f[i] - '0'
						 : (f[i] | 0x20) - 'a' + 10);
	if (i < 16)
	    continue;
	*name = f + 17, *nlen = flen - 17;
	return 1;
    }
    return 0;
}

/* named_next - the next non-empty field called name at *pos; 0 at the end */
static int named_next(const char *val, size_t vlen, size_t *pos, const char *name,
		      const char **out, size_t *outlen)
{
    const char *n;
    size_t  nlen, want = strlen(name);

    while (next_field(val, vlen, pos, &n, &nlen, out, outlen))
	if (nlen == want && memcmp(n, name, want) == 0 && *outlen > 0)
	    return 1;
    return 0;
}

/* record_target_next - the next non-empty "to=" field at *pos; 0 at the end */
int record_target_next(const char *val, size_t vlen, size_t *pos,
		       const char **t, size_t *tlen)
{
    return named_next(val, vlen, pos, "to", t, tlen);
}

/* record_mailboxes_parse - the mailboxes record; -1 without its rule */
int record_mailboxes_parse(const char *val, size_t vlen, struct record_mailboxes *m)
{
    if (copy_field(val, vlen, "rule", m->rule, sizeof(m->rule)) < 0)
	return -1;
    m->val = val;
    m->vlen = vlen;
    return 0;
}

/* record_domain_next - the next non-empty "domain=" field at *pos; 0 at
 * the end */
int record_domain_next(const char *val, size_t vlen, size_t *pos,
		       const char **d, size_t *dlen)
{
    return named_next(val, vlen, pos, "domain", d, dlen);
}

/* record_has_target - whether a value has "to=T" already */
int record_has_target(const char *val, size_t vlen, const char *t)
{
    size_t  pos = 0, n = strlen(t), tlen;
    const char *f;

    while (record_target_next(val, vlen, &pos, &f, &tlen))
	if (tlen == n && memcmp(f, t, n) == 0)
	    return 1;
    return 0;
}

/* record_digest_input - append what the digest covers of one record,
 * "KEY\nVALUE\n"; the digest is fnv1a() over all of it, in key order */
int record_digest_input(struct buf *b, const char *key, size_t klen,
			const char *val, size_t vlen)
{
    char   *p;

    if (klen > SIZE_MAX / 4 || vlen > SIZE_MAX / 4 || buf_room(b, klen + vlen + 2) < 0)
	return -1;
    p = b->s + b->len;
    put(&p, key, klen);
    put(&p, "\n", 1);
    put(&p, val, vlen);
    put(&p, "\n", 1);
    *p = 0;
    b->len = p - b->s;
    return 0;
}

/* record_digest - FNV-1a 64 over one more record's digest input */
uint64_t record_digest(uint64_t h, const char *key, size_t klen,
		       const char *val, size_t vlen)
{
    h = fnv1a(h, key, klen);
    h = fnv1a(h, "\n", 1);
    h = fnv1a(h, val, vlen);
    return fnv1a(h, "\n", 1);
}
