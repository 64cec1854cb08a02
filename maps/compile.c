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

/* write_atomic - compile into an unnamed file, then name it out */
static enum compile_result write_atomic(struct rules *r, const char *out,
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
    ret = atomic_commit(&a, errs) < 0 ? COMPILE_SYSTEM : COMPILE_OK;
out:
    atomic_free(&a);
    return ret;
}

/* compile_file - rules file to map file, atomically */
enum compile_result compile_file(const char *rules_path, const char *out_path,
				 struct errs *errs)
{
    struct rules r;
    enum compile_result ret = COMPILE_RULES;

    if (rules_load(rules_path, &r) == 0)
	ret = write_atomic(&r, out_path, &r.errs);
    else if (r.errs.nomem || r.errs.system)
	ret = COMPILE_SYSTEM;
    errs_free(errs);
    *errs = r.errs;
    errs_init(&r.errs);
    rules_free(&r);
    return ret;
}
