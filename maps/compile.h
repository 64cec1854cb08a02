#ifndef DEPT_COMPILE_H
#define DEPT_COMPILE_H
/*
 * compile - rules into a CDB file
 *
 * compile_fd() writes the map for checked rules to an open file: records
 * sorted by key, the meta record first, no timestamps, so that the same
 * rules give the same bytes anywhere.  Aliases that point at department
 * addresses are resolved here; loops and targets a department refuses are
 * errors in r->errs.  It returns COMPILE_OK, COMPILE_RULES (see r->errs)
 * or COMPILE_SYSTEM (errno set).
 *
 * compile_file() does the whole job atomically: it loads RULES, writes a
 * temporary file in OUT's directory, fsyncs it and renames it over OUT.
 * On any error nothing is left behind and OUT is untouched; the messages
 * are in errs.
 */
#include "maps/rules.h"

#define COMPILE_OK	0
#define COMPILE_RULES	1
#define COMPILE_SYSTEM	3

int     compile_fd(struct rules *r, int fd);
int     compile_file(const char *rules_path, const char *out_path, struct errs *errs);

#endif
