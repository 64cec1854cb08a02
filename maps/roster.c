/*
 * roster - a members-file (see roster.h)
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
#include "maps/roster.h"

/* A CSV record being cut into fields, in place. */
struct record_cut {
    char   *p;				/* the rest of the line */
    char    sep;			/* 0: "," or ";" */
    const char *why;			/* set when the record is malformed */
};

/* is_sep - whether c ends a field */
static int is_sep(const struct record_cut *c, char ch)
{
    return c->sep ? ch == c->sep : ch == ',' || ch == ';';
}

/* is_blank - whether c is a blank to trim (not the separator) */
static int is_blank(const struct record_cut *c, char ch)
{
    return (ch == ' ' || ch == '\t') && ch != c->sep;
}

/* quoted_field - a field in double quotes ("" for a quote), unquoted in
 * place; c->p is left after it */
static char *quoted_field(struct record_cut *c)
{
    char   *o, *i, *start = c->p + 1;

    for (o = i = start; *i; i++) {
	if (*i == '"' && i[1] == '"')
	    *o++ = *i++;
	else if (*i == '"')
	    break;
	else
	    *o++ = *i;
    }
    if (*i != '"') {
	c->why = "unterminated quote";
	return 0;
    }
    for (i++; is_blank(c, *i); i++)
	/* void */ ;
    if (*i && !is_sep(c, *i)) {
	c->why = "text after the closing quote of a field";
	return 0;
    }
    *o = 0;
    c->p = i;
    return start;
}

/* next_field - the next field, trimmed and unquoted, in place; NULL at
 * the end of the record or (c->why set) when it is malformed */
static char *next_field(struct record_cut *c)
{
    char   *f, *e, *end;
    int     more;

    if (c->p == 0)
	return 0;
    while (is_blank(c, *c->p))
	c->p++;
    if (*c->p == '"') {
	if ((f = quoted_field(c)) == 0)
	    return 0;
	e = end = c->p;				/* on the separator or the end */
    } else {
	for (f = e = c->p; *e && !is_sep(c, *e); e++)
	    /* void */ ;
	for (end = e; end > f && is_blank(c, end[-1]); end--)
	    /* void */ ;
    }
    more = *e != 0;
    *end = 0;
    c->p = more ? e + 1 : 0;
    return f;
}

/* field_n - the n-th field (from 1) of a record, in place; NULL with
 * *count, the fields it has, or with c->why */
static char *field_n(char *s, char sep, size_t n, size_t *count, const char **why)
{
    struct record_cut c;
    char   *f = 0;
    size_t  i;

    c.p = s, c.sep = sep, c.why = 0;
    for (i = 0; i < n && (f = next_field(&c)) != 0; i++)
	/* void */ ;
    *why = c.why;
    *count = i;
    return i == n ? f : 0;
}

/* roster_path - DIR/PATH unless PATH is absolute */
char   *roster_path(const char *dir, const char *path)
{
    char   *out;

    if (path[0] == '/' || strcmp(dir, ".") == 0)
	return strdup(path);
    if ((out = malloc(strlen(dir) + strlen(path) + 2)) != 0)
	sprintf(out, "%s/%s", dir, path);
    return out;
}

/* cannot_read - report the file at the rules line that names it */
static void cannot_read(struct roster *ro, const char *why)
{
    errs_add(ro->errs, ro->from, ro->from_line, "cannot read members-file %s: %s",
	     ro->full, why);
}

