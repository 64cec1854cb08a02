/*
 * rules - the administrator's departments.rules, parsed (see rules.h)
 *
 * One line, one keyword.  Before the first "department" line, canonical,
 * delimiter and case-sensitive set the defaults; after it every keyword
 * belongs to the department above.  A "#" at the start of a word begins a
 * comment.  The checks that need the whole file run in rules_finish().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "maps/rules.h"
#include "maps/roster.h"
#include "maps/reply.h"
#include "rewrite/address.h"
#include "rewrite/buf.h"
#include "rewrite/domain.h"
#include "rewrite/text.h"

#define LINE_MAX_LEN	65536

/* The state of one rules file while it is read. */
struct parse {
    struct rules *r;
    const struct rule_src *src;
    long    line;
    struct rule_dept *dept;		/* current department, or NULL */
    int     bad_dept;			/* inside a department line in error */
    char   *dir;			/* the rules file's directory */
};

/* xstrdup - strdup that the callers check */
static char *xstrdup(const char *s)
{
    return s ? strdup(s) : 0;
}

/* perr - a parse error at the current line */
#define perr(p, ...) errs_add(&(p)->r->errs, (p)->src->shown, (p)->line, __VA_ARGS__)

/* rules_source - remember where rules come from; NULL if out of memory */
const struct rule_src *rules_source(struct rules *r, const char *shown,
				            const char *recorded)
{
    struct rule_src *s;

    if (grow((void **) &r->srcs, &r->srcs_cap, r->nsrcs + 1, sizeof(*r->srcs)) < 0
	|| (s = calloc(1, sizeof(*s))) == 0)
	return 0;
    s->shown = xstrdup(shown);
    s->recorded = xstrdup(recorded);
    r->srcs[r->nsrcs++] = s;
    if (s->shown == 0 || s->recorded == 0)
	return 0;
    return s;
}

/* rules_unquote - a word without its double quotes and backslashes */
char   *rules_unquote(const char *token)
{
    char   *out = malloc(strlen(token) + 1), *o = out;

    if (out == 0)
	return 0;
    for (; *token; token++) {
	if (*token == '"')
	    continue;
	if (*token == '\\' && token[1])
	    token++;
	*o++ = *token;
    }
    *o = 0;
    return out;
}

/* rules_name_ok - whether a local part may be a member or alias name */
int     rules_name_ok(const char *name, char *why, size_t whylen)
{
    const unsigned char *p;

    if (*name == 0) {
	snprintf(why, whylen, "empty name");
	return 0;
    }
    if (strlen(name) > ADDR_LOCAL_MAX) {
	snprintf(why, whylen, "name longer than %d bytes", ADDR_LOCAL_MAX);
	return 0;
    }
    if (!text_utf8_valid(name, strlen(name))) {
	snprintf(why, whylen, "name is not valid UTF-8");
	return 0;
    }
    for (p = (const unsigned char *) name; *p; p++) {
	if (*p < 0x20 || *p == 0x7f) {
	    snprintf(why, whylen, "name contains a control character");
	    return 0;
	}
    }
    return 1;
}

/* rules_add_entry - a new, zeroed entry in a department */
struct rule_entry *rules_add_entry(struct rules *r, struct rule_dept *d)
{
    struct rule_entry *e;

    (void) r;
    if (grow((void **) &d->entries, &d->entries_cap, d->nentries + 1,
	     sizeof(*d->entries)) < 0)
	return 0;
    e = d->entries + d->nentries;
    memset(e, 0, sizeof(*e));
    e->seq = d->nentries++;
    return e;
}

/* split_list - words separated by blanks and commas outside quotes */
static char **split_list(char *s, size_t *np)
{
    char  **v = 0;
    size_t  n = 0, cap = 0;
    int     quoted;

    for (;;) {
	while (*s == ' ' || *s == '\t' || *s == ',')
	    s++;
	if (*s == 0)
	    break;
	if (grow((void **) &v, &cap, n + 2, sizeof(*v)) < 0) {
	    free(v);
	    return 0;
	}
	v[n++] = s;
	for (quoted = 0; *s; s++) {
	    if (*s == '\\' && s[1])
		s++;
	    else if (*s == '"')
		quoted = !quoted;
	    else if (!quoted && (*s == ' ' || *s == '\t' || *s == ','))
		break;
	}
	if (*s)
	    *s++ = 0;
    }
    if (v == 0)
	v = calloc(1, sizeof(*v));
    *np = n;
    return v;
}

/* scan_word - whether a word has an "@" outside quotes (*at) and whether
 * it ends inside a quoted string (the result) */
