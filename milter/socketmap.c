/*
 * socketmap - Postfix's socketmap protocol, served by one thread
 *
 * See socketmap.h.  Level-triggered epoll; each event gets one read()
 * (so that one busy client does not starve the others), whose requests
 * netstring_next() frames and which are answered into one buffer of the
 * thread, sent at once (or as soon as it holds SOCKETMAP_OUT_MAX); only
 * what the socket does not take is copied into the connection's own
 * output buffer, and EPOLLOUT asked for until it is gone.  Connections
 * with an incomplete request are on a list in the order their clock
 * started, so the next to expire is its head and epoll_wait() waits until
 * then (for ever when there is none).  The thread is woken
 * for the stop by an eventfd, which cannot be missed as a signal
 * arriving just before epoll_wait() can.  When accept() runs out of
 * descriptors the listener rests for a second instead of waking the loop
 * again and again; connections beyond half the descriptor limit
 * (drain_fd_limit()) are accepted and closed at once, so
 * the milter keeps descriptors for its own connections.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "milter/daemon.h"
#include "milter/drain.h"
#include "milter/listen.h"
#include "milter/log.h"
#include "milter/netstring.h"
#include "milter/socketmap.h"
#include "milter/tables.h"

#define SM_READ_SIZE	65536
#define SM_EVENTS	64
#define SM_ACCEPTS	64			/* accepts per wake-up */
#define SM_REST_SEC	1			/* the listener after EMFILE */
#define SM_WARN_SEC	60			/* between "too many" warnings */
#define SM_FINISH_MS	1000			/* at the stop: replies sent within */
#define SM_FINISH_READS	16			/* at the stop: reads of one connection */

struct sm_conn {
    int     fd;
    struct netstring_in in;		/* an incomplete request */
    struct buf out;			/* replies not yet taken */
    size_t  outoff;
    int     want_out;			/* EPOLLOUT asked for */
    struct sm_conn *prev, *next;
    struct sm_conn *wprev, *wnext;	/* on the waiting list */
    long long waiting;			/* since (ms; a request incomplete), or 0 */
    char    client[64];			/* "cleanup[1234]" or an address */
};

static const struct config *sm_cf;
static int sm_lfd = -1, sm_epfd = -1, sm_wakefd = -1;
static int sm_inet;			/* TCP: TCP_NODELAY */
static int sm_made;			/* a deptmilter made it, not systemd */
static char sm_path[CONFIG_STR_MAX];	/* a unix socket a deptmilter made */
static struct stat sm_path_st;		/* it, to remove only it at the end */
static pthread_t sm_thread;
static int sm_running;
static atomic_int sm_quit;
static struct sm_conn *sm_conns;	/* every open connection */
static struct sm_conn *sm_whead, *sm_wtail;	/* incomplete requests, oldest first */
static size_t sm_out_total;		/* the output buffers of every connection */
static unsigned long sm_nconns, sm_max_conns;
static time_t sm_rest_until;		/* listener resting until, or 0 */
static time_t sm_warned;
static struct tables sm_tables;
static struct buf sm_reply, sm_wbuf;	/* one reply; replies of one read */
static char sm_rbuf[SM_READ_SIZE];
static char sm_listen_tag, sm_wake_tag;	/* epoll data of those two */

/* now_sec - seconds on the monotonic clock */
static time_t now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* now_ms - milliseconds on the monotonic clock */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* listen_unix - a unix socket with the milter socket's owner and mode */
static int listen_unix(const char *path, const struct config *cf)
{
    struct sockaddr_un sun;
    mode_t  old;
    int     fd, rc;

    if (daemon_socketmap_path(cf) < 0 || daemon_unix_free(path) < 0)
	return -1;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
	goto fail;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    old = umask(~cf->socket_mode & 0777);
    rc = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
    umask(old);
    if (rc < 0 || listen(fd, SOMAXCONN) < 0)
	goto fail;
    if (stat(path, &sm_path_st) == 0)
	snprintf(sm_path, sizeof(sm_path), "%s", path);
    sm_made = 1;
    if (daemon_socket_owner(path, cf) < 0) {
	close(fd);
	return -1;
    }
    return fd;
fail:
    log_msg(LOG_ERR, "fatal: socketmap %s: %s", path, strerror(errno));
    if (fd >= 0)
	close(fd);
    return -1;
}

