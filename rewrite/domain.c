/*
 * domain - one spelling for a domain name (see domain.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
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