static int scan_word(const char *s, int *at)
{
    int     quoted = 0;

    *at = 0;
    for (; *s; s++) {
	if (*s == '\\' && s[1])
	    s++;
	else if (*s == '"')
	    quoted = !quoted;
	else if (*s == '@' && !quoted)
	    *at = 1;
    }
    return quoted;
}

/* has_at - whether a word has an "@" outside quotes */
static int has_at(const char *s)
{
    int     at;

    (void) scan_word(s, &at);
    return at;
}

/* quote_open - whether a word ends inside a quoted string */
static int quote_open(const char *s)
{
    int     at;

    return scan_word(s, &at);
}

/* check_target - whether a target is a valid name or address */
static int check_target(struct parse *p, const char *t)
{
    struct addr a;
    char    why[128], *u;
    int     ok;

    if (quote_open(t)) {
	perr(p, "invalid target \"%s\": unterminated quote", t);
	return 0;
    }
    if (has_at(t)) {
	if (addr_parse(t, &a) != ADDR_OK || a.null_sender) {
	    perr(p, "invalid address \"%s\"", t);
	    return 0;
	}
	return 1;
    }
    if ((u = rules_unquote(t)) == 0)
	return 0;
    if (!(ok = rules_name_ok(u, why, sizeof(why))))
	perr(p, "invalid target \"%s\": %s", t, why);
    free(u);
    return ok;
}

/* copy_targets - duplicate checked targets into an owned array */
static char **copy_targets(struct parse *p, char **v, size_t n)
{
    char  **out = calloc(n + 1, sizeof(*out));
    size_t  i;
    int     ok = 1;

    if (out == 0)
	return 0;
    for (i = 0; i < n; i++) {
	if (!check_target(p, v[i]))
	    ok = 0;
	out[i] = xstrdup(v[i]);
    }
    if (!ok) {
	for (i = 0; i < n; i++)
	    free(out[i]);
	free(out);
	return 0;
    }
    return out;
}

/* need_dept - whether a department keyword has a department */
static int need_dept(struct parse *p, const char *kw)
{
    if (p->dept)
	return 1;
    if (p->bad_dept)			/* reported at the department line */
	return 0;
    perr(p, "\"%s\" outside a department (add \"department DOMAIN\" above)", kw);
    return 0;
}

/* one_word - the single argument of a keyword, or NULL with an error */
static char *one_word(struct parse *p, const char *kw, char *rest)
{
    char  **v, *w = 0;
    size_t  n;

    if ((v = split_list(rest, &n)) == 0)
	return 0;
    if (n != 1)
	perr(p, "\"%s\" takes exactly one argument", kw);
    else
	w = v[0];
    free(v);
    return w;
}

/* set_once - a setting of the defaults or of a department, given once */
static void set_once(struct parse *p, char **slot, const char *value,
		             const char *what)
{
    if (*slot) {
	perr(p, "%s set twice", what);
	return;
    }
    *slot = xstrdup(value);
}

/* kw_canonical - canonical DOMAIN */
static void kw_canonical(struct parse *p, char *rest)
{
    char   *w, dom[ADDR_DOMAIN_MAX + 1];

    if ((w = one_word(p, "canonical", rest)) == 0)
	return;
    if (domain_normalise(w, dom, sizeof(dom)) < 0) {
	perr(p, "invalid domain \"%s\"", w);
	return;
    }
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
    set_once(p, p->dept ? &p->dept->delimiters : &p->r->delimiters, w,
	     "delimiter");
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
    if ((w = one_word(p, "department", rest)) == 0)
	return;
    if (domain_normalise(w, dom, sizeof(dom)) < 0) {
	perr(p, "invalid domain \"%s\"", w);
	p->dept = 0;
	return;
    }
    for (i = 0; i < p->r->ndepts; i++) {
	if (strcmp(p->r->depts[i].domain, dom) == 0) {
	    perr(p, "department %s defined twice (first at %s:%ld)", dom,
		 p->r->depts[i].src->shown, p->r->depts[i].line);
	    p->dept = 0;
	    return;
	}
    }
    if (grow((void **) &p->r->depts, &p->r->depts_cap, p->r->ndepts + 1,
	     sizeof(*d)) < 0)
	return;
    d = p->dept = p->r->depts + p->r->ndepts++;
    p->bad_dept = 0;
    memset(d, 0, sizeof(*d));
    d->domain = xstrdup(dom);
    d->case_exact = -1;
    d->src = p->src;
    d->line = p->line;
}

