/*
 * rules - the administrator's departments.rules, parsed (see rules.h)
 *
 * One line, one keyword.  Before the first "department" line, canonical,
 * delimiter, case-sensitive and shrink-limit set the defaults; after it every keyword
 * belongs to the department above.  A "#" at the start of a word begins a
 * comment.  The checks that need the whole file run in rules_finish().
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "maps/rules.h"
#include "maps/directory.h"
#include "maps/lines.h"
#include "maps/roster.h"
#include "maps/reply.h"
#include "rewrite/address.h"
#include "rewrite/buf.h"
#include "rewrite/domain.h"
#include "rewrite/quoted.h"
#include "rewrite/regex.h"
#include "rewrite/text.h"

/* The state of one rules file while it is read. */
struct parse {
    struct rules *r;
    const struct rule_src *src;
    long    line;
    struct rule_dept *dept;		/* current department, or NULL */
    int     bad_dept;			/* inside a department line in error */
    char   *dir;			/* the rules file's directory */
};

/* room - n zeroed bytes in the rules' arena; NULL (noted) */
static void *room(struct rules *r, size_t n)
{
    void   *p = arena_alloc(&r->mem, n);

    if (p == 0)
	errs_nomem(&r->errs);
    else
	memset(p, 0, n);
    return p;
}

/* perr - a parse error at the current line */
#define perr(p, ...) errs_add(&(p)->r->errs, (p)->src->shown, (p)->line, __VA_ARGS__)

/* rules_source - remember where rules come from; NULL if out of memory */
static const struct rule_src *rules_source(struct rules *r, const char *shown,
					   const char *recorded)
{
    struct rule_src *s;

    if (grow((void **) &r->srcs, &r->srcs_cap, r->nsrcs + 1, sizeof(*r->srcs)) < 0
	|| (s = room(r, sizeof(*s))) == 0) {
	errs_nomem(&r->errs);
	return 0;
    }
    r->srcs[r->nsrcs++] = s;
    if ((s->shown = rules_keep(r, shown)) == 0
	|| (s->recorded = rules_keep(r, recorded)) == 0)
	return 0;
    return s;
}

/* unquote - a word without its quote marks and escaping backslashes */
static char *unquote(struct rules *r, const char *word)
{
    char   *out = rules_keep(r, word);

    if (out)					/* the copy is never longer */
	(void) quoted_copy(out, strlen(out), out, strlen(out) + 1);
    return out;
}

/* add_entry - a new, zeroed entry; NULL (noted) when memory ran out */
static struct rule_entry *add_entry(struct rules *r, struct rule_dept *d)
{
    struct rule_entry *e;

    if (grow((void **) &d->entries, &d->entries_cap, d->nentries + 1,
	     sizeof(*d->entries)) < 0) {
	errs_nomem(&r->errs);
	return 0;
    }
    e = d->entries + d->nentries;
    memset(e, 0, sizeof(*e));
    e->seq = d->nentries++;
    return e;
}

/* split_words - words separated by bare bytes of seps, cut in place;
 * NULL (noted) when memory ran out */
static char **split_words(struct rules *r, char *s, const char *seps, size_t *np)
{
    char  **v = 0;
    size_t  n = 0, cap = 0;

    for (;;) {
	s += strspn(s, seps);
	if (grow((void **) &v, &cap, n + 1, sizeof(*v)) < 0) {
	    free(v);
	    errs_nomem(&r->errs);
	    return 0;
	}
	if (*s == 0)
	    break;
	v[n++] = s;
	s += quoted_span(s, strlen(s), seps);
	if (*s)
	    *s++ = 0;
    }
    *np = n;
    return v;
}

/* split_list - words separated by bare blanks and commas, cut in place */
static char **split_list(struct rules *r, char *s, size_t *np)
{
    return split_words(r, s, " \t,", np);
}

/* has_at - whether a word has a bare "@" */
static int has_at(const char *s)
{
    const char *at;

    (void) quoted_scan(s, strlen(s), &at);
    return at != 0;
}

/* quote_open - whether a word ends inside a quoted string */
static int quote_open(const char *s)
{
    const char *at;

    return quoted_scan(s, strlen(s), &at);
}

/* word_target - a target or member word of the rules: a local part (in
 * the canonical domain) or an address, each as RFC 5321 writes it; 0, or
 * -1 with an error at (src, line) that calls the word a `what' */
