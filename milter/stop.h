#ifndef DEPT_MILTER_STOP_H
#define DEPT_MILTER_STOP_H
/*
 * stop - SIGTERM and SIGHUP stop deptmilter once its sessions have ended,
 * SIGINT (or a second SIGTERM) at once
 *
 * stop_prepare(drain_time) runs in the thread that will call smfi_main(), before
 * other threads exist; stop_pending() says whether a stop signal is
 * waiting, taken while starting (then smfi_main() is not called); stop_done() after smfi_main() has returned.
 * stop_wake() interrupts a poll() of another thread of ours (the control
 * thread) so that it sees its quit flag.  See stop.c.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <signal.h>

int     stop_prepare(unsigned drain_time);
int     stop_pending(void);
int     stop_taken(void);
void    stop_wake(pthread_t thread);
void    stop_done(void);
int     milter_sigwait(const sigset_t *set, int *sig);

#endif
