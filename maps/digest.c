/*
 * digest - the map's digest, computed on a thread of its own (see digest.h)
 *
 * The compiler fills chunk[filled % DIGEST_SLOTS] while the thread hashes
 * chunk[hashed % DIGEST_SLOTS]; filled - hashed is never more than
 * DIGEST_SLOTS, so the two never touch the same chunk.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>
#include "maps/digest.h"
#include "rewrite/record.h"

#define CHUNK	(256 * 1024)			/* handed over when this full */

/* hasher - the thread: hash each chunk handed over, in order */
static void *hasher(void *arg)
{
    struct digest *d = arg;
    struct buf *c;

    pthread_mutex_lock(&d->lock);
    for (;;) {
	while (d->hashed == d->filled && !d->done)
	    pthread_cond_wait(&d->more, &d->lock);
	if (d->hashed == d->filled)
	    break;
	c = d->chunk + d->hashed % DIGEST_SLOTS;
	pthread_mutex_unlock(&d->lock);
	d->h = fnv1a(d->h, c->s, c->len);
	pthread_mutex_lock(&d->lock);
	d->hashed++;
	pthread_cond_signal(&d->room);
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

/* digest_start - an empty digest and its thread */
void digest_start(struct digest *d)
{
    memset(d, 0, sizeof(*d));
    d->h = FNV1A_INIT;
    pthread_mutex_init(&d->lock, 0);
    pthread_cond_init(&d->more, 0);
    pthread_cond_init(&d->room, 0);
    d->threaded = pthread_create(&d->thread, 0, hasher, d) == 0;
}

/* hand_over - give the chunk being filled to the thread; wait for room */
static void hand_over(struct digest *d)
{
    struct buf *c = d->chunk + d->filled % DIGEST_SLOTS;

    if (!d->threaded) {
	d->h = fnv1a(d->h, c->s, c->len);
	c->len = 0;
	return;
    }
    pthread_mutex_lock(&d->lock);
    d->filled++;
    pthread_cond_signal(&d->more);
    while (d->filled - d->hashed == DIGEST_SLOTS)
	pthread_cond_wait(&d->room, &d->lock);
    pthread_mutex_unlock(&d->lock);
    d->chunk[d->filled % DIGEST_SLOTS].len = 0;
}

/* digest_add - one more record, in key order */
int digest_add(struct digest *d, const char *key, size_t klen,
	       const char *val, size_t vlen)
{
    struct buf *c = d->chunk + d->filled % DIGEST_SLOTS;

    if (record_digest_input(c, key, klen, val, vlen) < 0) {
	errno = ENOMEM;
	return -1;
    }
    if (c->len >= CHUNK)
	hand_over(d);
    return 0;
}

/* digest_end - the digest of everything added; the thread is gone */
uint64_t digest_end(struct digest *d)
{
    size_t  i;

    if (d->chunk[d->filled % DIGEST_SLOTS].len > 0)
	hand_over(d);
    if (d->threaded) {
	pthread_mutex_lock(&d->lock);
	d->done = 1;
	pthread_cond_signal(&d->more);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, 0);
    }
    for (i = 0; i < DIGEST_SLOTS; i++)
	buf_free(d->chunk + i);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->more);
    pthread_cond_destroy(&d->room);
    return d->h;
}
