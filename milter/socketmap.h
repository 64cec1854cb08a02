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
 * costs a small struct.  A malformed netstring, one longer than a request
 * can be, or more than SOCKETMAP_OUT_MAX bytes of replies the client has
 * not read closes that connection, with one log line.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "milter/config.h"

#define SOCKETMAP_OUT_MAX	(256 * 1024)	/* replies not yet read */

int     socketmap_open(const struct config *cf);
int     socketmap_start(void);
void    socketmap_stop(void);

#endif
