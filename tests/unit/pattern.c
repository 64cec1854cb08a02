/*
 * pattern.c - unit tests of the literal prefix that lets match rules be
 * skipped without running PCRE2: it must never claim more than the regex
 * requires.
 */
#include "tests/unit/tap.h"
#include "rewrite/pattern.h"

/* prefix - pattern_prefix of a pattern, compared with what it must be */
static void prefix(const char *pat, int caseless, const char *want)
{
    char    out[64], name[200];

    pattern_prefix(pat, strlen(pat), caseless, out, sizeof(out));
    snprintf(name, sizeof(name), "prefix of /%s/%s", pat, caseless ? "i" : "");
    is_str(out, want, name);
}

int     main(void)
{
    prefix("^sales49\\.(\\w+)$", 0, "sales49.");
    prefix("^([a-z]+)\\.([a-z]+)$", 0, "");
    prefix("sales", 0, "");
    prefix("^ab*c", 0, "a");
    prefix("^ab?c", 0, "a");
    prefix("^ab{2}c", 0, "a");
    prefix("^ab+c", 0, "a");
    prefix("^abc|^x", 0, "");
    prefix("^a\\wb", 0, "a");
    prefix("^a\\d", 0, "a");
    prefix("^a.b", 0, "a");
    prefix("^(?i)abc", 0, "");
    prefix("^a[bc]", 0, "a");
    prefix("^info-", 0, "info-");
    prefix("^desk", 1, "de");
    prefix("^Kelvin", 1, "");
    prefix("^caf\xc3\xa9", 0, "caf");
    prefix("^", 0, "");
    prefix("^a\\", 0, "a");
    return done();
}
