/*
 * listen - the listening socket: deptmilter's, not libmilter's
 *
 * See listen.h.  libmilter's descriptor is found after smfi_opensocket()
 * as the one listening socket at the throw-away address (it keeps the
 * number to itself), and dup2() puts the real socket in its place, which
 * closes the throw-away one.  The throw-away unix path is removed at once,
 * so at its stop libmilter finds nothing to remove.  The family of the
 * throw-away socket is the real one's: libmilter drops a connection whose
 * address family is not that of the socket it made.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter/daemon.h"
#include "milter/listen.h"
#include "milter/log.h"

#define SD_LISTEN_FDS_START	3		/* sd_listen_fds(3) */
#define LISTEN_SCAN_MAX		4096		/* descriptors looked at, once */

static int listen_sock = -1;		/* the socket libmilter accepts on */
static char listen_path[CONFIG_STR_MAX];	/* its unix path, if we made it */
static int listen_was_made;		/* by a deptmilter, not systemd */

/* is_listener - whether fd is a listening stream socket */
static int is_listener(int fd)
{
    int     on = 0, type = 0;
    socklen_t len = sizeof(on), tlen = sizeof(type);

    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on
	&& getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM;
}

/* listen_systemd - the sockets systemd passed: how many, into fds */
int listen_systemd(int *fds, int max)
{
    const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
    int     n = 0, i;

    if (pid && nfds && strtol(pid, 0, 10) == (long) getpid() && atoi(nfds) >= 1)
	n = atoi(nfds);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (n > max) {
	log_msg(LOG_ERR, "fatal: systemd passed %d sockets; deptmilter takes at"
		" most %d (socket and socketmap)", n, max);
	return -1;
    }
    for (i = 0; i < n; i++) {
	fds[i] = SD_LISTEN_FDS_START + i;
	(void) fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	if (!is_listener(fds[i])) {
	    log_msg(LOG_ERR, "fatal: descriptor %d from systemd is not a listening"
		    " stream socket", fds[i]);
	    return -1;
	}
    }
    return n;
}

/* spec_inet - the address of inet:PORT@HOST or inet6:PORT@HOST */
static int spec_inet(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *rest = strchr(spec, ':') + 1, *at = strchr(rest, '@');
    struct addrinfo hints, *res = 0;
    char    port[32];
    int     err;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%.*s", at ? (int) (at - rest) : (int) strlen(rest),
	     rest);
    if ((err = getaddrinfo(at ? at + 1 : 0, port, &hints, &res)) != 0) {
	log_msg(LOG_ERR, "fatal: socket %s: %s", spec, gai_strerror(err));
	return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* spec_addr - the address a socket spec names */
static int spec_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *path = config_socket_path(spec);
    struct sockaddr_un *sun = (struct sockaddr_un *) ss;

    memset(ss, 0, sizeof(*ss));
    if (path == 0)
	return spec_inet(spec, ss, len);
    if (strlen(path) >= sizeof(sun->sun_path)) {
	log_msg(LOG_ERR, "fatal: socket %s: path too long", spec);
	return -1;
    }
    sun->sun_family = AF_UNIX;
    strcpy(sun->sun_path, path);
    *len = sizeof(*sun);
    return 0;
}

/* same_addr - whether two socket addresses are the same place */
static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    const struct sockaddr_in *a4 = (const void *) a, *b4 = (const void *) b;
    const struct sockaddr_in6 *a6 = (const void *) a, *b6 = (const void *) b;

    if (a->ss_family != b->ss_family)
	return 0;
    if (a->ss_family == AF_UNIX)
	return strcmp(((const struct sockaddr_un *) a)->sun_path,
		      ((const struct sockaddr_un *) b)->sun_path) == 0;
    if (a->ss_family == AF_INET)
	return a4->sin_port == b4->sin_port
	    && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
    return a6->sin6_family == AF_INET6 && a6->sin6_port == b6->sin6_port
	&& memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* listen_matches - whether fd listens where spec says */
