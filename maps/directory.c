/*
 * directory - rosters read from LDAP or Active Directory (see directory.h)
 *
 * The settings are kept as the rules give them; the bind file is read
 * (and its permissions checked) at its rules line, so that deptmap check
 * finds a bad one.  directory_read() opens one connection for every
 * search and stops at the first search that fails: what would follow is
 * not written anyway, and each failure may cost a timeout.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "maps/directory.h"
#include "maps/dirsearch.h"
#include "maps/lines.h"
#include "maps/roster.h"
#include "rewrite/address.h"
#include "rewrite/quoted.h"

/* One members-ldap or proxy-addresses line. */
struct dir_search {
    size_t  dept;
    int     proxy;			/* proxy-addresses */
    char   *base;
    char   *filter;			/* as sent */
    char   *attr;			/* members-ldap: the address */
    char   *name_attr;			/* members-ldap: the name, or NULL */
    int     allow_empty;
    const struct rule_src *src;
    long    line;
};

struct directory {
    char   *uri;
    const struct rule_src *src;		/* of the ldap-server line */
    long    line;
    long    starttls, cafile_line, bindfile_line, timeout_line;
    char   *cafile;
    char   *binddn;
    char   *password;			/* malloc'd, wiped when freed */
    int     sasl_external;
    int     timeout;
    struct dir_search *searches;
    size_t  nsearches, cap;
};

/* The state of one search while its entries arrive. */
struct dir_run {
    struct rules *r;
    const struct dir_search *s;
    size_t  found;			/* entries that gave members */
    size_t  first;			/* the department's entries before it */
    const char *dn;			/* the current entry's, kept */
};

#define derr(r, src, line, ...) errs_add(&(r)->errs, (src)->shown, (line), __VA_ARGS__)

/* directory_keyword - 1 a setting, 2 a search, 0 not a directory keyword */
int directory_keyword(const char *kw)
{
    static const char *settings[] = { "ldap-server", "ldap-starttls", "ldap-ca-file",
	"ldap-bind-file", "ldap-timeout"
    };
    size_t  i;

    for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
	if (strcmp(kw, settings[i]) == 0)
	    return 1;
    return strcmp(kw, "members-ldap") == 0 || strcmp(kw, "proxy-addresses") == 0 ? 2 : 0;
}

/* split_words - blank-separated words, unquoted into the rules' arena;
 * at most max; -1 (reported) when a quote is left open or too many */
static int split_words(struct rules *r, const struct rule_src *src, long line,
		       const char *kw, char *s, char **w, int max)
{
    int     n = 0;
    size_t  len;
    char   *copy;
    const char *at;

    for (;;) {
	s += strspn(s, " \t");
	if (*s == 0)
	    return n;
	len = quoted_span(s, strlen(s), " \t");
	if (n == max) {
	    derr(r, src, line, "too many arguments for \"%s\"", kw);
	    return -1;
	}
	if ((copy = arena_strndup(&r->mem, s, len)) == 0) {
	    errs_nomem(&r->errs);
	    return -1;
	}
	if (quoted_scan(copy, len, &at)) {
	    derr(r, src, line, "unterminated quote in \"%s\"", kw);
	    return -1;
	}
	(void) quoted_copy(copy, len, copy, len + 1);
	w[n++] = copy;
	s += len;
    }
}

/* get_dir - the directory state, made at its first use */
static struct directory *get_dir(struct rules *r)
{
    if (r->dir == 0 && (r->dir = calloc(1, sizeof(*r->dir))) == 0)
	errs_nomem(&r->errs);
    else if (r->dir->timeout == 0)
	r->dir->timeout = DIRECTORY_TIMEOUT;
    return r->dir;
}

/* directory_free - the state, the password wiped */
void directory_free(struct directory *dir)
{
    if (dir == 0)
	return;
    if (dir->password) {
	explicit_bzero(dir->password, strlen(dir->password));
	free(dir->password);
    }
    free(dir->searches);
    free(dir);
}

