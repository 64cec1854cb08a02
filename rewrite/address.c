/*
 * address - the RCPT TO argument as Postfix hands it to a milter
 * (see address.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include "rewrite/address.h"
#include "rewrite/domain.h"
#include "rewrite/quoted.h"
#include "rewrite/text.h"

/* strip_brackets - the address inside <...>, surrounding blanks dropped */
static int strip_brackets(const char *raw, const char **start, size_t *len)
{
    const char *s = raw, *e = raw + strlen(raw);

    while (*s == ' ' || *s == '\t')
	s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
	e--;
    if (s < e && *s == '<') {
	if (e[-1] != '>' || e - s < 2)
	    return ADDR_BAD;
	s++, e--;
    }
    *start = s;
    *len = e - s;
    return ADDR_OK;
}

/* skip_source_route - "@a,@b:user@d" becomes "user@d" */
static void skip_source_route(const char **s, size_t *len)
{
    const char *colon;

    if (*len == 0 || **s != '@')
	return;
    if ((colon = memchr(*s, ':', *len)) == 0)
	return;
    *len -= colon + 1 - *s;
    *s = colon + 1;
}

/* find_at - the last bare "@", or NULL (also when a quote is open) */
static const char *find_at(const char *s, size_t len)
{
    const char *at;

    return quoted_scan(s, len, &at) ? 0 : at;
}

/* unquote - copy a local part without its quotes and backslashes */
static int unquote(const char *s, size_t len, struct addr *out)
{
    ssize_t n = quoted_copy(s, len, out->local, sizeof(out->local));

    if (n < 0)
	return ADDR_TOOLONG;
    out->local_len = (size_t) n;
    return ADDR_OK;				/* "" is a local part too */
}

/* plain - whether a local part has nothing to unquote */
static int plain(const char *s, size_t len)
{
    return memchr(s, '"', len) == 0 && memchr(s, '\\', len) == 0;
}

/* copy_local - the local part before at, unquoted where needed */
static int copy_local(const char *s, size_t len, int is_plain, struct addr *out)
{
    if (!is_plain)
	return unquote(s, len, out);
    if (len > ADDR_LOCAL_MAX)
	return ADDR_TOOLONG;
    memcpy(out->local, s, len);
    out->local[len] = 0;
    out->local_len = len;
    return ADDR_OK;
}

/* addr_parse - split an RCPT argument into local part and domain */
int addr_parse(const char *raw, struct addr *out)
{
    const char *s, *at;
    size_t  len, dlen;
    int     ret, is_plain;

    out->local[0] = out->domain[0] = 0;
    out->local_len = out->domain_len = 0;
    out->null_sender = 0;
    if ((ret = strip_brackets(raw, &s, &len)) != ADDR_OK)
	return ret;
    if (len == 0) {
	out->null_sender = 1;
	return ADDR_OK;
    }
    skip_source_route(&s, &len);
    is_plain = plain(s, len);
    if ((at = is_plain ? memrchr(s, '@', len) : find_at(s, len)) == 0 || at == s)
	return ADDR_BAD;
    if ((dlen = s + len - (at + 1)) > ADDR_DOMAIN_MAX)
	return ADDR_TOOLONG;
    if (domain_normalise_n(at + 1, dlen, out->domain, sizeof(out->domain)) < 0)
	return ADDR_BAD;
    out->domain_len = strlen(out->domain);
    return copy_local(s, at - s, is_plain, out);
}

/* addr_split_ext - length of the local part before its extension */
size_t addr_split_ext(const char *local, const char *delimiters)
{
    size_t  len = strlen(local), base;

    if (delimiters == 0 || *delimiters == 0)
	return len;
    base = strcspn(local, delimiters);
    if (base == 0 || base == len)
	return len;
    if (strcasecmp(local, "postmaster") == 0 || strcasecmp(local, "mailer-daemon") == 0)
	return len;
    if (strchr(delimiters, '-') != 0
	&& (strncasecmp(local, "owner-", 6) == 0
	    || (len > 8 && strcasecmp(local + len - 8, "-request") == 0)))
	return len;
    return base;
}

