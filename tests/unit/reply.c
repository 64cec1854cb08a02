/*
 * reply.c - unit tests of the reply check: what Postfix takes from a milter
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "tests/unit/tap.h"
#include "maps/reply.h"

/* verdict - reply_check's answer, and its reason when refused */
static void verdict(char klass, const char *code, const char *dsn, const char *text,
		    int want_ok, const char *name)
{
    char    why[200] = "";
    int     r = reply_check(klass, code, dsn, text, why, sizeof(why));

    if (!ok((r == 0) == want_ok, "%s", name))
	printf("#   reason: %s\n", why);
}

int main(void)
{
    char    long_text[1000];

    verdict('5', "550", "5.1.1", "No such person in Sales", 1, "5xx reject accepted");
    verdict('4', "451", "4.3.0", "Try later", 1, "4xx tempfail accepted");
    verdict('5', "450", "4.1.1", "x", 0, "4xx code refused for reject");
    verdict('4', "550", "5.1.1", "x", 0, "5xx code refused for tempfail");
    verdict('5', "550", "4.1.1", "x", 0, "enhanced code of another class refused");
    verdict('5', "550", "5.1", "x", 0, "enhanced code without detail refused");
    verdict('5', "550", "5.1234.1", "x", 0,
	    "enhanced code subject over 3 digits refused");
    verdict('5', "55", "5.1.1", "x", 0, "two-digit code refused");
    verdict('5', "5x0", "5.1.1", "x", 0, "non-digit code refused");
    verdict('5', "550", "5.1.1", "a\rb", 0, "CR in text refused");
    verdict('5', "550", "5.1.1", "a\nb", 0, "LF in text refused");
    verdict('5', "550", "5.1.1", "a\tb", 0, "control character refused");
    verdict('5', "550", "5.1.1", "caf\xc3\xa9", 0, "non-ASCII text refused");
    verdict('5', "550", "5.1.1", "100% sure", 1, "percent sign accepted");
    memset(long_text, 'a', 971);
    long_text[971] = 0;
    verdict('5', "550", "5.1.1", long_text, 0, "reply of 981 characters refused");
    long_text[970] = 0;
    verdict('5', "550", "5.1.1", long_text, 1, "reply of 980 characters accepted");
    long_text[969] = '%';
    verdict('5', "550", "5.1.1", long_text, 0,
	    "percent counted doubled against the limit");
    return done();
}