static int word_target(struct rules *r, const struct rule_src *src, long line,
		       const char *what, const char *w, struct rule_target *t)
{
    struct addr a;
    char    why[512];

    t->local = t->domain = 0;
    if (quote_open(w)) {
	errs_add(&r->errs, src->shown, line, "invalid %s \"%s\": unterminated quote",
		 what, w);
	return -1;
    }
    if (has_at(w) ? addr_check(w, strlen(w), why, sizeof(why)) < 0
	: addr_check_local(w, strlen(w), why, sizeof(why)) < 0) {
	errs_add(&r->errs, src->shown, line, "invalid %s \"%s\": %s", what, w, why);
	return -1;
    }
    if (!has_at(w))
	return (t->local = unquote(r, w)) == 0 ? -1 : 0;
    if (addr_parse(w, &a) != ADDR_OK || a.null_sender) {
	errs_add(&r->errs, src->shown, line, "invalid %s \"%s\"", what, w);
	return -1;
    }
    if ((t->local = rules_keep(r, a.local)) == 0
	|| (t->domain = rules_keep(r, a.domain)) == 0)
	return -1;
    return 0;
}

/* parse_targets - the targets of an alias, all good or NULL */
static struct rule_target *parse_targets(struct parse *p, char **v, size_t n)
{
    struct rule_target *t = room(p->r, n * sizeof(*t));
    size_t  i;
    int     ok = 1;

    for (i = 0; t && i < n; i++)
	if (word_target(p->r, p->src, p->line, "target", v[i], t + i) < 0)
	    ok = 0;
    return ok ? t : 0;
}

/* need_dept - whether a department keyword has a department */
static int need_dept(struct parse *p, const char *kw)
{
    if (p->dept)
	return 1;
    if (p->bad_dept)				/* reported at the department line */
	return 0;
    perr(p, "\"%s\" outside a department (add \"department DOMAIN\" above)", kw);
    return 0;
}

/* one_word - the single argument of a keyword, or NULL with an error */
static char *one_word(struct parse *p, const char *kw, char *rest)
{
    char  **v, *w = 0;
    size_t  n;

    if ((v = split_list(p->r, rest, &n)) == 0)
	return 0;
    if (n != 1)
	perr(p, "\"%s\" takes exactly one argument", kw);
    else
	w = v[0];
    free(v);
    return w;
}

/* set_once - a setting of the defaults or of a department, given once */
static void set_once(struct parse *p, char **slot, const char *value, const char *what)
{
    if (*slot) {
	perr(p, "%s set twice", what);
	return;
    }
    *slot = rules_keep(p->r, value);
}

/* domain_word - a department or canonical domain, checked (domain_check;
 * a trailing dot, DNS's absolute form, is allowed here, not in addresses)
 * and normalised into dom; 0, or -1 with an error */
static int domain_word(struct parse *p, const char *w, char *dom, size_t len)
{
    char    why[512];
    size_t  n = strlen(w);

    if (n > 1 && w[n - 1] == '.')
	n--;
    if (domain_check(w, n, why, sizeof(why)) < 0) {
	perr(p, "invalid domain \"%s\": %s", w, why);	/* why names no domain */
	return -1;
    }
    if (domain_normalise(w, dom, len) < 0) {
	perr(p, "invalid domain \"%s\"", w);
	return -1;
    }
    return 0;
}

/* kw_canonical - canonical DOMAIN */
static void kw_canonical(struct parse *p, char *rest)
{
    char   *w, dom[ADDR_DOMAIN_MAX + 1];

    if ((w = one_word(p, "canonical", rest)) == 0
	|| domain_word(p, w, dom, sizeof(dom)) < 0)
	return;
    set_once(p, p->dept ? &p->dept->canonical : &p->r->canonical, dom,
	     "canonical domain");
}

/* kw_delimiter - delimiter CHARS */
static void kw_delimiter(struct parse *p, char *rest)
{
    char   *w;
    const char *c;

    if ((w = one_word(p, "delimiter", rest)) == 0)
	return;
    for (c = w; *c; c++) {
	if (*c <= ' ' || *c >= 0x7f || *c == '@' || *c == '"' || *c == '\\'
	    || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z')
	    || (*c >= 'A' && *c <= 'Z')) {
	    perr(p, "invalid delimiter character '%c'", *c);
	    return;
	}
    }
    if (strlen(w) > 32) {
	perr(p, "more than 32 delimiter characters");
	return;
    }
    set_once(p, p->dept ? &p->dept->delimiters : &p->r->delimiters, w, "delimiter");
}

/* kw_case_sensitive - case-sensitive (no argument) */
static void kw_case_sensitive(struct parse *p, char *rest)
{
    if (*rest) {
	perr(p, "\"case-sensitive\" takes no argument");
	return;
    }
    if (p->dept)
	p->dept->case_exact = 1;
    else
	p->r->case_exact = 1;
}

