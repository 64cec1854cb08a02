/*
 * roster - a members-file (see roster.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "maps/roster.h"
#include "rewrite/address.h"
#include "rewrite/text.h"

#define ROSTER_LINE_MAX	65536

/* first_column - the first CSV field of a line, unquoted, trimmed, in place */
static char *first_column(char *s)
{
    char   *e, *o, *i;

    while (*s == ' ' || *s == '\t')
	s++;
    if (*s == '"') {
	for (o = i = s + 1; *i; i++) {
	    if (*i == '"' && i[1] == '"')
		*o++ = *i++;
	    else if (*i == '"')
		break;
	    else
		*o++ = *i;
	}
	*o = 0;
	return s + 1;
    }
    e = s + strcspn(s, ",;");
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
	e--;
    *e = 0;
    return s;
}

/* roster_line - one line of a members-file */
static void roster_line(struct rules *r, struct rule_dept *d,
			        const struct rule_src *src, long line, char *s, ssize_t n)
{
    char   *name, *quoted, *q;

    if ((size_t) n != strlen(s)) {
	errs_add(&r->errs, src->shown, line, "NUL byte in line");
	return;
    }
    if (n > ROSTER_LINE_MAX) {
	errs_add(&r->errs, src->shown, line, "line longer than %d bytes",
		 ROSTER_LINE_MAX);
	return;
    }
    if (!text_utf8_valid(s, n)) {
	errs_add(&r->errs, src->shown, line, "line is not valid UTF-8");
	return;
    }
    if (*(s + strspn(s, " \t")) == '#')
	return;
    name = first_column(s);
    if (*name == 0)
	return;
    if (strchr(name, '@') || !addr_local_needs_quotes(name)) {
	rules_add_member(r, d, src, line, name);
	return;
    }
    /* a literal name that the rules syntax would read otherwise: quote it */
    if ((quoted = malloc(2 * strlen(name) + 3)) == 0)
	return;
    q = quoted;
    *q++ = '"';
    for (; *name; name++) {
	if (*name == '"' || *name == '\\')
	    *q++ = '\\';
	*q++ = *name;
    }
    *q++ = '"';
    *q = 0;
    rules_add_member(r, d, src, line, quoted);
    free(quoted);
}

/* join_path - DIR/PATH unless PATH is absolute */
static char *join_path(const char *dir, const char *path)
{
    char   *out;

    if (path[0] == '/' || strcmp(dir, ".") == 0)
	return strdup(path);
    if ((out = malloc(strlen(dir) + strlen(path) + 2)) != 0)
	sprintf(out, "%s/%s", dir, path);
    return out;
}

/* roster_open - open a members-file, refusing what is not a regular file */
static FILE *roster_open(struct rules *r, const char *full,
			         const struct rule_src *from, long line)
{
    struct stat st;
    FILE   *fp;
    int     fd;

    /* O_NONBLOCK: a FIFO must not hang the compiler before fstat says no */
    if ((fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
	errs_add(&r->errs, from->shown, line, "cannot read members-file %s: %s",
		 full, strerror(errno));
	return 0;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
	errs_add(&r->errs, from->shown, line,
		 "cannot read members-file %s: not a regular file", full);
	close(fd);
	return 0;
    }
    if (fcntl(fd, F_SETFL, 0) < 0 || (fp = fdopen(fd, "r")) == 0) {
	errs_add(&r->errs, from->shown, line, "cannot read members-file %s: %s",
		 full, strerror(errno));
	close(fd);
	return 0;
    }
    return fp;
}

/* roster_load - add the members listed in a members-file */
void    roster_load(struct rules *r, struct rule_dept *d, const char *dir,
		            const char *path, const struct rule_src *from, long line)
{
    char   *full = join_path(dir, path), *buf = 0;
    const struct rule_src *src;
    size_t  cap = 0;
    ssize_t n;
    long    lineno = 0;
    FILE   *fp = 0;

    if (full == 0 || (fp = roster_open(r, full, from, line)) == 0)
	goto out;
    if ((src = rules_source(r, full, path)) == 0)
	goto out;
    while ((n = getline(&buf, &cap, fp)) >= 0) {
	lineno++;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
	    buf[--n] = 0;
	if (lineno == 1 && strncmp(buf, "\xef\xbb\xbf", 3) == 0)
	    memmove(buf, buf + 3, (n -= 3) + 1);
	roster_line(r, d, src, lineno, buf, n);
    }
    if (ferror(fp))
	errs_add(&r->errs, from->shown, line, "cannot read members-file %s: %s",
		 full, strerror(errno));
out:
    if (fp)
	fclose(fp);
    free(buf);
    free(full);
}
