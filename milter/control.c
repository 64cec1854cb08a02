/*
 * control - the thread that handles SIGUSR1, SIGUSR2 and the clock
 *
 * See control.h.  libmilter keeps SIGHUP, SIGTERM and SIGINT for itself
 * (stop); this thread never touches them.  Times come from
 * CLOCK_MONOTONIC so that a clock step does not bunch stats lines.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "milter/control.h"
#include "milter/generation.h"
#include "milter/log.h"
#include "milter/stats.h"

static pthread_t control_thread;
static int control_running;
static atomic_int control_quit;
static unsigned control_interval;

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
    return (ts.tv_sec);
}

/* control_main - wait for a signal or a second, then do what is due */
static void *control_main(void *arg)
{
    const struct timespec tick = {1, 0};
    time_t  last_check = now_sec(), next_stats;
    sigset_t set;
    int     sig;

    (void) arg;
    control_sigset(&set);
    next_stats = last_check + control_interval;
    while (!atomic_load(&control_quit)) {
	sig = sigtimedwait(&set, 0, &tick);
	if (sig == SIGUSR1) {
	    log_msg(LOG_INFO, "map: reload requested (SIGUSR1)");
	    gen_check(1);
	    last_check = now_sec();
	} else if (sig == SIGUSR2)
	    stats_log();
	if (now_sec() - last_check >= 1) {
	    gen_check(0);
	    last_check = now_sec();
	}
	if (control_interval && now_sec() >= next_stats) {
	    stats_log();
	    next_stats = now_sec() + control_interval;
	}
    }
    return (0);
}

/* control_block - block our signals, and libmilter's, before threads exist */
int     control_block(void)
{
    sigset_t set;
    int     err;

    control_sigset(&set);
    sigaddset(&set, SIGHUP);			/* libmilter's own thread waits */
    sigaddset(&set, SIGTERM);			/* for these: no other thread */
    sigaddset(&set, SIGINT);			/* may take them first */
    if ((err = pthread_sigmask(SIG_BLOCK, &set, 0)) != 0) {
	log_msg(LOG_ERR, "fatal: pthread_sigmask: %s", strerror(err));
	return (-1);
    }
    return (0);
}

/* control_start - start the signal and timer thread */
int     control_start(unsigned stats_interval)
{
    int     err;

    control_interval = stats_interval;
    atomic_store(&control_quit, 0);
    if ((err = pthread_create(&control_thread, 0, control_main, 0)) != 0) {
	log_msg(LOG_ERR, "fatal: pthread_create: %s", strerror(err));
	return (-1);
    }
    control_running = 1;
    return (0);
}

/* control_stop - end the thread (within a second) and wait for it */
void    control_stop(void)
{
    if (!control_running)
	return;
    atomic_store(&control_quit, 1);
    pthread_join(control_thread, 0);
    control_running = 0;
}