/* listen_inet - inet:PORT@HOST or inet6:PORT@HOST (config.c checked it) */
static int listen_inet(const char *spec)
{
    const char *rest = strchr(spec, ':') + 1, *at = strchr(rest, '@');
    struct addrinfo hints, *res = 0;
    char    port[32];
    int     fd = -1, on = 1, err;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%.*s", (int) (at - rest), rest);
    if ((err = getaddrinfo(at + 1, port, &hints, &res)) != 0) {
	log_msg(LOG_ERR, "fatal: socketmap %s: %s", spec, gai_strerror(err));
	return -1;
    }
    if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0
	|| setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
	|| bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
	log_msg(LOG_ERR, "fatal: socketmap %s: %s", spec, strerror(errno));
	if (fd >= 0)
	    close(fd);
	fd = -1;
    }
    freeaddrinfo(res);
    sm_inet = 1;
    sm_made = 1;
    return fd;
}

/* adopt - a listening socket passed in (by systemd, or by the deptmilter
 * handing over; made: a deptmilter made it): it must listen where
 * "socketmap =" says; it is given the owner and mode of a socket made
 * here, and its path is removed at the stop only when a deptmilter made it */
static int adopt(const struct config *cf, int fd, int made)
{
    const char *path = config_socket_path(cf->socketmap);
    int     flags;

    if (!listen_matches(fd, cf->socketmap)) {
	log_msg(LOG_ERR, "fatal: the socketmap socket passed to deptmilter does"
		" not listen where deptmilter.conf says (socketmap = %s); nothing"
		" changed", cf->socketmap);
	return -1;
    }
    if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0
	|| fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
	log_msg(LOG_ERR, "fatal: socketmap %s: %s", cf->socketmap, strerror(errno));
	return -1;
    }
    if (path && daemon_socket_owner(path, cf) < 0)
	return -1;
    if (path && made && stat(path, &sm_path_st) == 0)
	snprintf(sm_path, sizeof(sm_path), "%s", path);
    sm_inet = path == 0;
    sm_made = made;
    return fd;
}

/* epoll_set - add or change the events of a descriptor */
static int epoll_set(int op, int fd, unsigned events, void *ptr)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.ptr = ptr;
    return epoll_ctl(sm_epfd, op, fd, &ev);
}

/* socketmap_open - the listening socket (fd, or a new one), epoll and
 * the wake-up eventfd */
int socketmap_open(const struct config *cf, int fd, int made)
{
    const char *path;

    sm_cf = cf;
    if (*cf->socketmap == 0)
	return 0;
    path = config_socket_path(cf->socketmap);
    sm_max_conns = drain_fd_limit() / 2 > 16 ? drain_fd_limit() / 2 : 16;
    if (fd >= 0)
	sm_lfd = adopt(cf, fd, made);
    else
	sm_lfd = path ? listen_unix(path, cf) : listen_inet(cf->socketmap);
    if (sm_lfd < 0)
	return -1;
    if ((sm_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0
	|| (sm_wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0
	|| epoll_set(EPOLL_CTL_ADD, sm_lfd, EPOLLIN, &sm_listen_tag) < 0
	|| epoll_set(EPOLL_CTL_ADD, sm_wakefd, EPOLLIN, &sm_wake_tag) < 0) {
	log_msg(LOG_ERR, "fatal: socketmap: epoll: %s", strerror(errno));
	return -1;
    }
    log_msg(LOG_INFO, "socketmap: listening on %s (tables virtual, access, domains,"
	    " transport; at most %lu connections)", cf->socketmap, sm_max_conns);
    return 0;
}

/* wait_end - off the list of incomplete requests */
static void wait_end(struct sm_conn *c)
{
    if (c->waiting == 0)
	return;
    if (c->wprev)
	c->wprev->wnext = c->wnext;
    else
	sm_whead = c->wnext;
    if (c->wnext)
	c->wnext->wprev = c->wprev;
    else
	sm_wtail = c->wprev;
    c->wprev = c->wnext = 0;
    c->waiting = 0;
}

/* wait_begin - last on the list of incomplete requests, from now */
static void wait_begin(struct sm_conn *c)
{
    wait_end(c);
    c->waiting = now_ms();
    if ((c->wprev = sm_wtail) != 0)
	sm_wtail->wnext = c;
    else
	sm_whead = c;
    sm_wtail = c;
}

/* conn_close - forget one connection */
static void conn_close(struct sm_conn *c)
{
    wait_end(c);
    sm_out_total -= c->out.cap;
    if (c->prev)
	c->prev->next = c->next;
    else
	sm_conns = c->next;
    if (c->next)
	c->next->prev = c->prev;
    close(c->fd);				/* leaves the epoll set too */
    netstring_in_free(&c->in);
    buf_free(&c->out);
    free(c);
    sm_nconns--;
}

/* client_name - "comm[pid]" of a unix peer, the address of a TCP one */
static void client_name(int fd, char *buf, size_t len)
{
    struct ucred cred;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(cred);
    char    path[64], comm[32] = "", host[INET6_ADDRSTRLEN];
    FILE   *fp;

    snprintf(buf, len, "unknown");
    if (!sm_inet && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0) {
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long) cred.pid);
	if ((fp = fopen(path, "r")) != 0) {
	    if (fgets(comm, sizeof(comm), fp) == 0)
		comm[0] = 0;
	    fclose(fp);
	}
	comm[strcspn(comm, "\n")] = 0;
	snprintf(buf, len, "%s[%ld]", *comm ? comm : "unknown", (long) cred.pid);
	return;
    }
    sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *) &ss, &sl) == 0
	&& getnameinfo((struct sockaddr *) &ss, sl, host, sizeof(host), 0, 0,
		       NI_NUMERICHOST) == 0)
	snprintf(buf, len, "%s", host);
}

