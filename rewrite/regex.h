#ifndef DEPT_REGEX_H
#define DEPT_REGEX_H
/*
 * regex - a match rule's pattern, compiled one way
 *
 * regex_compile() compiles a pattern with the options of every match rule
 * (UTF, invalid UTF in subjects matched as such, no \C, caseless if asked).
 * It returns the pcre2_code (void * here, so that users of this header need
 * not include pcre2.h) or NULL with PCRE2's error code and offset; the
 * caller owns the code and frees it with pcre2_code_free().  The compiler
 * (to check a rule) and the map (to run it) both call it, so the two
 * cannot disagree on what a pattern means.
 */
#include <stddef.h>

void   *regex_compile(const char *pat, size_t len, int caseless, int *errcode,
		              size_t *erroff);

#endif
