/*
 * domain - one spelling for a domain name (see domain.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <idn2.h>
#include "rewrite/domain.h"
#include "rewrite/text.h"

/* The lower-case form of each LDH byte ("_" allowed, as seen in the
 * wild); 0 for everything else ("." is handled apart). */
/* *INDENT-OFF* (indent spaces designated initializers wrongly) */
static const unsigned char ldh_lower[256] = {
    ['-'] = '-', ['_'] = '_',
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
#define L(c) [c] = c, [c - 32] = c
    L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
    L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
    L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
};
/* *INDENT-ON* */

/* ascii_name - lower-case copy of an LDH name, labels 1..63; -1 if bad,
 * -2 if it has non-ASCII bytes (an IDN in U-labels, maybe) */
static int ascii_name(const char *in, size_t n, char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *) in;
    size_t  i, start = 0;		/* where the current label starts */
    unsigned char c;

    if (n == 0 || n > 253 || n >= len)
	return -1;
    for (i = 0; i < n; i++) {
	if ((c = ldh_lower[p[i]]) != 0) {
	    buf[i] = c;
	    continue;
	}
	if (p[i] != '.')
	    return p[i] >= 0x80 ? -2 : -1;
	if (i == start || i - start > 63)
	    return -1;
	buf[i] = '.';
	start = i + 1;
    }
    buf[n] = 0;
    return (n == start || n - start > 63) ? -1 : 0;
}

/* idn_name - the A-label form of a name with non-ASCII bytes */
static int idn_name(const char *in, size_t n, char *buf, size_t len)
{
    char    tmp[1024], *ace = 0;
    int     ret = -1;

    if (n >= sizeof(tmp) || !text_utf8_valid(in, n))
	return -1;
    memcpy(tmp, in, n);
    tmp[n] = 0;
    if (idn2_to_ascii_8z(tmp, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) == IDN2_OK)
	ret = ascii_name(ace, strlen(ace), buf, len);
    free(ace);
    return ret;
}

/* domain_normalise_n - lower-case A-label form, no trailing dot */
int domain_normalise_n(const char *in, size_t n, char *buf, size_t len)
{
    int     ret;

    if (len == 0)
	return -1;
    if (n > 0 && in[n - 1] == '.')
	n--;
    if ((ret = ascii_name(in, n, buf, len)) == -2)
	ret = idn_name(in, n, buf, len);
    if (ret < 0)
	buf[0] = 0;
    return ret;
}

/* domain_normalise - the same for a terminated name */
int domain_normalise(const char *in, char *buf, size_t len)
{
    return domain_normalise_n(in, strlen(in), buf, len);
}

/* domain_to_unicode - U-label form of an A-label name, or a copy */
int domain_to_unicode(const char *ascii, char *buf, size_t len)
{
    char   *u = 0;
    int     ret;

    if (idn2_to_unicode_8z8z(ascii, &u, 0) != IDN2_OK || strlen(u) >= len) {
	free(u);
	if (strlen(ascii) >= len)
	    return -1;
	text_lower_ascii(ascii, strlen(ascii) + 1, buf);
	return 0;
    }
    strcpy(buf, u);
    ret = 0;
    free(u);
    return ret;
}

#define SHOWN	100				/* bytes of a bad part shown in a reason */

/* ldh_label - why an ASCII label is not letters, digits and hyphens */
static int ldh_label(const char *s, size_t n, char *why, size_t whylen)
{
    size_t  i;

    for (i = 0; i < n; i++) {
	if (s[i] == '-' || (ldh_lower[(unsigned char) s[i]] && s[i] != '_'))
	    continue;
	snprintf(why, whylen, "label \"%.*s\" has \"%c\" (letters, digits and"
		 " hyphens only)", (int) (n < SHOWN ? n : SHOWN), s, s[i]);
	return -1;
    }
    if (s[0] == '-' || s[n - 1] == '-') {
	snprintf(why, whylen, "label \"%.*s\" %s with a hyphen",
		 (int) (n < SHOWN ? n : SHOWN), s, s[0] == '-' ? "starts" : "ends");
	return -1;
    }
    return 0;
}

