#ifndef DEPT_DIGEST_H
#define DEPT_DIGEST_H
/*
 * digest - the map's digest, computed on a thread of its own
 *
 * FNV-1a goes one byte at a time, each step waiting for the one before:
 * over the records of a million-member map it takes about as long as
 * writing them.  digest_start() starts a thread that hashes while the
 * compiler goes on; digest_add() hands it one record's digest input
 * (record_digest_input(), in key order) through a few chunks; digest_end()
 * waits for it and gives the digest, the same value record_digest() gives
 * record by record.  Without a thread (pthread_create failed) the caller's
 * thread hashes, with the same result.  digest_add() returns 0, or -1 when
 * memory ran out (errno); digest_end() must follow digest_start() always.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "rewrite/buf.h"

#define DIGEST_SLOTS	4

struct digest {
    pthread_t thread;
    int     threaded;
    pthread_mutex_t lock;
    pthread_cond_t more;		/* a chunk was handed over, or the end */
    pthread_cond_t room;		/* a chunk was hashed */
    struct buf chunk[DIGEST_SLOTS];
    size_t  filled;			/* chunks handed over (under lock) */
    size_t  hashed;			/* chunks hashed (under lock) */
    int     done;			/* no more chunks (under lock) */
    uint64_t h;
};

void    digest_start(struct digest *d);
int     digest_add(struct digest *d, const char *key, size_t klen,
		   const char *val, size_t vlen);
uint64_t digest_end(struct digest *d);

#endif