/* rules_path - PATH relative to the rules file's directory, in the arena */
static char *rules_path(struct rules *r, const struct rule_src *src, const char *path)
{
    char   *dir = rules_dir_of(src->shown), *full = dir ? roster_path(dir, path) : 0;
    char   *kept = full ? rules_keep(r, full) : 0;

    if (full == 0)
	errs_nomem(&r->errs);
    free(dir);
    free(full);
    return kept;
}

/* open_private - the bind file, refused unless only its owner may use it
 * and its owner is root or the user who runs deptmap (as ssh for keys) */
static FILE *open_private(struct rules *r, const struct rule_src *src, long line,
			  const char *path)
{
    struct stat st;
    int     fd = open(path, O_RDONLY | O_NOCTTY);
    FILE   *fp;

    if (fd < 0 || fstat(fd, &st) < 0) {
	derr(r, src, line, "cannot read bind file %s: %s", path, strerror(errno));
	goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
	derr(r, src, line, "bind file %s is not a regular file", path);
	goto fail;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
	derr(r, src, line, "bind file %s: owned by uid %u, neither root nor the user"
	     " who runs deptmap", path, (unsigned) st.st_uid);
	goto fail;
    }
    if (st.st_mode & 077) {
	derr(r, src, line, "bind file %s: permissions %04o are too open: it holds a"
	     " password, so group and others must have no access (chmod 600)", path,
	     (unsigned) (st.st_mode & 07777));
	goto fail;
    }
    if ((fp = fdopen(fd, "r")) != 0)
	return fp;
    derr(r, src, line, "cannot read bind file %s: %s", path, strerror(errno));
fail:
    if (fd >= 0)
	close(fd);
    return 0;
}

/* bind_line - one "name = value" line of the bind file */
static void bind_line(struct rules *r, struct directory *dir, const struct rule_src *f,
		      long line, char *s)
{
    char   *eq = strchr(s, '='), *name = s, *value, *e;

    s += strspn(s, " \t");
    if (*s == 0 || *s == '#')
	return;
    if (eq == 0) {
	derr(r, f, line, "expected \"name = value\"");
	return;
    }
    for (e = eq; e > name && (e[-1] == ' ' || e[-1] == '\t'); e--)
	/* void */ ;
    *e = 0;
    name = s;
    value = eq + 1 + strspn(eq + 1, " \t");
    for (e = value + strlen(value); e > value && (e[-1] == ' ' || e[-1] == '\t'); e--)
	/* void */ ;
    *e = 0;
    if (strcmp(name, "binddn") == 0 && dir->binddn == 0)
	dir->binddn = rules_keep(r, value);
    else if (strcmp(name, "password") == 0 && dir->password == 0) {
	if ((dir->password = strdup(value)) == 0)
	    errs_nomem(&r->errs);
    } else if (strcmp(name, "sasl") == 0 && strcasecmp(value, "EXTERNAL") == 0)
	dir->sasl_external = 1;
    else if (strcmp(name, "sasl") == 0)
	derr(r, f, line, "unknown SASL mechanism \"%s\" (only EXTERNAL is known)",
	     value);
    else
	derr(r, f, line, "unknown or repeated setting \"%s\" (binddn, password, sasl)",
	     name);
}

/* bind_check - a bind file names one way to bind */
static void bind_check(struct rules *r, struct directory *dir, const struct rule_src *f)
{
    if (dir->sasl_external && (dir->binddn || dir->password))
	derr(r, f, 0, "sasl = EXTERNAL takes no binddn or password");
    else if (!dir->sasl_external && (dir->binddn == 0 || dir->password == 0
				     || *dir->binddn == 0 || *dir->password == 0))
	derr(r, f, 0, "needs binddn and password (or sasl = EXTERNAL)");
}

/* read_bind_file - ldap-bind-file PATH */
static void read_bind_file(struct rules *r, struct directory *dir,
			   const struct rule_src *src, long line, const char *path)
{
    struct rule_src f;
    struct lines l;
    FILE   *fp;
    char   *s;
    size_t  n;

    if ((f.shown = rules_path(r, src, path)) == 0
	|| (fp = open_private(r, src, line, f.shown)) == 0)
	return;
    f.recorded = f.shown;
    lines_start(&l, fp, f.shown, &r->errs);
    while ((s = lines_next(&l, &n)) != 0) {
	bind_line(r, dir, &f, l.line, s);
	explicit_bzero(s, n);
    }
    if (lines_error(&l))
	derr(r, &f, 0, "read error: %s", strerror(errno));
    lines_end(&l);
    fclose(fp);
    bind_check(r, dir, &f);
}

