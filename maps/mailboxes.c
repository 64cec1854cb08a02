/*
 * mailboxes - the list of canonical mailboxes (see mailboxes.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cdb.h>
#include "maps/mailboxes.h"
#include "maps/lines.h"
#include "maps/roster.h"
#include "maps/rules.h"
#include "rewrite/address.h"
#include "rewrite/domain.h"
#include "rewrite/map.h"
#include "rewrite/quoted.h"
#include "rewrite/record.h"

#define KEY_MAX		(ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 8)

/* Where the source being read is, for its errors. */
struct from {
    struct errs *errs;
    const char *file;			/* FILE of FILE:LINE */
    long    line;			/* 0 for a table without lines */
    size_t  added;			/* keys taken */
};

/* push - one more string in a growing array; -1 without memory */
static int push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (s == 0 || grow((void **) v, cap, *n + 1, sizeof(**v)) < 0)
	return -1;
    (*v)[(*n)++] = s;
    return 0;
}

/* keep - a copy of n bytes of s in the list's arena, or NULL */
static char *keep(struct mailboxes *m, const char *s, size_t n)
{
    return arena_strndup(&m->mem, s, n);
}

/* mailboxes_add - one mailbox, local@domain (domain normalised) */
int mailboxes_add(struct mailboxes *m, const char *local, const char *domain)
{
    char    key[RECORD_KEY_MAX];
    int     n;

    if ((n = record_key_mailbox(key, sizeof(key), local, strlen(local), domain)) < 0)
	return 0;				/* too long to be asked for */
    if (push(&m->keys, &m->nkeys, &m->keys_cap, keep(m, key, n)) < 0)
	return -1;
    if (m->ndomains && strcmp(m->domains[m->ndomains - 1], domain) == 0)
	return 0;				/* lists come grouped by domain */
    return push(&m->domains, &m->ndomains, &m->domains_cap,
		keep(m, domain, strlen(domain)));
}

/* add_domain - a key naming a domain, "@domain" or "domain" */
static int add_domain(struct mailboxes *m, struct from *f, const char *key, int everyone)
{
    char    dom[ADDR_DOMAIN_MAX + 1];

    if (domain_normalise(key + everyone, dom, sizeof(dom)) < 0) {
	errs_add(f->errs, f->file, f->line, "invalid domain \"%s\" in mailbox list",
		 key);
	return 0;
    }
    if (everyone)
	return push(&m->everyone, &m->neveryone, &m->everyone_cap,
		    keep(m, dom, strlen(dom)));
    return push(&m->domains, &m->ndomains, &m->domains_cap, keep(m, dom, strlen(dom)));
}

/* add_key - one key of a source: an address, "@domain" or "domain";
 * a bad one is an error at the source's FILE[:LINE]; -1 without memory */
static int add_key(struct mailboxes *m, struct from *f, const char *key)
{
    struct addr a;
    const char *at;

    f->added++;
    if (key[0] == '@')
	return add_domain(m, f, key, 1);
    if (!quoted_scan(key, strlen(key), &at) && at == 0)
	return add_domain(m, f, key, 0);
    if (at == 0 || addr_parse(key, &a) != ADDR_OK || a.null_sender) {
	errs_add(f->errs, f->file, f->line, "invalid address \"%s\" in mailbox list",
		 key);
	return 0;
    }
    return mailboxes_add(m, a.local, a.domain);
}

/* open_regular - a file that must be a regular one; -1 (reported) */
static int open_regular(struct from *f, const char *path)
{
    struct stat st;
    int     fd;

    if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
	errs_add(f->errs, f->file, f->line, "cannot read mailbox list %s: %s", path,
		 strerror(errno));
	return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
	errs_add(f->errs, f->file, f->line, "cannot read mailbox list %s: not a"
		 " regular file", path);
	close(fd);
	return -1;
    }
    return fd;
}

