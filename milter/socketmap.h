#ifndef DEPT_MILTER_SOCKETMAP_H
#define DEPT_MILTER_SOCKETMAP_H
/*
 * socketmap - Postfix's socketmap protocol, served by one thread
 *
 * socketmap_open() creates the listening socket of "socketmap =" (as
 * root, before privileges are dropped: unix:/PATH with the owner and mode
 * of the milter's socket, inet:PORT@HOST or inet6:PORT@HOST); an empty
 * setting does nothing.  socketmap_start() starts the thread that serves
 * it; socketmap_stop() ends and joins the thread and closes everything
 * (idempotent; also after an open without a start).  Each returns 0, or
 * -1 after logging why.
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

int     socketmap_open(const struct config *cf);
int     socketmap_start(void);
void    socketmap_stop(void);

#endif