/* kw_department - department DOMAIN */
static void kw_department(struct parse *p, char *rest)
{
    char   *w, dom[ADDR_DOMAIN_MAX + 1];
    struct rule_dept *d;
    size_t  i;

    p->dept = 0;
    p->bad_dept = 1;
    if ((w = one_word(p, "department", rest)) == 0
	|| domain_word(p, w, dom, sizeof(dom)) < 0)
	return;
    for (i = 0; i < p->r->ndepts; i++) {
	if (strcmp(p->r->depts[i].domain, dom) == 0) {
	    perr(p, "department %s defined twice (first at %s:%ld)", dom,
		 p->r->depts[i].src->shown, p->r->depts[i].line);
	    p->dept = 0;
	    return;
	}
    }
    if (p->r->ndepts >= RECORD_DEPTS_MAX) {
	perr(p, "more than %d departments", RECORD_DEPTS_MAX);
	return;
    }
    if (grow((void **) &p->r->depts, &p->r->depts_cap, p->r->ndepts + 1, sizeof(*d)) < 0) {
	errs_nomem(&p->r->errs);
	return;
    }
    d = p->r->depts + p->r->ndepts;
    memset(d, 0, sizeof(*d));
    if ((d->domain = rules_keep(p->r, dom)) == 0)
	return;
    p->dept = d;
    p->r->ndepts++;
    p->bad_dept = 0;
    d->case_exact = -1;
    d->src = p->src;
    d->line = p->line;
}

/* member_target - the target of a member word: a roster's name is
 * literal, a rules word is rules syntax; 0, or -1 (reported) */
static int member_target(struct parse *p, const struct rule_src *src, long line,
			 const char *w, int literal, struct rule_target *t)
{
    char    why[512];

    t->local = t->domain = 0;
    if (!literal || strchr(w, '@'))
	return word_target(p->r, src, line, "member", w, t);
    if (addr_check_literal(w, strlen(w), why, sizeof(why)) < 0) {
	errs_add(&p->r->errs, src->shown, line, "invalid member \"%s\": %s", w, why);
	return -1;
    }
    return (t->local = rules_keep(p->r, w)) == 0 ? -1 : 0;
}

/* add_member - one member: its key is its local part, its target the
 * name in the canonical domain or the address */
static void add_member(struct parse *p, const struct rule_src *src, long line,
		       const char *w, int literal)
{
    struct rule_target *t = room(p->r, sizeof(*t));
    struct rule_entry *e;

    if (t && member_target(p, src, line, w, literal, t) == 0
	&& (e = add_entry(p->r, p->dept)) != 0) {
	e->key = t->local;			/* folded later, when it changes */
	e->targets = t;
	e->ntargets = 1;
	e->src = src;
	e->line = line;
    }
}

/* kw_members - members NAME... | members * */
static void kw_members(struct parse *p, char *rest)
{
    char  **v;
    size_t  n, i;

    if (!need_dept(p, "members") || (v = split_list(p->r, rest, &n)) == 0)
	return;
    if (n == 0)
	perr(p, "\"members\" needs at least one name, or *");
    else if (n == 1 && strcmp(v[0], "*") == 0) {
	if (p->dept->all_line)
	    perr(p, "\"members *\" given twice (first at %s:%ld)",
		 p->dept->all_src->shown, p->dept->all_line);
	p->dept->all_line = p->line;
	p->dept->all_src = p->src;
    } else {
	for (i = 0; i < n; i++) {
	    if (strcmp(v[i], "*") == 0)
		perr(p, "\"*\" must stand alone: \"members *\"");
	    else
		add_member(p, p->src, p->line, v[i], 0);
	}
    }
    free(v);
}

/* roster_sep - the separator a "separator" option names, or -1 */
static int roster_sep(const char *w)
{
    if (strcmp(w, ",") == 0 || strcmp(w, "comma") == 0)
	return ',';
    if (strcmp(w, ";") == 0 || strcmp(w, "semicolon") == 0)
	return ';';
    if (strcmp(w, "tab") == 0)
	return '\t';
    return -1;
}

/* roster_column - a "column" option: a number from 1, or a name (which
 * implies a header); 0, or -1 with an error */
static int roster_column(struct parse *p, char *w, struct roster_opts *o)
{
    char   *end;
    unsigned long n;

    if (*w >= '0' && *w <= '9') {
	errno = 0;
	n = strtoul(w, &end, 10);
	if (*end || n == 0 || n > 10000 || errno) {
	    perr(p, "members-file: column \"%s\": a number from 1 or a name", w);
	    return -1;
	}
	o->column = n;
	return 0;
    }
    if ((o->column_name = unquote(p->r, w)) == 0)
	return -1;
    if (*o->column_name == 0) {
	perr(p, "members-file: empty column name");
	return -1;
    }
    o->header = 1;
    return 0;
}

