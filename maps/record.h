#ifndef DEPT_RECORD_H
#define DEPT_RECORD_H
/*
 * record - the records of a compiled map, and how they are spelled
 *
 * Keys (domain is the normalised department domain):
 *   meta                      format=deptmap-1 departments=N records=N digest=HEX
 *   index:N                   the N-th department's domain (N from 0)
 *   dept:DOMAIN               canonical= delimiter= case= all= unknown= ...
 *   addr:DOMAIN:LOCAL         rule=FILE:LINE to=ADDRESS ...
 *   match:DOMAIN:NNNN         rule= flags= to= ... pattern=REGEX (last)
 * Values are "name=value" fields separated by one tab; no value holds a
 * tab, CR or LF.  record_field() finds a field, record_next() walks them.
 * Both work on (pointer, length) pairs that need not be terminated.
 */
#include <stddef.h>
#include <stdint.h>

#define RECORD_FORMAT	"deptmap-1"

int     record_key_addr(char *buf, size_t len, const char *domain, size_t dlen,
			const char *local, size_t llen);
int     record_field(const char *val, size_t vlen, const char *name,
		     const char **out, size_t *outlen);
int     record_next(const char *val, size_t vlen, size_t *pos,
		    const char **name, size_t *nlen, const char **out, size_t *outlen);
uint64_t record_digest(uint64_t h, const void *data, size_t len);

#define RECORD_DIGEST_INIT	UINT64_C(0xcbf29ce484222325)

#endif
