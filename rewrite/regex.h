#ifndef DEPT_REGEX_H
#define DEPT_REGEX_H
/*
 * regex - a match rule's pattern: compiled one way, and what rules a
 * subject out without running it
 *
 * regex_compile() compiles a pattern with the options of every match rule
 * (UTF, invalid UTF in subjects matched as such, no \C, caseless if asked).
 * It returns the pcre2_code (void * here, so that users of this header need
 * not include pcre2.h) or NULL with PCRE2's error code and offset; the
 * caller owns the code and frees it with pcre2_code_free().
 *
 * regex_skip_init() fills a struct regex_skip from what pcre2_pattern_info()
 * says every match needs: the shortest subject (MINLENGTH), the bytes a
 * match can start with (FIRSTCODEUNIT, or FIRSTBITMAP) and a byte every
 * match holds (LASTCODEUNIT).  PCRE2 does not say whether those units are
 * caseless, so an ASCII letter counts in either case.  PCRE2 reports one
 * leading byte only; the literal run after "^" that an anchored pattern
 * starts with is read from the pattern (conservatively: anything not
 * understood ends it), because rules that share their first letter (the
 * usual "^team01\." .. "^team49\.") are told apart only by it.
 * regex_cannot_match() says from these, without running PCRE2, that a
 * subject cannot match; it never says so of a subject that matches.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#define REGEX_PREFIX_MAX 64

struct regex_skip {
    size_t  min_len;			/* bytes: no shorter subject matches */
    int     anchored;			/* matches start where the subject does */
    int     has_first;			/* first[] is known */
    unsigned char first[32];		/* bitmap: the bytes a match starts with */
    int     last[2];			/* a byte (either one) every match
					 * holds, or -1 */
    size_t  prefix_len;			/* anchored: every match starts with */
    unsigned char prefix[REGEX_PREFIX_MAX];	/* these bytes, */
    unsigned char fold[REGEX_PREFIX_MAX];	/* 0x20 where either case will do */
};

void   *regex_compile(const char *pat, size_t len, int caseless, int *errcode,
		      size_t *erroff);
void    regex_skip_init(struct regex_skip *skip, const void *code,
			const char *pat, size_t len, int caseless);
int     regex_cannot_match(const struct regex_skip *skip, const char *s, size_t len);

#endif
