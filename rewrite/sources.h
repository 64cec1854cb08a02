#ifndef DEPT_SOURCES_H
#define DEPT_SOURCES_H
/*
 * sources - is a map older than the rules and rosters it was made from?
 *
 * deptmap compile records, in the map's sources record, each source's
 * name (as rule= fields give it: the rules file's base name, a roster as
 * its members-file line writes it) and a digest of its bytes,
 * sources_file_digest(), so that maps stay the same bytes wherever they
 * are compiled.  sources_stale() looks the sources up beside the map, as
 * deptmap compile's default output puts the map beside its rules (a
 * relative name from the map's folder, an absolute one as is), and calls
 * fn for each one that exists, is newer than the map file (map_mtime: the map may be
 * a copy) and whose bytes
 * are no longer those recorded: Postfix's "database is older than source
 * file", without the false alarm of a source touched but not changed, or
 * of a map left in place because its answers did not change.  A source
 * that is missing or unreadable is not reported: maps may be compiled
 * elsewhere.  It returns how many it reported.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <time.h>
#include "rewrite/map.h"

/* The warning's words after "warning: ": the map, then the source. */
#define SOURCES_STALE_FMT "%s is older than source file %s; run deptmap compile"

typedef void (*sources_fn)(void *ctx, const char *source);

int     sources_file_digest(const char *path, uint64_t *digest);
int     sources_stale(const struct map *map, const char *map_path,
		      const struct timespec *map_mtime, sources_fn fn, void *ctx);

#endif
