#ifndef DEPT_COMPILE_H
#define DEPT_COMPILE_H
/*
 * compile - rules into a CDB file
 *
 * compile_fd() writes the map for checked rules (rules_load() returned 0)
 * to an empty file open for reading and writing: records sorted by key,
 * the meta record first, no timestamps, so that the same rules give the
 * same bytes anywhere.
 * Aliases that point at department addresses are resolved here; loops and
 * targets a department refuses are errors in r->errs.
 *
 * compile_map() compiles checked rules into an anonymous temporary file
 * and opens it as a map (deptmap check and query, tests); the caller owns
 * the map and frees it with map_close().
 *
 * compile_file() does the whole job atomically: it loads RULES, writes a
 * file in OUT's directory that has no name yet, fsyncs it and renames it
 * over OUT (see atomic.h).  On any error nothing is left behind and OUT is
 * untouched; the messages are in errs, one "FILE[:LINE]: text" line each.
 * With opts->tests (NULL: none), the new map is checked against that
 * tests file (see expect.h) before it is named, and a test that fails is
 * COMPILE_RULES: OUT stays as it was.
 * With opts->old, the map in place at OUT (the caller opened it, or
 * NULL: none), the new map is read back before the rename and compared:
 * one with old's digest (the same records) is not renamed into place,
 * and the result is COMPILE_UNCHANGED, so OUT keeps its inode and mtime
 * and deptmilter does not reload for nothing; otherwise, unless
 * opts->force, the shrink guard (guard.h) may refuse it (COMPILE_RULES).
 *
 * The result is a compile_result, not an exit status: COMPILE_RULES when
 * the rules are wrong (the messages are in r->errs, or errs), otherwise
 * COMPILE_SYSTEM when something failed that the rules cannot help: err (or
 * errs) says what, with the system's reason or the map reader's message.
 * Memory that ran out is noted in r->errs (or errs) with errs_nomem(), for
 * the program to report its own way.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "maps/rules.h"
#include "rewrite/map.h"

enum compile_result {
    COMPILE_OK,
    COMPILE_RULES,			/* the rules are wrong */
    COMPILE_SYSTEM,			/* the system or the map reader failed */
    COMPILE_UNCHANGED,			/* compile_file(): OUT holds this map */
};

struct compile_opts {
    const struct map *old;		/* the map in place, or NULL */
    int     force;			/* no shrink guard */
    const char *tests;			/* tests file run first, or NULL */
};

enum compile_result compile_fd(struct rules *r, int fd, char *err, size_t errlen);
enum compile_result compile_map(struct rules *r, struct map **mapp, char *err,
				size_t errlen);
enum compile_result compile_file(const char *rules_path, const char *out_path,
				 const struct compile_opts *opts, struct errs *errs);

#endif
