#ifndef DEPT_DOMAIN_H
#define DEPT_DOMAIN_H
/*
 * domain - one spelling for a domain name
 *
 * domain_normalise() writes the lower-case A-label form of a domain
 * (IDNA2008 via libidn2, so "bücher.example" and "xn--bcher-kva.example"
 * come out the same), without a trailing dot.  It returns 0, or -1 when the
 * name is not a valid domain; buf is always terminated.
 * domain_normalise_n() takes a name that need not be terminated.
 * domain_to_unicode() gives the U-label form for display, or a copy.
 *
 * domain_check() is stricter: it says whether a domain a person wrote
 * (in the rules) is a mail domain: labels of letters, digits and hyphens
 * (not first or last, 1..63 octets), or IDNA2008 labels (U-labels mapped
 * as UTS #46 non-transitional lookup does, A-labels that decode), at most
 * 253 octets in A-label form, a top-level label that is not all digits,
 * no trailing dot and no address literal ("[192.0.2.1]").  It returns 0,
 * or -1 with the reason, naming the offending label, in why.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

int     domain_normalise(const char *in, char *buf, size_t len);
int     domain_normalise_n(const char *in, size_t n, char *buf, size_t len);
int     domain_to_unicode(const char *ascii, char *buf, size_t len);
int     domain_check(const char *in, size_t n, char *why, size_t whylen);

#endif