/* member_key - the key of a member word: its local part, unquoted */
static char *member_key(struct rules *r, const struct rule_src *src, long line,
			        const char *w)
{
    struct addr a;
    char    why[128], *key;

    if (quote_open(w)) {
	errs_add(&r->errs, src->shown, line, "invalid member \"%s\": unterminated quote", w);
	return 0;
    }
    if (has_at(w)) {
	if (addr_parse(w, &a) != ADDR_OK || a.null_sender) {
	    errs_add(&r->errs, src->shown, line, "invalid address \"%s\"", w);
	    return 0;
	}
	return strdup(a.local);
    }
    if ((key = rules_unquote(w)) != 0 && !rules_name_ok(key, why, sizeof(why))) {
	errs_add(&r->errs, src->shown, line, "invalid member \"%s\": %s", w, why);
	free(key);
	return 0;
    }
    return key;
}

/* rules_add_member - one member: a name, or a canonical address */
int     rules_add_member(struct rules *r, struct rule_dept *d,
		       const struct rule_src *src, long line, const char *w)
{
    struct rule_entry *e;
    char   *key, **targets;

    if ((key = member_key(r, src, line, w)) == 0)
	return -1;
    if ((targets = calloc(2, sizeof(char *))) == 0
	|| (targets[0] = strdup(w)) == 0 || (e = rules_add_entry(r, d)) == 0) {
	free(targets ? targets[0] : 0);
	free(targets);
	free(key);
	errs_add(&r->errs, src->shown, line, "out of memory");
	return -1;
    }
    e->key = key;
    e->targets = targets;
    e->ntargets = 1;
    e->src = src;
    e->line = line;
    return 0;
}

/* kw_members - members NAME... | members * */
static void kw_members(struct parse *p, char *rest)
{
    char  **v;
    size_t  n, i;

    if (!need_dept(p, "members") || (v = split_list(rest, &n)) == 0)
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
		rules_add_member(p->r, p->dept, p->src, p->line, v[i]);
	}
    }
    free(v);
}

