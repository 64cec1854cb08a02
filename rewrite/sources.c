/*
 * sources - is a map older than the rules and rosters it was made from?
 * (see sources.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rewrite/buf.h"
#include "rewrite/record.h"
#include "rewrite/sources.h"

/* sources_file_digest - FNV-1a 64 of a file's bytes; 0, or -1 with errno */
int sources_file_digest(const char *path, uint64_t *digest)
{
    char    chunk[65536];
    ssize_t n;
    int     fd, saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
	return -1;
    *digest = FNV1A_INIT;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0) {
	    saved = errno;
	    close(fd);
	    errno = saved;
	    return -1;
	}
	*digest = fnv1a(*digest, chunk, (size_t) n);
    }
    return close(fd);
}

/* newer - is st modified after the map? */
static int newer(const struct stat *st, const struct timespec *map)
{
    return st->st_mtim.tv_sec != map->tv_sec ? st->st_mtim.tv_sec > map->tv_sec
	: st->st_mtim.tv_nsec > map->tv_nsec;
}

/* source_path - a source's name as a path from the map's folder */
static int source_path(char *path, size_t len, const char *map_path,
		       const char *name, size_t nlen)
{
    const char *slash = strrchr(map_path, '/');
    int     dlen = slash ? (int) (slash - map_path) + 1 : 0;
    int     n;

    if (nlen > INT_MAX || memchr(name, 0, nlen) != 0)
	return -1;
    if (nlen > 0 && name[0] == '/')
	dlen = 0;
    n = snprintf(path, len, "%.*s%.*s", dlen, map_path, (int) nlen, name);
    return n < 0 || (size_t) n >= len ? -1 : 0;
}

/* sources_stale - report the sources changed since the map was made */
int sources_stale(const struct map *map, const char *map_path,
		  const struct timespec *map_mtime, sources_fn fn, void *ctx)
{
    char    path[PATH_MAX];
    struct stat st;
    const char *val, *name;
    size_t  vlen, nlen, pos = 0;
    uint64_t recorded, now;
    int     count = 0;

    if (map_find(map, RECORD_KEY_SOURCES, strlen(RECORD_KEY_SOURCES), &val, &vlen) != 1)
	return 0;
    while (record_source_next(val, vlen, &pos, &name, &nlen, &recorded)) {
	if (source_path(path, sizeof(path), map_path, name, nlen) < 0
	    || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !newer(&st, map_mtime)
	    || sources_file_digest(path, &now) < 0 || now == recorded)
	    continue;
	fn(ctx, path);
	count++;
    }
    return count;
}
