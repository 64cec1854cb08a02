/*
 * writer.c - unit tests of the map writer (maps/writer.c): the meta
 * record written first with a zero digest and its value put in place at
 * the end gives the very bytes tinycdb writes when handed the final meta
 * record first; keys out of order, given twice or fewer than announced
 * are refused with EINVAL; the digest computed on its own thread is the
 * one record_digest() gives.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cdb.h>
#include "tests/unit/tap.h"
#include "maps/writer.h"
#include "rewrite/record.h"

static const char *keys[] =
    { "addr:a.example:bob", "addr:a.example:zoe", "dept:a.example",
    "index:0", "index:1", "match:a.example:000000"
};
static const char *vals[] =
    { "rule=x:1\tto=bob@example.com", "rule=x:2\tto=zoe@example.com",
    "canonical=example.com", "a.example", "b.example",
    "rule=x:3\tflags=-\tto=$1\tpattern=^(.*)$"
};

#define NREC	(sizeof(keys) / sizeof(keys[0]))

/* contents - the bytes of a file */
static char *contents(int fd, size_t *len)
{
    struct stat st;
    char   *p;

    if (fstat(fd, &st) < 0 || (p = malloc(st.st_size + 1)) == 0)
	return 0;
    *len = st.st_size;
    if (pread(fd, p, st.st_size, 0) != st.st_size) {
	free(p);
	return 0;
    }
    return p;
}

/* reference - tinycdb given the final meta record first, then the rest */
static int reference(int fd)
{
    struct cdb_make cm;
    struct buf meta = { 0, 0, 0 };
    uint64_t h = FNV1A_INIT;
    size_t  i;
    int     ret;

    for (i = 0; i < NREC; i++)
	h = record_digest(h, keys[i], strlen(keys[i]), vals[i], strlen(vals[i]));
    if (record_meta_value(&meta, 2, NREC, h) < 0 || cdb_make_start(&cm, fd) < 0)
	return -1;
    ret = cdb_make_add(&cm, RECORD_KEY_META, strlen(RECORD_KEY_META), meta.s, meta.len);
    for (i = 0; i < NREC; i++)
	ret |= cdb_make_add(&cm, keys[i], strlen(keys[i]), vals[i], strlen(vals[i]));
    ret |= cdb_make_finish(&cm);
    buf_free(&meta);
    return ret;
}

/* write_keys - n of the records, in the order of idx, announcing want */
static int write_keys(int fd, const int *idx, size_t n, size_t want, int *add_errno)
{
    struct writer w;
    size_t  i;

    *add_errno = 0;
    if (writer_start(&w, fd, 2, want) == 0)
	for (i = 0; i < n; i++)
	    if (writer_add(&w, keys[idx[i]], strlen(keys[idx[i]]), vals[idx[i]],
			   strlen(vals[idx[i]])) < 0) {
		*add_errno = errno;
		break;
	    }
    return writer_finish(&w);
}

/* digest_same - the threaded digest of many records, one of them larger
 * than all its chunks, equals record_digest() record by record */
static void digest_same(void)
{
    struct digest d;
    uint64_t h = FNV1A_INIT;
    char    key[32], *big = malloc(3 << 20);
    size_t  i;
    int     failed = 0;

    if (big == 0)
	return;
    memset(big, 'x', 3 << 20);
    digest_start(&d);
    for (i = 0; i < 60000; i++) {
	snprintf(key, sizeof(key), "addr:a.example:u%06zu", i);
	failed |= digest_add(&d, key, strlen(key), i == 30000 ? big : vals[i % NREC],
			     i == 30000 ? 3 << 20 : strlen(vals[i % NREC]));
	h = record_digest(h, key, strlen(key), i == 30000 ? big : vals[i % NREC],
			  i == 30000 ? 3 << 20 : strlen(vals[i % NREC]));
    }
    ok(digest_end(&d) == h && !failed,
       "threaded digest of 60000 records (7 MB, one of 3 MB) equals record_digest");
    free(big);
}

int main(void)
{
    static const int in_order[] = { 0, 1, 2, 3, 4, 5 }, swapped[] = { 0, 2, 1, 3, 4, 5 },
	twice[] = { 0, 1, 1, 2, 3, 4 };
    int     a = memfd_create("writer", 0), b = memfd_create("reference", 0), e;
    char   *x, *y;
    size_t  xl = 0, yl = 0;

    ok(write_keys(a, in_order, NREC, NREC, &e) == 0, "records in key order are written");
    ok(reference(b) == 0, "tinycdb writes the reference");
    x = contents(a, &xl), y = contents(b, &yl);
    ok(x && y && xl == yl && memcmp(x, y, xl) == 0,
       "same bytes as tinycdb given the final meta record first (%zu, %zu bytes)", xl,
       yl);
    free(x), free(y);
    close(a), a = memfd_create("swapped", 0);
    ok(write_keys(a, swapped, NREC, NREC, &e) < 0 && errno == EINVAL && e == EINVAL,
       "a key before the one before it: EINVAL");
    close(a), a = memfd_create("twice", 0);
    ok(write_keys(a, twice, NREC, NREC, &e) < 0 && errno == EINVAL && e == EINVAL,
       "a key given twice: EINVAL");
    close(a), a = memfd_create("short", 0);
    ok(write_keys(a, in_order, NREC - 1, NREC, &e) < 0 && errno == EINVAL && e == 0,
       "fewer records than announced: EINVAL at the end");
    close(a), a = memfd_create("long", 0);
    ok(write_keys(a, in_order, NREC, NREC - 1, &e) < 0 && errno == EINVAL,
       "more records than announced: EINVAL at the end");
    close(a);
    close(b);
    digest_same();
    return done();
}
