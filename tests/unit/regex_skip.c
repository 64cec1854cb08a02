/*
 * regex_skip.c - unit tests of what lets a match rule be skipped without
 * running PCRE2: it must never skip a subject that the pattern matches
 * (each pattern is run on every subject here to check that), and it
 * should skip the subjects that PCRE2's answers or the literal prefix
 * rule out.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "tests/unit/tap.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "rewrite/regex.h"

/* Subjects every pattern is tried on: ASCII, case, non-ASCII letters that
 * fold to ASCII (long s U+017F, Kelvin sign U+212A), invalid UTF-8. */
static const char *subjects[] = {
    "", "a", "ac", "abc", "abbc", "ABC", "x", "x1", "bc", "abcx",
    "sales49.bob", "sales48.bob", "sales49x", "SALES49.BOB", "sales",
    "xsales", "bob", "\xc5\xbf" "ales", "\xc5\xbf" "ales49.bob",
    "john.doe", "johndoe", "1ohn.doe", "John.Doe", "\xc5\xbf" "am.doe",
    "\xe2\x84\xaa" "elvin", "kelvin", "Kelvin", "KELVIN", "celvin",
    "\xe2\x84\xaa" "elvin.x", "info-x", "info", "infox", "INFO-X",
    "desk", "DESK", "de\xc5\xbf" "k", "des\xe2\x84\xaa", "dfsk", "xDESK",
    "xyz", "caf\xc3\xa9", "CAF\xc3\x89", "cafe", "zzbx", "zzzx", "a1",
    "a_b", "aXb", "a\xff", "\xff" "abc", "team49.ann", "team40.ann",
    "alice+ext", "alice", "+ext", "a.b.c", "xbc", "a.c", "ab*",
};

#define NSUBJECTS (sizeof(subjects) / sizeof(subjects[0]))

/* matches - whether PCRE2 matches the subject, the map's way */
static int matches(pcre2_code *re, const char *s)
{
    pcre2_match_data *md = pcre2_match_data_create(1, 0);
    int     rc = pcre2_match(re, (PCRE2_SPTR) s, strlen(s), 0, 0, md, 0);

    pcre2_match_data_free(md);
    return rc >= 0;
}

/* check - compile a pattern; it never skips what it matches, it skips
 * each subject in skips ("|"-separated) and runs each in runs */
static void check(const char *pat, int caseless, const char *skips, const char *runs)
{
    struct regex_skip skip;
    pcre2_code *re;
    int     errcode, sound = 1, skipped;
    size_t  off, i;
    char    list[400], *s, *save;

    if (!ok((re = regex_compile(pat, strlen(pat), caseless, &errcode, &off)) != 0,
	    "/%s/%s compiles", pat, caseless ? "i" : ""))
	return;
    regex_skip_init(&skip, re, pat, strlen(pat), caseless);
    for (i = 0; i < NSUBJECTS; i++)
	if (matches(re, subjects[i])
	    && regex_cannot_match(&skip, subjects[i], strlen(subjects[i]))) {
	    printf("#   skipped '%s', which matches\n", subjects[i]);
	    sound = 0;
	}
    ok(sound, "/%s/%s never skips a subject it matches", pat, caseless ? "i" : "");
    for (int want = 1; want >= 0; want--) {
	snprintf(list, sizeof(list), "%s", want ? skips : runs);
	for (s = strtok_r(list, "|", &save); s; s = strtok_r(0, "|", &save)) {
	    skipped = regex_cannot_match(&skip, s, strlen(s));
	    ok(skipped == want, "/%s/%s %s '%s'", pat, caseless ? "i" : "",
	       want ? "skips" : "runs", s);
	}
    }
    pcre2_code_free(re);
}

int main(void)
{
    /* the literal prefix of anchored patterns */
    check("^sales49\\.(\\w+)$", 0, "sales48.bob|sales49x|SALES49.BOB", "sales49.bob");
    check("^sales49\\.(\\w+)$", 1, "bob|xsales49.bob|sales49x",
	  "sales49.bob|SALES49.BOB|\xc5\xbf" "ales49.bob");
    check("^team49\\.([a-z]+)$", 1, "team40.ann|alice", "team49.ann");
    check("^ab*c", 0, "bc", "ac|abbc");
    check("^ab?c", 0, "bc", "ac");
    check("^ab{2}c", 0, "bc|ac", "abbc");
    check("^ab+c", 0, "bc|ac", "abc");
    check("^a\\wb", 0, "x1|bc", "a_b|abc");
    check("^a\\d", 0, "x1", "a1|abc");
    check("^a.b", 0, "x1", "aXb");
    check("^a[bc]", 0, "x1", "abc");
    check("^info-", 0, "info|infox|INFO-X", "info-x");
    check("^info-", 1, "info|infox", "info-x|INFO-X");
    check("^caf\xc3\xa9", 0, "xyz", "caf\xc3\xa9|cafe");
    check("^", 0, "", "|x|abc");
    /* a quantifier after \E, \Q\E or a comment applies to the item before */
    check("^ab\\E*c", 0, "bc", "ac|abbc");
    check("^ab\\Q\\E*c", 0, "bc", "ac|abbc");
    check("^ab(?#x)*c", 0, "bc", "ac|abbc");
    check("^ab(?#x)\\E(?#y)?c", 0, "bc", "ac|abc");
    check("^a\\.\\E?c", 0, "bc", "ac|a.c");
    check("^ab\\Q*\\E", 0, "bc", "ab*");
    /* caseless k and s have non-ASCII partners (K U+212A, long s U+017F):
     * they end the prefix, and PCRE2's bitmap knows them */
    check("^desk", 1, "dfsk|xDESK", "desk|DESK|de\xc5\xbf" "k|des\xe2\x84\xaa");
    check("^Kelvin", 1, "celvin|xyz", "\xe2\x84\xaa" "elvin|kelvin|Kelvin|KELVIN");
    check("^sales", 1, "bob|xsales", "\xc5\xbf" "ales|sales");
    check("^(?i)abc", 0, "xbc|bc", "ABC|abc");
    /* no prefix: PCRE2's first code unit, bitmap, required code unit */
    check("^([a-z]+)\\.([a-z]+)$", 0, "johndoe|1ohn.doe|John.Doe", "john.doe|a.b.c");
    check("^([a-z]+)\\.([a-z]+)$", 1, "johndoe|1ohn.doe",
	  "john.doe|John.Doe|\xc5\xbf" "am.doe|\xe2\x84\xaa" "elvin.x");
    check("^abc|^x", 0, "bc|zzbx", "abc|x1|x|a1");
    check("sales", 0, "bob|sale", "xsales|sales");
    check("(?i)desk", 0, "xyz|dfsk", "xDESK|desk");
    check("[bc]x", 0, "zzzx|bc", "zzbx");
    check("c$", 0, "ab|xyz", "abc");
    check("x*", 0, "", "|a|xyz");
    check("\\+ext$", 0, "alice|ext", "alice+ext|+ext");
    return done();
}
