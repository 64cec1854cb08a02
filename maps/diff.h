#ifndef DEPT_DIFF_H
#define DEPT_DIFF_H
/*
 * diff - the answers that change between two maps (deptmap diff)
 *
 * diff_maps() compares two maps and hands each line of the difference,
 * without its newline, to fn, in a stable order: departments by domain;
 * in each, a "department" line when the department was added or removed
 * or its settings changed, then its match rules (in file order, changed
 * ones shown as diff(1) shows changed lines), then the answer for anyone
 * the department does not name ("*@DOMAIN"), then every member and alias
 * of either map whose answer changes, by local part as the map keys it.
 * A change is a "-" line (OLD) and a "+" line (NEW):
 *
 *   -ADDRESS<TAB>ACTION<TAB>DETAIL     as deptmap query prints it, no rule=
 *   -match<TAB>DOMAIN<TAB>/PATTERN/FLAGS -> TARGET, ...
 *   -department<TAB>DOMAIN<TAB>canonical=C delimiter=D case=fold|exact
 *
 * Answers come from decide() (decide_nobody() for *@DOMAIN) and are
 * compared as answer_add() writes them: rule= is left out, so a rule that
 * only moved to another line changes nothing.  It returns the number of
 * lines handed to fn, or -1 when memory ran out.
 *
 * diff_is_map() tells a compiled map from a rules file: 1 when the first
 * 4096 bytes of path hold a NUL byte, as every CDB file's header does and
 * no rules file may (map_open() then says what is wrong with a file that
 * is not deptmap's map), 0 when not (read it as rules), -1 when path
 * cannot be read (errno says why).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rewrite/map.h"

typedef void (*diff_line_fn)(void *ctx, const char *line);

long    diff_maps(const struct map *old, const struct map *new, diff_line_fn fn,
		  void *ctx);
int     diff_is_map(const char *path);

#endif