/* roster_option - one option after the path, with its value; how many
 * words it took, or -1 with an error */
static int roster_option(struct parse *p, char **v, size_t n, struct roster_opts *o)
{
    int     sep;

    if (strcmp(v[0], "header") == 0) {
	o->header = 1;
	return 1;
    }
    if (strcmp(v[0], "column") != 0 && strcmp(v[0], "separator") != 0) {
	perr(p, "members-file: unknown option \"%s\" (header, column N|NAME,"
	     " separator , | ; | tab)", v[0]);
	return -1;
    }
    if (n < 2) {
	perr(p, "members-file: \"%s\" needs a value", v[0]);
	return -1;
    }
    if (strcmp(v[0], "column") == 0)
	return roster_column(p, v[1], o) < 0 ? -1 : 2;
    if ((sep = roster_sep(v[1])) < 0) {
	perr(p, "members-file: separator \"%s\": \",\", \";\" or tab", v[1]);
	return -1;
    }
    o->sep = (char) sep;
    return 2;
}

/* roster_args - "FILE [header] [column N|NAME] [separator , | ; | tab]":
 * the path (unquoted) and the options; NULL with an error */
static char *roster_args(struct parse *p, char *rest, struct roster_opts *o)
{
    char  **v, *path = 0;
    size_t  n, i;
    int     took = 0;

    memset(o, 0, sizeof(*o));
    o->column = 1;
    if ((v = split_words(p->r, rest, " \t", &n)) == 0)
	return 0;
    if (n == 0)
	perr(p, "\"members-file\" needs a file name");
    for (i = 1; i < n && took >= 0; i += took)
	took = roster_option(p, v + i, n - i, o);
    if (n > 0 && took >= 0)
	path = unquote(p->r, v[0]);
    free(v);
    return path;
}

/* kw_members_file - members-file PATH [options], relative to the rules
 * file */
static void kw_members_file(struct parse *p, char *rest)
{
    struct roster ro;
    struct roster_opts opts;
    const struct rule_src *src;
    char   *w, *name;
    long    line;

    if (!need_dept(p, "members-file") || (w = roster_args(p, rest, &opts)) == 0)
	return;
    if (roster_open(&ro, p->dir, w, &opts, &p->r->errs, p->src->shown, p->line) < 0)
	return;
    if ((src = rules_source(p->r, ro.full, w)) != 0)
	while (!p->r->errs.nomem && (name = roster_next(&ro, &line)) != 0)
	    add_member(p, src, line, name, 1);
    roster_close(&ro);
}

/* cut_arrow - end LEFT before the arrow, return what follows it */
static char *cut_arrow(char *rest, char *arrow)
{
    char   *e;

    for (e = arrow; e > rest && (e[-1] == ' ' || e[-1] == '\t'); e--)
	/* void */ ;
    *e = 0;
    return arrow + 2;
}

/* split_arrow - "NAME -> TARGETS": NUL-terminate NAME, return TARGETS */
static char *split_arrow(struct parse *p, const char *kw, char *rest)
{
    char   *arrow = strstr(rest, "->");

    if (arrow == 0) {
	perr(p, "\"%s\" needs \"->\" and a target", kw);
	return 0;
    }
    if (strstr(arrow + 2, "->")) {
	perr(p, "%s %.*s: more than one \"->\"", kw, (int) strcspn(rest, " \t-"), rest);
	return 0;
    }
    return cut_arrow(rest, arrow);
}

