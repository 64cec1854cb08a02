/*
 * roster - a members-file (see roster.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "maps/roster.h"

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
		struct errs *errs, const char *from, long from_line)
{
    memset(ro, 0, sizeof(*ro));
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

/* roster_next - the name on the next member line, or NULL at the end */
char   *roster_next(struct roster *ro, long *line)
{
    char   *s, *name;
    size_t  n;

    while ((s = lines_next(&ro->lines, &n)) != 0) {
	if (s[strspn(s, " \t")] == '#' || *(name = first_column(s)) == 0)
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
