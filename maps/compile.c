/*
 * compile - rules into a CDB file (see compile.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "maps/compile.h"
#include "maps/atomic.h"
#include "maps/postmaster.h"
#include "maps/expect.h"
#include "maps/guard.h"
#include "maps/records.h"
#include "maps/resolve.h"

/* system_error - what failed, in err; memory that ran out is noted in
 * r->errs, for the program to report its own way */
static void system_error(struct rules *r, char *err, size_t errlen)
{
    int     saved = errno;

    if (saved == ENOMEM)
	errs_nomem(&r->errs);
    snprintf(err, errlen, "%s", strerror(saved));
    errno = saved;
}

/* compile_fd - the map of checked rules, written to fd
 *
 * Without aliases to department addresses the records are written once.
 * With them, that first pass is read back as a map to resolve them on,
 * and the file is written again with their final targets.
 */
enum compile_result compile_fd(struct rules *r, int fd, char *err, size_t errlen)
{
    struct records rs;
    struct resolution res;
    enum compile_result ret = COMPILE_SYSTEM;

    memset(&res, 0, sizeof(res));
    if (records_plan(&rs, r) < 0 || records_write(&rs, 0, fd) < 0)
	goto fail;
    if (rs.chains) {
	if ((ret = resolve_chains(&rs, fd, &res, err, errlen)) != COMPILE_OK)
	    goto out;
	ret = COMPILE_SYSTEM;
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0
	    || records_write(&rs, &res, fd) < 0)
	    goto fail;
    }
    if (postmaster_check(r, fd) < 0)
	goto fail;
    ret = COMPILE_OK;
    goto out;
fail:
    system_error(r, err, errlen);
out:
    resolution_free(&res);
    records_free(&rs);
    return ret;
}

/* compile_map - checked rules as a map in an anonymous file */
enum compile_result compile_map(struct rules *r, struct map **mapp, char *err,
				size_t errlen)
{
    FILE   *tmp = tmpfile();
    enum compile_result ret = COMPILE_SYSTEM;
    int     fd;

    *mapp = 0;
    if (tmp == 0) {
	system_error(r, err, errlen);
	return COMPILE_SYSTEM;
    }
    if ((ret = compile_fd(r, fileno(tmp), err, errlen)) != COMPILE_OK)
	goto out;
    ret = COMPILE_SYSTEM;
    if ((fd = dup(fileno(tmp))) < 0)
	system_error(r, err, errlen);
    else if (map_open_fd(fd, mapp, err, errlen) == 0)
	ret = COMPILE_OK;
    else if (errno == ENOMEM)
	errs_nomem(&r->errs);
out:
    fclose(tmp);
    return ret;
}

/* run_tests - the tests file on the map just written to fd, before it
 * is named: COMPILE_RULES when a test fails */
static enum compile_result run_tests(int fd, const char *tests, struct errs *errs)
{
    struct expect_count n;
    struct map *map;
    char    err[512];
    enum compile_result ret = COMPILE_SYSTEM;

    if ((fd = dup(fd)) < 0 || map_open_fd(fd, &map, err, sizeof(err)) < 0) {
	if (errno == ENOMEM)
	    errs_nomem(errs);
	else
	    errs_add(errs, tests, 0, "cannot open the new map: %s",
		     fd < 0 ? strerror(errno) : err);
	return COMPILE_SYSTEM;
    }
    switch (expect_run(tests, map, errs, &n)) {
    case EXPECT_PASS:
	ret = COMPILE_OK;
	break;
    case EXPECT_FAIL:
	if (n.failed)
	    errs_add(errs, tests, 0, "%lu of %lu tests failed; no map written",
		     n.failed, n.tests);
	ret = COMPILE_RULES;
	break;
    case EXPECT_SYSTEM:
	break;
    }
    map_close(map);
    return ret;
}

/* against_old - the file written on fd, read back as a map and set
 * against the map in place: unchanged, refused by the guard, or OK */
static enum compile_result against_old(struct rules *r, int fd, const char *out,
				       const struct compile_opts *opts,
				       struct errs *errs)
{
    struct map *next = 0;
    char    err[512];
    enum compile_result ret = COMPILE_SYSTEM;
    int     n;

    if ((fd = dup(fd)) < 0 || map_open_fd(fd, &next, err, sizeof(err)) < 0) {
	if (errno == ENOMEM)
	    errs_nomem(errs);
	else
	    errs_add(errs, out, 0, "cannot read back: %s",
		     fd < 0 ? strerror(errno) : err);
	return COMPILE_SYSTEM;
    }
    if (strcmp(next->digest, opts->old->digest) == 0
	&& next->records == opts->old->records && next->ndepts == opts->old->ndepts)
	ret = COMPILE_UNCHANGED;
    else if (opts->force || (n = guard_check(r, opts->old, next, errs)) == 0)
	ret = COMPILE_OK;
    else if (n > 0)
	ret = COMPILE_RULES;
    else if (!errs->nomem)
	errs_add(errs, out, 0, "cannot compare with the map in place: %s",
		 strerror(errno));
    map_close(next);
    return ret;
}

/* write_atomic - compile into an unnamed file, then name it out */
static enum compile_result write_atomic(struct rules *r, const char *out,
					const struct compile_opts *opts,
					struct errs *errs)
{
    struct atomic a;
    char    err[512];
    enum compile_result ret = COMPILE_SYSTEM;

    if (atomic_open(&a, out, errs) < 0)
	goto out;
    if ((ret = compile_fd(r, a.fd, err, sizeof(err))) == COMPILE_RULES)
	goto out;
    if (ret != COMPILE_OK) {
	if (!errs->nomem)
	    errs_add(errs, out, 0, "cannot write: %s", err);
	goto out;
    }
    if (opts->tests && (ret = run_tests(a.fd, opts->tests, errs)) != COMPILE_OK)
	goto out;
    if (opts->old && (ret = against_old(r, a.fd, out, opts, errs)) != COMPILE_OK)
	goto out;
    ret = atomic_commit(&a, errs) < 0 ? COMPILE_SYSTEM : COMPILE_OK;
out:
    atomic_free(&a);
    return ret;
}

/* compile_file - rules file to map file, atomically (opts may be NULL) */
enum compile_result compile_file(const char *rules_path, const char *out_path,
				 const struct compile_opts *opts, struct errs *errs)
{
    static const struct compile_opts plain;
    struct rules r;
    enum compile_result ret = COMPILE_RULES;

    if (opts == 0)
	opts = &plain;
    if (rules_load(rules_path, &r) == 0)
	ret = write_atomic(&r, out_path, opts, &r.errs);
    else if (r.errs.nomem || r.errs.system)
	ret = COMPILE_SYSTEM;
    errs_free(errs);
    *errs = r.errs;
    errs_init(&r.errs);
    rules_free(&r);
    return ret;
}