/* open_regular - a read stream on a regular file, or NULL (reported) */
static FILE *open_regular(struct roster *ro)
{
    struct stat st;
    FILE   *fp;
    int     fd;

    /* O_NONBLOCK: a FIFO must not hang the compiler before fstat says no */
    if ((fd = open(ro->full, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
	cannot_read(ro, strerror(errno));
	return 0;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
	cannot_read(ro, "not a regular file");
	close(fd);
	return 0;
    }
    if (fcntl(fd, F_SETFL, 0) < 0 || (fp = fdopen(fd, "r")) == 0) {
	cannot_read(ro, strerror(errno));
	close(fd);
	return 0;
    }
    return fp;
}

/* roster_open - open a members-file; -1 when it cannot be read */
int roster_open(struct roster *ro, const char *dir, const char *path,
		const struct roster_opts *opts, struct errs *errs,
		const char *from, long from_line)
{
    memset(ro, 0, sizeof(*ro));
    ro->opts = *opts;
    ro->first = 1;
    ro->errs = errs;
    ro->from = from;
    ro->from_line = from_line;
    if ((ro->full = roster_path(dir, path)) == 0) {
	errs_nomem(errs);
	return -1;
    }
    if ((ro->fp = open_regular(ro)) == 0) {
	roster_close(ro);
	return -1;
    }
    lines_start(&ro->lines, ro->fp, ro->full, errs);
    return 0;
}

/* header_word - whether a field is a column heading rather than a name:
 * a usual heading word (letters and digits compared, case ignored), or
 * text with a blank, which no mailbox name has */
static int header_word(const char *f)
{
    static const char *const words[] = {
	"email", "emails", "mail", "emailaddress", "mailaddress", "address",
	"addresses", "smtp", "smtpaddress", "primarysmtpaddress", "mailbox",
	"name", "names", "username", "user", "userid", "uid", "login", "account",
	"member", "members", "recipient", "localpart", "firstname", "lastname",
	"fullname", "displayname", "id",
    };
    char    w[32];
    size_t  n = 0, i;

    if (strchr(f, ' ') || strchr(f, '\t'))
	return 1;
    for (; *f && n < sizeof(w) - 1; f++)
	if ((*f >= 'a' && *f <= 'z') || (*f >= '0' && *f <= '9'))
	    w[n++] = *f;
	else if (*f >= 'A' && *f <= 'Z')
	    w[n++] = *f + 32;
	else if (*f != '-' && *f != '_' && *f != '.')
	    return 0;
    w[n] = 0;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
	if (strcmp(w, words[i]) == 0)
	    return 1;
    return 0;
}

/* find_column - the column of opts.column_name in the header record;
 * 0 (reported) when it has none of that name */
static size_t find_column(struct roster *ro, char *s)
{
    struct record_cut c;
    char    names[300] = "";
    const char *f;
    size_t  i, at = 0;

    c.p = s, c.sep = ro->opts.sep, c.why = 0;
    for (i = 1; (f = next_field(&c)) != 0; i++) {
	if (strcasecmp(f, ro->opts.column_name) == 0)
	    return i;
	if (at < sizeof(names))
	    at += snprintf(names + at, sizeof(names) - at, "%s\"%s\"", i > 1 ? ", " : "",
			   f);
    }
    if (c.why)
	errs_add(ro->errs, ro->full, ro->lines.line, "%s", c.why);
    else
	errs_add(ro->errs, ro->full, ro->lines.line, "no column \"%s\" in the header"
		 " (its columns: %s)", ro->opts.column_name, names);
    return 0;
}

/* take_header - the first record, when the rules declare a header: its
 * column of that name; -1 when it has none (reading stops) */
static int take_header(struct roster *ro, char *s)
{
    ro->first = 0;
    if (ro->opts.column_name == 0)
	return 0;
    return (ro->opts.column = find_column(ro, s)) == 0 ? -1 : 0;
}

/* member_field - the chosen field of a member line, or NULL (skipped:
 * empty, or an error reported at the line) */
static char *member_field(struct roster *ro, char *s)
{
    const char *why;
    size_t  count;
    char   *f = field_n(s, ro->opts.sep, ro->opts.column, &count, &why);
    long    line = ro->lines.line;

    if (f == 0 && why)
	errs_add(ro->errs, ro->full, line, "%s", why);
    else if (f == 0 && ro->opts.column_name)
	errs_add(ro->errs, ro->full, line, "no column \"%s\" (column %zu) on this line:"
		 " it has %zu", ro->opts.column_name, ro->opts.column, count);
    else if (f == 0)
	errs_add(ro->errs, ro->full, line, "no column %zu on this line: it has %zu",
		 ro->opts.column, count);
    else if (ro->first && (ro->first = 0, header_word(f)))
	errs_add(ro->errs, ro->full, line, "this line looks like a header (\"%s\"):"
		 " declare it with \"members-file FILE header\" in %s:%ld", f,
		 ro->from, ro->from_line);
    else if (*f)
	return f;
    return 0;
}

/* roster_next - the name on the next member line, or NULL at the end */
char   *roster_next(struct roster *ro, long *line)
{
    char   *s, *name;
    size_t  n;

    while ((s = lines_next(&ro->lines, &n)) != 0) {
	if (s[strspn(s, " \t")] == '#' || s[strspn(s, " \t")] == 0)
	    continue;
	if (ro->first && ro->opts.header) {
	    if (take_header(ro, s) < 0)
		return 0;
	    continue;
	}
	if ((name = member_field(ro, s)) == 0)
	    continue;
	*line = ro->lines.line;
	return name;
    }
    if (lines_error(&ro->lines))
	cannot_read(ro, strerror(errno));
    return 0;
}

/* roster_close - close the file and release the roster */
void roster_close(struct roster *ro)
{
    lines_end(&ro->lines);
    if (ro->fp)
	fclose(ro->fp);
    free(ro->full);
    memset(ro, 0, sizeof(*ro));
}
