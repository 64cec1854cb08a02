/*
 * control - the thread that handles SIGUSR1, SIGUSR2, the clock and the
 * control socket
 *
 * See control.h.  A connection on the control socket is a deptmilter -R
 * asking for a handover (handover.c).  libmilter keeps SIGHUP, SIGTERM and SIGINT for itself
 * (stop); this thread never touches them.  SIGUSR1 and SIGUSR2 arrive on a
 * signalfd, changes in the map's directory on an inotify descriptor, so
 * one poll() waits for all three and for the clock.  Times come from
 * CLOCK_MONOTONIC so that a clock step does not bunch stats lines.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>

#include "milter/control.h"
#include "milter/generation.h"
#include "milter/handover.h"
#include "milter/log.h"
#include "milter/stats.h"
#include "milter/stop.h"

static pthread_t control_thread;
static int control_running;
static atomic_int control_quit;
static unsigned control_interval;
static const char *control_files[2];	/* the map and shadow map, watched */

/* control_sigset - the signals this thread owns */
static void control_sigset(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
}

/* now_sec - seconds on the monotonic clock */
static time_t now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* watch_dir - watch the directory of a file; -1 if not possible */
static int watch_dir(int fd, const char *file)
{
    char    dir[4096];
    char   *slash;

    if (snprintf(dir, sizeof(dir), "%s", file) >= (int) sizeof(dir))
	return -1;
    if ((slash = strrchr(dir, '/')) == 0)
	strcpy(dir, ".");
    else
	slash[slash == dir] = 0;
    /* a new file renamed in, or written in place and closed; not IN_MODIFY,
     * which would catch a file half written */
    return inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE
			     | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB);
}

/* watch_open - inotify on the files' directories; -1 if not available */
static int watch_open(void)
{
    int     fd, i;

    if (control_files[0] == 0 || (fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
	return -1;
    for (i = 0; i < 2; i++) {
	if (control_files[i] && watch_dir(fd, control_files[i]) < 0) {
	    close(fd);
	    return -1;
	}
    }
    return fd;
}

/* base_is - whether a name is the last part of a watched file's path */
static int base_is(const char *name, const char *file)
{
    const char *base;

    if (file == 0)
	return 0;
    base = strrchr(file, '/');
    return strcmp(name, base ? base + 1 : file) == 0;
}

/* watch_hit - drain the events; whether one names a watched file */
static int watch_hit(int fd)
{
    char    buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    const struct inotify_event *ev;
    ssize_t n;
    char   *p;
    int     hit = 0;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
	for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
	    ev = (const struct inotify_event *) p;
	    if (ev->len > 0 && (base_is(ev->name, control_files[0])
				|| base_is(ev->name, control_files[1])))
		hit = 1;
	}
    }
    return hit;
}

/* control_signal - read one signal from the signalfd; 0 if none */
static int control_signal(int sfd)
{
    struct signalfd_siginfo si;

    if (read(sfd, &si, sizeof(si)) != (ssize_t) sizeof(si))
	return 0;
    return (int) si.ssi_signo;
}

/* control_main - wait for a signal, a change of the map file or a second */
static void *control_main(void *arg)
{
    struct pollfd fds[3];
    time_t  last_check = now_sec(), next_stats;
    sigset_t set;
    int     sig;

    (void) arg;
    control_sigset(&set);
    fds[0].fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    fds[1].fd = watch_open();
    fds[0].events = fds[1].events = fds[2].events = POLLIN;
    next_stats = last_check + control_interval;
    while (!atomic_load(&control_quit)) {
	fds[0].revents = fds[1].revents = fds[2].revents = 0;
	fds[2].fd = handover_fd();		/* -1 (ignored) once handed over */
	(void) poll(fds, 3, 1000);
	if (fds[2].revents & POLLIN)
	    handover_serve();
	while ((fds[0].revents & POLLIN) && (sig = control_signal(fds[0].fd)) != 0) {
	    if (sig == SIGUSR1) {
		log_msg(LOG_INFO, "map: reload requested (SIGUSR1)");
		gen_check(1);
		last_check = now_sec();
	    } else if (sig == SIGUSR2)
		stats_log();
	}
	if (((fds[1].revents & POLLIN) && watch_hit(fds[1].fd))
	    || now_sec() - last_check >= 1) {
	    gen_check(0);
	    last_check = now_sec();
	}
	if (control_interval && now_sec() >= next_stats) {
	    stats_log();
	    next_stats = now_sec() + control_interval;
	}
    }
    if (fds[0].fd >= 0)
	close(fds[0].fd);
    if (fds[1].fd >= 0)
	close(fds[1].fd);
    return 0;
}

/* control_block - block our signals, and libmilter's, before threads exist */
int control_block(void)
{
    sigset_t set;
    int     err;

    control_sigset(&set);
    sigaddset(&set, SIGHUP);			/* libmilter's own thread waits */
    sigaddset(&set, SIGTERM);			/* for these: no other thread */
    sigaddset(&set, SIGINT);			/* may take them first */
    if ((err = pthread_sigmask(SIG_BLOCK, &set, 0)) != 0) {
	log_msg(LOG_ERR, "fatal: pthread_sigmask: %s", strerror(err));
	return -1;
    }
    return 0;
}

/* control_start - start the signal, file watch and timer thread */
int control_start(unsigned stats_interval, const char *map_path, const char *shadow_path)
{
    int     err;

    control_interval = stats_interval;
    control_files[0] = map_path;
    control_files[1] = shadow_path && *shadow_path ? shadow_path : 0;
    atomic_store(&control_quit, 0);
    if ((err = pthread_create(&control_thread, 0, control_main, 0)) != 0) {
	log_msg(LOG_ERR, "fatal: pthread_create: %s", strerror(err));
	return -1;
    }
    control_running = 1;
    return 0;
}

/* control_stop - end the thread and wait for it */
void control_stop(void)
{
    if (!control_running)
	return;
    atomic_store(&control_quit, 1);
    stop_wake(control_thread);			/* out of its poll() */
    pthread_join(control_thread, 0);
    control_running = 0;
}
