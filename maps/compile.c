/*
 * compile - rules into a CDB file (see compile.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cdb.h>
#include "maps/compile.h"
#include "rewrite/map.h"
#include "rewrite/address.h"
#include "rewrite/decide.h"

#define CHAIN_MAX	32		/* alias chain depth */
#define FOLLOW_MAX	10000		/* addresses on the way, targets at the end */

struct rec {
    char   *key;
    size_t  klen;
    char   *val;
    size_t  vlen;
    const struct rule_entry *entry;	/* addr: records, for resolution */
    const struct rule_dept *dept;
};

struct recs {
    struct rec *v;
    size_t  n, cap;
    int     nomem;
    int     chains;			/* some target is a department address */
};

/* recs_add - take ownership of a key and a value */
static struct rec *recs_add(struct recs *rs, char *key, size_t klen, char *val,
			            size_t vlen)
{
    struct rec *r;

    if (key == 0 || val == 0
	|| grow((void **) &rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)) < 0) {
	free(key);
	free(val);
	rs->nomem = 1;
	return 0;
    }
    r = rs->v + rs->n++;
    memset(r, 0, sizeof(*r));
    r->key = key, r->klen = klen, r->val = val, r->vlen = vlen;
    return r;
}

/* recs_free - release every record */
static void recs_free(struct recs *rs)
{
    size_t  i;

    for (i = 0; i < rs->n; i++) {
	free(rs->v[i].key);
	free(rs->v[i].val);
    }
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

/* rec_cmp - records by key bytes */
static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int     c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* dept_cmp - departments by domain */
static int dept_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rule_dept *) a)->domain,
		  ((const struct rule_dept *) b)->domain);
}

/* is_department - whether a domain is one of the departments */
static int is_department(const struct rules *r, const char *domain)
{
    struct rule_dept key;

    key.domain = (char *) domain;
    return r->ndepts > 0
	&& bsearch(&key, r->depts, r->ndepts, sizeof(key), dept_cmp) != 0;
}

/* target_form - a target as an external-form address; a department
 * address among them means chains to resolve */
static int target_form(const struct rules *r, const struct rule_dept *d,
		               const struct rule_target *t, char *out, size_t len,
		               int *chains)
{
    if (t->domain)
	*chains |= is_department(r, t->domain);
    return addr_format(out, len, t->local, t->domain ? t->domain : d->canonical);
}

/* add_targets - "to=ADDRESS" for each target, once */
static int add_targets(struct recs *rs, const struct rules *r, const struct rule_dept *d,
		               struct buf *val, const struct rule_target *t, size_t n)
{
    char    buf[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];
    size_t  i;

    for (i = 0; i < n; i++) {
	if (target_form(r, d, t + i, buf, sizeof(buf), &rs->chains) < 0)
	    return -1;
	if (record_has_target(val->s, val->len, buf))
	    continue;
	if (record_add_target(val, buf) < 0)
	    return -1;
    }
    return 0;
}

/* recs_add_buf - a record of a key spelled in key (klen < 0: it did not
 * fit) and a value built in val, which the record takes */
static struct rec *recs_add_buf(struct recs *rs, const char *key, int klen,
				        struct buf *val, int ok)
{
    char   *k = klen >= 0 ? strndup(key, klen) : 0;

    if (!ok || val->s == 0) {
	free(k);
	buf_free(val);
	rs->nomem = 1;
	return 0;
    }
    return recs_add(rs, k, klen, val->s, val->len);
}

/* add_entries - one addr: record per member and alias */
static void add_entries(struct recs *rs, const struct rules *r, const struct rule_dept *d)
{
    const struct rule_entry *e;
    struct buf val;
    char    key[RECORD_KEY_MAX];
    size_t  i;
    int     klen, ok;
    struct rec *rec;

    for (i = 0; i < d->nentries && !rs->nomem; i++) {
	e = d->entries + i;
	memset(&val, 0, sizeof(val));
	klen = record_key_addr(key, sizeof(key), d->domain, strlen(d->domain),
			       e->key, strlen(e->key));
	ok = record_add_rule(&val, e->src->recorded, e->line) == 0
	    && add_targets(rs, r, d, &val, e->targets, e->ntargets) == 0;
	if ((rec = recs_add_buf(rs, key, klen, &val, ok)) != 0)
	    rec->entry = e, rec->dept = d;
    }
}

