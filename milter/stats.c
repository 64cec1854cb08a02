/*
 * stats - decisions counted per department
 *
 * See stats.h.  A sorted array of entries, searched with bsearch, grown
 * with grow(); one mutex guards it all.  An entry that cannot be added
 * (out of memory) loses its count, never the decision.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite/buf.h"
#include "milter/log.h"
#include "milter/stats.h"

struct stats_entry {
    char    domain[257];
    unsigned long count[STATS_NKINDS];
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_entry *stats_tab;	/* sorted by domain */
static size_t stats_len;
static size_t stats_cap;
static int stats_shadow;		/* set before threads: shadow= shown */

/* entry_cmp - order entries by domain */
static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct stats_entry *) a)->domain,
		  ((const struct stats_entry *) b)->domain);
}

/* stats_find - the entry for a domain, added when missing; lock held */
static struct stats_entry *stats_find(const char *domain)
{
    struct stats_entry key, *e;
    size_t  pos;

    if (strlen(domain) >= sizeof(key.domain))
	return 0;
    strcpy(key.domain, domain);
    if (stats_len > 0
	&& (e = bsearch(&key, stats_tab, stats_len, sizeof(*e), entry_cmp)) != 0)
	return e;
    if (grow((void **) &stats_tab, &stats_cap, stats_len + 1, sizeof(*stats_tab)) < 0)
	return 0;
    for (pos = 0; pos < stats_len && strcmp(stats_tab[pos].domain, domain) < 0; pos++)
	/* void */ ;
    memmove(stats_tab + pos + 1, stats_tab + pos,
	    (stats_len - pos) * sizeof(*stats_tab));
    memset(stats_tab + pos, 0, sizeof(*stats_tab));
    strcpy(stats_tab[pos].domain, domain);
    stats_len++;
    return stats_tab + pos;
}

/* stats_add_map - make every department of a map known */
void stats_add_map(const struct map *map)
{
    size_t  i;

    pthread_mutex_lock(&stats_lock);
    for (i = 0; i < map->ndepts; i++)
	(void) stats_find(map->depts[i].domain);
    pthread_mutex_unlock(&stats_lock);
}

/* stats_count - count one decision for a department, or "-" */
void stats_count(const struct map_dept *dept, enum stats_kind kind)
{
    struct stats_entry *e;

    pthread_mutex_lock(&stats_lock);
    if ((e = stats_find(dept ? dept->domain : STATS_OUTSIDE)) != 0)
	e->count[kind]++;
    pthread_mutex_unlock(&stats_lock);
}

/* stats_show_shadow - add the shadow differences to every line */
void stats_show_shadow(void)
{
    stats_shadow = 1;
}

/* stats_log - one line per department with its counters */
void stats_log(void)
{
    struct stats_entry *copy;
    char    shadow[32];
    size_t  n, i;

    pthread_mutex_lock(&stats_lock);
    n = stats_len;
    copy = n ? malloc(n * sizeof(*copy)) : 0;
    if (copy)
	memcpy(copy, stats_tab, n * sizeof(*copy));
    pthread_mutex_unlock(&stats_lock);
    if (n && copy == 0) {
	log_msg(LOG_ERR, "stats: out of memory");
	return;
    }
    for (i = 0; i < n; i++) {
	snprintf(shadow, sizeof(shadow), " shadow=%lu", copy[i].count[STATS_SHADOW]);
	log_msg(LOG_INFO, "stats: department=%s pass=%lu reject=%lu"
		" rewrite=%lu tempfail=%lu%s", copy[i].domain,
		copy[i].count[STATS_PASS], copy[i].count[STATS_REJECT],
		copy[i].count[STATS_REWRITE], copy[i].count[STATS_TEMPFAIL],
		stats_shadow ? shadow : "");
    }
    free(copy);
}

/* stats_free - drop the table at exit */
void stats_free(void)
{
    pthread_mutex_lock(&stats_lock);
    free(stats_tab);
    stats_tab = 0;
    stats_len = stats_cap = 0;
    pthread_mutex_unlock(&stats_lock);
}