/* too_many - warn, at most once a minute, about refused connections */
static void too_many(const char *why)
{
    if (sm_warned && now_sec() - sm_warned < SM_WARN_SEC)
	return;
    sm_warned = now_sec();
    log_msg(LOG_WARNING, "socketmap: warning: %s (%lu connections open)", why,
	    sm_nconns);
}

/* conn_new - a new connection, watched for input */
static void conn_new(int fd)
{
    struct sm_conn *c;
    int     on = 1;

    if (sm_nconns >= sm_max_conns) {
	close(fd);
	too_many("connection closed at once: the connection limit is reached");
	return;
    }
    if ((c = calloc(1, sizeof(*c))) == 0) {
	close(fd);
	log_msg(LOG_ERR, "socketmap: error: out of memory for a connection");
	return;
    }
    c->fd = fd;
    client_name(fd, c->client, sizeof(c->client));
    if (sm_inet)
	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    if (epoll_set(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, c) < 0) {
	log_msg(LOG_ERR, "socketmap: error: epoll_ctl: %s", strerror(errno));
	close(fd);
	free(c);
	return;
    }
    if ((c->next = sm_conns) != 0)
	sm_conns->prev = c;
    sm_conns = c;
    sm_nconns++;
}

/* accept_some - take the connections waiting, a batch at a time */
static void accept_some(void)
{
    int     i, fd;

    for (i = 0; i < SM_ACCEPTS; i++) {
	if ((fd = accept4(sm_lfd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
	    conn_new(fd);
	    continue;
	}
	if (errno == EINTR || errno == ECONNABORTED)
	    continue;
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
	    too_many("out of descriptors: not accepting for a second");
	    (void) epoll_ctl(sm_epfd, EPOLL_CTL_DEL, sm_lfd, 0);
	    sm_rest_until = now_sec() + SM_REST_SEC;
	} else if (errno != EAGAIN)
	    log_msg(LOG_WARNING, "socketmap: warning: accept: %s", strerror(errno));
	return;
    }
}

/* hostile - log why a connection is closed: what it sent, escaped */
static void hostile(const struct sm_conn *c, const char *why, const char *p, size_t n)
{
    char    esc[LOG_ESC_MAX];

    log_msg(LOG_WARNING, "socketmap: warning: client=%s: %s: \"%s\"; connection"
	    " closed", c->client, why, log_esc_n(p, n < 64 ? n : 64, esc, 256));
}

static int conn_send(struct sm_conn *);

/* serve - answer one request after the replies before it: into the
 * thread's buffer, sent once it holds SOCKETMAP_OUT_MAX, or into the
 * connection's own while it has some; -1 to close the connection */
static int serve(struct sm_conn *c, const char *req, size_t rlen)
{
    struct buf *out = c->out.len ? &c->out : &sm_wbuf;

    if (tables_answer(&sm_tables, req, rlen, c->client, &sm_reply) < 0) {
	log_msg(LOG_ERR, "socketmap: error: out of memory: answered TEMP");
	sm_reply.len = 0;
	if (buf_adds(&sm_reply, "TEMP out of memory") < 0)
	    return -1;
    }
    if (netstring_add(out, sm_reply.s, sm_reply.len) < 0)
	return -1;
    if (out == &sm_wbuf)
	return out->len > SOCKETMAP_OUT_MAX ? conn_send(c) : 0;
    if (out->len - c->outoff > SOCKETMAP_OUT_MAX) {
	hostile(c, "replies not read", "", 0);
	return -1;
    }
    return 0;
}

/* skipped - a request longer than any address: not found, as decide()
 * would say; -1 to close the connection */
static int skipped(struct sm_conn *c, size_t len)
{
    log_msg(LOG_WARNING, "socketmap: warning: client=%s: request of %zu bytes,"
	    " longer than any address (%d): not read, answered NOTFOUND", c->client,
	    len, TABLES_REQUEST_MAX);
    return netstring_add(c->out.len ? &c->out : &sm_wbuf, "NOTFOUND ", 9);
}

/* feed - bytes read from a connection: answer every request they
 * complete; how many, or -1 to close the connection (logged) */
static int feed(struct sm_conn *c, const char *data, size_t n)
{
    enum netstring_status st;
    const char *req;
    size_t  rlen;
    int     done = 0;

    for (;; done++) {
	st = netstring_next(&c->in, &data, &n, TABLES_REQUEST_MAX,
			    SOCKETMAP_SKIP_MAX, &req, &rlen);
	if (st == NETSTRING_MORE)
	    return done;
	if (st == NETSTRING_SKIPPED) {
	    if (skipped(c, rlen) < 0)
		return -1;
	    continue;
	}
	if (st == NETSTRING_NOMEM) {
	    log_msg(LOG_ERR, "socketmap: error: client=%s: out of memory for a"
		    " request; connection closed", c->client);
	    return -1;
	}
	if (st != NETSTRING_OK) {
	    hostile(c, netstring_status_name(st), req, rlen);
	    return -1;
	}
	if (serve(c, req, rlen) < 0)
	    return -1;
    }
}

/* want_out - ask for EPOLLOUT, or stop asking */
static int want_out(struct sm_conn *c, int on)
{
    if (c->want_out == on)
	return 0;
    c->want_out = on;
    return epoll_set(EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0),
		     c);
}

