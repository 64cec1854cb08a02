/*
 * null_socketmap - a minimal socketmap server, for make bench
 *
 *   null_socketmap SOCKET
 *
 * Listens on the unix socket SOCKET and answers "NOTFOUND " to every
 * netstring request, without looking at it: one thread, level-triggered
 * epoll, one read() per event and every reply of that read in one
 * send(), as deptmilter's socketmap does.  It is the baseline of the
 * socketmap rows: what the protocol and the kernel cost, with no table
 * and no log line.  Requests must be shorter than IN_MAX.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define IN_MAX	4096
#define EVENTS	64
#define REPLY	"9:NOTFOUND ,"

struct conn {
    int     fd;
    size_t  len;			/* bytes of an incomplete request */
    char    in[IN_MAX];
};

/* listen_on - the listening unix socket */
static int listen_on(const char *path)
{
    struct sockaddr_un sun;
    int     fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

    if (fd < 0 || strlen(path) >= sizeof(sun.sun_path))
	return -1;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 || listen(fd, SOMAXCONN) < 0)
	return -1;
    return fd;
}

/* requests - how many whole netstrings c->in starts with; the rest kept */
static int requests(struct conn *c)
{
    size_t  i = 0, n, k;
    int     count = 0;

    for (;;) {
	for (n = 0, k = i; k < c->len && c->in[k] >= '0' && c->in[k] <= '9'; k++)
	    n = n * 10 + (size_t) (c->in[k] - '0');
	if (k >= c->len || c->in[k] != ':' || k + 1 + n >= c->len)
	    break;
	i = k + 1 + n + 1;
	count++;
    }
    memmove(c->in, c->in + i, c->len - i);
    c->len -= i;
    return count;
}

/* serve - one read from a connection, its replies; -1 to close */
static int serve(struct conn *c)
{
    char    out[64 * sizeof(REPLY)];
    ssize_t r = read(c->fd, c->in + c->len, IN_MAX - c->len);
    int     n, i;

    if (r <= 0)
	return -1;
    c->len += (size_t) r;
    n = requests(c);
    if (c->len == IN_MAX)
	return -1;
    while (n > 0) {
	for (i = 0; i < n && i < 64; i++)
	    memcpy(out + i * (sizeof(REPLY) - 1), REPLY, sizeof(REPLY) - 1);
	if (send(c->fd, out, (size_t) i * (sizeof(REPLY) - 1), MSG_NOSIGNAL) < 0)
	    return -1;
	n -= i;
    }
    return 0;
}

/* main - accept and answer until killed */
int main(int argc, char **argv)
{
    struct epoll_event ev, evs[EVENTS];
    struct conn *c;
    int     lfd, ep, n, i, fd;

    if (argc != 2 || (lfd = listen_on(argv[1])) < 0 || (ep = epoll_create1(0)) < 0) {
	fprintf(stderr, "usage: null_socketmap SOCKET (cannot listen there)\n");
	return 1;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
	n = epoll_wait(ep, evs, EVENTS, -1);
	for (i = 0; i < n; i++) {
	    if ((c = evs[i].data.ptr) == 0) {
		if ((fd = accept4(lfd, 0, 0, SOCK_NONBLOCK)) < 0)
		    continue;
		if ((c = calloc(1, sizeof(*c))) == 0) {
		    close(fd);
		    continue;
		}
		c->fd = fd;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	    } else if (serve(c) < 0) {
		close(c->fd);
		free(c);
	    }
	}
    }
}
