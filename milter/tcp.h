#ifndef DEPT_MILTER_TCP_H
#define DEPT_MILTER_TCP_H
/*
 * tcp - no Nagle and no delayed ACKs on milter connections over TCP
 *
 * Nothing to call: tcp.c defines accept() and read(), which libmilter's
 * calls bind to, and tunes the TCP connections they see.  See tcp.c.
 */
#include <sys/socket.h>
#include <sys/types.h>

int     accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t read(int fd, void *buf, size_t count);

#endif
