/*
 * map - a compiled department map, open for lookups (see map.h)
 *
 * tinycdb maps the file and checks every position it reads against the
 * file size.  struct cdb keeps the last lookup's result in itself, so each
 * lookup works on a copy of it: the map stays read-only and threads may
 * share it.  PCRE2 code is shared; match data is per thread.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "rewrite/map.h"

#define MATCH_LIMIT	100000			/* backtracking steps per match */
#define DEPTH_LIMIT	10000			/* kibibytes of backtracking memory */

static pthread_key_t match_data_key;
static pthread_once_t match_data_once = PTHREAD_ONCE_INIT;

/* match_data_free - thread exit: its match data goes */
static void match_data_free(void *md)
{
    pcre2_match_data_free(md);
}

/* match_data_init - the key for per-thread match data */
static void match_data_init(void)
{
    (void) pthread_key_create(&match_data_key, match_data_free);
}

/* thread_match_data - this thread's match data, made on first use */
static pcre2_match_data *thread_match_data(void)
{
    pcre2_match_data *md;

    pthread_once(&match_data_once, match_data_init);
    if ((md = pthread_getspecific(match_data_key)) == 0) {
	if ((md = pcre2_match_data_create(MAP_MATCH_PAIRS, 0)) == 0)
	    return 0;
	if (pthread_setspecific(match_data_key, md) != 0) {
	    pcre2_match_data_free(md);
	    return 0;
	}
    }
    return md;
}

/* map_find - look a key up; 1 found (val, vlen set), 0 not, -1 broken file */
int map_find(const struct map *map, const char *key, size_t klen,
	     const char **val, size_t *vlen)
{
    struct cdb c = map->cdb;
    int     r = cdb_find(&c, key, klen);

    if (r <= 0)
	return r < 0 ? -1 : 0;
    *val = cdb_getdata(&c);
    *vlen = cdb_datalen(&c);
    return *val == 0 ? -1 : 1;
}

