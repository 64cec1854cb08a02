/*
 * pattern - the literal prefix of an anchored regex (see pattern.h)
 */
#include <string.h>
#include "rewrite/pattern.h"

/* quantifier - whether c makes the character before it optional or many */
static int quantifier(char c)
{
    return c == '*' || c == '+' || c == '?' || c == '{';
}

/* literal_at - the literal character at p, its source length in *step */
static int literal_at(const char *p, const char *end, size_t *step)
{
    if (*p == '\\') {
	/* only escaped punctuation is a plain literal */
	if (p + 1 < end && strchr(".-+@_=/#!%&~,:;'\"<>", p[1]) != 0 && p[1]) {
	    *step = 2;
	    return (unsigned char) p[1];
	}
	return -1;
    }
    if (strchr(".[]()*+?{}|^$", *p) != 0 || (unsigned char) *p >= 0x80)
	return -1;
    *step = 1;
    return (unsigned char) *p;
}

/* pattern_prefix - literal text every match must start with */
size_t  pattern_prefix(const char *pat, size_t len, int caseless, char *out,
		               size_t outlen)
{
    const char *p = pat + 1, *end = pat + len;
    size_t  n = 0, step;
    int     c;

    if (outlen > 0)
	out[0] = 0;
    if (len < 2 || pat[0] != '^' || memchr(pat, '|', len) != 0)
	return 0;
    while (p < end && n + 1 < outlen && (c = literal_at(p, end, &step)) >= 0) {
	if (p + step < end && quantifier(p[step]))
	    break;
	if (caseless && strchr("kKsS", c) != 0)
	    break;
	out[n++] = (char) c;
	p += step;
    }
    out[n] = 0;
    return n;
}