/* atext - whether c may stand unquoted in a dot-atom */
static int atext(unsigned char c)
{
    /* one bit per ASCII character: letters, digits and !#$%&'*+-/=?^_`{|}~ */
    static const uint64_t mask[2] = {
	UINT64_C(0xa3ffacfa00000000),
	UINT64_C(0x7fffffffc7fffffe),
    };

    return c >= 0x80 || (mask[c >> 6] >> (c & 63)) & 1;
}

/* addr_local_needs_quotes - whether a local part is not a dot-atom */
int addr_local_needs_quotes(const char *local)
{
    const char *p;

    if (*local == 0 || *local == '.')
	return 1;
    for (p = local; *p; p++)
	if (!atext(*p) && (*p != '.' || p[1] == '.' || p[1] == 0))
	    return 1;
    return 0;
}

/* addr_format - local@domain in external form; -1 if it did not fit */
int addr_format(char *buf, size_t len, const char *local, const char *domain)
{
    size_t  n = 0;
    const char *p;

    if (!addr_local_needs_quotes(local)) {
	size_t  ll = strlen(local), dl = strlen(domain);

	if (ll + dl + 2 > len)
	    return -1;
	memcpy(buf, local, ll);
	buf[ll] = '@';
	memcpy(buf + ll + 1, domain, dl + 1);
	return 0;
    }
    if (len < 3)
	return -1;
    buf[n++] = '"';
    for (p = local; *p; p++) {
	if (n + 3 >= len)
	    return -1;
	if (*p == '"' || *p == '\\')
	    buf[n++] = '\\';
	buf[n++] = *p;
    }
    buf[n++] = '"';
    if (n + strlen(domain) + 2 > len)
	return -1;
    buf[n++] = '@';
    strcpy(buf + n, domain);
    return 0;
}

#define NOT_UTF8	(-2)

/* fold_utf8 - ICU's full case folding of UTF-8 into out (size bytes, NUL
 * added); its length, -1 when it does not fit, NOT_UTF8 when in is not
 * valid UTF-8 (out is then untouched) */
static ssize_t fold_utf8(const char *in, size_t len, char *out, size_t size)
{
    UChar   u16[ADDR_LOCAL_MAX], folded[ADDR_FOLD_MAX];
    UErrorCode err = U_ZERO_ERROR;
    int32_t n16, nfold, n8;

    if (len > ADDR_LOCAL_MAX || size > INT32_MAX)
	return NOT_UTF8;
    u_strFromUTF8(u16, ADDR_LOCAL_MAX, &n16, in, (int32_t) len, &err);
    if (U_FAILURE(err))
	return NOT_UTF8;
    nfold = u_strFoldCase(folded, ADDR_FOLD_MAX, u16, n16, U_FOLD_CASE_DEFAULT, &err);
    if (U_SUCCESS(err))
	u_strToUTF8(out, (int32_t) size, &n8, folded, nfold, &err);
    if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING)
	return -1;
    return n8;
}

/* addr_fold - a local part case-folded into out (size bytes, NUL added),
 * as Postfix folds table keys with SMTPUTF8 (its default): ICU's full
 * case folding, so that "JÖRG" is "jörg" and "STRAßE" is "strasse".  Input
 * that is not valid UTF-8 (or longer than ADDR_LOCAL_MAX with other bytes
 * than ASCII) gets its ASCII letters lowered only.  The length of the
 * result, or -1 when it does not fit (size must exceed len).  ASCII, as
 * nearly every RCPT is, is lowered in the same pass that looks for other
 * bytes. */
ssize_t addr_fold(const char *in, size_t len, char *out, size_t size)
{
    ssize_t n;

    if (len >= size)
	return -1;
    out[len] = 0;
    if (!text_lower_ascii(in, len, out))
	return (ssize_t) len;
    return (n = fold_utf8(in, len, out, size)) == NOT_UTF8 ? (ssize_t) len : n;
}

#define SHOWN	100				/* bytes of a bad part shown in a reason */
#define PART(s, n) (int) ((n) < SHOWN ? (n) : SHOWN), (s)

/* control_at - the offset of the first control character (C0, DEL, or
 * C1 in UTF-8), or n */
