#ifndef DEPT_MILTER_CONTROL_H
#define DEPT_MILTER_CONTROL_H
/*
 * control - the thread that handles SIGUSR1, SIGUSR2 and the clock
 *
 * control_block() blocks SIGUSR1 and SIGUSR2, and libmilter's SIGHUP,
 * SIGTERM and SIGINT, in the calling thread; call it before any other
 * thread starts, so that every thread inherits the mask (libmilter's
 * signal thread waits for the last three; the default action must not hit
 * another thread first).  control_start() starts the thread: it waits for the signals with
 * sigtimedwait(), checks the map file about once a second (gen_check),
 * reloads on SIGUSR1, logs the counters on SIGUSR2 and every
 * stats_interval seconds (0: never).  control_stop() ends and joins it.
 */

int     control_block(void);
int     control_start(unsigned stats_interval);
void    control_stop(void);

#endif
