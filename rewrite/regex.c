/*
 * regex - a match rule's pattern, compiled one way (see regex.h)
 */
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
