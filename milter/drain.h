#ifndef DEPT_MILTER_DRAIN_H
#define DEPT_MILTER_DRAIN_H
/*
 * drain - a stop lets the sessions in progress finish
 *
 * libmilter ends every session as soon as its stop flag is set, and sets
 * it as soon as it gets SIGTERM.  So deptmilter counts the sessions itself:
 * drain_accept() is what libmilter's accept() does (through milter_accept
 * in tcp.c), milter_close() is libmilter's close(), bound at link time in
 * libmilter's own objects only (see the Makefile).  drain_run(), called
 * by libmilter's signal thread when a stop signal has arrived and before
 * libmilter hears of it, stops taking new sessions at once (they wait in
 * the listening socket's queue for the next deptmilter) and waits until
 * the open ones have ended, at most drain_time seconds, or until a second
 * stop signal of set arrives.  It returns the number of sessions still
 * open, which the stop then closes.
 *
 * Each session holds a descriptor.  drain_fd_limit(), called at start,
 * sets the soft descriptor limit to the hard one (systemd gives services
 * 1024 and 524288), at most DRAIN_FD_MAX, the descriptors that drain.c
 * and tcp.c keep a flag for, and returns it.  Out of
 * descriptors, drain_accept() leaves the connection queued, waits a
 * little and logs a warning at most once a minute.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <signal.h>
#include <sys/socket.h>

#define DRAIN_FD_MAX	65536			/* descriptors counted */

unsigned long drain_fd_limit(void);
int     drain_accept(int fd, struct sockaddr *addr, socklen_t *len);
int     milter_close(int fd);
int     drain_open_sessions(void);
int     drain_run(unsigned drain_time, const sigset_t *set);

#endif
