/*
 * handover - deptmilter -R: the running deptmilter hands its sockets to
 * the new one, then drains and exits
 *
 * See handover.h.  The dialogue, one line each way, on one connection:
 * "handover\n" -> "deptmilter pid=N made=0|1 socketmap=0|1 smade=0|1\n"
 * with three descriptors (milter socket, control socket, pid file) and,
 * with socketmap=1, the socketmap's listening socket as a fourth; "go\n"
 * -> "ok\n".  (A deptmilter from before the socketmap was handed over
 * sends the line without its last two words, and three descriptors.)  The
 * running side waits at most HANDOVER_WAIT seconds for each line of the
 * new one, in its control thread (map reloads and stats wait meanwhile).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "milter/daemon.h"
#include "milter/handover.h"
#include "milter/listen.h"
#include "milter/log.h"
#include "milter/socketmap.h"

#define HANDOVER_WAIT	30			/* seconds, each line */
#define HANDOVER_FDS	4			/* at most */

static int ctl_fd = -1;			/* the control socket */
static char ctl_path[CONFIG_STR_MAX];
static atomic_int handed_over;

/* handover_path - the control socket beside a pid file */
void handover_path(const char *pid_file, char *buf, size_t len)
{
    size_t  n = strlen(pid_file);

    if (n == 0 || n + 5 > len) {
	*buf = 0;
	return;
    }
    if (n > 4 && strcmp(pid_file + n - 4, ".pid") == 0)
	n -= 4;
    snprintf(buf, len, "%.*s.ctl", (int) n, pid_file);
}

/* set_timeout - at most HANDOVER_WAIT seconds for each read and write */
static void set_timeout(int fd)
{
    struct timeval tv = { HANDOVER_WAIT, 0 };

    (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* read_line - one short line, without its newline; -1 on EOF or error */
static int read_line(int fd, char *buf, size_t len)
{
    size_t  n = 0;
    ssize_t r;

    while (n + 1 < len && (r = read(fd, buf + n, 1)) == 1 && buf[n] != '\n')
	n++;
    if (n + 1 >= len || buf[n] != '\n')
	return -1;
    buf[n] = 0;
    return 0;
}

/* write_all - a short line */
static int write_all(int fd, const char *s)
{
    size_t  len = strlen(s);

    return write(fd, s, len) == (ssize_t) len ? 0 : -1;
}

/* send_fds - a line with n descriptors */
static int send_fds(int fd, const char *line, const int *fds, int n)
{
    union {
	struct cmsghdr h;
	char    buf[CMSG_SPACE(sizeof(int) * HANDOVER_FDS)];
    } u;
    struct iovec iov = { (void *) line, strlen(line) };
    struct msghdr msg;
    struct cmsghdr *c;

    memset(&msg, 0, sizeof(msg));
    memset(&u, 0, sizeof(u));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t) iov.iov_len ? 0 : -1;
}

/* recv_fds - the line with the descriptors: how many (3 or 4), or -1 */
static int recv_fds(int fd, char *line, size_t len, int *fds)
{
    union {
	struct cmsghdr h;
	char    buf[CMSG_SPACE(sizeof(int) * HANDOVER_FDS)];
    } u;
    struct iovec iov = { line, len - 1 };
    struct msghdr msg;
    struct cmsghdr *c;
    ssize_t n;
    int     nfds;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof(u.buf);
    if ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) <= 0)
	return -1;
    line[n] = 0;
    c = CMSG_FIRSTHDR(&msg);
    if (c == 0 || c->cmsg_type != SCM_RIGHTS || (msg.msg_flags & MSG_CTRUNC))
	return -1;
    nfds = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    if (nfds < HANDOVER_FDS - 1 || nfds > HANDOVER_FDS
	|| c->cmsg_len != CMSG_LEN(sizeof(int) * nfds))
	return -1;
    memcpy(fds, CMSG_DATA(c), sizeof(int) * nfds);
    return nfds;
}