/* kw_members_file - members-file PATH, relative to the rules file */
static void kw_members_file(struct parse *p, char *rest)
{
    char   *w;

    if (!need_dept(p, "members-file") || (w = one_word(p, "members-file", rest)) == 0)
	return;
    roster_load(p->r, p->dept, p->dir, w, p->src, p->line);
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
	while (q > rest && ((q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z')))
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
    char   *right, **v = 0, *name, why[128], *key, **targets;
    size_t  n, i;
    struct rule_entry *e;

    if (!need_dept(p, "alias") || (right = split_arrow(p, "alias", rest)) == 0)
	return;
    if ((name = one_word(p, "alias", rest)) == 0)
	return;
    if (has_at(name)) {
	perr(p, "alias name \"%s\" must be a local part, without @", name);
	return;
    }
    if ((v = split_list(right, &n)) == 0)
	return;
    if (n == 0) {
	perr(p, "alias %s has no target", name);
	goto out;
    }
    key = rules_unquote(name);
    targets = copy_targets(p, v, n);
    if (key && !rules_name_ok(key, why, sizeof(why)))
	perr(p, "invalid alias name \"%s\": %s", name, why);
    else if (key && targets && (e = rules_add_entry(p->r, p->dept)) != 0) {
	e->key = key, key = 0;
	e->targets = targets, targets = 0;
	e->ntargets = n;
	e->src = p->src;
	e->line = p->line;
	e->alias = 1;
    }
    free(key);
    if (targets)
	for (i = 0; i < n; i++)
	    free(targets[i]);
    free(targets);
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
    PCRE2_SIZE off;
    uint32_t caps = 0;
    pcre2_code *re;
    PCRE2_UCHAR msg[256];

    re = pcre2_compile((PCRE2_SPTR) m->pattern, PCRE2_ZERO_TERMINATED,
		       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C
		       | (m->caseless ? PCRE2_CASELESS : 0), &errcode, &off, 0);
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
    m->pattern = xstrdup(left + 1);
    return 0;
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
    memset(&m, 0, sizeof(m));
    m.src = p->src;
    m.line = p->line;
    if (parse_pattern(p, rest, &m) < 0)
	return;
    if ((v = split_list(right, &n)) == 0)
	goto fail;
    if (n == 0)
	perr(p, "match has no target");
    else if ((m.targets = copy_targets(p, v, n)) != 0)
	m.ntargets = n;
    free(v);
    if (m.ntargets == 0 || compile_check(p, &m) < 0
	|| grow((void **) &d->matches, &d->matches_cap, d->nmatches + 1,
		sizeof(m)) < 0)
	goto fail;
    d->matches[d->nmatches++] = m;
    return;
fail:
    free(m.pattern);
    for (n = 0; n < m.ntargets; n++)
	free(m.targets[n]);
    free(m.targets);
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
    char   *c;

    if (*rest != '"')
	return xstrdup(*rest ? rest : dtext);
    for (c = rest + 1; *c && *c != '"'; c++)
	if (*c == '\\' && c[1])
	    c++;
    if (*c != '"') {
	perr(p, "unterminated quoted reply text");
	return 0;
    }
    *c++ = 0;
    if (c[strspn(c, " \t")] != 0) {
	perr(p, "text after the closing quote of the reply: \"%s\"", c + strspn(c, " \t"));
	return 0;
    }
    return rules_unquote(rest + 1);
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
	perr(p, "enhanced status code \"%.*s\" without a reply code before it", (int) n, rest);
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
	parse_reply(p, rest, '4', "450", "4.1.1", "Recipient not yet known, try again later");
    } else if (strcmp(policy, "pass") == 0) {
	d->unknown = UNKNOWN_PASS;
	if (*rest)
	    perr(p, "\"unknown pass\" takes no argument");
    } else if (strcmp(policy, "redirect") == 0) {
	d->unknown = UNKNOWN_REDIRECT;
	if ((w = one_word(p, "unknown redirect", rest)) != 0 && check_target(p, w))
	    d->redirect = xstrdup(w);
    } else
	perr(p, "unknown policy \"%s\": reject, pass, redirect or tempfail", policy);
}

/* The keywords, and where they may stand. */
static const struct keyword {
    const char *name;
    void    (*fn) (struct parse *, char *);
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
};

/* strip_comment - cut the line at a "#" that starts a word */
static void strip_comment(char *s)
{
    char   *c;
    int     quoted = 0;

    for (c = s; *c; c++) {
	if (*c == '\\' && c[1])
	    c++;
	else if (*c == '"')
	    quoted = !quoted;
	else if (*c == '#' && !quoted && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
	    *c = 0;
	    break;
	}
    }
    while (c > s && (c[-1] == ' ' || c[-1] == '\t' || c[-1] == '\r'))
	*--c = 0;
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
    perr(p, "unknown keyword \"%s\"", kw);
}

/* line_ok - reject NUL bytes, invalid UTF-8 and overlong lines */
static int line_ok(struct parse *p, char *s, ssize_t n)
{
    if ((size_t) n != strlen(s)) {
	perr(p, "NUL byte in line");
	return 0;
    }
    if (n > LINE_MAX_LEN) {
	perr(p, "line longer than %d bytes", LINE_MAX_LEN);
	return 0;
    }
    if (!text_utf8_valid(s, n)) {
	perr(p, "line is not valid UTF-8");
	return 0;
    }
    return 1;
}

/* read_rules - every line of one open rules file */
static void read_rules(struct parse *p, FILE *fp)
{
    char   *buf = 0;
    size_t  cap = 0;
    ssize_t n;

    while ((n = getline(&buf, &cap, fp)) >= 0) {
	p->line++;
	if (n > 0 && buf[n - 1] == '\n')
	    buf[--n] = 0;
	if (p->line == 1 && strncmp(buf, "\xef\xbb\xbf", 3) == 0)
	    memmove(buf, buf + 3, (n -= 3) + 1);
	if (line_ok(p, buf, n))
	    parse_line(p, buf);
    }
    if (ferror(fp))
	errs_add(&p->r->errs, p->src->shown, 0, "read error: %s", strerror(errno));
    free(buf);
}

/* rules_dir_of - the directory part of a path, "." when there is none */
char   *rules_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == 0)
	return xstrdup(".");
    if (slash == path)
	return xstrdup("/");
    return strndup(path, slash - path);
}

/* rules_read - read and check rules from an open file named path */
int     rules_read(FILE *fp, const char *path, struct rules *r)
{
    struct parse p;
    const char *base = strrchr(path, '/');

    memset(r, 0, sizeof(*r));
    errs_init(&r->errs);
    memset(&p, 0, sizeof(p));
    p.r = r;
    if ((p.src = rules_source(r, path, base ? base + 1 : path)) == 0
	|| (p.dir = rules_dir_of(path)) == 0) {
	errs_add(&r->errs, path, 0, "out of memory");
	return -1;
    }
    read_rules(&p, fp);
    free(p.dir);
    rules_finish(r);
    return r->errs.count ? -1 : 0;
}

/* rules_load - read and check a rules file */
int     rules_load(const char *path, struct rules *r)
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
