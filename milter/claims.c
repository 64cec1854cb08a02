/*
 * claims - recipients that a milter session leaves to cleanup's rewrite
 *
 * See claims.h.  One mutex over a small hash of doubly linked lists: a
 * claim lives from a RCPT to its end of message, so there are about as
 * many as recipients in flight.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter/claims.h"

#define CLAIM_BUCKETS	256

struct claim {
    struct claim *prev, *next;
    unsigned bucket;
    int     taken;
    char    addr[];			/* bare address */
};

static pthread_mutex_t claims_lock = PTHREAD_MUTEX_INITIALIZER;
static struct claim *claims_hash[CLAIM_BUCKETS];

/* bucket_of - FNV-1a of the address, ASCII case folded */
static unsigned bucket_of(const char *addr)
{
    unsigned h = 2166136261u;
    const unsigned char *p;

    for (p = (const unsigned char *) addr; *p; p++) {
	h ^= (*p >= 'A' && *p <= 'Z') ? *p + ('a' - 'A') : *p;
	h *= 16777619u;
    }
    return h % CLAIM_BUCKETS;
}

/* claims_post - a claim on addr, not taken yet; NULL without memory */
struct claim *claims_post(const char *addr)
{
    size_t  len = strlen(addr);
    struct claim *c;

    if ((c = malloc(sizeof(*c) + len + 1)) == 0)
	return 0;
    memcpy(c->addr, addr, len + 1);
    c->taken = 0;
    c->bucket = bucket_of(addr);
    c->prev = 0;
    pthread_mutex_lock(&claims_lock);
    c->next = claims_hash[c->bucket];
    if (c->next)
	c->next->prev = c;
    claims_hash[c->bucket] = c;
    pthread_mutex_unlock(&claims_lock);
    return c;
}

/* claims_take - take the oldest claim on addr not yet taken: 1, else 0 */
int claims_take(const char *addr)
{
    struct claim *c, *oldest = 0;

    pthread_mutex_lock(&claims_lock);
    for (c = claims_hash[bucket_of(addr)]; c; c = c->next)
	if (!c->taken && strcasecmp(c->addr, addr) == 0)
	    oldest = c;				/* newest first in the list */
    if (oldest)
	oldest->taken = 1;
    pthread_mutex_unlock(&claims_lock);
    return oldest != 0;
}

/* claims_taken - whether cleanup took the claim */
int claims_taken(struct claim *c)
{
    int     taken;

    pthread_mutex_lock(&claims_lock);
    taken = c->taken;
    pthread_mutex_unlock(&claims_lock);
    return taken;
}

/* claims_drop - end a claim */
void claims_drop(struct claim *c)
{
    if (c == 0)
	return;
    pthread_mutex_lock(&claims_lock);
    if (c->prev)
	c->prev->next = c->next;
    else
	claims_hash[c->bucket] = c->next;
    if (c->next)
	c->next->prev = c->prev;
    pthread_mutex_unlock(&claims_lock);
    free(c);
}