/* add_matches - one match: record per match rule, in file order */
static void add_matches(struct recs *rs, const struct rule_dept *d)
{
    const struct rule_match *m;
    struct buf val;
    char    key[RECORD_KEY_MAX];
    size_t  i;
    int     ok;

    for (i = 0; i < d->nmatches && !rs->nomem; i++) {
	m = d->matches + i;
	memset(&val, 0, sizeof(val));
	ok = record_match_value(&val, m->src->recorded, m->line, m->caseless,
				m->targets, m->ntargets, m->pattern) == 0;
	recs_add_buf(rs, key, record_key_match(key, sizeof(key), d->domain, i),
		     &val, ok);
    }
}

/* dept_record - the settings of a department as the map keeps them */
static void dept_record(const struct rules *r, const struct rule_dept *d,
			        struct record_dept *rd)
{
    int     dummy = 0;

    memset(rd, 0, sizeof(*rd));
    snprintf(rd->canonical, sizeof(rd->canonical), "%s", d->canonical);
    snprintf(rd->delimiters, sizeof(rd->delimiters), "%s", d->delimiters);
    rd->case_exact = d->case_exact;
    if (d->all_line)
	snprintf(rd->all_rule, sizeof(rd->all_rule), "%s:%ld",
		 d->all_src->recorded, d->all_line);
    rd->unknown = d->unknown;
    snprintf(rd->unknown_rule, sizeof(rd->unknown_rule), "%s:%ld", d->src->recorded,
	     d->unknown_line ? d->unknown_line : d->line);
    snprintf(rd->code, sizeof(rd->code), "%s", d->code);
    snprintf(rd->dsn, sizeof(rd->dsn), "%s", d->dsn);
    snprintf(rd->text, sizeof(rd->text), "%s", d->text ? d->text : "");
    if (d->redirect.local && target_form(r, d, &d->redirect, rd->redirect,
					 sizeof(rd->redirect), &dummy) < 0)
	rd->redirect[0] = 0;
    rd->nmatches = d->nmatches;
}

/* add_dept - the dept: and index: records of one department */
static void add_dept(struct recs *rs, const struct rules *r, const struct rule_dept *d,
		             size_t index)
{
    struct record_dept rd;
    struct buf val;
    char    key[RECORD_KEY_MAX];

    dept_record(r, d, &rd);
    memset(&val, 0, sizeof(val));
    recs_add_buf(rs, key, record_key_dept(key, sizeof(key), d->domain), &val,
		 record_dept_value(&val, &rd) == 0);
    memset(&val, 0, sizeof(val));
    recs_add_buf(rs, key, record_key_index(key, sizeof(key), index), &val,
		 buf_adds(&val, d->domain) == 0);
    add_entries(rs, r, d);
    add_matches(rs, d);
}

/* build - every record but meta, sorted */
static int build(struct recs *rs, struct rules *r)
{
    size_t  i;

    if (r->ndepts > 1)
	qsort(r->depts, r->ndepts, sizeof(*r->depts), dept_cmp);
    for (i = 0; i < r->ndepts && !rs->nomem; i++)
	add_dept(rs, r, r->depts + i, i);
    if (rs->nomem) {
	errno = ENOMEM;
	return -1;
    }
    if (rs->n > 1)
	qsort(rs->v, rs->n, sizeof(*rs->v), rec_cmp);
    return 0;
}