/* load_text - a postmap(1) source: the first word of each logical line */
static int load_text(struct mailboxes *m, struct from *f, const char *path)
{
    struct from in = { f->errs, path, 0, 0 };
    struct lines l;
    FILE   *fp;
    char   *s;
    size_t  n;
    int     fd, ret = 0;

    if ((fd = open_regular(f, path)) < 0)
	return 0;
    if ((fp = fdopen(fd, "r")) == 0) {
	close(fd);
	return -1;
    }
    lines_start(&l, fp, path, f->errs);
    while (ret == 0 && (s = lines_next(&l, &n)) != 0) {
	if (*s == ' ' || *s == '\t' || *s == 0 || *s == '#')
	    continue;				/* a value goes on, blank, comment */
	s[quoted_span(s, n, " \t")] = 0;
	in.line = l.line;
	ret = add_key(m, &in, s);
    }
    if (lines_error(&l))
	errs_add(f->errs, path, 0, "read error: %s", strerror(errno));
    lines_end(&l);
    fclose(fp);
    f->added = in.added;
    return ret;
}

/* table_key - a cdb key as a string: one trailing NUL (postmap -N) goes;
 * NULL for a key that cannot be an address */
static const char *table_key(const struct map_record *rec, char *buf, size_t len)
{
    size_t  n = rec->klen;

    if (n > 0 && rec->key[n - 1] == 0)
	n--;
    if (n == 0 || n >= len || memchr(rec->key, 0, n) != 0)
	return 0;
    memcpy(buf, rec->key, n);
    buf[n] = 0;
    return buf;
}

/* load_cdb - the keys of a Postfix cdb table, PATH.cdb */
static int load_cdb(struct mailboxes *m, struct from *f, const char *path)
{
    struct from in = { f->errs, 0, 0, 0 };
    struct map_record rec;
    struct cdb c;
    unsigned pos = 0;
    char    file[4096], buf[KEY_MAX];
    const char *key;
    int     fd, ret = 0;

    if (snprintf(file, sizeof(file), "%s.cdb", path) >= (int) sizeof(file)) {
	errs_add(f->errs, f->file, f->line, "mailbox list path too long");
	return 0;
    }
    in.file = file;
    if ((fd = open_regular(f, file)) < 0)
	return 0;
    if (cdb_init(&c, fd) < 0) {
	errs_add(f->errs, f->file, f->line, "cannot read mailbox list %s: not a"
		 " cdb file", file);
	close(fd);
	return 0;
    }
    while (ret == 0 && map_cdb_next(&c, &pos, &rec)) {
	if ((key = table_key(&rec, buf, sizeof(buf))) == 0) {
	    errs_add(f->errs, file, 0, "invalid key \"%.*s\" in mailbox list",
		     (int) (rec.klen > 80 ? 80 : rec.klen), rec.key);
	    continue;
	}
	ret = add_key(m, &in, key);
    }
    cdb_free(&c);
    close(fd);
    f->added = in.added;
    return ret;
}

/* The kinds of source, by the prefix of their name; "" is a text file.
 * A directory search would be one more line. */
static const struct source {
    const char *prefix;
    int     (*load)(struct mailboxes *, struct from *, const char *);
} sources[] = {
    {"cdb:", load_cdb},
    {"texthash:", load_text},
    {"", load_text},
};

/* source_of - the kind of source spec names, or NULL (reported) */
static const struct source *source_of(struct from *f, const char *spec)
{
    size_t  i, n = strspn(spec, "abcdefghijklmnopqrstuvwxyz");

    for (i = 0; i < sizeof(sources) / sizeof(sources[0]) - 1; i++)
	if (strncmp(spec, sources[i].prefix, strlen(sources[i].prefix)) == 0)
	    return sources + i;
    if (n > 1 && spec[n] == ':') {
	errs_add(f->errs, f->file, f->line, "mailbox list type \"%.*s\" is not"
		 " supported (cdb:PATH, texthash:PATH or a file)", (int) n, spec);
	return 0;
    }
    return sources + i;
}

/* add_shown - the source as the rules name it, for messages */
static int add_shown(struct mailboxes *m, const char *spec)
{
    size_t  n = m->shown ? strlen(m->shown) : 0;
    char   *s = arena_alloc(&m->mem, n + 2 + strlen(spec) + 1);

    if (s == 0)
	return -1;
    sprintf(s, "%s%s%s", n ? m->shown : "", n ? ", " : "", spec);
    m->shown = s;
    return 0;
}

/* mailboxes_load - read one source into the list; -1 without memory */
int mailboxes_load(struct mailboxes *m, const char *dir, const char *spec,
		   struct errs *errs, const char *from, long from_line)
{
    struct from f = { errs, from, from_line, 0 };
    const struct source *src;
    char   *path;
    int     ret, before = errs->count;

