/*
 * netstring - the framing of Postfix's socketmap protocol (see netstring.h)
 *
 * netstring_next() keeps at most one incomplete netstring.  When bytes
 * complete it, it takes what fits into its buffer, parses, and gives back
 * what the netstring did not use: the buffer only ever holds the start
 * of one netstring, so those bytes are the last ones it took.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter/netstring.h"

#define HEAD_MAX	22			/* 20 digits, ':' and ',' */

/* netstring_parse - one netstring at the start of buf, or why not */
enum netstring_status netstring_parse(const char *buf, size_t len, size_t max,
				      size_t skip_max, const char **payload,
				      size_t *plen, size_t *used)
{
    size_t  i, n = 0;

    for (i = 0; i < len && buf[i] != ':'; i++) {
	if (buf[i] < '0' || buf[i] > '9')
	    return NETSTRING_BAD;
	if (i == 1 && buf[0] == '0')		/* "01:": a leading zero */
	    return NETSTRING_BAD;
	n = 10 * n + (size_t) (buf[i] - '0');
	if (n > max && n > skip_max)		/* so n never overflows */
	    return NETSTRING_TOOLONG;
    }
    if (i == len)
	return NETSTRING_MORE;
    if (i == 0)					/* ":" without a length */
	return NETSTRING_BAD;
    if (n > max) {				/* read on, but not kept */
	*plen = n;
	*used = i + 1;
	return NETSTRING_OVERSIZE;
    }
    if (len - i - 1 < n + 1)			/* DATA and "," not all here */
	return NETSTRING_MORE;
    if (buf[i + 1 + n] != ',')
	return NETSTRING_BAD;
    *payload = buf + i + 1;
    *plen = n;
    *used = i + 1 + n + 1;
    return NETSTRING_OK;
}

/* take - move n bytes of the input along */
static void take(const char **data, size_t *n, size_t k)
{
    *data += k;
    *n -= k;
}

/* skip_some - drop the payload of an oversized netstring, then its ',' */
static enum netstring_status skip_some(struct netstring_in *in, const char **data,
				       size_t *n, const char **payload, size_t *plen)
{
    size_t  k = in->skip - 1 < *n ? in->skip - 1 : *n;

    take(data, n, k);
    in->skip -= k;
    if (in->skip > 1 || *n == 0)
	return NETSTRING_MORE;
    if (**data != ',') {
	*payload = *data;
	*plen = 1;
	return NETSTRING_BAD;
    }
    take(data, n, 1);
    in->skip = 0;
    *plen = in->skip_len;
    return NETSTRING_SKIPPED;
}

/* from_data - the next netstring straight from the input, no copy */
static enum netstring_status from_data(struct netstring_in *in, const char **data,
				       size_t *n, size_t max, size_t skip_max,
				       const char **payload, size_t *plen)
{
    enum netstring_status st;
    size_t  used;

    st = netstring_parse(*data, *n, max, skip_max, payload, plen, &used);
    if (st == NETSTRING_MORE && *n > max + HEAD_MAX)	/* cannot be: it fits */
	st = NETSTRING_BAD;
    if (st == NETSTRING_OK || st == NETSTRING_OVERSIZE)
	take(data, n, used);
    if (st == NETSTRING_OVERSIZE)
	in->skip = *plen + 1, in->skip_len = *plen;
    if (st != NETSTRING_MORE && st != NETSTRING_OK && st != NETSTRING_OVERSIZE) {
	*payload = *data;
	*plen = *n;
    }
    if (st != NETSTRING_MORE)
	return st;
    if (in->buf == 0 && (in->buf = malloc(max + HEAD_MAX)) == 0)
	return NETSTRING_NOMEM;
    memcpy(in->buf, *data, *n);			/* a correct beginning: it fits */
    in->len = *n;
    take(data, n, *n);
    return NETSTRING_MORE;
}

