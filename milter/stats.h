#ifndef DEPT_MILTER_STATS_H
#define DEPT_MILTER_STATS_H
/*
 * stats - decisions counted per department
 *
 * Counters are kept per department domain and count since the start of
 * the process (they never go back; subtract two lines for a rate).
 * Decisions outside every department count under the name "-".
 * stats_add_map() makes every department of a newly loaded map known, so
 * that it shows with zeros; stats_count() adds one decision of a
 * department (NULL: outside every department); stats_log()
 * writes one "stats:" line per department, sorted by domain.  All three
 * may run on any thread (one mutex).  STATS_SHADOW counts the recipients
 * whose answer on the shadow map differs (shadow.h); stats_show_shadow(),
 * called before threads start when a shadow map is configured, adds its
 * "shadow=N" to every line (without one the lines stay as they were).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rewrite/map.h"

enum stats_kind {
    STATS_PASS,
    STATS_REJECT,
    STATS_REWRITE,
    STATS_TEMPFAIL,
    STATS_SHADOW,			/* differences on the shadow map */
    STATS_NKINDS,
};

#define STATS_OUTSIDE	"-"

void    stats_add_map(const struct map *map);
void    stats_count(const struct map_dept *dept, enum stats_kind kind);
void    stats_show_shadow(void);
void    stats_log(void);
void    stats_free(void);

#endif