/* ctl_connect - a connection to the control socket at path */
static int ctl_connect(const char *path)
{
    struct sockaddr_un sun;
    int     fd;

    if (strlen(path) >= sizeof(sun.sun_path)
	|| (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return -1;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
	close(fd);
	return -1;
    }
    set_timeout(fd);
    return fd;
}

/* handover_fetch - ask the running deptmilter for its sockets */
int handover_fetch(const char *path, struct handover *h)
{
    char    line[128];
    int     fds[HANDOVER_FDS], nfds = -1, smap = 0, smade = 0, n = 0;

    h->conn = -1;
    if (*path == 0 || (h->conn = ctl_connect(path)) < 0) {
	log_msg(LOG_ERR, "fatal: -R: no control socket %s to hand over from: %s",
		*path ? path : "(no pid_file)", strerror(errno));
	return -1;
    }
    errno = 0;
    if (write_all(h->conn, "handover\n") == 0
	&& (nfds = recv_fds(h->conn, line, sizeof(line), fds)) > 0)
	n = sscanf(line, "deptmilter pid=%ld made=%d socketmap=%d smade=%d",
		   &h->old_pid, &h->made, &smap, &smade);
    if ((n != 2 && n != 4) || (smap == 1) != (nfds == HANDOVER_FDS)) {
	log_msg(LOG_ERR, "fatal: -R: the running deptmilter did not hand over"
		" its sockets (%s)", n == 0 && errno ? strerror(errno) : "bad answer");
	close(h->conn);
	h->conn = -1;
	return -1;
    }
    h->listen_fd = fds[0];
    h->ctl_fd = fds[1];
    h->pid_fd = fds[2];
    h->sm_fd = smap == 1 ? fds[3] : -1;
    h->sm_made = smade;
    log_msg(LOG_INFO, "handover: took the sockets of deptmilter pid %ld%s", h->old_pid,
	    h->sm_fd >= 0 ? " (milter and socketmap)" : "");
    return 0;
}

/* handover_go - tell the running one to drain and exit */
int handover_go(struct handover *h)
{
    char    line[32];
    int     rc = -1;

    if (h->conn < 0)
	return 0;
    if (write_all(h->conn, "go\n") == 0 && read_line(h->conn, line, sizeof(line)) == 0
	&& strcmp(line, "ok") == 0) {
	log_msg(LOG_INFO, "handover: deptmilter pid %ld takes no new session and"
		" exits once its sessions have ended", h->old_pid);
	rc = 0;
    } else
	log_msg(LOG_WARNING, "warning: handover: deptmilter pid %ld did not"
		" answer \"go\"; both serve until it stops", h->old_pid);
    close(h->conn);
    h->conn = -1;
    return rc;
}

/* handover_listen - the control socket: fd, or a new one at path */
int handover_listen(const char *path, int fd)
{
    struct sockaddr_un sun;
    mode_t  old;
    int     rc;

    snprintf(ctl_path, sizeof(ctl_path), "%s", path);
    if (fd >= 0 || *path == 0) {
	ctl_fd = fd;
	return 0;
    }
    if (strlen(path) >= sizeof(sun.sun_path)
	|| (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
	goto fail;
    (void) unlink(path);			/* stale: the pid file was free */
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    old = umask(0077);
    rc = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
    umask(old);
    if (rc < 0 || listen(fd, 4) < 0)
	goto fail;
    ctl_fd = fd;
    return 0;
fail:
    log_msg(LOG_ERR, "fatal: control socket %s: %s", path, strerror(errno));
    if (fd >= 0)
	close(fd);
    return -1;
}

/* handover_fd - the control socket, or -1 */
int handover_fd(void)
{
    return atomic_load(&handed_over) ? -1 : ctl_fd;
}

/* peer_ok - root or our own user at the other end */
static int peer_ok(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0
	&& (cred.uid == 0 || cred.uid == geteuid());
}

/* handover_serve - one connection on the control socket */
void handover_serve(void)
{
    char    line[128];
    int     fd, fds[HANDOVER_FDS];

    if ((fd = accept4(ctl_fd, 0, 0, SOCK_CLOEXEC)) < 0)
	return;
    set_timeout(fd);
    fds[0] = listen_fd();
    fds[1] = ctl_fd;
    fds[2] = daemon_pid_fd();
    fds[3] = socketmap_fd();
    snprintf(line, sizeof(line), "deptmilter pid=%ld made=%d socketmap=%d smade=%d\n",
	     (long) getpid(), listen_made(), fds[3] >= 0, socketmap_made());
    if (!peer_ok(fd) || read_line(fd, line + 64, 64) < 0
	|| strcmp(line + 64, "handover") != 0 || fds[0] < 0 || fds[2] < 0
	|| send_fds(fd, line, fds, fds[3] >= 0 ? HANDOVER_FDS : HANDOVER_FDS - 1) < 0) {
	log_msg(LOG_WARNING, "warning: control socket: a request refused (not"
		" root, not a handover, or no pid file)");
	close(fd);
	return;
    }
    if (read_line(fd, line, sizeof(line)) == 0 && strcmp(line, "go") == 0) {
	atomic_store(&handed_over, 1);
	(void) write_all(fd, "ok\n");
	log_msg(LOG_INFO, "handover: the sockets are the new deptmilter's; stopping");
	(void) kill(getpid(), SIGTERM);
    } else
	log_msg(LOG_WARNING, "warning: handover: the new deptmilter did not say"
		" \"go\"; still serving");
    close(fd);
}

/* handover_done - whether this deptmilter has handed over */
int handover_done(void)
{
    return atomic_load(&handed_over);
}

/* handover_close - the control socket closed, its path removed if ours */
void handover_close(void)
{
    if (ctl_fd >= 0)
	close(ctl_fd);
    if (ctl_fd >= 0 && !handover_done() && *ctl_path)
	(void) unlink(ctl_path);		/* may fail as the user: harmless */
    ctl_fd = -1;
}