    if ((src = source_of(&f, spec)) == 0)
	return 0;
    if (add_shown(m, spec) < 0
	|| (path = roster_path(dir, spec + strlen(src->prefix))) == 0) {
	errs_nomem(errs);
	return -1;
    }
    if ((ret = src->load(m, &f, path)) < 0)
	errs_nomem(errs);
    else if (f.added == 0 && errs->count == before)
	errs_add(errs, from, from_line, "mailbox list %s has no address", spec);
    free(path);
    return ret;
}

/* str_cmp - strings through pointers to them */
static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* sort_unique - sort an array of strings, each once */
static void sort_unique(char **v, size_t *n)
{
    size_t  i, k;

    if (*n < 2)
	return;
    qsort(v, *n, sizeof(*v), str_cmp);
    for (i = k = 1; i < *n; i++)
	if (strcmp(v[i], v[k - 1]) != 0)
	    v[k++] = v[i];
    *n = k;
}

/* find - whether a sorted array holds s */
static int find(char *const *v, size_t n, const char *s)
{
    return n > 0 && bsearch(&s, v, n, sizeof(*v), str_cmp) != 0;
}

/* mailboxes_seal - sort, once every source is read; catch-all domains
 * are not covered */
void mailboxes_seal(struct mailboxes *m)
{
    size_t  i, k;

    sort_unique(m->keys, &m->nkeys);
    sort_unique(m->everyone, &m->neveryone);
    sort_unique(m->domains, &m->ndomains);
    for (i = k = 0; i < m->ndomains; i++)
	if (!find(m->everyone, m->neveryone, m->domains[i]))
	    m->domains[k++] = m->domains[i];
    m->ndomains = k;
}

/* mailboxes_covers - whether the list covers a domain */
int mailboxes_covers(const struct mailboxes *m, const char *domain)
{
    return find(m->domains, m->ndomains, domain);
}

/* mailboxes_has - whether local@domain is a mailbox: whole, or without
 * its extension (delimiters) as Postfix looks it up */
int mailboxes_has(const struct mailboxes *m, const char *local, const char *domain,
		  const char *delimiters)
{
    char    key[RECORD_KEY_MAX];
    size_t  len = strlen(local), base = addr_split_ext(local, delimiters);

    if (record_key_mailbox(key, sizeof(key), local, len, domain) >= 0
	&& find(m->keys, m->nkeys, key))
	return 1;
    return base < len && record_key_mailbox(key, sizeof(key), local, base, domain) >= 0
	&& find(m->keys, m->nkeys, key);
}

/* check_target - one target: an error (or warning) when its domain is
 * covered and it is not a mailbox */
static void check_target(struct rules *r, const struct rule_dept *d,
			 const struct rule_target *t, const char *file, long line)
{
    const struct mailboxes *m = &r->mbox;
    const char *domain = t->domain ? t->domain : d->canonical;
    char    shown[2 * ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX];

    if (domain == 0 || !mailboxes_covers(m, domain)
	|| mailboxes_has(m, t->local, domain, d->delimiters))
	return;
    if (addr_format(shown, sizeof(shown), t->local, domain) < 0)
	return;
    if (m->warn)
	errs_warn(&r->errs, file, line, "target %s is not in the mailbox list %s",
		  shown, m->shown);
    else
	errs_add(&r->errs, file, line, "target %s is not in the mailbox list %s",
		 shown, m->shown);
}

/* mailboxes_check - every member, alias and redirect target of d */
void mailboxes_check(struct rules *r, const struct rule_dept *d)
{
    const struct rule_entry *e;
    size_t  i, k;

    if (r->mbox.ndomains == 0)
	return;
    for (i = 0; i < d->nentries; i++)
	for (e = d->entries + i, k = 0; k < e->ntargets; k++)
	    check_target(r, d, e->targets + k, e->src->shown, e->line);
    if (d->redirect.local)
	check_target(r, d, &d->redirect, d->src->shown, d->unknown_line);
}

/* mailboxes_free - release the list */
void mailboxes_free(struct mailboxes *m)
{
    free(m->keys);
    free(m->domains);
    free(m->everyone);
    arena_free(&m->mem);
    memset(m, 0, sizeof(*m));
}
