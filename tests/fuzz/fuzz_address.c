/*
 * fuzz_address - libFuzzer target: the RCPT argument parser
 *
 * Any bytes must parse or be refused without a fault; a parsed address
 * formatted again must parse to the same local part and domain; the log
 * escape and xtext of any input must be terminated and free of controls.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rewrite/address.h"
#include "rewrite/text.h"

/* check_escape - escaped text has no control bytes */
static void check_escape(const char *s)
{
    char    buf[512];
    const unsigned char *p;

    text_escape(s, buf, sizeof(buf));
    for (p = (const unsigned char *) buf; *p; p++)
	if (*p < 0x20 || *p == 0x7f)
	    abort();
    text_xtext(s, buf, sizeof(buf));
    for (p = (const unsigned char *) buf; *p; p++)
	if (*p <= 0x20 || *p > 0x7e)
	    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char   *s = malloc(size + 1), buf[4 * ADDR_LOCAL_MAX];
    struct addr a, b;

    if (s == 0)
	return 0;
    memcpy(s, data, size);
    s[size] = 0;
    check_escape(s);
    if (addr_parse(s, &a) == ADDR_OK && !a.null_sender) {
	(void) addr_split_ext(a.local, "+-");
	if (addr_fold(a.local, a.local_len, buf, sizeof(buf)) < 0)
	    abort();				/* 3 x ADDR_LOCAL_MAX always fits */
	if (addr_format(buf, sizeof(buf), a.local, a.domain) == 0) {
	    if (addr_parse(buf, &b) != ADDR_OK || strcmp(a.local, b.local) != 0
		|| strcmp(a.domain, b.domain) != 0)
		abort();
	}
    }
    free(s);
    return 0;
}
