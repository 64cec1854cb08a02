#ifndef DEPT_ADDRESS_H
#define DEPT_ADDRESS_H
/*
 * address - the RCPT TO argument as Postfix hands it to a milter
 *
 * addr_parse() takes the argument exactly as received ("<user@domain>",
 * without brackets, quoted local part, source route, "<>") and fills a
 * struct addr whose strings live in the struct itself: the caller owns
 * nothing else.  The local part is unquoted (Postfix's internal form); the
 * domain is lower-cased, without a trailing dot, and IDNA2008-normalised to
 * its A-label form (domain_normalise).
 *
 * addr_split_ext() applies Postfix's recipient_delimiter rule;
 * addr_format() quotes a local part again where RFC 5321 needs it;
 * addr_fold() case-folds a local part as Postfix folds table keys;
 * addr_key() is the one spelling of a local part as a map key.
 *
 * The checks of an address a person wrote (in the rules, or made by a
 * match rule) return 0, or -1 with the reason in why, naming the part
 * that is wrong:
 * addr_check_local() takes a local part as written: an RFC 5321
 * Dot-string (atext runs joined by single dots) or one Quoted-string
 * (printable ASCII and backslash pairs), UTF-8 allowed as RFC 6531 does;
 * addr_check_literal() takes one without its syntax (a roster's name, a
 * match result): any printable text, quoted again when it is written;
 * addr_check() takes "local@domain" as written (domain_check for the
 * domain).  Local parts are at most ADDR_RFC_LOCAL_MAX octets, control
 * characters (C0, DEL, C1) and invalid UTF-8 are refused.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define ADDR_LOCAL_MAX	1024			/* longer local parts are not ours */
#define ADDR_DOMAIN_MAX	256
#define ADDR_FOLD_MAX	(3 * ADDR_LOCAL_MAX)	/* a folded local part */
#define ADDR_RFC_LOCAL_MAX 64			/* RFC 5321 4.5.3.1.1 */

struct addr {
    char    local[ADDR_LOCAL_MAX + 1];	/* unquoted, case as received */
    char    domain[ADDR_DOMAIN_MAX + 1];	/* lower-case A-labels, "" for <> */
    size_t  local_len;
    size_t  domain_len;
    int     null_sender;		/* the address was <> */
};

/* Results of addr_parse */
#define ADDR_OK		0
#define ADDR_BAD	1			/* syntax: not an address we decide on */
#define ADDR_TOOLONG	2

int     addr_parse(const char *raw, struct addr *out);
size_t  addr_split_ext(const char *local, const char *delimiters);
int     addr_format(char *buf, size_t len, const char *local, const char *domain);
int     addr_local_needs_quotes(const char *local);
ssize_t addr_fold(const char *in, size_t len, char *out, size_t size);
int     addr_check_local(const char *s, size_t n, char *why, size_t whylen);
int     addr_check_literal(const char *s, size_t n, char *why, size_t whylen);
int     addr_check(const char *s, size_t n, char *why, size_t whylen);

/* addr_key - a local part as a department's map keys spell it: folded
 * unless the department is case-sensitive, and "postmaster" folded always
 * (RFC 5321 4.5.1: it is case-insensitive everywhere).  The compiler and
 * decide() both ask here, so that they cannot disagree on a key.  Its
 * length, or -1 when it does not fit in size bytes (3 * len + 1 always
 * does).  Inline: decide() asks once per RCPT. */
static inline ssize_t addr_key(const char *local, size_t len, int case_exact,
			       char *out, size_t size)
{
    if (!case_exact || (len == 10 && strncasecmp(local, "postmaster", 10) == 0))
	return addr_fold(local, len, out, size);
    if (len >= size)
	return -1;
    memcpy(out, local, len);
    out[len] = 0;
    return (ssize_t) len;
}

#endif
