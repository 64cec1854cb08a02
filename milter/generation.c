/*
 * generation - the map in service, replaced without a restart
 *
 * See generation.h.  Each map file (the map, and the shadow map when one
 * is configured) is a slot: its path, its current generation, the numbers
 * handed out and the identity of the file last tried.  One mutex guards
 * both current pointers and every reference count; map_close() runs
 * outside it.  The identity of the file last tried (loaded or refused) is
 * kept so that a bad file is reported once, not every second, and tried
 * again when it changes.
 *
 * A generation maps a private, sealed copy of the file (a memfd), never
 * the file itself: a map file truncated or rewritten in place ("cp new.cdb
 * departments.cdb") would otherwise change under the lookups, which then
 * read zeros (a member rejected) or die of SIGBUS.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter/generation.h"
#include "milter/log.h"
#include "rewrite/sources.h"

struct file_id {
    int     exists;
    dev_t   dev;
    ino_t   ino;
    struct timespec mtim;
    struct timespec ctim;		/* chmod of a refused file: try again */
    off_t   size;
};

#define GEN_PATH_MAX	4096
#define GEN_WHY_MAX	1024			/* why a file did not load */

/* One map file and the generations made of it. */
struct slot {
    const char *name;			/* "map" or "shadow": log lines */
    struct gen *current;		/* under gen_lock */
    unsigned long last;			/* numbers handed out */
    char    path[GEN_PATH_MAX];		/* "": not configured */
    char    why[GEN_PATH_MAX + GEN_WHY_MAX + 128];	/* shadow: the warning of the last
							 * failure, "" once loaded */
    gen_load_fn on_load;
    struct file_id tried;		/* the file last loaded or refused */
};

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot gen_main = {.name = "map" };
static struct slot gen_shadow = {.name = "shadow" };

/* file_id_of - the identity of a file from its stat */
static void file_id_of(const struct stat *st, struct file_id *id)
{
    memset(id, 0, sizeof(*id));
    id->exists = 1;
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->mtim = st->st_mtim;
    id->ctim = st->st_ctim;
    id->size = st->st_size;
}

