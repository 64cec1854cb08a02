/*
 * stop - SIGTERM and SIGHUP stop deptmilter once its sessions have ended,
 * SIGINT (or a second SIGTERM) at once
 *
 * libmilter takes these signals in a thread of its own (sigwait), sets
 * its stop flag and then waits for the listener's mutex to close the
 * listening socket; the listener holds that mutex while it sits in poll()
 * and looks at the flag only when poll() returns, which with no new
 * connection is after up to 5 seconds.  A restart of deptmilter left
 * Postfix that long without its filter.
 *
 * libmilter's call of sigwait() is therefore bound, at link time and in
 * libmilter's own objects only (see the Makefile and tcp.c), to
 * milter_sigwait() here.  It waits with sigtimedwait(2).  When SIGTERM
 * or SIGHUP arrives, libmilter does not hear of it until drain_run()
 * (drain.c) has let the sessions in progress end, for at most drain_time
 * seconds, taking no new ones meanwhile: libmilter would close them all
 * at once.  Then (and at once for SIGINT) it starts a thread that
 * interrupts the listener's poll() every 20 ms with a signal whose
 * handler does nothing, and returns the signal to libmilter.  A stop
 * signal taken while starting, before smfi_main(), is seen by
 * stop_pending(), and smfi_main() is not called.  poll() is never restarted after a
 * handler, so the listener lets go of its mutex and sees the flag; other
 * calls are restarted (SA_RESTART).  The thread stops when smfi_main()
 * has returned (stop_done) or after 2 seconds.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "milter/drain.h"
#include "milter/log.h"
#include "milter/stop.h"

#define STOP_WAKE_SIG	SIGRTMIN
#define STOP_TRIES	100			/* 20 ms apart */

static pthread_t stop_listener;
static int stop_ready;
static unsigned stop_drain_time;	/* seconds */
static atomic_int stop_finished;
static atomic_int stop_signalled;	/* libmilter took a stop signal */

/* stop_nothing - the wake-up signal's handler: interrupting is its job */
static void stop_nothing(int sig)
{
    (void) sig;
}

/* stop_prepare - remember the listener thread and the drain time;
 * handle the wake-up signal */
int stop_prepare(unsigned drain_time)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop_nothing;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(STOP_WAKE_SIG, &sa, 0) < 0) {
	log_msg(LOG_ERR, "fatal: sigaction: %s", strerror(errno));
	return -1;
    }
    stop_listener = pthread_self();
    stop_drain_time = drain_time;
    stop_ready = 1;
    return 0;
}

/* stop_wake - interrupt a blocking poll() in one of our threads */
void stop_wake(pthread_t thread)
{
    (void) pthread_kill(thread, STOP_WAKE_SIG);
}

/* stop_waker - interrupt the listener until it has stopped */
static void *stop_waker(void *arg)
{
    struct timespec pause = { 0, 20 * 1000 * 1000 };
    int     i;

    (void) arg;
    for (i = 0; i < STOP_TRIES && !atomic_load(&stop_finished); i++) {
	(void) nanosleep(&pause, 0);
	stop_wake(stop_listener);
    }
    return 0;
}

/* stop_pending - whether a stop signal arrived while starting (libmilter
 * would take it before its listener runs, and stop with an error) */
int stop_pending(void)
{
    sigset_t set;

    return sigpending(&set) == 0 && (sigismember(&set, SIGTERM)
				     || sigismember(&set, SIGHUP)
				     || sigismember(&set, SIGINT));
}

/* stop_taken - whether libmilter took a stop signal: then an smfi_main()
 * that failed was stopped before its listener ran (a signal just after
 * stop_pending() looked), a clean stop all the same */
int stop_taken(void)
{
    return atomic_load(&stop_signalled);
}

/* stop_done - smfi_main() has returned: no more waking */
void stop_done(void)
{
    atomic_store(&stop_finished, 1);
}

/* milter_sigwait - libmilter's sigwait(): wakes its listener at a stop */
int milter_sigwait(const sigset_t *set, int *sig)
{
    pthread_attr_t attr;
    pthread_t waker;
    int     s;

    while ((s = sigtimedwait(set, 0, 0)) < 0 && errno == EINTR)
	/* try again */ ;
    if (s < 0)
	return errno;
    *sig = s;
    if (s == SIGTERM || s == SIGHUP || s == SIGINT)
	atomic_store(&stop_signalled, 1);
    if (stop_ready && (s == SIGTERM || s == SIGHUP))
	(void) drain_run(stop_drain_time, set);
    if (stop_ready && (s == SIGTERM || s == SIGHUP || s == SIGINT)
	&& pthread_attr_init(&attr) == 0) {
	(void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void) pthread_create(&waker, &attr, stop_waker, 0);
	(void) pthread_attr_destroy(&attr);
    }
    return 0;
}
