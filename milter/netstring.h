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
 * NETSTRING_TOOLONG as soon as LEN is known to exceed max (the payload
 * is never waited for).  It reads buf only.  netstring_add() appends one
 * netstring to a struct buf (rewrite/buf.h); 0, or -1 out of memory.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "rewrite/buf.h"

enum netstring_status {
    NETSTRING_OK,
    NETSTRING_MORE,
    NETSTRING_BAD,
    NETSTRING_TOOLONG,
};

enum netstring_status netstring_parse(const char *buf, size_t len, size_t max,
				      const char **payload, size_t *plen, size_t *used);
int     netstring_add(struct buf *out, const char *data, size_t len);
const char *netstring_status_name(enum netstring_status status);

#endif