/* send_some - send what the socket takes; how much, or -1 */
static ssize_t send_some(int fd, const char *p, size_t n)
{
    ssize_t w;
    size_t  done = 0;

    while (done < n) {
	if ((w = send(fd, p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
	    if (errno == EINTR)
		continue;
	    if (errno == EAGAIN || errno == EWOULDBLOCK)
		break;
	    return -1;
	}
	done += (size_t) w;
    }
    return (ssize_t) done;
}

/* conn_flush - send the connection's own output buffer */
static int conn_flush(struct sm_conn *c)
{
    ssize_t w;

    if ((w = send_some(c->fd, c->out.s + c->outoff, c->out.len - c->outoff)) < 0)
	return -1;
    c->outoff += (size_t) w;
    if (c->outoff < c->out.len)
	return want_out(c, 1);
    buf_free(&c->out);
    c->outoff = 0;
    return want_out(c, 0);
}

/* conn_send - the replies of one read: straight out, the rest kept */
static int conn_send(struct sm_conn *c)
{
    ssize_t w;

    if (c->out.len)				/* replies went to c->out */
	return conn_flush(c);
    if (sm_wbuf.len == 0)
	return 0;
    w = send_some(c->fd, sm_wbuf.s, sm_wbuf.len);
    if (w >= 0 && (size_t) w < sm_wbuf.len
	&& buf_add(&c->out, sm_wbuf.s + w, sm_wbuf.len - (size_t) w) < 0)
	w = -1;
    sm_wbuf.len = 0;
    if (w < 0)
	return -1;
    return c->out.len ? want_out(c, 1) : 0;
}

/* conn_input - one read from a connection and its answers; -1 close */
static int conn_input(struct sm_conn *c)
{
    ssize_t n = read(c->fd, sm_rbuf, sizeof(sm_rbuf));
    int     ret;

    if (n < 0)
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0)
	return -1;				/* the client is done */
    ret = feed(c, sm_rbuf, (size_t) n);
    if (ret < 0) {
	sm_wbuf.len = 0;
	return -1;
    }
    if (!netstring_in_busy(&c->in))
	wait_end(c);
    else if (ret > 0 || c->waiting == 0)	/* progress: the clock restarts */
	wait_begin(c);
    return conn_send(c);
}

/* conn_event - what epoll says about one connection */
static void conn_event(struct sm_conn *c, unsigned events)
{
    size_t  cap = c->out.cap;

    if ((events & EPOLLOUT) && conn_flush(c) < 0)
	goto close;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) && conn_input(c) < 0)
	goto close;
    sm_out_total = sm_out_total - cap + c->out.cap;
    if (c->out.len > 0 && sm_out_total > SOCKETMAP_OUT_TOTAL_MAX) {
	hostile(c, "replies not read, and the unread replies of all connections"
		" pass the limit", "", 0);
	conn_close(c);
    }
    return;
