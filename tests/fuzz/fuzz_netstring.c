/*
 * fuzz_netstring - libFuzzer target: the socketmap request reader
 *
 * The first byte chooses the limits (the socketmap's, or small ones that
 * reach the oversized paths) and the sizes of the pieces the rest arrives
 * in.  netstring_next() fed those pieces must give exactly what
 * netstring_parse() finds in the whole stream at once: the same payloads,
 * the same skipped lengths, the same error at the same place, and an
 * incomplete netstring left over exactly when the whole stream ends in
 * one.  Each payload split as "NAME KEY" must cover the payload, and
 * netstring_add() of it must parse back to it.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "milter/netstring.h"
#include "milter/tables.h"

#define EVENTS_MAX	4096

/* One result: a status and, for a payload, its bytes (or the LEN skipped). */
struct event {
    enum netstring_status st;
    const char *p;
    size_t  len;
};

struct events {
    struct event ev[EVENTS_MAX];
    size_t  n;
    char   *copy;			/* payloads of the piecewise run */
    size_t  used;
    int     pending;			/* an incomplete netstring at the end */
};

static struct events whole, pieces;

/* add - note one result */
static void add(struct events *e, enum netstring_status st, const char *p, size_t len)
{
    if (e->n == EVENTS_MAX)
	return;
    e->ev[e->n].st = st;
    e->ev[e->n].p = p;
    e->ev[e->n].len = len;
    e->n++;
}

/* check_split - "NAME KEY" covers the payload; the key status is right */
static void check_split(const char *p, size_t len)
{
    struct request r;
    enum request_status st = netstring_split(p, len, 16, &r);
    int     bad;

    if (r.name != p)
	abort();
    if (st == REQUEST_NO_KEY) {
	if (memchr(p, ' ', len) || r.name_len != len || r.key)
	    abort();
	return;
    }
    if (memchr(r.name, ' ', r.name_len) || r.key != p + r.name_len + 1
	|| r.name_len + 1 + r.key_len != len)
	abort();
    bad = memchr(r.key, 0, r.key_len) || memchr(r.key, '\r', r.key_len)
	|| memchr(r.key, '\n', r.key_len);
    if (st != (r.key_len > 16 ? REQUEST_LONG_KEY : bad ? REQUEST_BAD_KEY : REQUEST_OK))
	abort();
}

/* check_round_trip - a payload written as a netstring parses back */
static void check_round_trip(const char *p, size_t len, size_t max)
{
    struct buf b = { 0, 0, 0 };
    const char *q;
    size_t  qlen, used;

    if (netstring_add(&b, p, len) < 0)
	return;
    if (netstring_parse(b.s, b.len, max, max, &q, &qlen, &used) != NETSTRING_OK
	|| qlen != len || used != b.len || memcmp(q, p, len) != 0)
	abort();
    buf_free(&b);
}

/* run_whole - netstring_parse() over the whole stream */
static void run_whole(const char *s, size_t len, size_t max, size_t skip_max)
{
    enum netstring_status st;
    const char *p;
    size_t  pos = 0, plen, used;

    whole.n = 0;
    whole.pending = 0;
    while (pos < len) {
	st = netstring_parse(s + pos, len - pos, max, skip_max, &p, &plen, &used);
	if (st == NETSTRING_MORE) {
	    whole.pending = 1;
	    return;
	}
	if (st == NETSTRING_OK) {
	    add(&whole, st, p, plen);
	    pos += used;
	    continue;
	}
	if (st != NETSTRING_OVERSIZE) {
	    add(&whole, st, 0, 0);
	    return;
	}
	if (plen <= max || plen > skip_max)
	    abort();
	pos += used;
	if (len - pos < plen + 1) {
	    whole.pending = 1;
	    return;
	}
	if (s[pos + plen] != ',') {
	    add(&whole, NETSTRING_BAD, 0, 0);
	    return;
	}
	add(&whole, NETSTRING_SKIPPED, 0, plen);
	pos += plen + 1;
    }
}

/* touch - read every byte (ASan checks they are there) */
static void touch(const char *p, size_t len)
{
    volatile char c;
    size_t  i;

    for (i = 0; i < len; i++)
	c = p[i];
    (void) c;
}

/* run_pieces - netstring_next() over the stream cut into pieces */
static void run_pieces(const char *s, size_t len, size_t max, size_t skip_max,
		       uint32_t seed)
{
    struct netstring_in in;
    enum netstring_status st = NETSTRING_MORE;
    const char *data, *p;
    size_t  pos = 0, n, k, plen;

    memset(&in, 0, sizeof(in));
    pieces.n = 0;
    pieces.used = 0;
    while (pos < len) {
	seed = seed * 1103515245u + 12345u;
	k = (seed >> 16) % 8 == 0 ? len - pos : 1 + (seed >> 16) % 24;
	n = k < len - pos ? k : len - pos;
	data = s + pos;
	pos += n;
	for (;;) {
	    st = netstring_next(&in, &data, &n, max, skip_max, &p, &plen);
	    if (st == NETSTRING_MORE) {
		if (n != 0)
		    abort();			/* every byte is taken */
		break;
	    }
	    if (st == NETSTRING_OK) {
		memcpy(pieces.copy + pieces.used, p, plen);
		add(&pieces, st, pieces.copy + pieces.used, plen);
		pieces.used += plen;
	    } else if (st == NETSTRING_SKIPPED)
		add(&pieces, st, 0, plen);
	    else {
		if (st != NETSTRING_NOMEM)
		    touch(p, plen);		/* the bytes at fault, for the log */
		add(&pieces, st, 0, 0);
		netstring_in_free(&in);
		return;
	    }
	}
    }
    pieces.pending = netstring_in_busy(&in);
    netstring_in_free(&in);
}

/* same - the two runs agree */
static void same(void)
{
    size_t  i;

    if (whole.n != pieces.n)
	abort();
    for (i = 0; i < whole.n; i++) {
	if (whole.ev[i].st != pieces.ev[i].st || whole.ev[i].len != pieces.ev[i].len)
	    abort();
	if (whole.ev[i].st == NETSTRING_OK
	    && memcmp(whole.ev[i].p, pieces.ev[i].p, whole.ev[i].len) != 0)
	    abort();
    }
    if (whole.n && whole.ev[whole.n - 1].st != NETSTRING_OK
	&& whole.ev[whole.n - 1].st != NETSTRING_SKIPPED)
	return;					/* stopped at an error */
    if (whole.pending != pieces.pending)
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *) data + 1;
    size_t  len, i, max, skip_max;
    uint32_t seed;

    if (size < 1)
	return 0;
    len = size - 1;
    max = data[0] & 1 ? TABLES_REQUEST_MAX : 24;
    skip_max = data[0] & 2 ? max : data[0] & 1 ? 100000 : 200;
    seed = data[0] >> 2;
    if ((pieces.copy = malloc(len + 1)) == 0)
	return 0;
    run_whole(s, len, max, skip_max);
    run_pieces(s, len, max, skip_max, seed);
    same();
    for (i = 0; i < whole.n; i++) {
	if (whole.ev[i].st != NETSTRING_OK)
	    continue;
	check_split(whole.ev[i].p, whole.ev[i].len);
	check_round_trip(whole.ev[i].p, whole.ev[i].len, max);
    }
    free(pieces.copy);
    return 0;
}
