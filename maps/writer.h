#ifndef DEPT_WRITER_H
#define DEPT_WRITER_H
/*
 * writer - a map's records into a CDB file, one at a time, meta first
 *
 * writer_start() begins a map of ndepts departments and nrecords records
 * (meta not counted) on fd, an empty file open for reading and writing.
 * writer_add() takes the records in strictly increasing key order (any
 * other order, or a key given twice, is a compiler bug: EINVAL) and adds
 * each to the digest.  writer_finish() checks that nrecords came, writes
 * tinycdb's hash tables and puts the final meta record in place; it always
 * releases what writer_start() took, and must follow it whatever happened.
 * Each returns 0, or -1 with errno set; after a failure the others fail
 * with the same errno.
 *
 * The meta record stands first in the file, but its digest covers every
 * record after it.  writer_start() writes it with a digest of zeros (the
 * digest is fixed-width, so the value has its final length) and
 * writer_finish() writes the real value over it where tinycdb's own lookup
 * finds it.  So each record is made once, in order, and nothing is held
 * but tinycdb's 8 bytes a record for its hash tables.  The digest is
 * computed on a thread of its own (maps/digest) while records are written.
 * Every WRITER_WRITEBACK bytes the disk is asked to start writing what is
 * written (sync_file_range, a hint), so that the fsync that makes the map
 * durable has little left to wait for.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <stdint.h>
#include <cdb.h>
#include "maps/digest.h"
#include "rewrite/buf.h"

#define WRITER_WRITEBACK (8u << 20)

struct writer {
    struct cdb_make cm;
    int     fd;
    size_t  ndepts;
    size_t  nrecords;			/* announced in meta */
    size_t  n;				/* added so far */
    struct digest digest;		/* of the records, on its own thread */
    struct buf last;			/* the key before, for the order check */
    int     error;			/* errno of the first failure, or 0 */
    unsigned started;			/* bytes handed to writeback */
};

int     writer_start(struct writer *w, int fd, size_t ndepts, size_t nrecords);
int     writer_add(struct writer *w, const char *key, size_t klen,
		   const char *val, size_t vlen);
int     writer_finish(struct writer *w);

#endif
