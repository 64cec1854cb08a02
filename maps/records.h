#ifndef DEPT_RECORDS_H
#define DEPT_RECORDS_H
/*
 * records - the records of a map, built from checked rules
 *
 * records_build() sorts r->depts by domain and makes every record but
 * meta, in memory, sorted by key: an addr: record per member and alias
 * (with its entry and department, for resolve.h), the dept: and index:
 * records of each department and a match: record per match rule.  It sets
 * chains when some target is a department address.  It returns 0, or -1
 * with errno set.  records_write() writes them to fd as a map (writer.h).  The struct owns every key and value; records_free()
 * releases them.
 */
#include <stddef.h>
#include "maps/rules.h"

struct rec {
    char   *key;
    size_t  klen;
    char   *val;
    size_t  vlen;
    const struct rule_entry *entry;	/* addr: records, for resolution */
    const struct rule_dept *dept;
};

struct recs {
    struct rec *v;
    size_t  n, cap;
    int     nomem;
    int     chains;			/* some target is a department address */
};

int     records_build(struct recs *rs, struct rules *r);
int     records_write(const struct recs *rs, size_t ndepts, int fd);
void    records_free(struct recs *rs);

#endif