/* write_cdb - meta first, then the records in order */
static int write_cdb(struct recs *rs, size_t ndepts, int fd)
{
    struct cdb_make cm;
    uint64_t h = FNV1A_INIT;
    struct buf meta;
    size_t  i;
    int     ret = -1, saved;

    memset(&meta, 0, sizeof(meta));
    for (i = 0; i < rs->n; i++)
	h = record_digest(h, rs->v[i].key, rs->v[i].klen, rs->v[i].val, rs->v[i].vlen);
    if (record_meta_value(&meta, ndepts, rs->n, h) < 0 || cdb_make_start(&cm, fd) < 0)
	goto out;
    ret = cdb_make_add(&cm, RECORD_KEY_META, strlen(RECORD_KEY_META), meta.s, meta.len);
    for (i = 0; i < rs->n && ret == 0; i++)
	ret = cdb_make_add(&cm, rs->v[i].key, rs->v[i].klen, rs->v[i].val,
			   rs->v[i].vlen);
    /* finish frees tinycdb's record lists, also after a failed write */
    saved = errno;
    if (ret < 0) {
	(void) cdb_make_finish(&cm);
	errno = saved;
    } else
	ret = cdb_make_finish(&cm);
out:
    buf_free(&meta);
    return ret;
}

/* A set of strings, each with a number: open addressing, at most half full. */
struct strset {
    char  **keys;
    int    *vals;
    size_t  n, cap;
};

/* The state of following one entry's chain of department addresses.  An
 * address already followed to its end ("done", with how many department
 * addresses deep its chain went) is not followed again when its
 * chain still fits under CHAIN_MAX from here: its final targets are in
 * the value already.  Without that, aliases that share targets level
 * after level (a1 -> a2, b2; b1 -> a2, b2; ...) took 2^levels walks.
 * Match rules can make a new address at every step, which no memory
 * helps with: an entry may pass through FOLLOW_MAX addresses and end at
 * as many targets, ten times Postfix's virtual_alias_expansion_limit. */
struct follow {
    const struct map *map;
    struct rules *r;
    const struct rec *rec;
    struct buf val;			/* the new value being built */
    const char *chain[CHAIN_MAX + 1];	/* addresses on the way */
    char    rules[CHAIN_MAX + 1][RULE_MAX];
    struct strset done;			/* address -> height of its chain */
    struct strset seen;			/* the final targets so far */
    int     visits;			/* at most FOLLOW_MAX */
    int     failed;
};

/* shown_rule - "file:line" with the file as the user named it */
static void shown_rule(const struct rules *r, const char *rule, char *buf, size_t len)
{
    const char *colon = strrchr(rule, ':');
    size_t  i, n = colon ? (size_t) (colon - rule) : 0;

    for (i = 0; colon && i < r->nsrcs; i++) {
	if (strlen(r->srcs[i]->recorded) == n
	    && strncmp(r->srcs[i]->recorded, rule, n) == 0) {
	    snprintf(buf, len, "%s%s", r->srcs[i]->shown, colon);
	    return;
	}
    }
    snprintf(buf, len, "%s", rule);
}

/* follow_error - an error at the entry being resolved, once */
static void follow_error(struct follow *f, const char *msg)
{
    const struct rule_entry *e = f->rec->entry;

    if (!f->failed)
	errs_add(&f->r->errs, e->src->shown, e->line, "%s", msg);
    f->failed = 1;
}

/* strset_slot - where key is in the set, or would go */
static size_t strset_slot(char **keys, size_t cap, const char *key)
{
    size_t  i = (size_t) fnv1a(FNV1A_INIT, key, strlen(key));

    for (i &= cap - 1; keys[i] && strcmp(keys[i], key) != 0; i = (i + 1) & (cap - 1))
	 /* next */ ;
    return i;
}

/* strset_get - the number kept with key, or -1 when key is not there */
static int strset_get(const struct strset *set, const char *key)
{
    size_t  i;

    if (set->n == 0)
	return -1;
    i = strset_slot(set->keys, set->cap, key);
    return set->keys[i] ? set->vals[i] : -1;
}

/* strset_put - 1 when key is new (kept, with val), 0 when it was there
 * already, -1 without memory */