/* compile_pattern - PCRE2 code for one match rule, JIT where possible */
static pcre2_code *compile_pattern(const char *pat, size_t len, int caseless)
{
    int     errcode;
    size_t  off;
    pcre2_code *re;

    if ((re = regex_compile(pat, len, caseless, &errcode, &off)) != 0)
	(void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

/* collect_targets - the targets of a match rule, NUL-separated */
static char *collect_targets(const struct record_match *rm, size_t *count)
{
    size_t  pos = 0, tlen, at = 0;
    const char *t;
    char   *out = malloc(rm->vlen + 1);

    *count = 0;
    if (out == 0)
	return 0;
    while (record_target_next(rm->val, rm->vlen, &pos, &t, &tlen)) {
	memcpy(out + at, t, tlen);
	at += tlen;
	out[at++] = 0;
	++*count;
    }
    return out;
}

/* load_match - one match rule of a department */
static int load_match(struct map *map, struct map_dept *d, size_t n)
{
    char    key[RECORD_KEY_MAX];
    struct record_match rm;
    struct map_match *m = d->matches + n;
    const char *val;
    size_t  vlen;
    int     klen;

    if ((klen = record_key_match(key, sizeof(key), d->domain, n)) < 0
	|| map_find(map, key, klen, &val, &vlen) != 1
	|| record_match_parse(val, vlen, &rm) < 0)
	return -1;
    memcpy(m->rule, rm.rule, sizeof(m->rule));
    m->caseless = rm.caseless;
    if ((m->pattern = strndup(rm.pattern, rm.pattern_len)) == 0
	|| (m->targets = collect_targets(&rm, &m->ntargets)) == 0
	|| m->ntargets == 0
	|| (m->code = compile_pattern(rm.pattern, rm.pattern_len, rm.caseless)) == 0)
	return -1;
    regex_skip_init(&m->skip, m->code, rm.pattern, rm.pattern_len, rm.caseless);
    return 0;
}

/* load_dept - the N-th department and its match rules */
static int load_dept(struct map *map, size_t n, char *err, size_t errlen)
{
    char    key[RECORD_KEY_MAX];
    struct map_dept *d = map->depts + n;
    const char *val;
    size_t  vlen, i;
    int     klen;

    klen = record_key_index(key, sizeof(key), n);
    if (map_find(map, key, klen, &val, &vlen) != 1
	|| record_index_parse(val, vlen, d->domain, sizeof(d->domain)) < 0) {
	snprintf(err, errlen, "record %s missing or bad", key);
	return -1;
    }
    d->domain_len = vlen;
    d->index = n;
    if ((klen = record_key_dept(key, sizeof(key), d->domain)) < 0
	|| map_find(map, key, klen, &val, &vlen) != 1
	|| record_dept_parse(val, vlen, &d->rec) < 0) {
	snprintf(err, errlen, "record %s missing or bad", key);
	return -1;
    }
    if (d->rec.nmatches
	&& (d->matches = calloc(d->rec.nmatches, sizeof(*d->matches))) == 0) {
	snprintf(err, errlen, "out of memory");
	return -1;
    }
    for (i = 0; i < d->rec.nmatches; i++) {
	errno = 0;
	if (load_match(map, d, i) < 0) {
	    if (errno == ENOMEM)
		snprintf(err, errlen, "out of memory");
	    else
		snprintf(err, errlen, "match rule %zu of %s missing or bad", i,
			 d->domain);
	    return -1;
	}
    }
    return 0;
}

/* load_meta - check the format and read the counts */
static int load_meta(struct map *map, char *err, size_t errlen)
{
    struct record_meta m;
    const char *val;
    size_t  vlen;
    int     r = RECORD_META_NONE;

    if (map_find(map, RECORD_KEY_META, strlen(RECORD_KEY_META), &val, &vlen) == 1)
	r = record_meta_parse(val, vlen, &m);
    if (r == RECORD_META_NONE)
	snprintf(err, errlen, "not a deptmap file (no meta record)");
    else if (r == RECORD_META_FORMAT)
	snprintf(err, errlen, "format %s, expected %s", m.format, RECORD_FORMAT);
    else if (r == RECORD_META_BAD)
	snprintf(err, errlen, "bad meta record");
    if (r != RECORD_META_OK)
	return -1;
    map->ndepts = m.ndepts;
    map->records = m.records;
    memcpy(map->digest, m.digest, sizeof(map->digest));
    return 0;
}

/* str_cmp - strings through pointers to them */
static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* load_domains - the domains a mailboxes record names, sorted */
static int load_domains(struct map *map, const struct record_mailboxes *rm)
{
    size_t  pos = 0, n = 0, dlen;
    const char *d;

    while (record_domain_next(rm->val, rm->vlen, &pos, &d, &dlen))
	n++;
    if (n && (map->mbox_domains = calloc(n, sizeof(char *))) == 0)
	return -1;
    for (pos = 0; record_domain_next(rm->val, rm->vlen, &pos, &d, &dlen);)
	if ((map->mbox_domains[map->nmbox_domains++] = strndup(d, dlen)) == 0)
	    return -1;
    if (n > 1)
	qsort(map->mbox_domains, n, sizeof(char *), str_cmp);
    return 0;
}

/* load_mailboxes - the mailbox list's record, when the map has one */
static int load_mailboxes(struct map *map, char *err, size_t errlen)
{
    struct record_mailboxes rm;
    const char *val;
    size_t  vlen;
    int     r;

    if ((r = map_find(map, RECORD_KEY_MAILBOXES, strlen(RECORD_KEY_MAILBOXES), &val,
		      &vlen)) == 0)
	return 0;
    if (r < 0 || record_mailboxes_parse(val, vlen, &rm) < 0) {
	snprintf(err, errlen, "record %s bad", RECORD_KEY_MAILBOXES);
	return -1;
    }
    memcpy(map->mbox_rule, rm.rule, sizeof(map->mbox_rule));
    if (load_domains(map, &rm) < 0) {
	snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
	return -1;
    }
    return 0;
}

/* dept_cmp - departments by domain */
static int dept_cmp(const void *a, const void *b)
{
    return strcmp(((const struct map_dept *) a)->domain,
		  ((const struct map_dept *) b)->domain);
}

/* load_all - meta, departments, match rules, match context */
static int load_all(struct map *map, char *err, size_t errlen)
{
    size_t  i;

    if (load_meta(map, err, errlen) < 0)
	return -1;
    if (map->ndepts && (map->depts = calloc(map->ndepts, sizeof(*map->depts))) == 0) {
	snprintf(err, errlen, "out of memory");
	return -1;
    }
    for (i = 0; i < map->ndepts; i++)
	if (load_dept(map, i, err, errlen) < 0)
	    return -1;
    if (map->ndepts > 1)
	qsort(map->depts, map->ndepts, sizeof(*map->depts), dept_cmp);
    for (i = 0; i < map->ndepts; i++)
	map->depts[i].index = i;
    if (load_mailboxes(map, err, errlen) < 0)
	return -1;
    if ((map->match_context = pcre2_match_context_create(0)) == 0) {
	snprintf(err, errlen, "out of memory");
	return -1;
    }
    pcre2_set_match_limit(map->match_context, MATCH_LIMIT);
    pcre2_set_depth_limit(map->match_context, DEPTH_LIMIT);
    return 0;
}

/* map_open_fd - a map from an open file; the map owns fd afterwards.
 * Memory that ran out leaves errno ENOMEM (and says "out of memory"). */
int map_open_fd(int fd, struct map **mapp, char *err, size_t errlen)
{
    struct map *map;
    int     saved;

    *mapp = 0;
    if ((map = calloc(1, sizeof(*map))) == 0) {
	snprintf(err, errlen, "out of memory");
	close(fd);
	return -1;
    }
    map->fd = fd;
    if (cdb_init(&map->cdb, fd) < 0) {
	if (errno == EPROTO)
	    snprintf(err, errlen, "not a CDB file: bad header or size");
	else
	    snprintf(err, errlen, "cannot map the file: %s", strerror(errno));
	close(fd);
	free(map);
	return -1;
    }
    if (load_all(map, err, errlen) < 0) {
	saved = errno;
	map_close(map);
	errno = saved;
	return -1;
    }
    *mapp = map;
    return 0;
}

/* map_open - open and check a compiled map file */
int map_open(const char *path, struct map **mapp, char *err, size_t errlen)
{
    int     fd;

    *mapp = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
	snprintf(err, errlen, "%s", strerror(errno));
	return -1;
    }
    return map_open_fd(fd, mapp, err, errlen);
}

/* map_close - release a map and all it holds */
void map_close(struct map *map)
{
    size_t  i, j;

    if (map == 0)
	return;
    for (i = 0; i < map->ndepts; i++) {
	for (j = 0; map->depts[i].matches && j < map->depts[i].rec.nmatches; j++) {
	    pcre2_code_free(map->depts[i].matches[j].code);
	    free(map->depts[i].matches[j].pattern);
	    free(map->depts[i].matches[j].targets);
	}
	free(map->depts[i].matches);
    }
    free(map->depts);
    for (i = 0; i < map->nmbox_domains; i++)
	free(map->mbox_domains[i]);
    free(map->mbox_domains);
    pcre2_match_context_free(map->match_context);
    cdb_free(&map->cdb);
    close(map->fd);
    free(map);
}

/* map_record_next - the record at *pos, bounds checked; 0 at the end, or
 * at a record that does not fit in the data */
int map_record_next(const struct map *map, unsigned *pos, struct map_record *r)
{
    return map_cdb_next(&map->cdb, pos, r);
}

/* map_cdb_next - the record at *pos of any CDB file, bounds checked */
int map_cdb_next(const struct cdb *c, unsigned *pos, struct map_record *r)
{
    const unsigned char *p;
    unsigned end = c->cdb_dend, at = *pos ? *pos : 2048;

    if (at < 2048 || at > end || end - at < 8 || (p = cdb_get(c, 8, at)) == 0)
	return 0;
    r->klen = cdb_unpack(p);
    r->vlen = cdb_unpack(p + 4);
    if (r->klen > end - at - 8 || r->vlen > end - at - 8 - r->klen)
	return 0;
    r->key = cdb_get(c, r->klen, at + 8);
    r->val = cdb_get(c, r->vlen, at + 8 + r->klen);
    *pos = at + 8 + r->klen + r->vlen;
    return r->key != 0 && r->val != 0;
}

/* map_department - the department of a normalised domain, or NULL */
const struct map_dept *map_department(const struct map *map, const char *domain)
{
    size_t  lo = 0, hi = map->ndepts, mid;
    int     c;

    while (lo < hi) {
	mid = lo + (hi - lo) / 2;
	if ((c = strcmp(domain, map->depts[mid].domain)) == 0)
	    return map->depts + mid;
	if (c < 0)
	    hi = mid;
	else
	    lo = mid + 1;
    }
    return 0;
}

/* map_entry - the entry of an exact local part: 1 found, 0 not, -1 broken */
int map_entry(const struct map *map, const struct map_dept *dept,
	      const char *local, size_t len, struct record_addr *entry)
{
    char    key[RECORD_KEY_MAX];
    const char *val;
    size_t  vlen;
    int     n, r;

    if ((n = record_key_addr(key, sizeof(key), dept->domain, dept->domain_len,
			     local, len)) < 0)
	return 0;
    if ((r = map_find(map, key, n, &val, &vlen)) == 1)
	record_addr_parse(val, vlen, entry);
    return r;
}

/* copy_ovector - the capture offsets, (size_t) -1 for unset ones */
static void copy_ovector(pcre2_match_data *md, int rc, size_t *ovec, size_t npairs)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t  i, have = pcre2_get_ovector_count(md);
    int     set;

    for (i = 0; i < npairs; i++) {
	set = i < have && (rc == 0 || i < (size_t) rc) && ov[2 * i] != PCRE2_UNSET;
	ovec[2 * i] = set ? ov[2 * i] : (size_t) -1;
	ovec[2 * i + 1] = set ? ov[2 * i + 1] : (size_t) -1;
    }
}

