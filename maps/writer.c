/*
 * writer - a map's records into a CDB file (see writer.h)
 */
#include <errno.h>
#include <string.h>
#include <cdb.h>
#include "maps/writer.h"
#include "rewrite/buf.h"
#include "rewrite/record.h"

/* writer_cdb - meta first, then the records in order */
int     writer_cdb(const struct recs *rs, size_t ndepts, int fd)
{
    struct cdb_make cm;
    uint64_t h = FNV1A_INIT;
    struct buf meta;
    size_t  i;
    int     ret = -1, saved;

    memset(&meta, 0, sizeof(meta));
    for (i = 0; i < rs->n; i++)
	h = record_digest(h, rs->v[i].key, rs->v[i].klen, rs->v[i].val, rs->v[i].vlen);
    if (record_meta_value(&meta, ndepts, rs->n, h) < 0 || cdb_make_start(&cm, fd) < 0)
	goto out;
    ret = cdb_make_add(&cm, RECORD_KEY_META, strlen(RECORD_KEY_META), meta.s, meta.len);
    for (i = 0; i < rs->n && ret == 0; i++)
	ret = cdb_make_add(&cm, rs->v[i].key, rs->v[i].klen, rs->v[i].val,
			   rs->v[i].vlen);
    /* finish frees tinycdb's record lists, also after a failed write */
    saved = errno;
    if (ret < 0) {
	(void) cdb_make_finish(&cm);
	errno = saved;
    } else
	ret = cdb_make_finish(&cm);
out:
    buf_free(&meta);
    return ret;
}
