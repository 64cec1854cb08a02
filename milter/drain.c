/*
 * drain - a stop lets the sessions in progress finish
 *
 * See drain.h.  A session is a descriptor that libmilter accepted and has
 * not closed yet: one flag per descriptor number, set by drain_accept(),
 * cleared by milter_close() before the descriptor is closed (so that a
 * number reused by the next accept() is never cleared by mistake).  The
 * accept and the test of the state are done under one lock, so that no
 * session slips in after drain_run() has looked.  While draining,
 * drain_accept() takes nothing: it waits until drain_run() has returned
 * and libmilter, told of the stop, has set its stop flag (20 ms after),
 * then says EAGAIN, which libmilter's listener takes as "try again": it
 * sees its stop flag and ends.  (Were the listener to look at its flag
 * just before libmilter sets it and libmilter to close the socket before
 * the listener takes its lock again, libmilter would call the socket
 * corrupted and smfi_main() fail.)  The listening
 * socket is non-blocking (listen.c), so an accept() that another process
 * sharing the socket won first returns at once.
 *
 * Out of descriptors, libmilter's listener would call accept() again at
 * once, for as long as the connection waits in the queue: a core spent
 * for nothing, and not a word in the log.  drain_accept() then waits
 * DRAIN_FULL_MS before it returns, and says why at most once a minute;
 * the connection is taken as soon as a session has ended.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "milter/drain.h"
#include "milter/log.h"

#define DRAIN_STEP_MS	10
#define DRAIN_FULL_MS	100			/* out of descriptors: wait */
#define DRAIN_WARN_MS	60000			/* and say so, at most this often */

static atomic_uchar drain_fds[DRAIN_FD_MAX];	/* 1: an open session */
static atomic_int drain_sessions;
static int drain_stopping;		/* under drain_lock */
static atomic_llong drain_done;		/* when drain_run() returned, ms */
static pthread_mutex_t drain_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long drain_fds_limit;	/* set once, before any session */
static long long drain_full_warned;	/* the listener's only */

/* now_ms - milliseconds on the monotonic clock */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* drain_hold - wait until libmilter has its stop flag set */
static void drain_hold(void)
{
    struct timespec ts = { 0, DRAIN_STEP_MS * 1000 * 1000 };
    long long done;

    while ((done = atomic_load(&drain_done)) == 0 || now_ms() < done + 2 * DRAIN_STEP_MS)
	(void) nanosleep(&ts, 0);
}

/* drain_fd_limit - the soft descriptor limit set to the hard one, at
 * most DRAIN_FD_MAX */
unsigned long drain_fd_limit(void)
{
    struct rlimit rl;
    rlim_t  want;

    if (drain_fds_limit != 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
	return drain_fds_limit;
    want = rl.rlim_max < DRAIN_FD_MAX ? rl.rlim_max : DRAIN_FD_MAX;
    if (rl.rlim_cur != want) {
	rl.rlim_cur = want;
	(void) setrlimit(RLIMIT_NOFILE, &rl);
	(void) getrlimit(RLIMIT_NOFILE, &rl);
    }
    drain_fds_limit = rl.rlim_cur;
    return drain_fds_limit;
}

/* drain_full - out of descriptors: wait a little, say so now and then */
static void drain_full(int err)
{
    struct timespec ts = { 0, DRAIN_FULL_MS * 1000 * 1000 };
    long long now = now_ms();

    if (drain_full_warned == 0 || now >= drain_full_warned + DRAIN_WARN_MS) {
	drain_full_warned = now;
	log_msg(LOG_WARNING, "warning: no descriptor for a new session (%s;"
		" %d sessions open, descriptor limit %lu): it waits in the"
		" socket's queue", strerror(err), drain_open_sessions(),
		drain_fd_limit());
    }
    (void) nanosleep(&ts, 0);
}

/* drain_accept - accept a session, unless a stop has begun */
int drain_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int     s = -1, stopping, err;

    pthread_mutex_lock(&drain_lock);
    if ((stopping = drain_stopping) == 0
	&& (s = accept4(fd, addr, len, SOCK_CLOEXEC)) >= 0 && s < DRAIN_FD_MAX) {
	atomic_store(&drain_fds[s], 1);
	atomic_fetch_add(&drain_sessions, 1);
    }
    err = errno;
    pthread_mutex_unlock(&drain_lock);
    if (stopping) {				/* left queued for the next one */
	drain_hold();
	errno = EAGAIN;
	return -1;
    }
    if (s < 0 && (err == EMFILE || err == ENFILE))
	drain_full(err);
    errno = err;
    return s;
}

/* milter_close - libmilter's close(): a session ends */
int milter_close(int fd)
{
    if (fd >= 0 && fd < DRAIN_FD_MAX && atomic_exchange(&drain_fds[fd], 0))
	atomic_fetch_sub(&drain_sessions, 1);
    return close(fd);
}

/* drain_open_sessions - how many sessions are open now */
int drain_open_sessions(void)
{
    return atomic_load(&drain_sessions);
}

/* drain_run - take no more sessions; wait for the open ones to end */
int drain_run(unsigned drain_time, const sigset_t *set)
{
    struct timespec step = { 0, DRAIN_STEP_MS * 1000 * 1000 };
    long long start = now_ms(), end = start + drain_time * 1000LL;
    int     open, sig = 0;

    pthread_mutex_lock(&drain_lock);
    drain_stopping = 1;
    pthread_mutex_unlock(&drain_lock);
    if ((open = drain_open_sessions()) == 0)
	goto out;
    log_msg(LOG_INFO, "stop: taking no new session; waiting for %d open"
	    " session%s to end (drain_time=%us)", open, open == 1 ? "" : "s",
	    drain_time);
    while ((open = drain_open_sessions()) > 0 && now_ms() < end
	   && (sig = sigtimedwait(set, 0, &step)) < 0)
	/* wait */ ;
    if (open == 0)
	log_msg(LOG_INFO, "stop: every session ended after %lld ms", now_ms() - start);
    else if (sig > 0)
	log_msg(LOG_WARNING, "warning: stop: signal %d again after %lld ms:"
		" closing %d open session%s now", sig, now_ms() - start, open,
		open == 1 ? "" : "s");
    else
	log_msg(LOG_WARNING, "warning: stop: drain_time=%us passed: closing %d"
		" open session%s (Postfix applies milter_default_action)",
		drain_time, open, open == 1 ? "" : "s");
out:
    atomic_store(&drain_done, now_ms());
    return open;
}
