#ifndef DEPT_MILTER_CONTROL_H
#define DEPT_MILTER_CONTROL_H
/*
 * control - the thread that handles SIGUSR1, SIGUSR2 and the clock
 *
 * control_block() blocks SIGUSR1 and SIGUSR2, and libmilter's SIGHUP,
 * SIGTERM and SIGINT, in the calling thread; call it before any other
 * thread starts, so that every thread inherits the mask (libmilter's
 * signal thread waits for the last three; the default action must not hit
 * another thread first).  control_start() starts the thread: it checks
 * the map file and the shadow map file, if any (NULL or ""), with
 * gen_check() as soon as inotify reports a change of either in its
 * directory, and about once a second anyway (inotify may be missing,
 * or the directory replaced); it reloads on SIGUSR1, logs the counters on
 * SIGUSR2 and every stats_interval seconds (0: never); it answers a
 * deptmilter -R on the control socket (handover_serve()).  control_stop()
 * ends and joins it.
 * SPDX-License-Identifier: BSD-2-Clause
 */

int     control_block(void);
int     control_start(unsigned stats_interval, const char *map_path,
		      const char *shadow_path);
void    control_stop(void);

#endif
