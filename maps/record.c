/*
 * record - the records of a compiled map (see record.h)
 */
#include <stdio.h>
#include <string.h>
#include "maps/record.h"

/* record_key_addr - "addr:DOMAIN:LOCAL"; its length, or -1 if too long */
int     record_key_addr(char *buf, size_t len, const char *domain, size_t dlen,
			        const char *local, size_t llen)
{
    if (5 + dlen + 1 + llen >= len)
	return -1;
    memcpy(buf, "addr:", 5);
    memcpy(buf + 5, domain, dlen);
    buf[5 + dlen] = ':';
    memcpy(buf + 6 + dlen, local, llen);
    buf[6 + dlen + llen] = 0;
    return (int) (6 + dlen + llen);
}

/* record_next - the field at *pos: name and value; 0 at the end */
int     record_next(const char *val, size_t vlen, size_t *pos,
		            const char **name, size_t *nlen, const char **out, size_t *outlen)
{
    const char *f, *tab, *eq;
    size_t  flen;

    if (*pos >= vlen)
	return 0;
    f = val + *pos;
    tab = memchr(f, '\t', vlen - *pos);
    flen = tab ? (size_t) (tab - f) : vlen - *pos;
    *pos += flen + 1;
    if ((eq = memchr(f, '=', flen)) == 0) {
	*name = f, *nlen = flen, *out = f + flen, *outlen = 0;
	return 1;
    }
    *name = f;
    *nlen = eq - f;
    *out = eq + 1;
    *outlen = flen - (eq + 1 - f);
    return 1;
}

/* record_field - the value of the first field called name; 0 if none */
int     record_field(const char *val, size_t vlen, const char *name,
		             const char **out, size_t *outlen)
{
    size_t  pos = 0, nlen, want = strlen(name);
    const char *n;

    while (record_next(val, vlen, &pos, &n, &nlen, out, outlen))
	if (nlen == want && memcmp(n, name, nlen) == 0)
	    return 1;
    return 0;
}

/* record_digest - FNV-1a over more bytes */
uint64_t record_digest(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len-- > 0) {
	h ^= *p++;
	h *= UINT64_C(0x100000001b3);
    }
    return h;
}