/* idn_label - why a U-label or an A-label is not valid IDNA2008; the
 * length of its A-label form in *alen */
static int idn_label(const char *s, size_t n, size_t *alen, char *why, size_t whylen)
{
    char    tmp[1024], *ace = 0;
    int     rc;

    if (!text_utf8_valid(s, n)) {
	snprintf(why, whylen, "label \"%.*s\" is not valid UTF-8",
		 (int) (n < SHOWN ? n : SHOWN), s);
	return -1;
    }
    if (n >= sizeof(tmp)) {
	snprintf(why, whylen, "label \"%.*s...\" is longer than 63 octets", SHOWN, s);
	return -1;
    }
    memcpy(tmp, s, n);
    tmp[n] = 0;
    rc = idn2_lookup_u8((uint8_t *) tmp, (uint8_t **) &ace,
			IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc == IDN2_OK && (*alen = strlen(ace)) > 63)
	snprintf(why, whylen, "label \"%s\" is longer than 63 octets as an A-label"
		 " (%s)", tmp, ace);
    else if (rc != IDN2_OK)
	snprintf(why, whylen, "label \"%s\" is not a valid IDNA2008 label: %s", tmp,
		 idn2_strerror(rc));
    free(ace);
    return rc == IDN2_OK && *alen <= 63 ? 0 : -1;
}

/* check_label - why one label (n > 0) is not a mail domain's label */
static int check_label(const char *s, size_t n, size_t *alen, char *why, size_t whylen)
{
    size_t  i;
    int     high = 0;

    for (i = 0; i < n; i++)
	high |= s[i] & 0x80;
    *alen = n;
    if (high || (n > 4 && strncasecmp(s, "xn--", 4) == 0))
	return idn_label(s, n, alen, why, whylen);
    if (n > 63) {
	snprintf(why, whylen, "label \"%.*s%s\" is longer than 63 octets",
		 (int) (n < SHOWN ? n : SHOWN), s, n < SHOWN ? "" : "...");
	return -1;
    }
    return ldh_label(s, n, why, whylen);
}

/* all_digits - whether n bytes are all digits */
static int all_digits(const char *s, size_t n)
{
    while (n > 0 && *s >= '0' && *s <= '9')
	s++, n--;
    return n == 0;
}

/* label_end - where the label starting at start ends: a dot, or n */
static size_t label_end(const char *in, size_t n, size_t start)
{
    const char *dot = memchr(in + start, '.', n - start);

    return dot ? (size_t) (dot - in) : n;
}

/* domain_check - whether a written domain is a mail domain; why not */
int domain_check(const char *in, size_t n, char *why, size_t whylen)
{
    size_t  start, end, alen, total = 0;

    if (n == 0) {
	snprintf(why, whylen, "empty domain");
	return -1;
    }
    if (in[0] == '[') {
	snprintf(why, whylen, "address literals are not accepted: name a domain");
	return -1;
    }
    for (start = 0; start <= n; start = end + 1) {
	end = label_end(in, n, start);
	if (end == start) {
	    snprintf(why, whylen, "%s", start == 0 ? "empty first label (a leading dot)"
		     : end == n ? "a trailing dot" : "empty label (two dots in a row)");
	    return -1;
	}
	if (check_label(in + start, end - start, &alen, why, whylen) < 0)
	    return -1;
	total += alen + (start > 0);
    }
    if (total > 253) {
	snprintf(why, whylen, "longer than 253 octets");
	return -1;
    }
    for (start = n; start > 0 && in[start - 1] != '.'; start--)
	/* void */ ;
    if (all_digits(in + start, n - start)) {
	snprintf(why, whylen, "top-level label \"%.*s\" is all digits (an IP address"
		 " is not a mail domain)", (int) (n - start), in + start);
	return -1;
    }
    return 0;
}