/* set_timeout - ldap-timeout SECONDS */
static void set_timeout(struct rules *r, struct directory *dir,
			const struct rule_src *src, long line, const char *w)
{
    char   *end;
    long    t;

    errno = 0;
    t = strtol(w, &end, 10);
    if (*w < '0' || *w > '9' || *end || errno || t < 1 || t > DIRECTORY_TIMEOUT_MAX)
	derr(r, src, line, "ldap-timeout takes seconds from 1 to %d, not \"%s\"",
	     DIRECTORY_TIMEOUT_MAX, w);
    else
	dir->timeout = (int) t;
}

/* join_uris - ldap-server's URIs, blank-separated as libldap takes them */
static char *join_uris(struct rules *r, char **w, int n)
{
    struct buf b = { 0, 0, 0 };
    char   *out = 0;
    int     i;

    for (i = 0; i < n; i++)
	if (buf_adds(&b, i ? " " : "") < 0 || buf_adds(&b, w[i]) < 0) {
	    errs_nomem(&r->errs);
	    goto out;
	}
    out = rules_keep(r, b.s);
out:
    buf_free(&b);
    return out;
}

/* check_uris - each URI is ldap://, ldaps:// or ldapi://, and fits StartTLS */
static int check_uris(struct rules *r, const struct rule_src *src, long line,
		      char **w, int n)
{
    int     i;

    for (i = 0; i < n; i++) {
	if (strncasecmp(w[i], "ldap://", 7) != 0 && strncasecmp(w[i], "ldaps://", 8) != 0
	    && strncasecmp(w[i], "ldapi://", 8) != 0) {
	    derr(r, src, line,
		 "ldap-server \"%s\": ldap://, ldaps:// or ldapi:// expected", w[i]);
	    return -1;
	}
    }
    return 0;
}

/* once - whether a setting is given for the first time (else reported) */
static int once(struct rules *r, const struct rule_src *src, long line, long *seen,
		const char *kw)
{
    if (*seen) {
	derr(r, src, line, "%s given twice (first at line %ld)", kw, *seen);
	return 0;
    }
    *seen = line;
    return 1;
}

/* parse_setting - one of the ldap-* lines */
static void parse_setting(struct rules *r, struct directory *dir,
			  const struct rule_src *src, long line, const char *kw,
			  char *rest)
{
    char   *w[16];
    int     n = split_words(r, src, line, kw, rest, w, 16);

    if (n < 0)
	return;
    if (strcmp(kw, "ldap-starttls") == 0) {
	if (n != 0)
	    derr(r, src, line, "\"ldap-starttls\" takes no argument");
	else
	    (void) once(r, src, line, &dir->starttls, kw);
	return;
    }
    if (strcmp(kw, "ldap-server") == 0 ? n < 1 : n != 1) {
	derr(r, src, line, "\"%s\" takes %s", kw, strcmp(kw, "ldap-server") == 0 ?
	     "one URI or more" : "exactly one argument");
	return;
    }
    if (strcmp(kw, "ldap-server") == 0) {
	if (once(r, src, line, &dir->line, kw) && check_uris(r, src, line, w, n) == 0)
	    dir->uri = join_uris(r, w, n), dir->src = src;
    } else if (strcmp(kw, "ldap-ca-file") == 0) {
	if (once(r, src, line, &dir->cafile_line, kw))
	    dir->cafile = rules_path(r, src, w[0]);
    } else if (strcmp(kw, "ldap-bind-file") == 0) {
	if (once(r, src, line, &dir->bindfile_line, kw))
	    read_bind_file(r, dir, src, line, w[0]);
    } else if (once(r, src, line, &dir->timeout_line, kw))
	set_timeout(r, dir, src, line, w[0]);
}

/* take_allow_empty - drop a last word "allow-empty", say whether there was one */
static int take_allow_empty(char **w, int *n)
{
    if (*n > 0 && strcmp(w[*n - 1], "allow-empty") == 0) {
	(*n)--;
	return 1;
    }
    return 0;
}