static int strset_put(struct strset *set, const char *key, int val)
{
    size_t  i, j, cap;
    char  **keys;
    int    *vals;

    if (2 * (set->n + 1) > set->cap) {
	cap = set->cap ? 2 * set->cap : 64;
	keys = calloc(cap, sizeof(*keys));
	vals = calloc(cap, sizeof(*vals));
	if (keys == 0 || vals == 0) {
	    free(keys);
	    free(vals);
	    return -1;
	}
	for (i = 0; i < set->cap; i++)
	    if (set->keys[i]) {
		j = strset_slot(keys, cap, set->keys[i]);
		keys[j] = set->keys[i], vals[j] = set->vals[i];
	    }
	free(set->keys);
	free(set->vals);
	set->keys = keys, set->vals = vals, set->cap = cap;
    }
    i = strset_slot(set->keys, set->cap, key);
    if (set->keys[i])
	return 0;
    if ((set->keys[i] = strdup(key)) == 0)
	return -1;
    set->vals[i] = val;
    set->n++;
    return 1;
}

/* strset_free - release a set and its strings */
static void strset_free(struct strset *set)
{
    size_t  i;

    for (i = 0; i < set->cap; i++)
	free(set->keys[i]);
    free(set->keys);
    free(set->vals);
    memset(set, 0, sizeof(*set));
}

/* follow_add - one final target, once */
static void follow_add(struct follow *f, const char *t)
{
    char    msg[100];
    int     r;

    if ((r = strset_put(&f->seen, t, 0)) <= 0) {
	f->failed |= r < 0;
	return;
    }
    if (f->seen.n > FOLLOW_MAX) {
	snprintf(msg, sizeof(msg), "alias reaches more than %d addresses", FOLLOW_MAX);
	follow_error(f, msg);
	return;
    }
    if (record_add_target(&f->val, t) < 0)
	f->failed = 1;
}

/* loop_text - "a -> b -> a (rules x:1, x:2)" */
static void loop_text(struct follow *f, int depth, const char *again,
		              char *buf, size_t len)
{
    size_t  at = 0;
    int     i;

    for (i = 0; i <= depth && at < len; i++)
	at += snprintf(buf + at, len - at, "%s -> ", f->chain[i]);
    if (at < len)
	at += snprintf(buf + at, len - at, "%s (", again);
    for (i = 1; i <= depth + 1 && at < len; i++)
	at += snprintf(buf + at, len - at, "%s%s", i > 1 ? ", " : "", f->rules[i]);
    if (at < len)
	snprintf(buf + at, len - at, ")");
}

/* in_department - whether an address is in one of the departments */
static int in_department(const struct map *map, const char *t)
{
    struct addr a;

    return addr_parse(t, &a) == ADDR_OK && map_department(map, a.domain) != 0;
}

/* follow - the final targets of a department address; how many department
 * addresses deep its chain goes below it */
static int follow(struct follow *f, const char *addr, int depth)
{
    struct decision d;
    const char *t;
    char    buf[1024], msg[1200];
    int     i, h, height = 0;

    if (++f->visits > FOLLOW_MAX) {
	snprintf(msg, sizeof(msg), "alias chain passes through more than %d"
		 " department addresses", FOLLOW_MAX);
	follow_error(f, msg);
	return 0;
    }
    decision_init(&d);
    if (decide(f->map, addr, &d, 0, 0) < 0)
	f->failed = 1;
    else if (d.action == DECIDE_PASS)
	follow_add(f, addr);
    else if (d.action != DECIDE_REWRITE) {
	shown_rule(f->r, d.rule, buf, sizeof(buf));
	snprintf(msg, sizeof(msg), "target %s is refused by its department:"
		 " %s %s %s (rule=%s)", addr, d.code, d.dsn, d.text, buf);
	follow_error(f, msg);
    }
    for (t = decision_target(&d, 0); t && !f->failed && d.action == DECIDE_REWRITE;
	 t = decision_target(&d, t)) {
	if (!in_department(f->map, t)) {
	    follow_add(f, t);
	    continue;
	}
	if ((h = strset_get(&f->done, t)) >= 0 && depth + 1 + h < CHAIN_MAX) {
	    height = h + 1 > height ? h + 1 : height;
	    continue;
	}
	shown_rule(f->r, d.rule, f->rules[depth + 1], RULE_MAX);
	for (i = 0; i <= depth; i++)
	    if (strcmp(f->chain[i], t) == 0)
		break;
	if (i <= depth || depth + 1 >= CHAIN_MAX) {
	    loop_text(f, depth, t, buf, sizeof(buf));
	    snprintf(msg, sizeof(msg), "alias %s: %s", i <= depth ? "loop"
		     : "chain too long", buf);
	    follow_error(f, msg);
	    break;
	}
	f->chain[depth + 1] = t;
	h = follow(f, t, depth + 1);
	height = h + 1 > height ? h + 1 : height;
    }
    if (!f->failed && strset_put(&f->done, addr, height) < 0)
	f->failed = 1;
    decision_free(&d);
    return height;
}

