#ifndef DEPT_RECORD_H
#define DEPT_RECORD_H
/*
 * record - the map file format: every key, field and limit, spelled once
 *
 * A map is a CDB file of these records (DOMAIN is the normalised
 * department domain, as rules and RCPT arguments both normalise it):
 *
 *   meta                  format=deptmap-1 departments=N records=N digest=HEX
 *   index:N               the N-th department's domain (N from 0)
 *   dept:DOMAIN           canonical= delimiter= case= all= unknown=
 *                         unknown-rule= code= dsn= redirect= matches= text=
 *   addr:DOMAIN:LOCAL     rule=FILE:LINE [dn=DN] to=ADDRESS ...
 *   match:DOMAIN:NNNNNN   rule= flags= to= ... pattern=REGEX (last)
 *   sources               source=HEX:NAME ... (the rules file, then every
 *                         roster: FNV-1a 64 of its bytes, and its name as
 *                         rule= fields give it; for the warning that the
 *                         map is older than its sources)
 *   mailbox:DOMAIN:LOCAL  (empty) a canonical mailbox of the rules'
 *                         "mailboxes" list, LOCAL folded by addr_key()
 *   mailboxes             rule=FILE:LINE domain=DOMAIN ... the domains
 *                         that list covers (only in maps that have one)
 *
 * Values are "name=value" fields separated by one tab; no value holds a
 * tab, CR or LF.  The digest is FNV-1a 64 over "KEY\nVALUE\n" of every
 * record but meta, in key order.  dn= names the directory entry a member
 * was read from (LDAP, RFC 4514 form, control bytes written \XX); maps
 * made before it existed have none, and readers skip fields they do not
 * know, so the format name stays.
 *
 * The writer (deptmap's compiler) spells keys with record_key_*() and
 * values with record_*_value() and record_add_*(); the reader (map.c)
 * gets typed values from record_*_parse(), and record_key_addr_parse()
 * splits an addr: key met on a walk over every record.  Nobody else knows the bytes.
 * Parsers work on (pointer, length) pairs that need not be terminated and
 * check every length: a map file is untrusted input.  Key functions write
 * a terminated key into buf and return its length, or -1 when it does not
 * fit; value functions return 0, or -1 when memory ran out.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <stdint.h>
#include "rewrite/buf.h"

#define RECORD_FORMAT	"deptmap-1"
#define RECORD_KEY_META	"meta"
#define RECORD_KEY_SOURCES "sources"
#define RECORD_KEY_MAILBOXES "mailboxes"

#define RULE_MAX	256			/* "file:line" of a rule */
#define REPLY_MAX	980			/* longest reply Postfix takes from a milter */
#define RECORD_DOMAIN_MAX 256			/* a normalised domain */
#define RECORD_ADDR_MAX	1100			/* an unknown redirect target */
#define RECORD_KEY_MAX	4096			/* addr: keys of folded local parts */
#define RECORD_DEPTS_MAX 1000000		/* departments in one map */
#define RECORD_MATCHES_MAX 1000000		/* match rules in one department */

enum unknown_policy {
    UNKNOWN_REJECT,
    UNKNOWN_PASS,
    UNKNOWN_REDIRECT,
    UNKNOWN_TEMPFAIL,
};

/* meta: what the file is */
struct record_meta {
    char    format[32];
    size_t  ndepts;
    unsigned long records;		/* every record but meta */
    char    digest[65];			/* hex */
};

/* dept:DOMAIN, a department's settings */
struct record_dept {
    char    canonical[RECORD_DOMAIN_MAX + 1];
    char    delimiters[33];
    int     case_exact;			/* case-sensitive local parts */
    char    all_rule[RULE_MAX];		/* "members *", or "" */
    enum unknown_policy unknown;
    char    unknown_rule[RULE_MAX];
    char    code[4];			/* reply for reject and tempfail */
    char    dsn[16];
    char    text[REPLY_MAX + 1];
    char    redirect[RECORD_ADDR_MAX];	/* target of unknown redirect */
    size_t  nmatches;
};

/* addr:DOMAIN:LOCAL, one member or alias; points into the value */
struct record_addr {
    const char *rule;
    size_t  rule_len;
    const char *dn;			/* directory entry, or NULL */
    size_t  dn_len;
    const char *val;			/* for record_target_next() */
    size_t  vlen;
};

/* match:DOMAIN:NNNNNN, one match rule; points into the value */
struct record_match {
    char    rule[RULE_MAX];
    int     caseless;
    const char *pattern;
    size_t  pattern_len;
    const char *val;			/* for record_target_next() */
    size_t  vlen;
};

/* mailboxes: the list of canonical mailboxes; points into the value */
struct record_mailboxes {
    char    rule[RULE_MAX];		/* the first "mailboxes" line */
    const char *val;			/* for record_domain_next() */
    size_t  vlen;
};

/* Results of record_meta_parse */
#define RECORD_META_OK		0
#define RECORD_META_NONE	(-1)		/* no format field: not a map */
#define RECORD_META_FORMAT	(-2)		/* another format (in m->format) */
#define RECORD_META_BAD		(-3)

int     record_key_addr(char *buf, size_t len, const char *domain, size_t dlen,
			const char *local, size_t llen);
int     record_key_addr_parse(const char *key, size_t klen, const char **domain,
			      size_t *dlen, const char **local, size_t *llen);
int     record_key_dept(char *buf, size_t len, const char *domain);
int     record_key_index(char *buf, size_t len, size_t n);
int     record_key_match(char *buf, size_t len, const char *domain, size_t n);
int     record_key_mailbox(char *buf, size_t len, const char *local, size_t llen,
			   const char *domain);

int     record_meta_value(struct buf *v, size_t ndepts, size_t records, uint64_t digest);
int     record_dept_value(struct buf *v, const struct record_dept *d);
int     record_add_rule(struct buf *v, const char *file, long line);
int     record_add_target(struct buf *v, const char *target);
int     record_add_dn(struct buf *v, const char *dn);
int     record_match_value(struct buf *v, const char *file, long line,
			   int caseless, char **targets, size_t n, const char *pattern);
int     record_add_domain(struct buf *v, const char *domain);

int     record_meta_parse(const char *val, size_t vlen, struct record_meta *m);
int     record_dept_parse(const char *val, size_t vlen, struct record_dept *d);
int     record_index_parse(const char *val, size_t vlen, char *domain, size_t len);
int     record_addr_parse(const char *val, size_t vlen, struct record_addr *a);
int     record_match_parse(const char *val, size_t vlen, struct record_match *m);
int     record_target_next(const char *val, size_t vlen, size_t *pos,
			   const char **t, size_t *tlen);
int     record_add_source(struct buf *v, const char *name, uint64_t digest);
int     record_source_next(const char *val, size_t vlen, size_t *pos,
			   const char **name, size_t *nlen, uint64_t *digest);
int     record_mailboxes_parse(const char *val, size_t vlen, struct record_mailboxes *m);
int     record_domain_next(const char *val, size_t vlen, size_t *pos,
			   const char **d, size_t *dlen);
int     record_has_target(const char *val, size_t vlen, const char *t);

const char *record_policy_name(enum unknown_policy p);

int     record_digest_input(struct buf *b, const char *key, size_t klen,
			    const char *val, size_t vlen);
uint64_t record_digest(uint64_t h, const char *key, size_t klen,
		       const char *val, size_t vlen);

#endif
