/*
 * reply - an SMTP reply that Postfix will take from a milter (see reply.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>
#include "maps/reply.h"
#include "rewrite/record.h"

/* digits - count of leading decimal digits */
static size_t digits(const char *s)
{
    size_t  n = 0;

    while (s[n] >= '0' && s[n] <= '9')
	n++;
    return n;
}

/* dsn_ok - C.S.D with C the class, S 1-3 digits, D 1-3 digits */
static int dsn_ok(char klass, const char *dsn)
{
    size_t  n;

    if (dsn[0] != klass || dsn[1] != '.')
	return 0;
    dsn += 2;
    if ((n = digits(dsn)) < 1 || n > 3 || dsn[n] != '.')
	return 0;
    dsn += n + 1;
    if ((n = digits(dsn)) < 1 || n > 3 || dsn[n] != 0)
	return 0;
    return 1;
}

/* reply_check - whether Postfix will take this reply */
int reply_check(char klass, const char *code, const char *dsn,
		const char *text, char *why, size_t whylen)
{
    const char *p;
    size_t  len;

    if (strlen(code) != 3 || digits(code) != 3 || code[0] != klass) {
	snprintf(why, whylen, "reply code \"%s\" must be %cXX", code, klass);
	return -1;
    }
    if (strcmp(code, "421") == 0 || strcmp(code, "521") == 0) {
	snprintf(why, whylen, "reply code %s makes Postfix end the whole SMTP"
		 " session; use %s", code, klass == '4' ? "450 or 451" : "550");
	return -1;
    }
    if (!dsn_ok(klass, dsn)) {
	snprintf(why, whylen, "enhanced status code \"%s\" must be %c.X.X"
		 " (digits, class %c like the reply code)", dsn, klass, klass);
	return -1;
    }
    for (len = 0, p = text; *p; p++, len++) {
	if (*p == '\r' || *p == '\n') {
	    snprintf(why, whylen, "reply text must not contain CR or LF");
	    return -1;
	}
	if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f) {
	    snprintf(why, whylen, "reply text must be printable ASCII");
	    return -1;
	}
	if (*p == '%')
	    len++;
    }
    if (len + strlen(code) + strlen(dsn) + 2 > REPLY_MAX) {
	snprintf(why, whylen, "reply is longer than %d characters", REPLY_MAX);
	return -1;
    }
    return 0;
}
