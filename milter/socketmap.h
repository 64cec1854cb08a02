#ifndef DEPT_MILTER_SOCKETMAP_H
#define DEPT_MILTER_SOCKETMAP_H
/*
 * socketmap - Postfix's socketmap protocol, served by one thread
 *
 * socketmap_open() creates the listening socket of "socketmap =" (as
 * root, before privileges are dropped: unix:/PATH with the owner and mode
 * of the milter's socket, inet:PORT@HOST or inet6:PORT@HOST), or with
 * fd >= 0 takes one passed in: by systemd (deptmilter.socket holds it
 * across restarts) or by the deptmilter handing over (handover.h; made:
 * a deptmilter made it); it must listen where "socketmap =" says, and
 * gets the same owner and mode.  An empty setting does nothing.
 * socketmap_start() starts the thread that serves it; socketmap_fd() is
 * the listening socket (-1: none) and socketmap_made() whether a
 * deptmilter made it, for a handover.  socketmap_stop() ends and joins
 * the thread and closes everything (idempotent; also after an open
 * without a start); it removes the socket's path only when a deptmilter
 * made it and keep is 0 (not handed over), never systemd's.  Each
 * returns 0, or -1 after logging why.
 *
 * The stop loses no request: the socketmap keeps serving, and accepting,
 * while the milter's sessions drain (a session in progress may need a
 * lookup from a Postfix process with no connection yet, and with a
 * restart the next deptmilter starts only after this one exits); then it
 * stops accepting (new connections wait in the socket's queue for the
 * next deptmilter), answers every request it has received, sends the
 * replies (at most SM_FINISH_MS) and closes every connection.  Postfix's
 * client (dict_sockmap) retries a request once on a new connection when
 * the old one is closed (EOF, reset or a broken pipe): a request that
 * arrives after the last read goes to the next deptmilter.
 *
 * The thread waits in epoll for every connection at once: non-blocking
 * sockets, requests answered as their netstring completes (tables.h), an
 * input buffer only while a request is incomplete and an output buffer
 * only while the client has not taken its replies, so an idle connection
 * costs a small struct and no wake-up: idle connections never time out
 * (Postfix keeps them, and closes them itself).  Limits, each closing
 * that connection with one log line:
 *
 *   a malformed netstring;
 *   a request longer than SOCKETMAP_SKIP_MAX (a request longer than any
 *   address, TABLES_REQUEST_MAX, up to that length is read without being
 *   kept and answered "NOTFOUND ", as decide() would answer it);
 *   a request still incomplete SOCKETMAP_REQUEST_TIMEOUT seconds after
 *   the last one that completed (Postfix writes a request at once);
 *   more than SOCKETMAP_OUT_MAX bytes of replies the client has not read,
 *   or unread replies while those of all connections pass
 *   SOCKETMAP_OUT_TOTAL_MAX.
 *
 * Connections beyond half the descriptor limit are closed at once.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "milter/config.h"

#define SOCKETMAP_OUT_MAX	(256 * 1024)	/* replies not yet read */
#define SOCKETMAP_OUT_TOTAL_MAX	(32 * 1024 * 1024)	/* of all connections */
#define SOCKETMAP_SKIP_MAX	100000		/* a request (Postfix's reply limit) */
#define SOCKETMAP_REQUEST_TIMEOUT 10		/* seconds, an incomplete request */

int     socketmap_open(const struct config *cf, int fd, int made);
int     socketmap_start(void);
int     socketmap_fd(void);
int     socketmap_made(void);
void    socketmap_stop(int keep);

#endif
