/*
 * writer - a map's records into a CDB file, one at a time (see writer.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "maps/writer.h"
#include "rewrite/record.h"

/* writer_start - the meta record, with the digest still zero */
int writer_start(struct writer *w, int fd, size_t ndepts, size_t nrecords)
{
    struct buf meta;
    int     ret;

    memset(w, 0, sizeof(*w));
    memset(&meta, 0, sizeof(meta));
    w->fd = fd, w->ndepts = ndepts, w->nrecords = nrecords;
    digest_start(&w->digest);
    ret = cdb_make_start(&w->cm, fd) < 0
	|| record_meta_value(&meta, ndepts, nrecords, 0) < 0
	|| cdb_make_add(&w->cm, RECORD_KEY_META, strlen(RECORD_KEY_META),
			meta.s, meta.len) < 0 ? -1 : 0;
    if (ret < 0)
	w->error = errno;
    buf_free(&meta);
    return ret;
}

/* key_after - whether a key comes after the one before it */
static int key_after(const struct buf *last, const char *key, size_t klen)
{
    size_t  n = last->len < klen ? last->len : klen;
    int     c = n ? memcmp(last->s, key, n) : 0;

    return c < 0 || (c == 0 && last->len < klen);
}

/* writeback - start the disk on what is written so far; a hint only:
 * a write error is the final fsync's to report */
static void writeback(struct writer *w)
{
    unsigned pos = w->cm.cdb_dpos;

    if (pos - w->started < WRITER_WRITEBACK)
	return;
    (void) sync_file_range(w->fd, w->started, pos - w->started, SYNC_FILE_RANGE_WRITE);
    w->started = pos;
}

/* writer_add - one more record, after the one before in key order */
int writer_add(struct writer *w, const char *key, size_t klen,
	       const char *val, size_t vlen)
{
    if (w->error == 0 && w->n > 0 && !key_after(&w->last, key, klen))
	w->error = EINVAL;
    w->last.len = 0;
    if (w->error == 0 && (buf_add(&w->last, key, klen) < 0
			  || cdb_make_add(&w->cm, key, klen, val, vlen) < 0
			  || digest_add(&w->digest, key, klen, val, vlen) < 0))
	w->error = errno ? errno : EIO;
    if (w->error) {
	errno = w->error;
	return -1;
    }
    w->n++;
    writeback(w);
    return 0;
}

/* put_meta - the final meta value over the one written first */
static int put_meta(struct writer *w, uint64_t digest)
{
    struct cdb cdb;
    struct buf meta;
    unsigned pos = 0;
    int     ret = -1;

    memset(&meta, 0, sizeof(meta));
    if (record_meta_value(&meta, w->ndepts, w->nrecords, digest) < 0
	|| cdb_init(&cdb, w->fd) < 0)
	goto out;
    if (cdb_find(&cdb, RECORD_KEY_META, strlen(RECORD_KEY_META)) > 0
	&& cdb_datalen(&cdb) == meta.len)
	pos = cdb_datapos(&cdb);
    cdb_free(&cdb);
    errno = pos ? EIO : EINVAL;			/* EIO: a short write */
    if (pos && pwrite(w->fd, meta.s, meta.len, pos) == (ssize_t) meta.len)
	ret = 0;
out:
    buf_free(&meta);
    return ret;
}

/* writer_finish - the hash tables and the final meta record */
int writer_finish(struct writer *w)
{
    uint64_t digest = digest_end(&w->digest);
    int     ret;

    if (w->error == 0 && w->n != w->nrecords)
	w->error = EINVAL;
    /* finish frees tinycdb's record lists, also after a failed write */
    ret = cdb_make_finish(&w->cm);
    if (w->error)
	ret = -1, errno = w->error;
    else if (ret == 0)
	ret = put_meta(w, digest);
    buf_free(&w->last);
    return ret;
}
