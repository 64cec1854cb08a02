#ifndef DEPT_MILTER_TCP_H
#define DEPT_MILTER_TCP_H
/*
 * tcp - no Nagle and no delayed ACKs on milter connections over TCP
 *
 * Nothing of ours calls these: libmilter's own calls of accept() and
 * read() are bound to them at link time (see the Makefile), and they tune
 * the TCP connections libmilter accepts.  See tcp.c.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <sys/socket.h>
#include <sys/types.h>

int     milter_accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t milter_read(int fd, void *buf, size_t count);

#endif