/* split_match_arrow - "/RE/flags -> TARGETS": the arrow after the pattern */
static char *split_match_arrow(struct parse *p, char *rest)
{
    char   *arrow, *q;

    for (arrow = strstr(rest, "->"); arrow; arrow = strstr(arrow + 2, "->")) {
	for (q = arrow; q > rest && (q[-1] == ' ' || q[-1] == '\t'); q--)
	    /* void */ ;
	while (q > rest
	       && ((q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z')))
	    q--;
	if (q > rest + 1 && q[-1] == '/')
	    return cut_arrow(rest, arrow);
    }
    if ((arrow = strstr(rest, "->")) != 0)	/* parse_pattern says what is wrong */
	return cut_arrow(rest, arrow);
    perr(p, "\"match\" needs \"->\" and a target");
    return 0;
}

/* kw_alias - alias NAME -> TARGET, ... */
static void kw_alias(struct parse *p, char *rest)
{
    char   *right, **v = 0, *name, why[512], *key = 0;
    struct rule_target *targets = 0;
    struct rule_entry *e;
    size_t  n;

    if (!need_dept(p, "alias") || (right = split_arrow(p, "alias", rest)) == 0)
	return;
    if ((name = one_word(p, "alias", rest)) == 0)
	return;
    if (has_at(name)) {
	perr(p, "alias name \"%s\" must be a local part, without @", name);
	return;
    }
    if ((v = split_list(p->r, right, &n)) == 0)
	return;
    if (n == 0) {
	perr(p, "alias %s has no target", name);
	goto out;
    }
    key = unquote(p->r, name);
    targets = parse_targets(p, v, n);
    if (key && addr_check_local(name, strlen(name), why, sizeof(why)) < 0)
	perr(p, "invalid alias name \"%s\": %s", name, why);
    else if (key && targets && (e = add_entry(p->r, p->dept)) != 0) {
	e->key = key, key = 0;
	e->targets = targets, targets = 0;
	e->ntargets = n;
	e->src = p->src;
	e->line = p->line;
	e->alias = 1;
    }
out:
    free(v);
}

/* dollar_max - the highest $N a target uses */
static int dollar_max(char **t, size_t n)
{
    int     max = 0;
    size_t  i;
    const char *s;

    for (i = 0; i < n; i++)
	for (s = t[i]; (s = strchr(s, '$')) != 0; s++)
	    if (s[1] >= '0' && s[1] <= '9' && s[1] - '0' > max)
		max = s[1] - '0';
    return max;
}

/* compile_check - compile a pattern once to validate it */
static int compile_check(struct parse *p, struct rule_match *m)
{
    int     errcode, ret = 0;
    size_t  off;
    uint32_t caps = 0;
    pcre2_code *re;
    PCRE2_UCHAR msg[256];

    re = regex_compile(m->pattern, strlen(m->pattern), m->caseless, &errcode, &off);
    if (re == 0) {
	pcre2_get_error_message(errcode, msg, sizeof(msg));
	perr(p, "bad regular expression /%s/: %s at offset %lu", m->pattern,
	     (char *) msg, (unsigned long) off);
	return -1;
    }
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &caps);
    if (dollar_max(m->targets, m->ntargets) > (int) caps) {
	perr(p, "target uses $%d but /%s/ has %u capture group%s",
	     dollar_max(m->targets, m->ntargets), m->pattern, caps,
	     caps == 1 ? "" : "s");
	ret = -1;
    }
    pcre2_code_free(re);
    return ret;
}

/* parse_pattern - "/RE/flags" into m; 0 or -1 with an error */
static int parse_pattern(struct parse *p, char *left, struct rule_match *m)
{
    char   *end, *f;

    if (*left != '/' || (end = strrchr(left, '/')) == left) {
	perr(p, "match pattern must be written /REGEX/");
	return -1;
    }
    for (f = end + 1; *f; f++) {
	if (*f != 'i') {
	    perr(p, "unknown match flag '%c' (only i is known)", *f);
	    return -1;
	}
	m->caseless = 1;
    }
    *end = 0;
    if (strchr(left, '\t')) {
	perr(p, "tab character in match pattern (write \\t)");
	return -1;
    }
    if (end == left + 1) {
	perr(p, "empty match pattern");
	return -1;
    }
    return (m->pattern = rules_keep(p->r, left + 1)) == 0 ? -1 : 0;
}

/* template_domain - a match target's domain with each "$" read as "x",
 * checked (domain_check); 0, or -1 with why */
static int template_domain(const char *d, char *why, size_t whylen)
{
    char    tmp[ADDR_DOMAIN_MAX + 1], reason[400];
    size_t  i, n = strlen(d);

    if (n >= sizeof(tmp))
	n = sizeof(tmp) - 1;			/* too long anyway */
    for (i = 0; i < n; i++)
	tmp[i] = d[i] == '$' ? 'x' : d[i];
    if (domain_check(tmp, n, reason, sizeof(reason)) == 0)
	return 0;
    if (n == 0)
	snprintf(why, whylen, "%s", reason);
    else
	snprintf(why, whylen, "domain \"%s\": %s%s", d, reason,
		 strchr(d, '$') ? " (with $N read as xN)" : "");
    return -1;
}

/* check_template - a match rule's target as written: an address or a
 * local part whose $N are captures ("$" and digits are atext, so the
 * local part is checked as it stands); 0, or -1 with an error */
static int check_template(struct parse *p, const char *w)
{
    const char *at;
    char    why[512];
    int     bad;

    if (quoted_scan(w, strlen(w), &at)) {
	perr(p, "invalid target \"%s\": unterminated quote", w);
	return -1;
    }
    bad = addr_check_local(w, at ? (size_t) (at - w) : strlen(w), why, sizeof(why)) < 0
	|| (at && template_domain(at + 1, why, sizeof(why)) < 0);
    if (bad)
	perr(p, "invalid target \"%s\": %s", w, why);
    return bad ? -1 : 0;
}

/* copy_templates - a match rule's targets as written ($N expanded at
 * lookup), each checked as a target; all or NULL */
static char **copy_templates(struct parse *p, char **v, size_t n)
{
    char  **out = room(p->r, (n + 1) * sizeof(*out));
    size_t  i;
    int     ok = 1;

    for (i = 0; out && i < n; i++)
	if (check_template(p, v[i]) < 0 || (out[i] = rules_keep(p->r, v[i])) == 0)
	    ok = 0;
    return ok ? out : 0;
}

/* kw_match - match /RE/flags -> TARGET, ... */
static void kw_match(struct parse *p, char *rest)
{
    char   *right, **v;
    size_t  n;
    struct rule_match m;
    struct rule_dept *d = p->dept;

    if (!need_dept(p, "match") || (right = split_match_arrow(p, rest)) == 0)
	return;
    if (d->nmatches >= RECORD_MATCHES_MAX) {
	perr(p, "more than %d match rules in %s", RECORD_MATCHES_MAX, d->domain);
	return;
    }
    memset(&m, 0, sizeof(m));
    m.src = p->src;
    m.line = p->line;
    if (parse_pattern(p, rest, &m) < 0)
	return;
    if ((v = split_list(p->r, right, &n)) == 0)
	return;
    if (n == 0)
	perr(p, "match has no target");
    else if ((m.targets = copy_templates(p, v, n)) != 0)
	m.ntargets = n;
    free(v);
    if (m.ntargets == 0 || compile_check(p, &m) < 0)
	return;					/* what m holds is in the arena */
    if (grow((void **) &d->matches, &d->matches_cap, d->nmatches + 1, sizeof(m)) < 0)
	errs_nomem(&p->r->errs);
    else
	d->matches[d->nmatches++] = m;
}

/* word_of - whether s up to a blank is made of chars, with one "." at least if dots */
static size_t word_of(const char *s, const char *chars)
{
    size_t  n = strspn(s, chars);

    return (n > 0 && (s[n] == 0 || s[n] == ' ' || s[n] == '\t')) ? n : 0;
}

/* take_word - cut the first n bytes of *rest off as a word */
static char *take_word(char **rest, size_t n)
{
    char   *w = *rest;

    *rest += n;
    if (**rest)
	*(*rest)++ = 0;
    while (**rest == ' ' || **rest == '\t')
	(*rest)++;
    return w;
}

/* reply_text - "quoted" or bare text; NULL with an error when malformed */
static char *reply_text(struct parse *p, char *rest, const char *dtext)
{
    struct quoted q;
    const char *b = rest;
    enum quoted_kind k;
    char   *after;

    if (*rest != '"')
	return rules_keep(p->r, *rest ? rest : dtext);
    quoted_start(&q, rest + 1, strlen(rest + 1));
    while ((k = quoted_next(&q, &b)) != QUOTED_END && k != QUOTED_MARK)
	/* void */ ;
    if (k != QUOTED_MARK) {
	perr(p, "unterminated quoted reply text");
	return 0;
    }
    after = (char *) b + 1;
    if (after[strspn(after, " \t")] != 0) {
	perr(p, "text after the closing quote of the reply: \"%s\"",
	     after + strspn(after, " \t"));
	return 0;
    }
    *(char *) b = 0;
    return unquote(p->r, rest + 1);
}

/* parse_reply - [CODE [DSN]] [TEXT | "TEXT"] for reject and tempfail */
static void parse_reply(struct parse *p, char *rest, char klass,
			const char *dcode, const char *ddsn, const char *dtext)
{
    struct rule_dept *d = p->dept;
    const char *code = dcode, *dsn = ddsn;
    char    why[160];
    size_t  n;

    if ((n = word_of(rest, "0123456789")) > 0) {
	code = take_word(&rest, n);
	if ((n = word_of(rest, "0123456789.")) > 0 && memchr(rest, '.', n))
	    dsn = take_word(&rest, n);
    } else if ((n = word_of(rest, "0123456789.")) > 0 && memchr(rest, '.', n)) {
	perr(p, "enhanced status code \"%.*s\" without a reply code before it", (int) n,
	     rest);
	return;
    }
    if (reply_check(klass, code, dsn, "", why, sizeof(why)) < 0) {
	perr(p, "%s", why);
	return;
    }
    snprintf(d->code, sizeof(d->code), "%s", code);
    snprintf(d->dsn, sizeof(d->dsn), "%s", dsn);
    if ((d->text = reply_text(p, rest, dtext)) != 0
	&& reply_check(klass, d->code, d->dsn, d->text, why, sizeof(why)) < 0)
	perr(p, "%s", why);
}

/* kw_unknown - unknown reject|pass|redirect|tempfail ... */
static void kw_unknown(struct parse *p, char *rest)
{
    struct rule_dept *d = p->dept;
    char   *policy = rest, *w;

    if (!need_dept(p, "unknown"))
	return;
    if (d->unknown_line) {
	perr(p, "\"unknown\" given twice for %s (first at line %ld)", d->domain,
	     d->unknown_line);
	return;
    }
    d->unknown_line = p->line;
    rest += strcspn(rest, " \t");
    if (*rest)
	*rest++ = 0;
    while (*rest == ' ' || *rest == '\t')
	rest++;
    if (strcmp(policy, "reject") == 0) {
	d->unknown = UNKNOWN_REJECT;
	parse_reply(p, rest, '5', "550", "5.1.1", "No such user here");
    } else if (strcmp(policy, "tempfail") == 0) {
	d->unknown = UNKNOWN_TEMPFAIL;
	parse_reply(p, rest, '4', "450", "4.1.1",
		    "Recipient not yet known, try again later");
    } else if (strcmp(policy, "pass") == 0) {
	d->unknown = UNKNOWN_PASS;
	if (*rest)
	    perr(p, "\"unknown pass\" takes no argument");
    } else if (strcmp(policy, "redirect") == 0) {
	d->unknown = UNKNOWN_REDIRECT;
	if ((w = one_word(p, "unknown redirect", rest)) != 0
	    && word_target(p->r, p->src, p->line, "target", w, &d->redirect) < 0)
	    d->redirect.local = 0;		/* none */
    } else
	perr(p, "unknown policy \"%s\": reject, pass, redirect or tempfail", policy);
}

/* kw_postmaster - postmaster off: no postmaster given by default */
static void kw_postmaster(struct parse *p, char *rest)
{
    if (!need_dept(p, "postmaster"))
	return;
    if (strcmp(rest, "off") != 0)
	perr(p, "\"postmaster\" takes one argument: off");
    else if (p->dept->postmaster_off)
	perr(p, "\"postmaster off\" given twice for %s (first at line %ld)",
	     p->dept->domain, p->dept->postmaster_off);
    else
	p->dept->postmaster_off = p->line;
}

/* kw_mailboxes - mailboxes SOURCE [warn], before the first department */
static void kw_mailboxes(struct parse *p, char *rest)
{
    struct mailboxes *m = &p->r->mbox;
    char  **v;
    size_t  n;
    int     warn;

    if ((v = split_list(p->r, rest, &n)) == 0)
	return;
    warn = n == 2 && strcmp(v[1], "warn") == 0;
    if (n != 1 && !warn)
	perr(p, "\"mailboxes\" takes a list and, optionally, \"warn\"");
    else if (p->dept || p->bad_dept)
	perr(p, "\"mailboxes\" belongs before the first department");
    else if (m->declared && warn != m->warn)
	perr(p, "\"mailboxes\" with and without \"warn\" (first at %s:%ld)",
	     p->src->shown, m->line);
    else {
	if (!m->declared) {
	    m->declared = 1, m->warn = warn, m->line = p->line;
	    m->file = rules_keep(p->r, p->src->recorded);
	}
	(void) mailboxes_load(m, p->dir, v[0], &p->r->errs, p->src->shown, p->line);
    }
    free(v);
}

/* kw_shrink_limit - shrink-limit PERCENT% | none */
static void kw_shrink_limit(struct parse *p, char *rest)
{
    long   *line = p->dept ? &p->dept->shrink_line : &p->r->shrink_line;
    int    *limit = p->dept ? &p->dept->shrink_limit : &p->r->shrink_limit;
    char   *w, *end;
    long    n;

    if ((w = one_word(p, "shrink-limit", rest)) == 0)
	return;
    if (*line) {
	perr(p, "shrink-limit set twice (first at line %ld)", *line);
	return;
    }
    if (strcmp(w, "none") == 0)
	n = SHRINK_NONE;
    else if (*w < '0' || *w > '9' || (n = strtol(w, &end, 10)) > 100
	     || strcmp(end, "%") != 0) {
	perr(p, "invalid shrink-limit \"%s\": a percentage from 0%% to 100%%,"
	     " such as 10%%, or none", w);
	return;
    }
    *line = p->line;
    *limit = (int) n;
}

/* The keywords, and where they may stand. */
static const struct keyword {
    const char *name;
    void    (*fn)(struct parse *, char *);
} keywords[] = {
    {"canonical", kw_canonical},
    {"delimiter", kw_delimiter},
    {"case-sensitive", kw_case_sensitive},
    {"department", kw_department},
    {"members", kw_members},
    {"members-file", kw_members_file},
    {"alias", kw_alias},
    {"match", kw_match},
    {"unknown", kw_unknown},
    {"postmaster", kw_postmaster},
    {"mailboxes", kw_mailboxes},
    {"shrink-limit", kw_shrink_limit},
};

/* strip_comment - cut the line at a bare "#" that starts a word, and
 * the blanks before it */
static void strip_comment(char *s)
{
    struct quoted q;
    const char *b;
    enum quoted_kind k;
    char   *end = s + strlen(s);

    quoted_start(&q, s, end - s);
    while ((k = quoted_next(&q, &b)) != QUOTED_END) {
	if (k == QUOTED_BARE && *b == '#' && (b == s || b[-1] == ' ' || b[-1] == '\t')) {
	    end = (char *) b;
	    break;
	}
    }
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
	end--;
    *end = 0;
}

/* parse_line - one line of a rules file */
static void parse_line(struct parse *p, char *s)
{
    char   *kw, *rest;
    size_t  i;

    strip_comment(s);
    while (*s == ' ' || *s == '\t')
	s++;
    if (*s == 0)
	return;
    kw = s;
    rest = s + strcspn(s, " \t");
    if (*rest)
	*rest++ = 0;
    while (*rest == ' ' || *rest == '\t')
	rest++;
    for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
	if (strcmp(kw, keywords[i].name) == 0) {
	    keywords[i].fn(p, rest);
	    return;
	}
    }
    if (directory_keyword(kw))			/* -1: no department yet */
	directory_parse(p->r, p->src, p->line, p->dept ? p->dept - p->r->depts :
			p->bad_dept || p->r->ndepts ? -2 : -1, kw, rest);
    else
	perr(p, "unknown keyword \"%s\"", kw);
}

/* read_rules - every line of one open rules file */
static void read_rules(struct parse *p, FILE *fp)
{
    struct lines l;
    char   *s;
    size_t  n;

    lines_start(&l, fp, p->src->shown, &p->r->errs);
    while (!p->r->errs.nomem && (s = lines_next(&l, &n)) != 0) {
	p->line = l.line;
	parse_line(p, s);
    }
    if (lines_error(&l))
	errs_add(&p->r->errs, p->src->shown, 0, "read error: %s", strerror(errno));
    lines_end(&l);
}

/* rules_dir_of - the directory part of a path, "." when there is none */
char   *rules_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == 0)
	return strdup(".");
    if (slash == path)
	return strdup("/");
    return strndup(path, slash - path);
}

