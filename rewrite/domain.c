/*
 * domain - one spelling for a domain name (see domain.h)
 */
#include <string.h>
#include <stdlib.h>
#include <idn2.h>
#include "rewrite/domain.h"
#include "rewrite/text.h"

/* ascii_lower_copy - lower-case copy of an ASCII name; -1 if too long */
static int ascii_lower_copy(const char *in, size_t n, char *buf, size_t len)
{
    size_t  i;

    if (n >= len)
	return -1;
    for (i = 0; i < n; i++)
	buf[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i];
    buf[n] = 0;
    return 0;
}

/* ascii_name_ok - letters, digits, hyphens and dots, labels 1..63 */
static int ascii_name_ok(const char *s)
{
    size_t  label = 0;

    if (*s == 0 || *s == '.')
	return 0;
    for (; *s; s++) {
	if (*s == '.') {
	    if (label == 0)
		return 0;
	    label = 0;
	    continue;
	}
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'
	      || *s == '_'))
	    return 0;
	if (++label > 63)
	    return 0;
    }
    return label > 0;
}

/* domain_normalise - lower-case A-label form, no trailing dot */
int     domain_normalise(const char *in, char *buf, size_t len)
{
    size_t  n = strlen(in);
    const char *p;
    char   *ace = 0;
    int     ret = -1;

    if (len > 0)
	buf[0] = 0;
    if (n > 0 && in[n - 1] == '.')
	n--;
    for (p = in; p < in + n && (unsigned char) *p < 0x80; p++)
	 /* void */ ;
    if (p == in + n) {
	if (ascii_lower_copy(in, n, buf, len) < 0 || n > 253)
	    goto out;
	ret = ascii_name_ok(buf) ? 0 : -1;
	goto out;
    }
    if (!text_utf8_valid(in, n) || n >= 1024)
	goto out;
    {
	char    tmp[1024];

	memcpy(tmp, in, n);
	tmp[n] = 0;
	if (idn2_to_ascii_8z(tmp, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)
	    != IDN2_OK)
	    goto out;
    }
    if (ascii_lower_copy(ace, strlen(ace), buf, len) < 0 || strlen(ace) > 253)
	goto out;
    ret = ascii_name_ok(buf) ? 0 : -1;
out:
    if (ret < 0 && len > 0)
	buf[0] = 0;
    free(ace);
    return ret;
}

/* domain_to_unicode - U-label form of an A-label name, or a copy */
int     domain_to_unicode(const char *ascii, char *buf, size_t len)
{
    char   *u = 0;
    int     ret;

    if (idn2_to_unicode_8z8z(ascii, &u, 0) != IDN2_OK || strlen(u) >= len) {
	free(u);
	return ascii_lower_copy(ascii, strlen(ascii), buf, len);
    }
    strcpy(buf, u);
    ret = 0;
    free(u);
    return ret;
}