static size_t control_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t  i;

    for (i = 0; i < n; i++)
	if (p[i] < 0x20 || p[i] == 0x7f
	    || (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
	    return i;
    return n;
}

/* local_common - what any local part must be: not empty, short, UTF-8,
 * without control characters */
static int local_common(const char *s, size_t n, char *why, size_t whylen)
{
    if (n == 0)
	snprintf(why, whylen, "empty local part");
    else if (n > ADDR_RFC_LOCAL_MAX)
	snprintf(why, whylen, "local part \"%.*s\" is longer than %d octets",
		 PART(s, n), ADDR_RFC_LOCAL_MAX);
    else if (!text_utf8_valid(s, n))
	snprintf(why, whylen, "local part \"%.*s\" is not valid UTF-8", PART(s, n));
    else if (control_at(s, n) < n)
	snprintf(why, whylen, "local part \"%.*s\" has a control character", PART(s, n));
    else
	return 0;
    return -1;
}

/* dot_string - why a local part is not a Dot-string */
static int dot_string(const char *s, size_t n, char *why, size_t whylen)
{
    size_t  i;
    const char *what = 0;
    char    c[2] = "";

    for (i = 0; i < n && what == 0; i++) {
	if (s[i] == '.' && (i == 0 || i == n - 1 || s[i + 1] == '.'))
	    what = i == 0 ? "starts with a dot" : i == n - 1 ? "ends with a dot"
		: "has two dots in a row";
	else if (s[i] == '\\')
	    what = "has a backslash outside quotes";
	else if (s[i] == '"')
	    what = "has a quote inside it (quote the whole local part)";
	else if (s[i] != '.' && !atext(s[i]))
	    c[0] = s[i], what = "";
    }
    if (what == 0)
	return 0;
    if (*what)
	snprintf(why, whylen, "local part \"%.*s\" %s", PART(s, n), what);
    else
	snprintf(why, whylen, "local part \"%.*s\" has an unquoted \"%s\""
		 " (quote the local part, or remove it)", PART(s, n), c);
    return -1;
}

/* quoted_string - why a local part starting with a quote is not one
 * Quoted-string */
static int quoted_string(const char *s, size_t n, char *why, size_t whylen)
{
    size_t  i;

    for (i = 1; i < n; i++) {
	if (s[i] == '\\') {
	    i++;				/* a pair; the last quote escaped: open */
	    continue;
	}
	if (s[i] != '"')
	    continue;
	if (i == n - 1)
	    return n == 2 ? (snprintf(why, whylen, "empty local part"), -1) : 0;
	snprintf(why, whylen, "local part \"%.*s\" has text after its closing quote",
		 PART(s, n));
	return -1;
    }
    snprintf(why, whylen, "local part \"%.*s\" has an unterminated quote", PART(s, n));
    return -1;
}

/* addr_check_local - whether a local part as written is a mailbox's */
int addr_check_local(const char *s, size_t n, char *why, size_t whylen)
{
    if (local_common(s, n, why, whylen) < 0)
	return -1;
    return *s == '"' ? quoted_string(s, n, why, whylen) : dot_string(s, n, why, whylen);
}

/* addr_check_literal - whether an unquoted local part is a mailbox's */
int addr_check_literal(const char *s, size_t n, char *why, size_t whylen)
{
    return local_common(s, n, why, whylen);
}

/* check_domain - domain_check, its reason naming the domain */
static int check_domain(const char *d, size_t n, char *why, size_t whylen)
{
    char    reason[400];

    if (domain_check(d, n, reason, sizeof(reason)) == 0)
	return 0;
    if (n == 0)
	snprintf(why, whylen, "%s", reason);
    else
	snprintf(why, whylen, "domain \"%.*s\": %s", PART(d, n), reason);
    return -1;
}

/* addr_check - whether local@domain as written is a mailbox */
int addr_check(const char *s, size_t n, char *why, size_t whylen)
{
    const char *at;

    if (quoted_scan(s, n, &at)) {
	snprintf(why, whylen, "unterminated quote");
	return -1;
    }
    if (at == 0) {
	snprintf(why, whylen, "no \"@\" and domain");
	return -1;
    }
    if (addr_check_local(s, at - s, why, whylen) < 0)
	return -1;
    return check_domain(at + 1, s + n - (at + 1), why, whylen);
}