/* file_id_same - whether two identities name the same unchanged file */
static int file_id_same(const struct file_id *a, const struct file_id *b)
{
    if (a->exists != b->exists)
	return 0;
    if (!a->exists)
	return 1;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
	&& a->mtim.tv_sec == b->mtim.tv_sec
	&& a->mtim.tv_nsec == b->mtim.tv_nsec
	&& a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* copy_all - copy size bytes of a file to another descriptor, in the
 * kernel (sendfile); -1 with errno */
static int copy_all(int from, int to, off_t size)
{
    off_t   at = 0;
    ssize_t n;

    while (at < size) {
	if ((n = sendfile(to, from, &at, (size_t) (size - at))) < 0) {
	    if (errno == EINTR)
		continue;
	    return -1;
	}
	if (n == 0) {				/* shorter than it said */
	    errno = EIO;
	    return -1;
	}
    }
    return 0;
}

/* open_copy - a sealed in-memory copy of a map file, or -1 and err */
static int open_copy(const char *path, struct file_id *id, char *err, size_t errlen)
{
    struct stat before, after;
    int     fd, mfd = -1, ret = -1;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
	snprintf(err, errlen, "%s", strerror(errno));
	return -1;
    }
    if (fstat(fd, &before) < 0
	|| (mfd = memfd_create("deptmilter-map", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0
	|| copy_all(fd, mfd, before.st_size) < 0 || fstat(fd, &after) < 0) {
	snprintf(err, errlen, "%s", strerror(errno));
	goto out;
    }
    if (after.st_size != before.st_size
	|| after.st_mtim.tv_sec != before.st_mtim.tv_sec
	|| after.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
	snprintf(err, errlen, "the file changed while it was read");
	goto out;
    }
    (void) fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
		 | F_SEAL_SEAL);
    file_id_of(&before, id);
    ret = mfd;
out:
    if (ret < 0 && mfd >= 0)
	close(mfd);
    close(fd);
    return ret;
}

/* slot_load - a private copy of a slot's file as a new generation, or err */
static struct gen *slot_load(struct slot *s, char *err, size_t errlen)
{
    struct gen *gen;
    struct file_id id;
    int     fd;

    if ((gen = calloc(1, sizeof(*gen))) == 0) {
	snprintf(err, errlen, "%s", strerror(errno));
	return 0;
    }
    if ((fd = open_copy(s->path, &id, err, errlen)) < 0
	|| map_open_fd(fd, &gen->map, err, errlen) != 0) {
	free(gen);
	return 0;
    }
    s->tried = id;				/* what was really loaded */
    gen->mtime = id.mtim;
    gen->refs = 1;				/* the current pointer's */
    gen->generation = ++s->last;
    return gen;
}

/* gen_free - close a generation nobody uses any more */
static void gen_free(struct gen *gen)
{
    map_close(gen->map);
    free(gen);
}

/* warn_stale - one source changed since the map was made */
static void warn_stale(void *ctx, const char *source)
{
    const struct slot *s = ctx;
    char    esc[LOG_ESC_MAX];

    log_msg(LOG_WARNING, "%s: warning: " SOURCES_STALE_FMT, s->name, s->path,
	    log_esc(source, esc, sizeof(esc)));
}

/* slot_warn_sources - the sources changed since gen's map was made */
static void slot_warn_sources(const struct slot *s, const struct gen *gen)
{
    (void) sources_stale(gen->map, s->path, &gen->mtime, warn_stale, (void *) s);
}

/* slot_log_loaded - the line that says which map is in service, and the
 * sources changed since it was made */
static void slot_log_loaded(const struct slot *s, const struct gen *gen)
{
    log_msg(LOG_INFO, "%s: loaded %s generation=%lu records=%lu digest=%s",
	    s->name, s->path, gen->generation, gen->map->records, gen->map->digest);
    slot_warn_sources(s, gen);
}

/* slot_install - make gen (NULL: none) current in a slot and drop the old
 * one's own reference; announce says so in the log as soon as gen is in
 * service, before a large old map is unmapped */
static void slot_install(struct slot *s, struct gen *gen, int announce)
{
    struct gen *old;
    int     last;

    if (gen && s->on_load)
	s->on_load(gen->map);
    pthread_mutex_lock(&gen_lock);
    old = s->current;
    s->current = gen;
    last = old && --old->refs == 0;
    pthread_mutex_unlock(&gen_lock);
    if (announce && gen)
	slot_log_loaded(s, gen);
    if (last)
	gen_free(old);
}

/* slot_set_path - the file a slot loads from; -1 when too long */
static int slot_set_path(struct slot *s, const char *path, char *err, size_t errlen)
{
    if (snprintf(s->path, sizeof(s->path), "%s", path) >= (int) sizeof(s->path)) {
	s->path[0] = 0;
	snprintf(err, errlen, "%s path too long", s->name);
	return -1;
    }
    return 0;
}

/* slot_acquire - a slot's current generation, with a reference */
static struct gen *slot_acquire(struct slot *s)
{
    struct gen *gen;

    pthread_mutex_lock(&gen_lock);
    gen = s->current;
    if (gen)
	gen->refs++;
    pthread_mutex_unlock(&gen_lock);
    return gen;
}

/* slot_number - the number of a slot's generation in service, 0: none */
static unsigned long slot_number(struct slot *s)
{
    unsigned long n;

    pthread_mutex_lock(&gen_lock);
    n = s->current ? s->current->generation : 0;
    pthread_mutex_unlock(&gen_lock);
    return n;
}

/* slot_changed - whether a slot's file is to be tried: changed, or
 * forced; now gets its identity (exists = 0 when stat failed, errno set) */
static int slot_changed(struct slot *s, int force, struct file_id *now)
{
    struct stat st;

    if (stat(s->path, &st) == 0)
	file_id_of(&st, now);
    else
	memset(now, 0, sizeof(*now));
    if (!force && file_id_same(now, &s->tried))
	return 0;
    s->tried = *now;
    return 1;
}

/* gen_init - load the first generation; the caller refuses to start on -1 */
int gen_init(const char *path, gen_load_fn on_load, char *err, size_t errlen)
{
    struct gen *gen;
    char    why[GEN_WHY_MAX];

    if (slot_set_path(&gen_main, path, err, errlen) < 0)
	return -1;
    gen_main.on_load = on_load;
    if ((gen = slot_load(&gen_main, why, sizeof(why))) == 0) {
	snprintf(err, errlen, "map: cannot load %s: %s", path, why);
	return -1;
    }
    slot_install(&gen_main, gen, 0);
    return 0;
}

/* shadow_failed - the warning of a shadow map not loaded, kept for
 * gen_announce, and logged at once when log is set */
static void shadow_failed(const char *why, int log)
{
    struct slot *s = &gen_shadow;
    unsigned long n = slot_number(s);
    char    keep[64];
    int     w;

    if (n)
	snprintf(keep, sizeof(keep), "keeping generation=%lu", n);
    w = snprintf(s->why, sizeof(s->why), "shadow: warning: cannot load %s: %s; %s",
		 s->path, why, n ? keep : "no shadow decisions until it loads");
    if (w >= (int) sizeof(s->why))		/* cut: still the warning */
	memcpy(s->why + sizeof(s->why) - 4, "...", 4);
    if (log)
	log_msg(LOG_WARNING, "%s", s->why);
}

/* shadow_try - load the shadow file as it is now; a file that is gone
 * takes the shadow generation out of service (renamed into place, say) */
static void shadow_try(const struct file_id *now, int log)
{
    struct gen *gen;
    char    why[GEN_WHY_MAX];

    if (!now->exists) {
	snprintf(why, sizeof(why), "%s", strerror(errno));
	slot_install(&gen_shadow, 0, 0);
    } else if ((gen = slot_load(&gen_shadow, why, sizeof(why))) != 0) {
	gen_shadow.why[0] = 0;
	slot_install(&gen_shadow, gen, log);
	return;
    }
    shadow_failed(why, log);
}

/* gen_shadow_init - load the first shadow generation; -1 and the warning
 * in err when it cannot be loaded (tried again when the file changes) */
int gen_shadow_init(const char *path, char *err, size_t errlen)
{
    struct file_id now;

    if (slot_set_path(&gen_shadow, path, err, errlen) < 0)
	return -1;
    (void) slot_changed(&gen_shadow, 1, &now);
    shadow_try(&now, 0);
    snprintf(err, errlen, "%s", gen_shadow.why);
    return gen_shadow.why[0] ? -1 : 0;
}

/* gen_acquire - the current generation, with a reference for the caller */
struct gen *gen_acquire(void)
{
    return slot_acquire(&gen_main);
}

/* gen_shadow_acquire - the shadow generation, with a reference; NULL at
 * once, without the lock, when no shadow map is configured */
struct gen *gen_shadow_acquire(void)
{
    if (gen_shadow.path[0] == 0)
	return 0;
    return slot_acquire(&gen_shadow);
}

/* gen_release - give a reference back; the last one closes an old map */
void gen_release(struct gen *gen)
{
    int     last;

    if (gen == 0)
	return;
    pthread_mutex_lock(&gen_lock);
    last = --gen->refs == 0;
    pthread_mutex_unlock(&gen_lock);
    if (last)
	gen_free(gen);
}

/* gen_announce - log the generations in service (once the log is open),
 * and the warning of a shadow map that did not load */
void gen_announce(void)
{
    struct gen *gen;

    if ((gen = gen_acquire()) != 0) {
	slot_log_loaded(&gen_main, gen);
	gen_release(gen);
    }
    if ((gen = gen_shadow_acquire()) != 0) {
	slot_log_loaded(&gen_shadow, gen);
	gen_release(gen);
    } else if (gen_shadow.path[0] && gen_shadow.why[0])
	log_msg(LOG_WARNING, "%s", gen_shadow.why);
}

/* gen_warn_sources - only the source warnings of gen_announce (-t) */
void gen_warn_sources(void)
{
    struct gen *gen;

    if ((gen = gen_acquire()) != 0) {
	slot_warn_sources(&gen_main, gen);
	gen_release(gen);
    }
}

/* main_check - reload the map when its file changed; a map that cannot
 * be loaded leaves the one in service */
static void main_check(int force)
{
    struct file_id now;
    struct gen *gen = 0;
    char    why[GEN_WHY_MAX];

    if (!slot_changed(&gen_main, force, &now))
	return;
    if (!now.exists)
	snprintf(why, sizeof(why), "%s", strerror(errno));
    if (!now.exists || (gen = slot_load(&gen_main, why, sizeof(why))) == 0) {
	log_msg(LOG_ERR, "map: cannot load %s: %s; keeping generation=%lu",
		gen_main.path, why, slot_number(&gen_main));
	return;
    }
    slot_install(&gen_main, gen, 1);
}

/* shadow_check - the same for the shadow map, with a warning */
static void shadow_check(int force)
{
    struct file_id now;

    if (gen_shadow.path[0] != 0 && slot_changed(&gen_shadow, force, &now))
	shadow_try(&now, 1);
}

/* gen_check - reload what changed (the map, the shadow map), or
 * everything when forced */
void gen_check(int force)
{
    main_check(force);
    shadow_check(force);
}

/* slot_shutdown - drop a slot's own reference at exit */
static void slot_shutdown(struct slot *s)
{
    struct gen *old;

    pthread_mutex_lock(&gen_lock);
    old = s->current;
    s->current = 0;
    pthread_mutex_unlock(&gen_lock);
    gen_release(old);
}

/* gen_shutdown - drop the current generations' own references at exit */
void gen_shutdown(void)
{
    slot_shutdown(&gen_main);
    slot_shutdown(&gen_shadow);
}
