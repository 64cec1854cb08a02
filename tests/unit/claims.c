/*
 * claims.c - unit tests of the claims a milter session leaves to
 * cleanup's rewrite (milter/claims): taken once, oldest first, ASCII case
 * ignored, dropped claims forgotten, and four threads posting, taking and
 * dropping at once (make valgrind: a claim lost or freed twice shows).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdio.h>
#include "tests/unit/tap.h"
#include "milter/claims.h"

#define THREAD_ROUNDS	20000

/* churn - post, take and drop claims on an address of this thread's own */
static void *churn(void *arg)
{
    char    addr[64];
    struct claim *c;
    long    i, bad = 0;

    snprintf(addr, sizeof(addr), "user%ld@sales.example.com", (long) (size_t) arg);
    for (i = 0; i < THREAD_ROUNDS; i++) {
	if ((c = claims_post(addr)) == 0)
	    return (void *) 1;
	bad += claims_take(addr) != 1 || claims_taken(c) != 1 || claims_take(addr) != 0;
	claims_drop(c);
    }
    return (void *) bad;
}

int main(void)
{
    struct claim *a, *b, *c;
    pthread_t th[4];
    void   *ret;
    long    bad = 0;
    size_t  i;

    ok(claims_take("alice@sales.example.com") == 0, "nothing to take before a claim");
    a = claims_post("alice@sales.example.com");
    b = claims_post("alice@sales.example.com");
    c = claims_post("bob@sales.example.com");
    ok(a && b && c, "claims posted");
    ok(claims_taken(a) == 0 && claims_taken(b) == 0, "a claim is not taken when posted");
    ok(claims_take("ALICE@Sales.Example.COM") == 1, "taken, ASCII case ignored");
    ok(claims_taken(a) == 1 && claims_taken(b) == 0, "the oldest claim is taken first");
    ok(claims_take("alice@sales.example.com") == 1 && claims_taken(b) == 1,
       "then the next one");
    ok(claims_take("alice@sales.example.com") == 0, "a claim is taken once");
    ok(claims_taken(c) == 0, "another address's claim is untouched");
    claims_drop(c);
    ok(claims_take("bob@sales.example.com") == 0, "a dropped claim is forgotten");
    claims_drop(a);
    claims_drop(b);
    claims_drop(0);
    ok(1, "claims_drop(NULL) does nothing");
    for (i = 0; i < 4; i++)
	pthread_create(th + i, 0, churn, (void *) i);
    for (i = 0; i < 4; i++) {
	pthread_join(th[i], &ret);
	bad += (long) ret;
    }
    ok(bad == 0,
       "four threads, %d claims each: each taken once by its own taker (%ld wrong)",
       THREAD_ROUNDS, bad);
    return done();
}