int listen_matches(int fd, const char *spec)
{
    struct sockaddr_storage want, have;
    socklen_t wlen, hlen = sizeof(have);

    memset(&have, 0, sizeof(have));
    return spec_addr(spec, &want, &wlen) == 0
	&& getsockname(fd, (struct sockaddr *) &have, &hlen) == 0
	&& same_addr(&want, &have);
}

/* sock_name - where fd listens, in deptmilter.conf's spelling */
static const char *sock_name(int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char    host[INET6_ADDRSTRLEN], port[16];

    memset(&ss, 0, sizeof(ss));
    snprintf(buf, len, "(unknown)");
    if (getsockname(fd, (struct sockaddr *) &ss, &sl) < 0)
	return buf;
    if (ss.ss_family == AF_UNIX)
	snprintf(buf, len, "unix:%s", ((struct sockaddr_un *) &ss)->sun_path);
    else if (getnameinfo((struct sockaddr *) &ss, sl, host, sizeof(host), port,
			 sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
	snprintf(buf, len, "%s:%s@%s", ss.ss_family == AF_INET6 ? "inet6" : "inet",
		 port, host);
    return buf;
}

/* listen_passed - the milter's and the socketmap's among the sockets
 * systemd passed (matched by address) */
int listen_passed(const struct config *cf, const int *fds, int n, int *mfd, int *sfd)
{
    char    name[CONFIG_STR_MAX + 16];
    int     i;

    *mfd = *sfd = -1;
    for (i = 0; i < n; i++)
	if (*mfd < 0 && listen_matches(fds[i], cf->socket))
	    *mfd = fds[i];
	else if (*sfd < 0 && *cf->socketmap && listen_matches(fds[i], cf->socketmap))
	    *sfd = fds[i];
    if (n > 0 && *mfd < 0) {
	log_msg(LOG_ERR, "fatal: the socket passed to deptmilter does not listen"
		" where deptmilter.conf says (socket = %s; passed: %s%s); nothing"
		" changed", cf->socket, sock_name(fds[0], name, sizeof(name)),
		n > 1 ? " and more" : "");
	return -1;
    }
    for (i = 0; i < n; i++) {
	if (fds[i] == *mfd || fds[i] == *sfd)
	    continue;
	if (*cf->socketmap) {
	    log_msg(LOG_ERR, "fatal: systemd passed a socket on %s, which is neither"
		    " the socket (%s) nor the socketmap (%s) of deptmilter.conf;"
		    " nothing changed", sock_name(fds[i], name, sizeof(name)),
		    cf->socket, cf->socketmap);
	    return -1;
	}
	log_msg(LOG_INFO, "socketmap: off in deptmilter.conf: the socket systemd"
		" passed on %s is not served", sock_name(fds[i], name, sizeof(name)));
	close(fds[i]);
    }
    if (n > 0 && *cf->socketmap && *sfd < 0)
	log_msg(LOG_WARNING, "warning: systemd passed no socket for the socketmap"
		" (%s): deptmilter makes it, and a restart leaves Postfix without it"
		" for a moment (deptmilter.socket: ListenStream= for it)",
		cf->socketmap);
    return 0;
}

/* listen_open - a listening socket where cf->socket says (a unix one with
 * its owner and mode before it listens) */
int listen_open(const struct config *cf)
{
    const char *path = config_socket_path(cf->socket);
    struct sockaddr_storage ss;
    socklen_t len;
    mode_t  old;
    int     fd, on = 1, rc;

    if (spec_addr(cf->socket, &ss, &len) < 0)
	return -1;
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	goto fail;
    if (path == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
	goto fail;
    old = umask(~cf->socket_mode & 0777);
    rc = bind(fd, (struct sockaddr *) &ss, len);
    umask(old);
    if (rc < 0)
	goto fail;
    if (path && daemon_socket_owner(path, cf) < 0) {
	close(fd);
	return -1;
    }
    if (listen(fd, SOMAXCONN) < 0)
	goto fail;
    return fd;
fail:
    log_msg(LOG_ERR, "fatal: socket %s: %s", cf->socket, strerror(errno));
    if (fd >= 0)
	close(fd);
    return -1;
}

/* throwaway - where libmilter makes its socket, for a real socket of
 * family: the spec for libmilter, and the address to find it by (port 0:
 * whichever the kernel chose) */
static int throwaway(int family, const char *spec, char *buf, size_t len,
		     struct sockaddr_storage *want)
{
    char    dir[CONFIG_STR_MAX];
    const char *path = config_socket_path(spec);
    struct sockaddr_un *sun = (struct sockaddr_un *) want;

    memset(want, 0, sizeof(*want));
    want->ss_family = family;
    if (family == AF_INET) {
	((struct sockaddr_in *) want)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return snprintf(buf, len, "inet:0@127.0.0.1") >= (int) len ? -1 : 0;
    }
    if (family == AF_INET6) {
	((struct sockaddr_in6 *) want)->sin6_addr = in6addr_loopback;
	return snprintf(buf, len, "inet6:0@[::1]") >= (int) len ? -1 : 0;
    }
    snprintf(dir, sizeof(dir), "%s", path ? path : "/tmp/deptmilter");
    if (snprintf(buf, len, "unix:%s/.dm%ld", dirname(dir), (long) getpid()) >= (int) len
	|| strlen(buf + 5) >= sizeof(sun->sun_path))
	return -1;
    strcpy(sun->sun_path, buf + 5);
    return 0;
}

/* libmilter_fd - the one listening socket, other than real, at want */
static int libmilter_fd(int real, struct sockaddr_storage *want)
{
    struct sockaddr_storage have;
    socklen_t hlen;
    int     fd, found = -1;

    for (fd = 0; fd < LISTEN_SCAN_MAX; fd++) {
	hlen = sizeof(have);
	memset(&have, 0, sizeof(have));
	if (fd == real || !is_listener(fd)
	    || getsockname(fd, (struct sockaddr *) &have, &hlen) < 0)
	    continue;
	if (want->ss_family == AF_INET || want->ss_family == AF_INET6)
	    ((struct sockaddr_in *) want)->sin_port =	/* port 0: any */
		((struct sockaddr_in *) &have)->sin_port;
	if (same_addr(want, &have)) {
	    if (found >= 0)
		return -1;			/* two: not sure which */
	    found = fd;
	}
    }
    return found;
}

/* listen_give - libmilter accepts on fd */
int listen_give(int fd, const char *spec, int made_here)
{
    struct sockaddr_storage ss, want;
    socklen_t len = sizeof(ss);
    char    dummy[CONFIG_STR_MAX + 32] = "";
    int     lfd, flags;

    if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0
	|| throwaway(ss.ss_family, spec, dummy, sizeof(dummy), &want) < 0
	|| smfi_setconn(dummy) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
	log_msg(LOG_ERR, "fatal: socket %s: libmilter cannot listen on %s", spec, dummy);
	return -1;
    }
    lfd = libmilter_fd(fd, &want);
    if (config_socket_path(dummy))
	(void) unlink(config_socket_path(dummy));
    if (lfd < 0 || dup2(fd, lfd) < 0 || (flags = fcntl(fd, F_GETFL)) < 0
	|| fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
	log_msg(LOG_ERR, "fatal: socket %s: cannot hand it to libmilter%s", spec,
		lfd < 0 ? " (its own socket not found)" : "");
	return -1;
    }
    (void) fcntl(lfd, F_SETFD, FD_CLOEXEC);
    listen_sock = fd;
    listen_was_made = made_here;
    if (made_here && config_socket_path(spec))
	snprintf(listen_path, sizeof(listen_path), "%s", config_socket_path(spec));
    return 0;
}

/* listen_made - whether a deptmilter made the socket (not systemd) */
int listen_made(void)
{
    return listen_was_made;
}

/* listen_fd - the socket libmilter accepts on, or -1 */
int listen_fd(void)
{
    return listen_sock;
}

/* listen_remove - at a stop, the unix path of a socket made here */
void listen_remove(int keep)
{
    struct stat st;

    if (!keep && *listen_path && lstat(listen_path, &st) == 0 && S_ISSOCK(st.st_mode))
	(void) unlink(listen_path);		/* may fail as the user: harmless */
    *listen_path = 0;
}
