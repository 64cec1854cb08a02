/*
 * generation - the map in service, replaced without a restart
 *
 * See generation.h.  One mutex guards the current pointer and every
 * reference count; map_close() runs outside it.  The identity of the file
 * last tried (loaded or refused) is kept so that a bad file is reported
 * once, not every second, and tried again when it changes.
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

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gen *gen_current;		/* under gen_lock */
static unsigned long gen_last;		/* numbers handed out */
static char gen_path[4096];
static gen_load_fn gen_on_load;
static struct file_id gen_tried;	/* the file last loaded or refused */

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

/* open_copy - a sealed in-memory copy of the map file, or -1 and err */
static int open_copy(struct file_id *id, char *err, size_t errlen)
{
    struct stat before, after;
    int     fd, mfd = -1, ret = -1;

    if ((fd = open(gen_path, O_RDONLY | O_CLOEXEC)) < 0) {
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

/* gen_load - a private copy of the map file as a new generation, or err */
static struct gen *gen_load(char *err, size_t errlen)
{
    struct gen *gen;
    struct file_id id;
    int     fd;

    if ((gen = calloc(1, sizeof(*gen))) == 0) {
	snprintf(err, errlen, "%s", strerror(errno));
	return 0;
    }
    if ((fd = open_copy(&id, err, errlen)) < 0
	|| map_open_fd(fd, &gen->map, err, errlen) != 0) {
	free(gen);
	return 0;
    }
    gen_tried = id;				/* what was really loaded */
    gen->mtime = id.mtim;
    gen->refs = 1;				/* the current pointer's */
    gen->generation = ++gen_last;
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
    char    esc[LOG_ESC_MAX];

    (void) ctx;
    log_msg(LOG_WARNING, "map: warning: %s is older than source file %s;"
	    " run deptmap compile", gen_path, log_esc(source, esc, sizeof(esc)));
}

/* gen_log_loaded - the line that says which map is in service, and
 * the sources changed since it was made */
static void gen_log_loaded(const struct gen *gen)
{
    log_msg(LOG_INFO, "map: loaded %s generation=%lu records=%lu digest=%s",
	    gen_path, gen->generation, gen->map->records, gen->map->digest);
    (void) sources_stale(gen->map, gen_path, &gen->mtime, warn_stale, 0);
}

/* gen_warn_sources - only the warnings of gen_log_loaded (deptmilter -t) */
void gen_warn_sources(void)
{
    struct gen *gen;

    if ((gen = gen_acquire()) == 0)
	return;
    (void) sources_stale(gen->map, gen_path, &gen->mtime, warn_stale, 0);
    gen_release(gen);
}

/* gen_install - make gen current and drop the old one's own reference;
 * announce says so in the log as soon as gen is in service, before a large
 * old map is unmapped */
static void gen_install(struct gen *gen, int announce)
{
    struct gen *old;
    int     last;

    if (gen_on_load)
	gen_on_load(gen->map);
    pthread_mutex_lock(&gen_lock);
    old = gen_current;
    gen_current = gen;
    last = old && --old->refs == 0;
    pthread_mutex_unlock(&gen_lock);
    if (announce)
	gen_log_loaded(gen);
    if (last)
	gen_free(old);
}

/* gen_init - load the first generation; the caller refuses to start on -1 */
int gen_init(const char *path, gen_load_fn on_load, char *err, size_t errlen)
{
    struct gen *gen;
    char    why[1024];

    if (snprintf(gen_path, sizeof(gen_path), "%s", path) >= (int) sizeof(gen_path)) {
	snprintf(err, errlen, "map path too long");
	return -1;
    }
    gen_on_load = on_load;
    if ((gen = gen_load(why, sizeof(why))) == 0) {
	snprintf(err, errlen, "map: cannot load %s: %s", path, why);
	return -1;
    }
    gen_install(gen, 0);
    return 0;
}

/* gen_announce - log the generation in service (once the log is open) */
void gen_announce(void)
{
    struct gen *gen;

    if ((gen = gen_acquire()) == 0)
	return;
    gen_log_loaded(gen);
    gen_release(gen);
}

/* gen_acquire - the current generation, with a reference for the caller */
struct gen *gen_acquire(void)
{
    struct gen *gen;

    pthread_mutex_lock(&gen_lock);
    gen = gen_current;
    if (gen)
	gen->refs++;
    pthread_mutex_unlock(&gen_lock);
    return gen;
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

/* gen_current_number - the number of the generation in service */
static unsigned long gen_current_number(void)
{
    unsigned long n;

    pthread_mutex_lock(&gen_lock);
    n = gen_current ? gen_current->generation : 0;
    pthread_mutex_unlock(&gen_lock);
    return n;
}

/* gen_check - reload when the file changed, or always when forced */
void gen_check(int force)
{
    struct file_id now;
    struct stat st;
    struct gen *gen;
    char    why[1024];

    if (stat(gen_path, &st) == 0)
	file_id_of(&st, &now);
    else
	memset(&now, 0, sizeof(now));
    if (!force && file_id_same(&now, &gen_tried))
	return;
    gen_tried = now;
    if (!now.exists) {
	snprintf(why, sizeof(why), "%s", strerror(errno));
	log_msg(LOG_ERR, "map: cannot load %s: %s; keeping generation=%lu",
		gen_path, why, gen_current_number());
	return;
    }
    if ((gen = gen_load(why, sizeof(why))) == 0) {
	log_msg(LOG_ERR, "map: cannot load %s: %s; keeping generation=%lu",
		gen_path, why, gen_current_number());
	return;
    }
    gen_install(gen, 1);
}

/* gen_shutdown - drop the current generation's own reference at exit */
void gen_shutdown(void)
{
    struct gen *old;

    pthread_mutex_lock(&gen_lock);
    old = gen_current;
    gen_current = 0;
    pthread_mutex_unlock(&gen_lock);
    gen_release(old);
}