close:
    sm_out_total = sm_out_total - cap + c->out.cap;
    conn_close(c);
}

/* expire - close the connections whose request stays incomplete */
static void expire(void)
{
    struct sm_conn *c;
    char    why[64];

    while ((c = sm_whead) != 0
	   && now_ms() - c->waiting >= SOCKETMAP_REQUEST_TIMEOUT * 1000LL) {
	snprintf(why, sizeof(why), "request incomplete for %d s",
		 SOCKETMAP_REQUEST_TIMEOUT);
	hostile(c, why, c->in.buf ? c->in.buf : "", c->in.len);
	conn_close(c);
    }
}

/* wait_ms - how long epoll may wait: until the first incomplete request
 * expires, or the listener's rest ends; -1: for ever */
static int wait_ms(void)
{
    long long left;

    if (sm_whead == 0)
	return sm_rest_until ? 1000 : -1;
    left = sm_whead->waiting + SOCKETMAP_REQUEST_TIMEOUT * 1000LL - now_ms();
    if (left < 0)
	left = 0;
    return (int) (sm_rest_until && left > 1000 ? 1000 : left + 1);
}

/* listener_rested - take the listener back after its rest */
static void listener_rested(void)
{
    if (sm_rest_until == 0 || now_sec() < sm_rest_until)
	return;
    sm_rest_until = 0;
    if (epoll_set(EPOLL_CTL_ADD, sm_lfd, EPOLLIN, &sm_listen_tag) < 0)
	log_msg(LOG_ERR, "socketmap: error: epoll_ctl: %s", strerror(errno));
}

/* conn_finish - at the stop: answer every request already received (a
 * few reads at most); 0 while replies remain to be sent, -1: close now */
static int conn_finish(struct sm_conn *c)
{
    ssize_t n;
    int     i;

    for (i = 0; i < SM_FINISH_READS; i++) {
	if ((n = read(c->fd, sm_rbuf, sizeof(sm_rbuf))) < 0 && errno == EINTR)
	    continue;
	if (n < 0 && errno == EAGAIN)
	    break;
	if (n <= 0 || feed(c, sm_rbuf, (size_t) n) < 0) {
	    sm_wbuf.len = 0;
	    return -1;
	}
	if (conn_send(c) < 0)
	    return -1;
    }
    if (c->out.len == 0)
	return -1;				/* all answered and sent */
    c->want_out = 1;
    return epoll_set(EPOLL_CTL_MOD, c->fd, EPOLLOUT, c);
}

/* finish - at the stop: take no new connection (it waits in the socket's
 * queue for the next deptmilter), answer what each connection has sent,
 * send the replies (at most SM_FINISH_MS) and close each connection: on
 * its next request Postfix's client finds it closed and connects again,
 * once, to the next deptmilter */