/* proxy_filter - the search for smtp: addresses in domain, within FILTER */
static char *proxy_filter(struct rules *r, const char *filter, const char *domain)
{
    struct buf b = { 0, 0, 0 };
    char   *out = 0;
    int     wrap = filter && *filter != '(';

    if (filter == 0 ? buf_addf(&b, "(proxyAddresses=smtp:*@%s)", domain)
	: buf_addf(&b, "(&%s%s%s(proxyAddresses=smtp:*@%s))", wrap ? "(" : "", filter,
		   wrap ? ")" : "", domain) < 0)
	errs_nomem(&r->errs);
    else
	out = rules_keep(r, b.s);
    buf_free(&b);
    return out;
}

/* parse_search - members-ldap or proxy-addresses in department dept */
static void parse_search(struct rules *r, struct directory *dir,
			 const struct rule_src *src, long line, size_t dept,
			 const char *kw, char *rest)
{
    struct dir_search s;
    char   *w[8];
    int     n = split_words(r, src, line, kw, rest, w, 8), proxy = kw[0] == 'p';

    memset(&s, 0, sizeof(s));
    if (n < 0)
	return;
    s.allow_empty = take_allow_empty(w, &n);
    if (proxy ? n < 1 || n > 2 : n < 2 || n > 4) {
	derr(r, src, line, "usage: %s", proxy ? "proxy-addresses BASE [FILTER]"
	     " [allow-empty]" :
	     "members-ldap BASE FILTER [ATTR [NAME-ATTR]] [allow-empty]");
	return;
    }
    if (dir->uri == 0) {
	derr(r, src, line, "\"%s\" needs an ldap-server line before the first"
	     " department", kw);
	return;
    }
    s.dept = dept, s.proxy = proxy, s.src = src, s.line = line, s.base = w[0];
    if (proxy)
	s.filter = proxy_filter(r, n > 1 ? w[1] : 0, r->depts[dept].domain);
    else {
	s.filter = w[1];
	s.attr = n > 2 ? w[2] : "mail";
	s.name_attr = n > 3 ? w[3] : 0;
    }
    if (s.filter == 0)
	return;
    if (grow((void **) &dir->searches, &dir->cap, dir->nsearches + 1, sizeof(s)) < 0)
	errs_nomem(&r->errs);
    else
	dir->searches[dir->nsearches++] = s;
}

/* directory_parse - one directory line of the rules */
void directory_parse(struct rules *r, const struct rule_src *src, long line,
		     long dept, const char *kw, char *rest)
{
    struct directory *dir;

    if (directory_keyword(kw) == 1 && dept != -1) {
	derr(r, src, line, "\"%s\" belongs before the first department", kw);
	return;
    }
    if (directory_keyword(kw) == 2 && dept < 0) {
	if (dept == -1)
	    derr(r, src, line, "\"%s\" outside a department (add \"department DOMAIN\""
		 " above)", kw);
	return;
    }
    if ((dir = get_dir(r)) == 0)
	return;
    if (dept >= 0)
	parse_search(r, dir, src, line, (size_t) dept, kw, rest);
    else
	parse_setting(r, dir, src, line, kw, rest);
}

/* directory_proxy_kind - what a proxyAddresses value is, by its prefix */
enum directory_proxy directory_proxy_kind(const char *value)
{
    if (strncasecmp(value, "smtp:", 5) != 0)
	return PROXY_OTHER;
    return strncmp(value, "SMTP:", 5) == 0 ? PROXY_PRIMARY : PROXY_SECONDARY;
}

/* keep_dn - the current entry's DN in the arena, once per entry */
static const char *keep_dn(struct dir_run *run, const char *dn)
{
    if (run->dn == 0)
	run->dn = rules_keep(run->r, dn);
    return run->dn;
}

/* parse_target - an address (or a bare name, in the canonical domain) */
static int parse_target(struct dir_run *run, const char *dn, const char *v,
			struct rule_target *t)
{
    struct addr a;
    char    why[128];

