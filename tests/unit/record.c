/*
 * record.c - unit tests of record_key_addr_parse() (rewrite/record.c):
 * it splits what record_key_addr() joins, the local part keeping any ":"
 * it holds, and answers 0 for the other kinds of key and for malformed
 * ones (no domain, no local part, a domain too long), reading no byte
 * past the key's length.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include "tests/unit/tap.h"
#include "rewrite/record.h"

/* split - parse key (klen bytes, in a buffer of exactly that size) into
 * "DOMAIN|LOCAL", or "-" when it is not an addr: key */
static const char *split(const char *key, size_t klen)
{
    static char out[RECORD_KEY_MAX + 2];
    const char *d, *l;
    size_t  dlen, llen;
    char   *copy = malloc(klen ? klen : 1);	/* no terminator after it */
    int     r;

    memcpy(copy, key, klen);
    r = record_key_addr_parse(copy, klen, &d, &dlen, &l, &llen);
    if (r)
	snprintf(out, sizeof(out), "%.*s|%.*s", (int) dlen, d, (int) llen, l);
    else
	strcpy(out, "-");
    free(copy);
    return out;
}

/* round_trip - record_key_addr() then record_key_addr_parse() */
static void round_trip(const char *domain, const char *local)
{
    char    key[RECORD_KEY_MAX], want[RECORD_KEY_MAX + 2];
    int     n = record_key_addr(key, sizeof(key), domain, strlen(domain), local,
				strlen(local));

    snprintf(want, sizeof(want), "%s|%s", domain, local);
    ok(n > 0, "record_key_addr(%s, %s) makes a key", domain, local);
    is_str(split(key, n), want, "and record_key_addr_parse() splits it back");
}

int main(void)
{
    char    longdom[RECORD_DOMAIN_MAX + 20];

    round_trip("sales.example.com", "alice");
    round_trip("xn--bcher-kva.example", "j\xc3\xb6rg");
    round_trip("a.example", "\"a:b\"");
    is_str(split("addr:a.example:x:y", 18), "a.example|x:y",
	   "the local part keeps a \":\" after the first");
    is_str(split("addr:a.example:alice", 15), "-",
	   "a key cut before its local part: not one");
    is_str(split("addr:a.example:", 15), "-", "an empty local part: not one");
    is_str(split("addr::alice", 11), "-", "an empty domain: not one");
    is_str(split("addr:alice", 10), "-", "no second \":\": not one");
    is_str(split("addr:", 5), "-", "\"addr:\" alone: not one");
    is_str(split("", 0), "-", "an empty key: not one");
    is_str(split("dept:a.example", 14), "-", "a dept: key: not one");
    is_str(split("match:a.example:000000", 22), "-", "a match: key: not one");
    is_str(split("meta", 4), "-", "the meta key: not one");
    memset(longdom, 'a', sizeof(longdom));
    memcpy(longdom, "addr:", 5);
    longdom[5 + RECORD_DOMAIN_MAX + 1] = ':';
    is_str(split(longdom, 5 + RECORD_DOMAIN_MAX + 3), "-",
	   "a domain longer than RECORD_DOMAIN_MAX: not one");
    longdom[5 + RECORD_DOMAIN_MAX + 1] = 'a';
    longdom[5 + RECORD_DOMAIN_MAX] = ':';
    ok(strcmp(split(longdom, 5 + RECORD_DOMAIN_MAX + 3), "-") != 0,
       "a domain of RECORD_DOMAIN_MAX bytes: one");
    return done();
}
