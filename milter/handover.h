#ifndef DEPT_MILTER_HANDOVER_H
#define DEPT_MILTER_HANDOVER_H
/*
 * handover - deptmilter -R: the running deptmilter hands its sockets to
 * the new one, then drains and exits
 *
 * Every deptmilter with a pid file listens on a control socket beside it
 * (its name with ".pid" replaced by ".ctl"), mode 0600, made as root.
 * "deptmilter -R" starting while one runs (its pid file locked) connects
 * there as root and says "handover"; the running one (handover_serve(),
 * in its control thread) checks that the peer is root or its own user and
 * sends, with SCM_RIGHTS, its milter listening socket, its control socket
 * and its pid file (whose lock is thereby shared), its socketmap's
 * listening socket when it has one, and whether it made each socket.  The
 * new one makes libmilter accept on that same socket, and its socketmap
 * thread on that same socketmap socket (one socket, one queue: nothing
 * queued is lost, which two sockets bound with SO_REUSEPORT would not
 * give), starts, and says "go"
 * (handover_go()); the running one answers "ok", stops watching the
 * control socket and sends itself SIGTERM: it takes no new session, lets
 * the open ones end (drain_time) and exits without removing the pid file
 * or the sockets, now the new one's (its socketmap answers what it has
 * received, then closes its connections: socketmap.h).  The new one then
 * writes its pid.
 * Until "go", nothing changes for the running one; a -R that fails leaves
 * it serving.
 *
 * handover_path() gives the control socket's path for a pid file ("" when
 * there is none).  handover_fetch() is the new one's first half (as
 * root): 0 with the descriptors in *h, -1 after logging why.
 * handover_listen() makes (as root) or, with fd >= 0, takes the control
 * socket; handover_fd() is it (-1: none); handover_serve() answers one
 * connection on it; handover_done() says whether this deptmilter has
 * handed over (so that its stop leaves the sockets and the pid file);
 * handover_close() closes the control socket, removing its path unless
 * handed over.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

struct handover {
    int     listen_fd;			/* the milter socket */
    int     ctl_fd;			/* the control socket */
    int     pid_fd;			/* the pid file, locked */
    int     made;			/* 1: a deptmilter made the milter socket */
    int     sm_fd;			/* the socketmap's socket, or -1 */
    int     sm_made;			/* 1: a deptmilter made it */
    long    old_pid;
    int     conn;			/* to the running one, until "go" */
};

void    handover_path(const char *pid_file, char *buf, size_t len);
int     handover_fetch(const char *ctl_path, struct handover *h);
int     handover_go(struct handover *h);
int     handover_listen(const char *ctl_path, int fd);
int     handover_fd(void);
void    handover_serve(void);
int     handover_done(void);
void    handover_close(void);

#endif
