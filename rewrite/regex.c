/*
 * regex - a match rule's pattern: compiled one way, and what rules a
 * subject out without running it (see regex.h)
 *
 * Every check here is one PCRE2 makes itself at the start of pcre2_match()
 * (minimum length, first code unit or bitmap, required code unit), or the
 * literal prefix, which PCRE2 checks while matching; a subject they rule
 * out would not match, so skipping it changes no decision, only its cost.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "rewrite/regex.h"

/* regex_compile - PCRE2 code for a match rule's pattern */
void   *regex_compile(const char *pat, size_t len, int caseless, int *errcode,
		      size_t *erroff)
{
    PCRE2_SIZE off = 0;
    pcre2_code *re;

    re = pcre2_compile((PCRE2_SPTR) pat, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF
		       | PCRE2_NEVER_BACKSLASH_C | (caseless ? PCRE2_CASELESS : 0),
		       errcode, &off, 0);
    *erroff = off;
    return re;
}

/* other_case - the other case of an ASCII letter, any other byte itself */
static int other_case(int c)
{
    if (c >= 'a' && c <= 'z')
	return c - 32;
    if (c >= 'A' && c <= 'Z')
	return c + 32;
    return c;
}

/* quantified - whether a quantifier makes the item before p optional or
 * many; PCRE2 reads \Q, \E and (?#...) comments as nothing, so that
 * "a\E*" is "a*" */
static int quantified(const char *p, const char *end)
{
    const char *q;

    for (;;) {
	if (end - p >= 2 && p[0] == '\\' && (p[1] == 'Q' || p[1] == 'E'))
	    p += 2;
	else if (end - p >= 3 && memcmp(p, "(?#", 3) == 0
		 && (q = memchr(p, ')', end - p)) != 0)
	    p = q + 1;
	else
	    return p < end && (*p == '*' || *p == '+' || *p == '?' || *p == '{');
    }
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

/* literal_prefix - the literal bytes after "^" that every match starts
 * with: anything not understood ends them, a pattern with "|" has none,
 * and caseless, k and s end them too, for their Unicode case partners are
 * not ASCII (K U+212A, long s U+017F).  Caseless letters are stored in
 * lower case, with 0x20 in fold[]. */
static size_t literal_prefix(const char *pat, size_t len, int caseless,
			     unsigned char *out, unsigned char *fold)
{
    const char *p = pat + 1, *end = pat + len;
    size_t  n = 0, step;
    int     c;

    if (len < 2 || pat[0] != '^' || memchr(pat, '|', len) != 0)
	return 0;
    while (p < end && n < REGEX_PREFIX_MAX && (c = literal_at(p, end, &step)) >= 0) {
	if (quantified(p + step, end))
	    break;
	if (caseless && strchr("kKsS", c) != 0)
	    break;
	fold[n] = caseless && other_case(c) != c ? 0x20 : 0;
	out[n] = (unsigned char) (c | fold[n]);
	n++;
	p += step;
    }
    return n;
}

/* set_bit - add byte c to a 256-bit map */
static void set_bit(unsigned char *map, unsigned c)
{
    map[c / 8] |= 1u << (c % 8);
}

/* first_units - the bytes a match starts with: PCRE2's first code unit,
 * either case, or its bitmap of them */
static void first_units(struct regex_skip *skip, const pcre2_code *re)
{
    uint32_t type = 0, unit = 0;
    const uint8_t *bitmap = 0;

    if (pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 && type == 1
	&& pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 && unit < 256) {
	set_bit(skip->first, unit);
	set_bit(skip->first, other_case(unit));
	skip->has_first = 1;
    } else if (pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &bitmap) == 0
	       && bitmap != 0) {
	memcpy(skip->first, bitmap, sizeof(skip->first));
	skip->has_first = 1;
    }
}

/* last_unit - a byte every match holds, either case, if PCRE2 knows one */
static void last_unit(struct regex_skip *skip, const pcre2_code *re)
{
    uint32_t type = 0, unit = 0;

    skip->last[0] = skip->last[1] = -1;
    if (pcre2_pattern_info(re, PCRE2_INFO_LASTCODETYPE, &type) == 0 && type == 1
	&& pcre2_pattern_info(re, PCRE2_INFO_LASTCODEUNIT, &unit) == 0 && unit < 256) {
	skip->last[0] = (int) unit;
	skip->last[1] = other_case((int) unit);
    }
}

/* regex_skip_init - what a compiled pattern says every match needs */
void regex_skip_init(struct regex_skip *skip, const void *code,
		     const char *pat, size_t len, int caseless)
{
    const pcre2_code *re = code;
    uint32_t minlen = 0, options = 0;

    memset(skip, 0, sizeof(*skip));
    if (pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &minlen) == 0)
	skip->min_len = minlen;			/* characters: bytes are no fewer */
    if (pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &options) == 0)
	skip->anchored = (options & PCRE2_ANCHORED) != 0;
    first_units(skip, re);
    last_unit(skip, re);
    if (skip->anchored)
	skip->prefix_len = literal_prefix(pat, len, caseless, skip->prefix, skip->fold);
    if (skip->min_len < skip->prefix_len)
	skip->min_len = skip->prefix_len;
}

/* may_start - whether the subject holds a byte a match can start with
 * (anchored: as its first byte) */
static int may_start(const struct regex_skip *skip, const unsigned char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
	if (skip->first[s[i] / 8] & (1u << (s[i] % 8)))
	    return 1;
	if (skip->anchored)
	    break;
    }
    return 0;
}

/* lacks_last - whether the subject misses the byte every match holds (out
 * of line: the common path of regex_cannot_match then saves no registers) */
static int lacks_last(const struct regex_skip *skip, const char *s, size_t len)
    __attribute__((noinline));

static int lacks_last(const struct regex_skip *skip, const char *s, size_t len)
{
    return memchr(s, skip->last[0], len) == 0
	&& (skip->last[1] == skip->last[0] || memchr(s, skip->last[1], len) == 0);
}

/* regex_cannot_match - whether a subject is ruled out without PCRE2 */
int regex_cannot_match(const struct regex_skip *skip, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t  i;

    if (len < skip->min_len)
	return 1;
    for (i = 0; i < skip->prefix_len; i++)
	if ((u[i] | skip->fold[i]) != skip->prefix[i])
	    return 1;
    if (skip->prefix_len == 0 && skip->has_first && !may_start(skip, u, len))
	return 1;				/* the prefix implies the first byte */
    return skip->last[0] >= 0 && lacks_last(skip, s, len);
}
