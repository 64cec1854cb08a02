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
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

int     domain_normalise(const char *in, char *buf, size_t len);
int     domain_normalise_n(const char *in, size_t n, char *buf, size_t len);
int     domain_to_unicode(const char *ascii, char *buf, size_t len);

#endif
