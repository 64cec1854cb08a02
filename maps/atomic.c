/*
 * atomic - a file that replaces another whole or not at all (see atomic.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "maps/atomic.h"
#include "maps/rules.h"

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
    int     fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);

    *named = 0;
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
	return fd;
    *named = 1;					/* the file system has no O_TMPFILE */
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

/* atomic_open - a file without a name yet in out's directory */
int atomic_open(struct atomic *a, const char *out, struct errs *errs)
{
    int     named = 0;

    memset(a, 0, sizeof(*a));
    a->fd = -1;
    if ((a->out = strdup(out)) == 0 || (a->tmp = temp_path(out)) == 0
	|| (a->dir = rules_dir_of(out)) == 0
	|| (a->fd = open_output(a->dir, a->tmp, &named)) < 0) {
	if (errno == ENOMEM)
	    errs_nomem(errs);
	else
	    errs_add(errs, out, 0, "cannot create a file in %s: %s",
		     a->dir ? a->dir : ".", strerror(errno));
	return -1;
    }
    a->linked = named;
    return 0;
}

/* atomic_fail - one "cannot write" line; -1 with errno kept */
static int atomic_fail(struct atomic *a, struct errs *errs)
{
    int     saved = errno;

    if (saved == ENOMEM)
	errs_nomem(errs);
    else
	errs_add(errs, a->out, 0, "cannot write: %s", strerror(saved));
    errno = saved;
    return -1;
}

/* atomic_commit - the file on disk under the name out */
int atomic_commit(struct atomic *a, struct errs *errs)
{
    int     fd;

    if (fchmod(a->fd, 0644) < 0 || fsync(a->fd) < 0
	|| (!a->linked && give_name(a->fd, a->tmp) < 0))
	return atomic_fail(a, errs);
    a->linked = 1;
    fd = a->fd;
    a->fd = -1;					/* closed even when close() fails */
    if (close(fd) < 0 || rename(a->tmp, a->out) < 0)
	return atomic_fail(a, errs);
    a->linked = 0;
    (void) sync_dir(a->dir);
    return 0;
}

/* atomic_free - release all; remove the file unless it was committed */
void atomic_free(struct atomic *a)
{
    int     saved = errno;

    if (a->fd >= 0)
	close(a->fd);
    if (a->linked)
	unlink(a->tmp);
    free(a->out);
    free(a->tmp);
    free(a->dir);
    memset(a, 0, sizeof(*a));
    a->fd = -1;
    errno = saved;
}
