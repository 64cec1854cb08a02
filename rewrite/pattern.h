#ifndef DEPT_PATTERN_H
#define DEPT_PATTERN_H
/*
 * pattern - what a match rule's regex says about its subjects, cheaply
 *
 * pattern_prefix() finds the literal text an anchored pattern ("^abc...")
 * requires at the start of every subject, so that a rule can be skipped
 * without running PCRE2.  It is conservative: any construct it does not
 * understand ends the prefix, a pattern with "|" has none, and with
 * caseless matching letters whose Unicode case folding reaches outside
 * ASCII (k, s) end it too.  It returns the prefix length written to out
 * (terminated).
 */
#include <stddef.h>

size_t  pattern_prefix(const char *pat, size_t len, int caseless, char *out,
		       size_t outlen);

#endif