    if (strchr(v, '@') == 0) {
	if (addr_check_local(v, strlen(v), why, sizeof(why)) < 0) {
	    derr(run->r, run->s->src, run->s->line, "entry %s: invalid name \"%s\": %s",
		 dn, v, why);
	    return -1;
	}
	t->local = rules_keep(run->r, v), t->domain = 0;
    } else if (addr_parse(v, &a) != ADDR_OK || a.null_sender || a.local[0] == 0
	       || addr_check(v, strlen(v), why, sizeof(why)) < 0) {
	derr(run->r, run->s->src, run->s->line, "entry %s: invalid address \"%s\"", dn,
	     v);
	return -1;
    } else {
	t->local = rules_keep(run->r, a.local);
	t->domain = rules_keep(run->r, a.domain);
    }
    return t->local == 0 || (t->domain == 0 && strchr(v, '@')) ? -1 : 0;
}

/* add_member - key in the search's department, reaching target */
static void add_member(struct dir_run *run, const char *dn, const char *key,
		       const struct rule_target *target)
{
    struct rules *r = run->r;
    struct rule_target *t = arena_alloc(&r->mem, sizeof(*t));
    struct rule_entry *e;
    char    why[128];

    if (addr_check_local(key, strlen(key), why, sizeof(why)) < 0) {
	derr(r, run->s->src, run->s->line, "entry %s: invalid name \"%s\": %s", dn,
	     key, why);
	return;
    }
    if (t == 0 || (e = rules_add_entry(r, r->depts + run->s->dept)) == 0) {
	errs_nomem(&r->errs);
	return;
    }
    *t = *target;
    e->key = rules_keep(r, key);
    e->targets = t;
    e->ntargets = 1;
    e->src = run->s->src;
    e->line = run->s->line;
    e->dn = keep_dn(run, dn);
}

/* members_entry - members-ldap: each address, or each name to the address */
static int members_entry(struct dir_run *run, const char *dn, char ***v)
{
    struct rule_target t;
    size_t  i;

    if (v[0] == 0 || (run->s->name_attr && v[1] == 0))
	return 0;				/* no mailbox: not a member */
    if (run->s->name_attr == 0) {
	for (i = 0; v[0][i]; i++)
	    if (parse_target(run, dn, v[0][i], &t) == 0)
		add_member(run, dn, t.local, &t);
    } else if (v[0][1]) {
	derr(run->r, run->s->src, run->s->line, "entry %s has more than one %s: which"
	     " one is the mailbox?", dn, run->s->attr);
	return 0;
    } else if (parse_target(run, dn, v[0][0], &t) == 0) {
	for (i = 0; v[1][i]; i++)
	    add_member(run, dn, v[1][i], &t);
    }
    run->found++;
    return 0;
}

/* primary_of - the entry's one SMTP: address; -1 (reported) if none or many */
static int primary_of(struct dir_run *run, const char *dn, char **v,
		      struct rule_target *t)
{
    const char *p = 0, *dept = run->r->depts[run->s->dept].domain;
    size_t  i;

    for (i = 0; v[i]; i++) {
	if (directory_proxy_kind(v[i]) != PROXY_PRIMARY)
	    continue;
	if (p) {
	    derr(run->r, run->s->src, run->s->line, "entry %s has two primary SMTP:"
		 " addresses, %s and %s", dn, p + 5, v[i] + 5);
	    return -1;
	}
	p = v[i];
    }
    if (p == 0) {
	derr(run->r, run->s->src, run->s->line, "entry %s has no primary SMTP: address",
	     dn);
	return -1;
    }
    if (strchr(p + 5, '@') == 0) {
	derr(run->r, run->s->src, run->s->line, "entry %s: invalid address \"%s\"", dn,
	     p + 5);
	return -1;
    }
    if (parse_target(run, dn, p + 5, t) < 0)
	return -1;
    if (strcmp(t->domain, dept) == 0) {
	derr(run->r, run->s->src, run->s->line, "entry %s: primary address %s is in"
	     " the department's own domain", dn, p + 5);
	return -1;
    }
    return 0;
}

/* proxy_entry - proxy-addresses: each smtp: address in the department's
 * domain, to the entry's SMTP: address */
