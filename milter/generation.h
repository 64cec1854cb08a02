#ifndef DEPT_MILTER_GENERATION_H
#define DEPT_MILTER_GENERATION_H
/*
 * generation - the map in service, replaced without a restart
 *
 * A generation is one opened map with a number and a reference count.  The
 * current generation holds one reference of its own.  gen_acquire() takes
 * the current generation and a reference to it under one mutex;
 * gen_release() gives the reference back under the same mutex, and the
 * last release of a generation that is no longer current closes its map.
 * So a message finishes on the map it started with.
 *
 * gen_init() loads the first map; failure there is fatal to the caller.
 * gen_announce() logs "map: loaded ..." for it once the log is open.
 * Each generation maps its own in-memory copy of the file, so a file
 * changed in place later cannot touch the maps in service.
 * gen_check() reloads when the file changed (device, inode, mtime, ctime
 * or size) or when force is set (SIGUSR1); a map that fails to load leaves the
 * current generation in service and is logged.  gen_check() is called from
 * one thread only.  The on_load hook hears every map put in service.
 *
 * The shadow map (shadow_map =, a candidate compared with the map in
 * service, see shadow.h) is a second file with generations of its own,
 * made and released the same way: gen_shadow_init() tries to load it and
 * never fails the start (-1: not loaded, the warning in err, logged again
 * by gen_announce); gen_check() looks at both files; gen_shadow_acquire()
 * gives the shadow generation in service, or NULL (none configured: at
 * once, without the lock; or none loaded).  The two files reload
 * independently: a message holds the generation of each that was in
 * service at MAIL FROM.  A shadow file that cannot be loaded leaves the
 * shadow generation in service, like the map; a shadow file that is gone
 * takes it out of service.  Its lines say "shadow:" where the map's say
 * "map:", and its failures are warnings, logged once per change.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <time.h>
#include "rewrite/map.h"

/* The tempfail when no map can answer (none in service, or it failed),
 * where the decision has no reply of its own: the milter's RCPT and the
 * socketmap's TEMP say the same. */
#define NOMAP_CODE	"451"
#define NOMAP_DSN	"4.3.0"
#define NOMAP_TEXT	"Department map unavailable, try again later"

struct gen {
    struct map *map;
    unsigned long generation;
    unsigned long refs;			/* under the generation lock */
    struct timespec mtime;		/* of the map file it was read from */
};

/* *INDENT-OFF* (indent reads "const struct map * map" here) */
typedef void (*gen_load_fn) (const struct map *map);
/* *INDENT-ON* */

int     gen_init(const char *path, gen_load_fn on_load, char *err, size_t errlen);
int     gen_shadow_init(const char *path, char *err, size_t errlen);
void    gen_announce(void);
void    gen_warn_sources(void);
struct gen *gen_acquire(void);
struct gen *gen_shadow_acquire(void);
void    gen_release(struct gen *gen);
void    gen_check(int force);
void    gen_shutdown(void);

#endif