/* map_match - run one match rule on a local part of len bytes */
int map_match(const struct map *map, const struct map_match *m,
	      const char *local, size_t len, size_t *ovec, size_t npairs)
{
    pcre2_match_data *md;
    int     rc;

    if (regex_cannot_match(&m->skip, local, len))
	return 0;
    if ((md = thread_match_data()) == 0)
	return MAP_MATCH_ERROR;
    rc = pcre2_match(m->code, (PCRE2_SPTR) local, len, 0, 0, md, map->match_context);
    if (rc == PCRE2_ERROR_NOMATCH)
	return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
	|| rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
	return MAP_MATCH_LIMIT;
    if (rc < 0)
	return MAP_MATCH_ERROR;
    copy_ovector(md, rc, ovec, npairs);
    return 1;
}

/* map_mailbox_covers - whether the mailbox list covers a domain */
int map_mailbox_covers(const struct map *map, const char *domain)
{
    return map->nmbox_domains > 0
	&& bsearch(&domain, map->mbox_domains, map->nmbox_domains, sizeof(char *),
		   str_cmp) != 0;
}

/* map_mailbox - whether local@domain is a mailbox of the list: 1 yes,
 * 0 no (or too long to be one), -1 broken file */
int map_mailbox(const struct map *map, const char *local, size_t llen,
		const char *domain)
{
    char    key[RECORD_KEY_MAX];
    const char *val;
    size_t  vlen;
    int     n;

    if ((n = record_key_mailbox(key, sizeof(key), local, llen, domain)) < 0)
	return 0;
    return map_find(map, key, n, &val, &vlen);
}