/* resolve_entry - replace a record's targets by their final targets */
static void resolve_entry(const struct map *map, struct rules *r, struct rec *rec)
{
    struct follow f;
    char    self[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];

    memset(&f, 0, sizeof(f));
    f.map = map, f.r = r, f.rec = rec;
    if (addr_format(self, sizeof(self), rec->entry->key, rec->dept->domain) < 0
	|| record_add_rule(&f.val, rec->entry->src->recorded, rec->entry->line) < 0) {
	buf_free(&f.val);
	return;
    }
    f.chain[0] = self;
    strcpy(f.rules[0], "-");
    (void) follow(&f, self, 0);
    strset_free(&f.done);
    strset_free(&f.seen);
    if (f.failed) {
	buf_free(&f.val);
	return;
    }
    free(rec->val);
    rec->val = f.val.s;
    rec->vlen = f.val.len;
}

/* needs_resolution - whether a record has a department address target */
static int needs_resolution(const struct map *map, const struct rec *rec)
{
    size_t  pos = 0, tlen;
    const char *t;
    char    buf[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];

    while (record_target_next(rec->val, rec->vlen, &pos, &t, &tlen)) {
	if (tlen >= sizeof(buf))
	    continue;
	memcpy(buf, t, tlen);
	buf[tlen] = 0;
	if (in_department(map, buf))
	    return 1;
    }
    return 0;
}

/* src_order - the position of a rule source in the order it was read */
static size_t src_order(const struct rules *r, const struct rule_src *src)
{
    size_t  i;

    for (i = 0; i < r->nsrcs && r->srcs[i] != src; i++)
	 /* void */ ;
    return i;
}

/* in_file_order - records by where their rule stands, for error order */
static int in_file_order(const void *a, const void *b, void *ctx)
{
    const struct rule_entry *x = (*(struct rec * const *) a)->entry;
    const struct rule_entry *y = (*(struct rec * const *) b)->entry;
    size_t  sx = src_order(ctx, x->src), sy = src_order(ctx, y->src);

    if (sx != sy)
	return sx < sy ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* resolve_chains - follow every target that is a department address */
static int resolve_chains(struct recs *rs, struct rules *r)
{
    FILE   *tmp = tmpfile();
    struct map *map = 0;
    struct rec **todo = 0;
    char    err[256];
    size_t  i, ntodo = 0;
    int     fd, ret = COMPILE_SYSTEM;

    if (tmp == 0 || write_cdb(rs, r->ndepts, fileno(tmp)) < 0)
	goto out;
    if ((fd = dup(fileno(tmp))) < 0 || map_open_fd(fd, &map, err, sizeof(err)) < 0) {
	errno = EIO;
	goto out;
    }
    if ((todo = calloc(rs->n + 1, sizeof(*todo))) == 0)
	goto out;
    for (i = 0; i < rs->n; i++)
	if (rs->v[i].entry && needs_resolution(map, rs->v + i))
	    todo[ntodo++] = rs->v + i;
    qsort_r(todo, ntodo, sizeof(*todo), in_file_order, r);
    for (i = 0; i < ntodo; i++)
	resolve_entry(map, r, todo[i]);
    ret = r->errs.count ? COMPILE_RULES : COMPILE_OK;
out:
    free(todo);
    map_close(map);
    if (tmp)
	fclose(tmp);
    return ret;
}

/* compile_fd - the map of checked rules, written to fd */
int     compile_fd(struct rules *r, int fd)
{
    struct recs rs;
    int     ret = COMPILE_SYSTEM;

    memset(&rs, 0, sizeof(rs));
    if (build(&rs, r) < 0)
	goto out;
    if (rs.chains) {
	if ((ret = resolve_chains(&rs, r)) != COMPILE_OK)
	    goto out;
	ret = COMPILE_SYSTEM;
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0)
	    goto out;
    }
    if (write_cdb(&rs, r->ndepts, fd) < 0)
	goto out;
    ret = COMPILE_OK;
out:
    recs_free(&rs);
    return ret;
}

