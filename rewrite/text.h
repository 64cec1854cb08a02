#ifndef DEPT_TEXT_H
#define DEPT_TEXT_H
/*
 * text - encodings for text that leaves the program
 *
 * text_escape() makes untrusted bytes safe for a log line: printable ASCII
 * stays, backslash becomes "\\", everything else (control characters, DEL,
 * bytes >= 0x80 that are not valid UTF-8, and the UTF-8 of the C1
 * controls and of U+2028 and U+2029, which some readers take for a line
 * break) becomes "\xHH".  Other valid UTF-8 is kept, as Postfix keeps it
 * with smtputf8.
 * text_escape_controls() is the same but leaves backslashes alone, for
 * messages to a person (rules errors and deptmap's output quote patterns
 * and addresses, whose backslashes mean something).
 * text_xtext() encodes an address for ORCPT=rfc822; (RFC 3461 xtext).
 * text_percent_double() writes "%" as "%%" for smfi_setreply.
 * Each writes a terminated string into buf and returns 0, or -1 when buf was
 * too small (buf then holds a terminated prefix).
 * text_lower_ascii() is the one loop that lowers ASCII letters.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

int     text_escape(const char *in, char *buf, size_t len);
int     text_escape_n(const char *in, size_t inlen, char *buf, size_t len);
int     text_escape_controls(const char *in, size_t inlen, char *buf, size_t len);
int     text_xtext(const char *in, char *buf, size_t len);
int     text_percent_double(const char *in, char *buf, size_t len);
int     text_utf8_valid(const char *s, size_t len);

/* text_lower_ascii - n bytes into out (not terminated), ASCII letters
 * lowered, other bytes as they are; 1 when a byte >= 0x80 was seen.
 * Inline: it runs on every RCPT's local part. */
static inline int text_lower_ascii(const char *in, size_t n, char *out)
{
    size_t  i;
    int     high = 0;

    for (i = 0; i < n; i++) {
	high |= in[i] & 0x80;
	out[i] = in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i];
    }
    return high != 0;
}

#endif
