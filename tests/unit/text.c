/*
 * text.c - unit tests of log escaping, xtext and percent doubling
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "tests/unit/tap.h"
#include "rewrite/text.h"

/* esc - text_escape_n of n bytes */
static void esc(const char *in, size_t n, const char *want, const char *name)
{
    char    buf[256];

    text_escape_n(in, n, buf, sizeof(buf));
    is_str(buf, want, name);
}

int main(void)
{
    char    buf[64], small[8];

    esc("alice@example.com", 17, "alice@example.com", "plain text kept");
    esc("a\r\nb", 4, "a\\x0d\\x0ab", "CR LF escaped");
    esc("a\0b", 3, "a\\x00b", "NUL escaped");
    esc("a\\b", 3, "a\\\\b", "backslash doubled");
    esc("\x1b[31m", 5, "\\x1b[31m", "terminal escape neutralised");
    esc("b\xc3\xbc" "cher", 7, "b\xc3\xbc" "cher", "valid UTF-8 kept");
    esc("b\xc3" "x", 3, "b\\xc3x", "invalid UTF-8 escaped");
    esc("\xed\xa0\x80", 3, "\\xed\\xa0\\x80", "UTF-16 surrogate escaped");
    esc("\x7f", 1, "\\x7f", "DEL escaped");
    esc("a\xc2\x85" "b", 4, "a\\xc2\\x85b", "C1 control (NEL) escaped");
    esc("a\xe2\x80\xa8" "b", 5, "a\\xe2\\x80\\xa8b", "line separator U+2028 escaped");
    esc("\xc2\xa0", 2, "\xc2\xa0", "no-break space U+00A0 kept");
    ok(text_escape("a very long string", small, sizeof(small)) < 0
       && strlen(small) < sizeof(small), "truncation reported, buffer terminated");

    text_xtext("alice+x@sales.example.com", buf, sizeof(buf));
    is_str(buf, "alice+2Bx@sales.example.com", "xtext: + becomes +2B");
    text_xtext("a=b c@x", buf, sizeof(buf));
    is_str(buf, "a+3Db+20c@x", "xtext: = and space encoded");
    text_xtext("b\xc3\xbc@x", buf, sizeof(buf));
    is_str(buf, "b+C3+BC@x", "xtext: bytes above ~ encoded");

    text_percent_double("100% of 50%", buf, sizeof(buf));
    is_str(buf, "100%% of 50%%", "percent doubled for smfi_setreply");
    ok(text_utf8_valid("b\xc3\xbc", 3) && !text_utf8_valid("\xc0\xaf", 2),
       "overlong UTF-8 refused");
    return done();
}
