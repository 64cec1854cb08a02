#ifndef DEPT_MAP_H
#define DEPT_MAP_H
/*
 * map - a compiled department map, open for lookups
 *
 * map_open() maps a CDB file made by deptmap compile, checks its header and
 * its meta record, loads every department and compiles its match rules with
 * PCRE2 (JIT where available, match and depth limits set).  The struct map
 * it returns is read-only afterwards and may be shared by threads; the
 * caller owns it and frees it with map_close().  A file replaced on disk
 * does not disturb a map already open (it keeps its own mapping).
 *
 * map_department() finds a department by normalised domain; map_entry()
 * looks up an exact local part and gives its rule and targets (walk them
 * with record_target_next()); map_match() runs one match rule and gives
 * the capture offsets ($0 .. $npairs-1, -1 for unset) in ovec.
 * map_find() looks one record up by its key (record.h spells them).
 * map_record_next() walks every record (pos 0 to start), checking each
 * length against the data's end: tinycdb's cdb_seqnext() wraps around on
 * a hostile length and never ends; map_cdb_next() is the same walk over
 * any CDB file (a Postfix table, say).
 *
 * A map compiled with a "mailboxes" list knows the domains it covers
 * (map->mbox_domains, loaded at open) and its mailboxes:
 * map_mailbox_covers() says whether a domain is covered, in memory;
 * map_mailbox() looks one address up, one CDB lookup.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <cdb.h>
#include "rewrite/record.h"
#include "rewrite/regex.h"

struct map_match {
    char    rule[RULE_MAX];
    char   *pattern;			/* as written, for --explain */
    int     caseless;			/* flag i, or a folding department */
    char   *targets;			/* NUL-separated, with $1 .. $9 */
    size_t  ntargets;
    void   *code;			/* pcre2_code * */
    struct regex_skip skip;		/* subjects it rules out unrun */
};

struct map_dept {
    char    domain[RECORD_DOMAIN_MAX + 1];	/* A-label, lower case: the key */
    size_t  domain_len;
    struct record_dept rec;		/* its settings and policy */
    struct map_match *matches;		/* rec.nmatches of them */
    size_t  index;			/* 0 .. ndepts-1, for counters */
};

struct map {
    struct cdb cdb;
    int     fd;
    struct map_dept *depts;		/* sorted by domain */
    size_t  ndepts;
    unsigned long records;
    char    digest[65];
    void   *match_context;		/* pcre2_match_context * */
    char    mbox_rule[RULE_MAX];	/* the "mailboxes" line; "" without */
    char  **mbox_domains;		/* the domains it covers, sorted */
    size_t  nmbox_domains;
};

int     map_open(const char *path, struct map **mapp, char *err, size_t errlen);
void    map_close(struct map *map);
const struct map_dept *map_department(const struct map *map, const char *domain);
int     map_entry(const struct map *map, const struct map_dept *dept,
		  const char *local, size_t len, struct record_addr *entry);
int     map_open_fd(int fd, struct map **mapp, char *err, size_t errlen);
int     map_find(const struct map *map, const char *key, size_t klen,
		 const char **val, size_t *vlen);

/* One record, for a walk over all of them (deptmap dump). */
struct map_record {
    const char *key;
    unsigned klen;
    const char *val;
    unsigned vlen;
};

int     map_record_next(const struct map *map, unsigned *pos, struct map_record *r);
int     map_cdb_next(const struct cdb *c, unsigned *pos, struct map_record *r);
int     map_mailbox_covers(const struct map *map, const char *domain);
int     map_mailbox(const struct map *map, const char *local, size_t llen,
		    const char *domain);
int     map_match(const struct map *map, const struct map_match *m,
		  const char *local, size_t len, size_t *ovec, size_t npairs);

/* map_match gives at most this many capture pairs: $0 .. $9 */
#define MAP_MATCH_PAIRS	10

/* map_match results besides 1 (matched) and 0 (no match) */
#define MAP_MATCH_LIMIT	(-1)			/* PCRE2 match or depth limit hit */
#define MAP_MATCH_ERROR	(-2)

#endif