static void finish(void)
{
    struct epoll_event ev[SM_EVENTS];
    struct sm_conn *c, *next;
    long long end = now_ms() + SM_FINISH_MS;
    unsigned long open = sm_nconns;
    int     n, i;

    (void) epoll_ctl(sm_epfd, EPOLL_CTL_DEL, sm_wakefd, 0);	/* stays readable */
    if (sm_rest_until == 0)
	(void) epoll_ctl(sm_epfd, EPOLL_CTL_DEL, sm_lfd, 0);
    for (c = sm_conns; c; c = next) {
	next = c->next;
	if (conn_finish(c) < 0)
	    conn_close(c);
    }
    while (sm_conns && now_ms() < end) {
	n = epoll_wait(sm_epfd, ev, SM_EVENTS, (int) (end - now_ms()));
	for (i = 0; i < n; i++) {
	    if (ev[i].data.ptr == &sm_listen_tag || ev[i].data.ptr == &sm_wake_tag)
		continue;
	    c = ev[i].data.ptr;
	    if (conn_flush(c) < 0 || c->out.len == 0)
		conn_close(c);
	}
    }
    if (open > 0)
	log_msg(LOG_INFO, "socketmap: stop: every request received answered; closing"
		" %lu connection%s (Postfix's client connects again, to the next"
		" deptmilter)%s", open, open == 1 ? "" : "s",
		sm_conns ? "; some replies not taken within a second" : "");
}

/* sm_main - the thread: wait for any connection, answer, until the stop */
static void *sm_main(void *arg)
{
    struct epoll_event ev[SM_EVENTS];
    int     n, i;

    (void) arg;
    while (!atomic_load(&sm_quit)) {
	n = epoll_wait(sm_epfd, ev, SM_EVENTS, wait_ms());
	if (n < 0 && errno != EINTR) {
	    log_msg(LOG_ERR, "socketmap: error: epoll_wait: %s; not serving",
		    strerror(errno));
	    break;
	}
	for (i = 0; i < n; i++) {
	    if (ev[i].data.ptr == &sm_listen_tag)
		accept_some();
	    else if (ev[i].data.ptr != &sm_wake_tag)
		conn_event(ev[i].data.ptr, ev[i].events);
	}
	listener_rested();
	expire();
    }
    finish();
    return 0;
}

/* socketmap_start - serve in a thread of our own */
int socketmap_start(void)
{
    int     err;

    if (sm_lfd < 0)
	return 0;
    tables_init(&sm_tables, sm_cf);
    atomic_store(&sm_quit, 0);
    if ((err = pthread_create(&sm_thread, 0, sm_main, 0)) != 0) {
	log_msg(LOG_ERR, "fatal: pthread_create: %s", strerror(err));
	tables_free(&sm_tables);
	return -1;
    }
    (void) pthread_setname_np(sm_thread, "socketmap");	/* in ps, top, /proc */
    sm_running = 1;
    return 0;
}

/* socketmap_fd - the listening socket, or -1 */
int socketmap_fd(void)
{
    return sm_lfd;
}

/* socketmap_made - whether a deptmilter made the listening socket */
int socketmap_made(void)
{
    return sm_made;
}

/* socketmap_stop - end the thread, close every connection and the socket
 * (its path removed if a deptmilter made it and keep is 0) */
void socketmap_stop(int keep)
{
    uint64_t one = 1;
    struct stat st;

    if (sm_running) {
	atomic_store(&sm_quit, 1);
	if (write(sm_wakefd, &one, sizeof(one)) != (ssize_t) sizeof(one))
	    log_msg(LOG_WARNING, "socketmap: warning: cannot wake the thread");
	pthread_join(sm_thread, 0);
	sm_running = 0;
	tables_free(&sm_tables);
    }
    while (sm_conns)
	conn_close(sm_conns);
    if (sm_lfd >= 0)
	close(sm_lfd);
    if (sm_epfd >= 0)
	close(sm_epfd);
    if (sm_wakefd >= 0)
	close(sm_wakefd);
    sm_lfd = sm_epfd = sm_wakefd = -1;
    if (!keep && *sm_path && stat(sm_path, &st) == 0 && st.st_ino == sm_path_st.st_ino
	&& st.st_dev == sm_path_st.st_dev)
	(void) unlink(sm_path);			/* may fail as the user: harmless */
    *sm_path = 0;
    buf_free(&sm_reply);
    buf_free(&sm_wbuf);
}
