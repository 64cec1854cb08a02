/*
 * tcp - no Nagle and no delayed ACKs on milter connections over TCP
 *
 * The milter protocol is a dialogue of small messages, and at end of
 * message deptmilter sends several in a row (DELRCPT, ADDRCPT_PAR, ...,
 * CONTINUE) to which Postfix does not answer one by one: with Nagle's
 * algorithm the second waits for the ACK of the first, which Postfix's
 * kernel delays by up to 40 ms.  Postfix likewise sends a macro command
 * and the event that follows it without waiting.  So every TCP connection
 * gets TCP_NODELAY when it is accepted, and TCP_QUICKACK again after each
 * read (the kernel clears it by itself).
 *
 * libmilter accepts and reads its connections itself and gives the filter
 * no way to set socket options.  The Makefile therefore links libmilter's
 * own objects (libmilter.a) with their calls of accept() and read() bound
 * to milter_accept() and milter_read() here, which accept (drain.c,
 * which also counts the sessions) and read and tune the socket; nothing else in the process is
 * redirected, and the build fails if libmilter calls anything the binding
 * does not cover (accept4, __read_chk).  Unix-domain sockets and every
 * other descriptor are left as they are (a descriptor number reused after
 * a close is asked for TCP_QUICKACK after every read until accept() sees
 * it again; the kernel refuses it on anything but a TCP socket).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "milter/drain.h"
#include "milter/tcp.h"

static atomic_uchar tcp_fds[DRAIN_FD_MAX];	/* 1: a milter TCP connection */

/* tcp_tune - TCP_NODELAY and TCP_QUICKACK on an accepted TCP socket */
static void tcp_tune(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int     on = 1;

    if (fd < 0 || fd >= DRAIN_FD_MAX)
	return;
    atomic_store(&tcp_fds[fd], 0);
    if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0
	|| (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
	return;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    (void) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
    atomic_store(&tcp_fds[fd], 1);
}

/* milter_accept - libmilter's accept(): a session counted by drain.c
 * (none while a stop drains), then tuned */
int milter_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int     s = drain_accept(fd, addr, len);

    if (s >= 0)
	tcp_tune(s);
    return s;
}

/* milter_read - libmilter's read(): ACK at once on milter TCP connections */
ssize_t milter_read(int fd, void *buf, size_t count)
{
    ssize_t n = read(fd, buf, count);
    int     on = 1, saved = errno;

    if (n > 0 && fd >= 0 && fd < DRAIN_FD_MAX && atomic_load(&tcp_fds[fd]))
	(void) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
    errno = saved;
    return n;
}
