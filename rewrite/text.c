/*
 * text - encodings for text that leaves the program (see text.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include "rewrite/text.h"

/* utf8_seq_len - length of the valid UTF-8 sequence at s, or 0 */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    size_t  n, i;
    unsigned min;
    unsigned cp;

    if (s[0] < 0x80)
	return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
	n = 2, cp = s[0] & 0x1f, min = 0x80;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
	n = 3, cp = s[0] & 0x0f, min = 0x800;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
	n = 4, cp = s[0] & 0x07, min = 0x10000;
    else
	return 0;
    if (n > avail)
	return 0;
    for (i = 1; i < n; i++) {
	if ((s[i] & 0xc0) != 0x80)
	    return 0;
	cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
	return 0;
    return n;
}

/* text_utf8_valid - whether len bytes at s are valid UTF-8 */
int text_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t  n;

    while (len > 0) {
	if (*p < 0x80) {			/* ASCII, as nearly every line is */
	    p++, len--;
	    continue;
	}
	if ((n = utf8_seq_len(p, len)) == 0)
	    return 0;
	p += n;
	len -= n;
    }
    return 1;
}

/* put - append n bytes, keeping room for the terminator */
static int put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    if (*at + n >= len)
	return -1;
    memcpy(buf + *at, s, n);
    *at += n;
    buf[*at] = 0;
    return 0;
}

/* unicode_control - a C1 control (U+0080..U+009F, NEL among them) or a
 * line or paragraph separator (U+2028, U+2029): a line break to some */
static int unicode_control(const unsigned char *s, size_t n)
{
    return (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
	|| (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9));
}

/* escape_bytes - the work of text_escape_n; backslash doubled or not */
static int escape_bytes(const char *in, size_t inlen, char *buf, size_t len,
			int double_backslash)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *) in;
    size_t  at = 0, i = 0, n;
    char    esc[4];

    if (len == 0)
	return -1;
    buf[0] = 0;
    while (i < inlen) {
	if (p[i] == '\\' && double_backslash) {
	    n = 2, esc[0] = '\\', esc[1] = '\\';
	} else if (p[i] >= 0x20 && p[i] < 0x7f) {
	    n = 1, esc[0] = p[i];
	} else if (p[i] >= 0x80 && (n = utf8_seq_len(p + i, inlen - i)) > 0
		   && !unicode_control(p + i, n)) {
	    if (put(buf, len, &at, in + i, n) < 0)
		return -1;
	    i += n;
	    continue;
	} else {
	    n = 4, esc[0] = '\\', esc[1] = 'x';
	    esc[2] = hex[p[i] >> 4], esc[3] = hex[p[i] & 15];
	}
	if (put(buf, len, &at, esc, n) < 0)
	    return -1;
	i++;
    }
    return 0;
}

/* text_escape_n - log-safe copy of inlen untrusted bytes */
int text_escape_n(const char *in, size_t inlen, char *buf, size_t len)
{
    return escape_bytes(in, inlen, buf, len, 1);
}

/* text_escape_controls - control bytes and invalid UTF-8 as \xHH only */
int text_escape_controls(const char *in, size_t inlen, char *buf, size_t len)
{
    return escape_bytes(in, inlen, buf, len, 0);
}

/* text_escape - log-safe copy of a string */
int text_escape(const char *in, char *buf, size_t len)
{
    return text_escape_n(in, strlen(in), buf, len);
}

/* text_xtext - RFC 3461 xtext: "+", "=" and bytes outside "!".."~" as +XX */
int text_xtext(const char *in, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;
    size_t  at = 0;
    char    esc[3];

    if (len == 0)
	return -1;
    buf[0] = 0;
    for (p = (const unsigned char *) in; *p; p++) {
	if (*p > ' ' && *p <= '~' && *p != '+' && *p != '=') {
	    if (put(buf, len, &at, (const char *) p, 1) < 0)
		return -1;
	    continue;
	}
	esc[0] = '+', esc[1] = hex[*p >> 4], esc[2] = hex[*p & 15];
	if (put(buf, len, &at, esc, 3) < 0)
	    return -1;
    }
    return 0;
}

/* text_percent_double - "%" as "%%", as smfi_setreply wants it */
int text_percent_double(const char *in, char *buf, size_t len)
{
    size_t  at = 0;

    if (len == 0)
	return -1;
    buf[0] = 0;
    for (; *in; in++)
	if (put(buf, len, &at, *in == '%' ? "%%" : in, *in == '%' ? 2 : 1) < 0)
	    return -1;
    return 0;
}
