#ifndef DEPT_WRITER_H
#define DEPT_WRITER_H
/*
 * writer - a map's records into a CDB file
 *
 * writer_cdb() writes the meta record (format, departments, records and
 * the digest over all the others) and then the records, in their order,
 * to fd with tinycdb's cdb_make.  It returns 0, or -1 with errno set.
 */
#include <stddef.h>
#include "maps/records.h"

int     writer_cdb(const struct recs *rs, size_t ndepts, int fd);

#endif
