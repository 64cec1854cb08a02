#ifndef DEPT_MILTER_LISTEN_H
#define DEPT_MILTER_LISTEN_H
/*
 * listen - the listening socket: deptmilter's, not libmilter's
 *
 * libmilter creates its listening socket itself from smfi_setconn(), and
 * at its stop closes it and, when not root, removes a unix socket's path
 * whatever socket is there by then.  A socket that outlives the process
 * (systemd's, or one handed to the next deptmilter) cannot be made that
 * way.  So deptmilter makes or inherits the socket and gives it to
 * libmilter: libmilter opens a throw-away socket (a private path, or
 * port 0 on loopback), and the real one is dup2()ed over that descriptor.
 * libmilter never learns the real path, so never removes it.
 *
 * listen_systemd() takes the sockets systemd passed (the sd_listen_fds(3)
 * protocol: LISTEN_PID is us, LISTEN_FDS >= 1, descriptors from 3 on; at
 * most max, each a listening stream socket), removes the LISTEN_*
 * variables from the environment and gives how many (0: none).
 * listen_passed() finds among them, by the address each listens on, the
 * milter's socket (*mfd; one must be there) and the socketmap's (*sfd, -1:
 * none passed, with a warning, since deptmilter then makes it and a
 * restart leaves a gap).  Any other one is refused, unless deptmilter.conf
 * sets no socketmap: then it is taken to be the unit's socket for it,
 * closed and logged at info (the shipped unit holds both; the milter-only
 * setup works with it unchanged).  LISTEN_FDNAMES is not needed: one
 * socket unit names all its sockets alike.  listen_open() makes a socket
 * as spec says: a unix one is
 * bound, given to the run-time user and group postfix with socket_mode
 * (daemon_socket_owner), then listens.  listen_matches() says whether a
 * socket listens where spec says.  listen_give() makes fd the socket
 * libmilter accepts on (call it after smfi_register, as root or not);
 * the socket becomes non-blocking.  listen_fd() is that socket;
 * listen_made() says whether a deptmilter made it (made_here), not systemd;
 * listen_remove() removes the unix socket's path at a stop, when
 * deptmilter made it and it was not handed on (keep != 0).  Functions
 * returning int give -1 after logging why.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "milter/config.h"

int     listen_systemd(int *fds, int max);
int     listen_passed(const struct config *cf, const int *fds, int n, int *mfd,
		      int *sfd);
int     listen_open(const struct config *cf);
int     listen_matches(int fd, const char *spec);
int     listen_give(int fd, const char *spec, int made_here);
int     listen_fd(void);
int     listen_made(void);
void    listen_remove(int keep);

#endif