/* from_buf - complete the buffered netstring with what the input has */
static enum netstring_status from_buf(struct netstring_in *in, const char **data,
				      size_t *n, size_t max, size_t skip_max,
				      const char **payload, size_t *plen)
{
    enum netstring_status st;
    size_t  k = max + HEAD_MAX - in->len, used;

    if (k > *n)
	k = *n;
    memcpy(in->buf + in->len, *data, k);
    in->len += k;
    st = netstring_parse(in->buf, in->len, max, skip_max, payload, plen, &used);
    if (st == NETSTRING_OK || st == NETSTRING_OVERSIZE) {
	take(data, n, k - (in->len - used));	/* the rest was not its */
	in->len = 0;
	if (st == NETSTRING_OVERSIZE)
	    in->skip = *plen + 1, in->skip_len = *plen;
	return st;
    }
    take(data, n, k);
    if (st == NETSTRING_MORE && *n > 0)		/* cannot be: it would fit */
	st = NETSTRING_BAD;
    if (st != NETSTRING_MORE) {
	*payload = in->buf;
	*plen = in->len;
    }
    return st;
}

/* netstring_next - the next netstring of a stream, whatever its pieces */
enum netstring_status netstring_next(struct netstring_in *in, const char **data,
				     size_t *n, size_t max, size_t skip_max,
				     const char **payload, size_t *plen)
{
    enum netstring_status st;

    for (;;) {
	if (in->skip)
	    st = skip_some(in, data, n, payload, plen);
	else if (in->len)
	    st = from_buf(in, data, n, max, skip_max, payload, plen);
	else if (*n == 0)
	    st = NETSTRING_MORE;
	else
	    st = from_data(in, data, n, max, skip_max, payload, plen);
	if (st != NETSTRING_OVERSIZE)
	    break;
    }
    if (st == NETSTRING_MORE && in->len == 0) {
	free(in->buf);
	in->buf = 0;
    }
    return st;
}

/* netstring_in_busy - whether a netstring is incomplete */
int netstring_in_busy(const struct netstring_in *in)
{
    return in->len > 0 || in->skip > 0;
}

/* netstring_in_free - release the buffer, forget the stream */
void netstring_in_free(struct netstring_in *in)
{
    free(in->buf);
    memset(in, 0, sizeof(*in));
}

/* netstring_split - "NAME KEY" at its first space, the key checked */
enum request_status netstring_split(const char *req, size_t len, size_t key_max,
				    struct request *r)
{
    const char *sp = memchr(req, ' ', len);

    r->name = req;
    if (sp == 0) {
	r->name_len = len;
	r->key = 0;
	r->key_len = 0;
	return REQUEST_NO_KEY;
    }
    r->name_len = (size_t) (sp - req);
    r->key = sp + 1;
    r->key_len = len - r->name_len - 1;
    if (r->key_len > key_max)
	return REQUEST_LONG_KEY;
    if (memchr(r->key, 0, r->key_len) || memchr(r->key, '\r', r->key_len)
	|| memchr(r->key, '\n', r->key_len))
	return REQUEST_BAD_KEY;
    return REQUEST_OK;
}

/* netstring_add - append "LEN:DATA," to out */
int netstring_add(struct buf *out, const char *data, size_t len)
{
    char    head[32];
    int     n = snprintf(head, sizeof(head), "%zu:", len);

    if (buf_add(out, head, (size_t) n) < 0 || buf_add(out, data, len) < 0
	|| buf_add(out, ",", 1) < 0)
	return -1;
    return 0;
}

/* netstring_status_name - a status in words, for log lines */
const char *netstring_status_name(enum netstring_status status)
{
    switch (status) {
    case NETSTRING_OK:
	return "ok";
    case NETSTRING_MORE:
	return "incomplete netstring";
    case NETSTRING_BAD:
	return "malformed netstring";
    case NETSTRING_TOOLONG:
	return "netstring longer than the limit";
    case NETSTRING_OVERSIZE:
    case NETSTRING_SKIPPED:
	return "request longer than any address";
    case NETSTRING_NOMEM:
	return "out of memory";
    }
    return "?";
}