static int proxy_entry(struct dir_run *run, const char *dn, char ***v)
{
    const char *dept = run->r->depts[run->s->dept].domain;
    struct rule_target primary;
    struct addr a;
    size_t  i;
    int     some = 0;

    if (v[0] == 0 || primary_of(run, dn, v[0], &primary) < 0)
	return 0;
    for (i = 0; v[0][i]; i++) {
	if (directory_proxy_kind(v[0][i]) != PROXY_SECONDARY)
	    continue;
	if (addr_parse(v[0][i] + 5, &a) != ADDR_OK || a.null_sender
	    || strcmp(a.domain, dept) != 0)
	    continue;				/* another domain's */
	add_member(run, dn, a.local, &primary);
	some = 1;
    }
    run->found += some;
    return 0;
}

/* take_entry - one entry of a search (dirsearch_fn) */
static int take_entry(void *ctx, const char *dn, char ***v)
{
    struct dir_run *run = ctx;

    run->dn = 0;
    if (run->r->errs.nomem)
	return -1;
    return run->s->proxy ? proxy_entry(run, dn, v) : members_entry(run, dn, v);
}

/* conf_of - the connection settings for dirsearch */
static void conf_of(const struct directory *dir, struct dirsearch_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->uri = dir->uri;
    c->starttls = dir->starttls != 0;
    c->cafile = dir->cafile;
    c->binddn = dir->binddn;
    c->password = dir->password;
    c->sasl_external = dir->sasl_external;
    c->timeout = dir->timeout;
}

/* failed - the directory could not be read: an error of the system */
static void failed(struct rules *r, const struct rule_src *src, long line,
		   const char *uri, const char *what, const char *err)
{
    derr(r, src, line, "directory %s: %s%s%s", uri, what, *what ? ": " : "", err);
    r->errs.system = 1;
}

/* run_search - one search; its members dropped when it failed */
static int run_search(struct rules *r, struct dirsearch *ds, const struct dir_search *s)
{
    static const char *proxy_attrs[] = { "proxyAddresses", 0 };
    const char *attrs[3] = { s->attr, s->name_attr, 0 };
    struct dir_run run;
    struct rule_dept *d = r->depts + s->dept;
    char    err[1024], what[1024];

    memset(&run, 0, sizeof(run));
    run.r = r, run.s = s, run.first = d->nentries;
    if (dirsearch_run(ds, s->base, s->filter, s->proxy ? proxy_attrs : attrs,
		      take_entry, &run, err, sizeof(err)) < 0) {
	d->nentries = run.first;
	if (err[0] == 0)			/* take_entry stopped it */
	    return -1;
	snprintf(what, sizeof(what), "base \"%s\" filter \"%s\"", s->base, s->filter);
	failed(r, s->src, s->line, r->dir->uri, what, err);
	return -1;
    }
    if (run.found == 0 && !s->allow_empty)
	derr(r, s->src, s->line, "%s found no members in %s (base \"%s\" filter \"%s\");"
	     " write allow-empty at the end of the line if that is right",
	     s->proxy ? "proxy-addresses" : "members-ldap", r->dir->uri, s->base,
	     s->filter);
    return 0;
}

/* directory_read - every search of the rules, members added */
void directory_read(struct rules *r)
{
    struct directory *dir = r->dir;
    struct dirsearch_conf conf;
    struct dirsearch *ds;
    char    err[1024];
    size_t  i;

    if (dir == 0 || dir->nsearches == 0)
	return;
    if (dir->sasl_external && strncasecmp(dir->uri, "ldapi://", 8) != 0) {
	derr(r, dir->src, dir->line, "sasl = EXTERNAL needs an ldapi:// server");
	return;
    }
    if (dir->starttls && strncasecmp(dir->uri, "ldap://", 7) != 0) {
	derr(r, dir->src, dir->line, "ldap-starttls needs an ldap:// server");
	return;
    }
    conf_of(dir, &conf);
    if (dirsearch_open(&ds, &conf, err, sizeof(err)) < 0) {
	failed(r, dir->src, dir->line, dir->uri, "", err);
	return;
    }
    for (i = 0; i < dir->nsearches && !r->errs.nomem; i++)
	if (run_search(r, ds, dir->searches + i) < 0)
	    break;
    dirsearch_close(ds);
}
