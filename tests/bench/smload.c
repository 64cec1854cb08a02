/*
 * smload - socketmap lookups as fast as a server answers, for make bench
 *
 *   smload SOCKET CONNS SECONDS "NAME KEY"...
 *
 * Opens CONNS connections to the unix socket SOCKET; each keeps one
 * request outstanding, as a Postfix process does (it asks and waits),
 * the requests taken in turn from the arguments.  After SECONDS it
 * prints one line:
 *
 *   lookups=N seconds=S rate=R client_cpu=C ok=N notfound=N other=N
 *
 * client_cpu is this process's own CPU time over the wall time (1.0: one
 * core busy), so that a run can tell whether the client was the limit.
 * One thread, epoll; a reply is counted by its first word.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX	4096

struct conn {
    int     fd;
    int     next;			/* the request it sends next */
    size_t  len;
    char    in[IN_MAX];
};

static char **reqs;			/* the requests as netstrings */
static size_t *reqlen;
static int nreqs;
static unsigned long ok, notfound, other;

/* now - seconds on the monotonic clock */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* cpu - this process's user and system time, in seconds */
static double cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
	+ ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* dial - a connection to the unix socket path */
static int dial(const char *path)
{
    struct sockaddr_un sun;
    int     fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0 || strlen(path) >= sizeof(sun.sun_path))
	return -1;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
	close(fd);
	return -1;
    }
    return fd;
}

/* ask - send the connection's next request */
static int ask(struct conn *c)
{
    int     i = c->next;

    c->next = (c->next + 1) % nreqs;
    return send(c->fd, reqs[i], reqlen[i], MSG_NOSIGNAL) == (ssize_t) reqlen[i] ? 0 : -1;
}

/* replies - count the whole replies in c->in, keep the rest; how many */
static int replies(struct conn *c)
{
    size_t  i = 0, n, k;
    int     count = 0;
    const char *p;

    for (;;) {
	for (n = 0, k = i; k < c->len && c->in[k] >= '0' && c->in[k] <= '9'; k++)
	    n = n * 10 + (size_t) (c->in[k] - '0');
	if (k >= c->len || c->in[k] != ':' || k + 1 + n >= c->len)
	    break;
	p = c->in + k + 1;
	if (n >= 3 && memcmp(p, "OK ", 3) == 0)
	    ok++;
	else if (n >= 9 && memcmp(p, "NOTFOUND ", 9) == 0)
	    notfound++;
	else
	    other++;
	i = k + 1 + n + 1;
	count++;
    }
    memmove(c->in, c->in + i, c->len - i);
    c->len -= i;
    return count;
}

/* setup - the requests as netstrings, the connections in epoll */
static struct conn *setup(const char *path, int nconns, char **args, int ep)
{
    struct conn *conns = calloc((size_t) nconns, sizeof(*conns));
    struct epoll_event ev;
    int     i;

    reqs = calloc((size_t) nreqs, sizeof(*reqs));
    reqlen = calloc((size_t) nreqs, sizeof(*reqlen));
    if (conns == 0 || reqs == 0 || reqlen == 0)
	return 0;
    for (i = 0; i < nreqs; i++) {
	reqlen[i] = strlen(args[i]) + 24;
	if ((reqs[i] = malloc(reqlen[i])) == 0)
	    return 0;
	reqlen[i] =
	    (size_t) snprintf(reqs[i], reqlen[i], "%zu:%s,", strlen(args[i]), args[i]);
    }
    for (i = 0; i < nconns; i++) {
	if ((conns[i].fd = dial(path)) < 0)
	    return 0;
	conns[i].next = i % nreqs;
	ev.events = EPOLLIN;
	ev.data.ptr = conns + i;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
	    return 0;
    }
    return conns;
}

/* main - run for SECONDS, print the counts */
int main(int argc, char **argv)
{
    struct epoll_event evs[64];
    struct conn *conns, *c;
    int     nconns, ep, n, i, k;
    double  secs, t0, c0, t1 = 0;
    unsigned long lookups = 0;
    ssize_t r;

    if (argc < 5 || (nconns = atoi(argv[2])) < 1 || (secs = atof(argv[3])) <= 0) {
	fprintf(stderr, "usage: smload SOCKET CONNS SECONDS \"NAME KEY\"...\n");
	return 2;
    }
    nreqs = argc - 4;
    if ((ep = epoll_create1(0)) < 0
	|| (conns = setup(argv[1], nconns, argv + 4, ep)) == 0) {
	perror("smload: cannot connect");
	return 1;
    }
    t0 = now();
    c0 = cpu();
    for (i = 0; i < nconns; i++)
	if (ask(conns + i) < 0)
	    return 1;
    for (;;) {
	n = epoll_wait(ep, evs, 64, 1000);
	for (i = 0; i < n; i++) {
	    c = evs[i].data.ptr;
	    if ((r = read(c->fd, c->in + c->len, IN_MAX - c->len)) <= 0) {
		perror("smload: the server closed a connection");
		return 1;
	    }
	    c->len += (size_t) r;
	    for (k = replies(c); k > 0; k--, lookups++)
		if (ask(c) < 0)
		    return 1;
	}
	if ((t1 = now()) - t0 >= secs)
	    break;
    }
    printf("lookups=%lu seconds=%.3f rate=%.0f client_cpu=%.3f ok=%lu notfound=%lu"
	   " other=%lu\n", lookups, t1 - t0, lookups / (t1 - t0),
	   (cpu() - c0) / (t1 - t0), ok, notfound, other);
    return 0;
}