/* rules_read - read and check rules from an open file named path */
int rules_read(FILE *fp, const char *path, struct rules *r)
{
    struct parse p;
    const char *base = strrchr(path, '/');

    memset(r, 0, sizeof(*r));
    errs_init(&r->errs);
    memset(&p, 0, sizeof(p));
    p.r = r;
    if ((p.src = rules_source(r, path, base ? base + 1 : path)) == 0
	|| (p.dir = rules_dir_of(path)) == 0) {
	errs_nomem(&r->errs);
	return -1;
    }
    read_rules(&p, fp);
    free(p.dir);
    if (r->errs.count == 0 && !r->errs.nomem)
	directory_read(r);
    if (!r->errs.nomem)
	rules_finish(r);
    return r->errs.count || r->errs.nomem ? -1 : 0;
}

/* rules_load - read and check a rules file */
int rules_load(const char *path, struct rules *r)
{
    FILE   *fp;
    int     ret;

    if ((fp = fopen(path, "r")) == 0) {
	memset(r, 0, sizeof(*r));
	errs_init(&r->errs);
	errs_add(&r->errs, path, 0, "cannot open: %s", strerror(errno));
	return -1;
    }
    ret = rules_read(fp, path, r);
    fclose(fp);
    return ret;
}

/* rules_add_entry - add_entry(), for the members a directory gives */
struct rule_entry *rules_add_entry(struct rules *r, struct rule_dept *d)
{
    return add_entry(r, d);
}
