/*
 * netstring - the framing of Postfix's socketmap protocol (see netstring.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>

#include "milter/netstring.h"

/* netstring_parse - one netstring at the start of buf, or why not */
enum netstring_status netstring_parse(const char *buf, size_t len, size_t max,
				      const char **payload, size_t *plen, size_t *used)
{
    size_t  i, n = 0;

    for (i = 0; i < len && buf[i] != ':'; i++) {
	if (buf[i] < '0' || buf[i] > '9')
	    return NETSTRING_BAD;
	if (i == 1 && buf[0] == '0')		/* "01:": a leading zero */
	    return NETSTRING_BAD;
	n = 10 * n + (size_t) (buf[i] - '0');
	if (n > max)				/* so n never overflows */
	    return NETSTRING_TOOLONG;
    }
    if (i == len)
	return NETSTRING_MORE;
    if (i == 0)					/* ":" without a length */
	return NETSTRING_BAD;
    if (len - i - 1 < n + 1)			/* DATA and "," not all here */
	return NETSTRING_MORE;
    if (buf[i + 1 + n] != ',')
	return NETSTRING_BAD;
    *payload = buf + i + 1;
    *plen = n;
    *used = i + 1 + n + 1;
    return NETSTRING_OK;
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
    }
    return "?";
}
