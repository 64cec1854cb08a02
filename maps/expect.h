#ifndef DEPT_EXPECT_H
#define DEPT_EXPECT_H
/*
 * expect - a tests file: the answers expected of a map
 *
 * A tests file holds lines in deptmap query's own output format,
 *
 *   ADDRESS<TAB>ACTION<TAB>DETAIL<TAB>rule=RULE
 *
 * so that the output of a query can be kept as it is.  The rule= field
 * may be left out (it is then not compared), and so may an empty DETAIL.
 * A line without a tab may separate its fields by blanks instead (its
 * address then holds none).  Blank lines and lines starting with "#"
 * (after blanks) are skipped.  ACTION is PASS, REJECT, REWRITE or
 * TEMPFAIL; DETAIL is compared as answer_add() writes it.
 *
 * expect_run() reads the tests file at path, decides every address on
 * map with decide(), the decision deptmap query and the milter make, and
 * adds to errs one "FILE:LINE: text" line per mismatch and per malformed
 * line: every line is checked.  It counts the lines checked and those
 * failed in *count, and returns EXPECT_PASS, EXPECT_FAIL (also when the
 * file cannot be opened or read, an input error as for a rules file: errs
 * says why), or EXPECT_SYSTEM when memory ran out (errs.nomem).
 *
 * expect_path() is the tests file that goes with a rules file: RULES with
 * .rules replaced by .tests, or .tests appended; NULL when memory ran
 * out.  The caller frees it.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "maps/errors.h"
#include "rewrite/map.h"

enum expect_result {
    EXPECT_PASS,
    EXPECT_FAIL,			/* a mismatch, a malformed line, no file */
    EXPECT_SYSTEM,
};

struct expect_count {
    unsigned long tests;		/* lines checked, malformed ones too */
    unsigned long failed;
};

enum expect_result expect_run(const char *path, const struct map *map,
			      struct errs *errs, struct expect_count *count);
char   *expect_path(const char *rules);

#endif
