#ifndef DEPT_MILTER_NETSTRING_H
#define DEPT_MILTER_NETSTRING_H
/*
 * netstring - the framing of Postfix's socketmap protocol
 *
 * A netstring is "LEN:DATA," with LEN in decimal, no sign, no leading
 * zero (except "0" itself).  netstring_parse() looks for one at the start
 * of len bytes: NETSTRING_OK with the payload (inside buf) and how many
 * bytes the whole netstring took; NETSTRING_MORE when the bytes so far
 * are a correct beginning; NETSTRING_BAD when they can never be one;
 * NETSTRING_OVERSIZE when LEN is above max but not above skip_max (used:
 * the bytes of "LEN:", plen: LEN; the caller drops the payload unread);
 * NETSTRING_TOOLONG as soon as LEN is known to exceed skip_max (nothing
 * is waited for).  It reads buf only.
 *
 * netstring_next() reads one connection's byte stream, whatever pieces it
 * arrives in, and gives the same results as netstring_parse() on the
 * whole stream: it takes bytes from *data (advancing it and *n) and
 * returns NETSTRING_OK with the next payload (valid until the next call),
 * NETSTRING_SKIPPED once an oversized netstring has been read whole and
 * dropped (plen: its LEN), NETSTRING_MORE once every byte is taken and a
 * netstring is incomplete or none began, NETSTRING_BAD or
 * NETSTRING_TOOLONG (payload, plen: the bytes at fault, for a log line;
 * the stream is then unusable), or NETSTRING_NOMEM.  struct netstring_in
 * starts zeroed and holds memory only while a netstring is incomplete
 * (at most max + 22 bytes); netstring_in_busy() says whether one is;
 * netstring_in_free() releases it.
 *
 * netstring_split() cuts a socketmap request "NAME KEY" at its first
 * space: REQUEST_OK; REQUEST_NO_KEY without a space (name: all of it);
 * REQUEST_BAD_KEY when the key holds NUL, CR or LF; REQUEST_LONG_KEY when
 * it is longer than key_max.  netstring_add() appends one netstring to a
 * struct buf (rewrite/buf.h); 0, or -1 out of memory.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "rewrite/buf.h"

enum netstring_status {
    NETSTRING_OK,
    NETSTRING_MORE,
    NETSTRING_BAD,
    NETSTRING_TOOLONG,
    NETSTRING_OVERSIZE,
    NETSTRING_SKIPPED,
    NETSTRING_NOMEM,
};

struct netstring_in {
    char   *buf;			/* an incomplete netstring, or NULL */
    size_t  len;
    size_t  skip;			/* an oversized one: bytes still to drop */
    size_t  skip_len;			/* its LEN */
};

enum request_status {
    REQUEST_OK,
    REQUEST_NO_KEY,
    REQUEST_BAD_KEY,
    REQUEST_LONG_KEY,
};

struct request {
    const char *name;
    size_t  name_len;
    const char *key;			/* not terminated; NULL: no key */
    size_t  key_len;
};

enum netstring_status netstring_parse(const char *buf, size_t len, size_t max,
				      size_t skip_max, const char **payload,
				      size_t *plen, size_t *used);
enum netstring_status netstring_next(struct netstring_in *in, const char **data,
				     size_t *n, size_t max, size_t skip_max,
				     const char **payload, size_t *plen);
int     netstring_in_busy(const struct netstring_in *in);
void    netstring_in_free(struct netstring_in *in);
enum request_status netstring_split(const char *req, size_t len, size_t key_max,
				    struct request *r);
int     netstring_add(struct buf *out, const char *data, size_t len);
const char *netstring_status_name(enum netstring_status status);

#endif