/* temp_path - "DIR/.BASE.XXXXXX" next to the output */
static char *temp_path(const char *out)
{
    const char *slash = strrchr(out, '/');
    size_t  dlen = slash ? (size_t) (slash - out + 1) : 0;
    char   *t = malloc(strlen(out) + 10);

    if (t)
	sprintf(t, "%.*s.%s.XXXXXX", (int) dlen, out, out + dlen);
    return t;
}

/* sync_dir - make the rename durable */
static int sync_dir(const char *dir)
{
    int     fd, ret = -1;

    if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
	ret = fsync(fd);
	close(fd);
    }
    return ret;
}

/* open_output - an unnamed file in dir (O_TMPFILE), or a named one */
static int open_output(const char *dir, char *tmp, int *named)
{
    int     fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);

    *named = 0;
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
	return fd;
    *named = 1;				/* the file system has no O_TMPFILE */
    return mkstemp(tmp);
}

/* give_name - link an unnamed file under the temporary name */
static int give_name(int fd, char *tmp)
{
    char    proc[64];
    int     tries;

    struct timespec ts;

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    for (tries = 0; tries < 100; tries++) {
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp + strlen(tmp) - 6, 7, "%06lx", (unsigned long)
		 (ts.tv_nsec ^ ((long) getpid() << 8) ^ tries * 7919L) & 0xffffff);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
	    return 0;
	if (errno != EEXIST)
	    return -1;
    }
    return -1;
}

/* write_atomic - compile into an unnamed file, then name it out
 *
 * Until the map is complete and on disk the file has no name, so a
 * compiler killed halfway, or a full disk, leaves nothing behind.
 */
static int write_atomic(struct rules *r, const char *out, struct errs *errs)
{
    char   *tmp = temp_path(out), *dir = rules_dir_of(out);
    int     fd = -1, ret = COMPILE_SYSTEM, named = 0, linked = 0, saved;

    if (tmp == 0 || dir == 0 || (fd = open_output(dir, tmp, &named)) < 0) {
	errs_add(errs, out, 0, "cannot create a file in %s: %s", dir ? dir : ".",
		 strerror(errno));
	goto fail;
    }
    linked = named;
    if ((ret = compile_fd(r, fd)) == COMPILE_RULES)
	goto fail;
    if (ret != COMPILE_OK || fchmod(fd, 0644) < 0 || fsync(fd) < 0
	|| (!named && give_name(fd, tmp) < 0)) {
	ret = COMPILE_SYSTEM;
	if (errno == ENOMEM)
	    errs_nomem(errs);
	else
	    errs_add(errs, out, 0, "cannot write: %s", strerror(errno));
	goto fail;
    }
    linked = 1;
    if (close(fd) < 0 || (fd = -1, rename(tmp, out) < 0)) {
	ret = COMPILE_SYSTEM;
	errs_add(errs, out, 0, "cannot write: %s", strerror(errno));
	goto fail;
    }
    (void) sync_dir(dir);
    ret = COMPILE_OK;
    linked = 0;
fail:
    saved = errno;
    if (fd >= 0)
	close(fd);
    if (linked)
	unlink(tmp);
    free(tmp);
    free(dir);
    errno = saved;
    return ret;
}

/* compile_file - rules file to map file, atomically */
int     compile_file(const char *rules_path, const char *out_path, struct errs *errs)
{
    struct rules r;
    int     ret = COMPILE_RULES;

    if (rules_load(rules_path, &r) == 0)
	ret = write_atomic(&r, out_path, &r.errs);
    else if (r.errs.nomem)
	ret = COMPILE_SYSTEM;
    errs_free(errs);
    *errs = r.errs;
    errs_init(&r.errs);
    rules_free(&r);
    return ret;
}
