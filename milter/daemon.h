#ifndef DEPT_MILTER_DAEMON_H
#define DEPT_MILTER_DAEMON_H
/*
 * daemon - the parts of starting a daemon that need root
 *
 * daemon_detach() forks into the background; the parent waits until the
 * child calls daemon_ready() (exit 0) or dies (exit 1), so that a failed
 * start is seen by whoever started it.  daemon_pid_file() writes our pid
 * in the pid file and keeps it open and locked (daemon_pid_fd());
 * daemon_running() gives the pid of the deptmilter that holds a pid file
 * locked (0: none); daemon_pid_adopt() takes a pid file handed over with
 * its lock (handover.h), daemon_pid_write() then writes our pid in it;
 * daemon_socket() gives libmilter (after smfi_register) its listening
 * socket: fd when one was inherited (from systemd, or from the deptmilter
 * handing over; it must listen where cf->socket says; made_here: that
 * deptmilter made it, so the last one removes its path), else a new one
 * (listen.c), with the configured mode and, for a unix socket as root,
 * owner "user" and group "postfix" when that group exists.  daemon_drop() gives up root:
 * supplementary groups, gid, uid, each checked.  daemon_check() checks,
 * for -t, that the socket's directory and the user exist;
 * daemon_check_access(), for -t and every start, that the run-time user
 * (in a child that becomes it) can read the map and its directory, with a
 * warning when it cannot write the pid file's directory.
 * daemon_socketmap_path() checks, for -t and at start, that the
 * socketmap's unix socket path fits a socket address and that its
 * directory exists, each error with the FILE:LINE of "socketmap ="
 * (daemon_check_access() warns when the user cannot remove the socket at
 * stop); daemon_unix_free() makes a path ready for a unix socket of our
 * own (the socketmap's): nothing may answer there, a stale socket is
 * removed; daemon_socket_owner() gives such a socket the owner and mode
 * of the milter's.  Every function
 * returns 0, or -1 after logging why.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "milter/config.h"

int     daemon_detach(void);
void    daemon_ready(void);
int     daemon_pid_file(const char *path);
long    daemon_running(const char *path);
void    daemon_pid_adopt(int fd);
int     daemon_pid_write(const char *path);
int     daemon_pid_fd(void);
void    daemon_pid_remove(const char *path);
int     daemon_socket(const struct config *cf, int fd, int made_here);
int     daemon_socketmap_path(const struct config *cf);
int     daemon_unix_free(const char *path);
int     daemon_socket_owner(const char *path, const struct config *cf);
int     daemon_check(const struct config *cf);
int     daemon_check_access(const struct config *cf);
int     daemon_drop(const char *user);

#endif
