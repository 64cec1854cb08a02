/*
 * daemon - the parts of starting a daemon that need root
 *
 * See daemon.h.  The milter socket is made (or checked, when inherited)
 * here and in listen.c, not by libmilter: see listen.h.  A unix socket's
 * mode comes from the umask at bind(), and is set again with chmod() once
 * the owner is right, before it listens.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "milter/daemon.h"
#include "milter/listen.h"
#include "milter/log.h"

static int ready_fd = -1;		/* the child's end of the start pipe */

/* daemon_detach - fork; the parent exits with the child's start status */
int daemon_detach(void)
{
    int     fds[2];
    char    c;
    pid_t   pid;

    if (pipe(fds) < 0) {
	log_msg(LOG_ERR, "fatal: pipe: %s", strerror(errno));
	return -1;
    }
    if ((pid = fork()) < 0) {
	log_msg(LOG_ERR, "fatal: fork: %s", strerror(errno));
	return -1;
    }
    if (pid > 0) {
	close(fds[1]);
	_exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
    }
    close(fds[0]);
    ready_fd = fds[1];
    if (setsid() < 0 || chdir("/") < 0) {
	log_msg(LOG_ERR, "fatal: setsid/chdir: %s", strerror(errno));
	return -1;
    }
    return 0;
}

/* daemon_ready - tell the waiting parent, detach stdio */
void daemon_ready(void)
{
    int     fd;

    if (ready_fd < 0)
	return;
    if ((fd = open("/dev/null", O_RDWR)) >= 0) {
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
	    close(fd);
    }
    if (write(ready_fd, "1", 1) != 1)
	log_msg(LOG_WARNING, "warning: cannot tell the parent we started");
    close(ready_fd);
    ready_fd = -1;
}

static int pid_fd = -1;			/* the pid file, locked while we run */

/* running_pid - the pid written in a pid file another process holds */
static long running_pid(int fd)
{
    char    buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    buf[n > 0 ? n : 0] = 0;
    return strtol(buf, 0, 10);
}

/* pid_write - our pid in the pid file */
static int pid_write(int fd, const char *path)
{
    char    line[32];
    int     n = snprintf(line, sizeof(line), "%ld\n", (long) getpid());

    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, n, 0) != n) {
	log_msg(LOG_ERR, "fatal: pid_file %s: %s", path, strerror(errno));
	return -1;
    }
    return 0;
}

/* daemon_pid_file - lock the pid file and write our pid in it; a file
 * locked by a running deptmilter means an accidental second start: say
 * so and change nothing */
int daemon_pid_file(const char *path)
{
    int     fd;

    if (*path == 0)
	return 0;
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
	log_msg(LOG_ERR, "fatal: pid_file %s: %s", path, strerror(errno));
	return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
	if (errno == EWOULDBLOCK)
	    log_msg(LOG_ERR, "fatal: already running (pid %ld): %s is locked;"
		    " nothing changed (deptmilter -R replaces it)", running_pid(fd),
		    path);
	else
	    log_msg(LOG_ERR, "fatal: pid_file %s: lock: %s", path, strerror(errno));
	close(fd);
	return -1;
    }
    if (pid_write(fd, path) < 0) {
	close(fd);
	return -1;
    }
    pid_fd = fd;				/* held, and locked, until exit */
    return 0;
}

/* daemon_running - the pid of the deptmilter holding a pid file locked,
 * or 0 */
long daemon_running(const char *path)
{
    long    pid = 0;
    int     fd;

    if (*path == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
	return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
	pid = running_pid(fd);
    close(fd);					/* and a lock we got with it */
    return pid;
}

/* daemon_pid_adopt - a pid file handed over, its lock with it */
void daemon_pid_adopt(int fd)
{
    pid_fd = fd;
}

/* daemon_pid_write - our pid in the adopted pid file */
int daemon_pid_write(const char *path)
{
    return pid_fd < 0 ? 0 : pid_write(pid_fd, path);
}

/* daemon_pid_fd - the open, locked pid file, or -1 */
int daemon_pid_fd(void)
{
    return pid_fd;
}

/* daemon_pid_remove - remove the pid file, if it is ours (another
 * deptmilter's, found locked, stays) */
void daemon_pid_remove(const char *path)
{
    if (*path && pid_fd >= 0)
	(void) unlink(path);
}

/* check_dir - the socket's directory must exist: say so clearly, after
 * what ("fatal: socket directory") */
static int check_dir(const char *path, const char *what)
{
    char    copy[CONFIG_STR_MAX];
    struct stat st;
    const char *dir;

    snprintf(copy, sizeof(copy), "%s", path);
    dir = dirname(copy);
    errno = 0;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
	log_msg(LOG_ERR, "%s %s: %s", what, dir,
		errno ? strerror(errno) : "not a directory");
	return -1;
    }
    return 0;
}

/* daemon_socket_owner - hand a unix socket to the run-time user, group
 * postfix, with the configured mode */
int daemon_socket_owner(const char *path, const struct config *cf)
{
    struct passwd *pw;
    struct group *gr;
    uid_t   uid = (uid_t) -1;
    gid_t   gid = (gid_t) -1;

    if (geteuid() == 0 && *cf->user) {
	if ((pw = getpwnam(cf->user)) == 0) {
	    log_msg(LOG_ERR, "fatal: user %s: no such user", cf->user);
	    return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
    }
    if (geteuid() == 0 && (gr = getgrnam("postfix")) != 0)
	gid = gr->gr_gid;
    if ((uid != (uid_t) -1 || gid != (gid_t) -1) && chown(path, uid, gid) < 0) {
	log_msg(LOG_ERR, "fatal: chown %s: %s", path, strerror(errno));
	return -1;
    }
    if (chmod(path, cf->socket_mode) < 0) {
	log_msg(LOG_ERR, "fatal: chmod %s: %s", path, strerror(errno));
	return -1;
    }
    return 0;
}

/* answering - whether something accepts connections on a unix socket
 * (libmilter would remove it and listen in its place) */
static int answering(const char *path)
{
    struct sockaddr_un sun;
    int     fd, ret;

    if (strlen(path) >= sizeof(sun.sun_path)
	|| (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return 0;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    ret = connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0;
    close(fd);
    return ret;
}

/* daemon_socket - the listening socket, inherited (fd >= 0: from systemd
 * or the deptmilter handing over) or made here, with its owner and mode,
 * given to libmilter */
int daemon_socket(const struct config *cf, int fd, int made_here)
{
    const char *path = config_socket_path(cf->socket);
    int     made = made_here || fd < 0;

    if (fd >= 0 && !listen_matches(fd, cf->socket)) {
	log_msg(LOG_ERR, "fatal: the socket passed to deptmilter does not listen"
		" where deptmilter.conf says (socket = %s); nothing changed",
		cf->socket);
	return -1;
    }
    if (fd >= 0 && path && daemon_socket_owner(path, cf) < 0)
	return -1;
    if (fd < 0 && ((path && daemon_unix_free(path) < 0) || (fd = listen_open(cf)) < 0))
	return -1;
    return listen_give(fd, cf->socket, made);
}

/* daemon_socketmap_path - the socketmap's unix socket: its path fits a
 * socket address and its directory exists; errors say FILE:LINE */
int daemon_socketmap_path(const struct config *cf)
{
    const char *path = config_socket_path(cf->socketmap);
    char    where[CONFIG_STR_MAX + 32], what[CONFIG_STR_MAX + 64];
    struct sockaddr_un sun;

    if (*cf->socketmap == 0 || path == 0)
	return 0;
    config_where(cf, "socketmap", where, sizeof(where));
    if (strlen(path) >= sizeof(sun.sun_path)) {
	log_msg(LOG_ERR, "%s: socketmap: %s: longer than %zu bytes, the limit of"
		" a unix socket's path", where, path, sizeof(sun.sun_path) - 1);
	return -1;
    }
    snprintf(what, sizeof(what), "%s: socketmap: directory", where);
    return check_dir(path, what);
}

/* daemon_unix_free - a path to listen on ourselves: its directory exists,
 * nothing answers there, and a stale socket is gone */
int daemon_unix_free(const char *path)
{
    if (check_dir(path, "fatal: socket directory") < 0)
	return -1;
    if (answering(path)) {
	log_msg(LOG_ERR, "fatal: already running: something answers on %s;"
		" nothing changed", path);
	return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
	log_msg(LOG_ERR, "fatal: cannot remove the stale socket %s: %s", path,
		strerror(errno));
	return -1;
    }
    return 0;
}

/* daemon_check - for -t: what daemon_socket and daemon_drop will need */
int daemon_check(const struct config *cf)
{
    const char *path = config_socket_path(cf->socket);

    if (path && check_dir(path, "fatal: socket directory") < 0)
	return -1;
    if (daemon_socketmap_path(cf) < 0)
	return -1;
    /* as root, daemon_check_access() becomes the user and says so */
    if (geteuid() != 0 && *cf->user && getpwnam(cf->user) == 0) {
	log_msg(LOG_ERR, "fatal: user %s: no such user", cf->user);
	return -1;
    }
    return 0;
}

/* parent_dir - the directory part of a path, into buf */
static const char *parent_dir(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    return dirname(buf);
}

/* socketmap_dir_as_user - the socketmap's unix socket is made as root
 * and removed at stop as the user: a warning when it cannot be */
static void socketmap_dir_as_user(const struct config *cf, const char *who)
{
    const char *path = config_socket_path(cf->socketmap);
    char    buf[CONFIG_STR_MAX], where[CONFIG_STR_MAX + 32];
    const char *dir;
    struct stat st;

    if (*cf->socketmap == 0 || path == 0)
	return;
    dir = parent_dir(path, buf, sizeof(buf));
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
	return;					/* daemon_socketmap_path says so */
    if (access(dir, W_OK | X_OK) < 0)
	log_msg(LOG_WARNING, "%s: socketmap: warning: directory %s: not writable as"
		" %s: the socket will be left behind at stop: %s",
		config_where(cf, "socketmap", where, sizeof(where)), dir, who,
		strerror(errno));
}

/* checks_as_user - what the running milter will do as its user, each
 * failure logged; how many failed (a pid file it cannot remove is only
 * a warning) */
static int checks_as_user(const struct config *cf)
{
    char    buf[CONFIG_STR_MAX];
    const char *who = *cf->user ? cf->user : "the current user";
    const char *dir;
    int     fd, failed = 0;

    if ((fd = open(cf->map, O_RDONLY | O_CLOEXEC)) < 0) {
	log_msg(LOG_ERR, "fatal: map %s: cannot be read as %s: %s", cf->map, who,
		strerror(errno));
	failed++;
    } else
	close(fd);
    dir = parent_dir(cf->map, buf, sizeof(buf));
    if (access(dir, R_OK | X_OK) < 0) {
	log_msg(LOG_ERR, "fatal: map directory %s: cannot be read as %s (every"
		" reload needs it): %s", dir, who, strerror(errno));
	failed++;
    }
    dir = parent_dir(cf->pid_file, buf, sizeof(buf));
    if (*cf->pid_file && access(dir, W_OK | X_OK) < 0)
	log_msg(LOG_WARNING, "warning: pid_file directory %s: not writable as %s:"
		" the pid file will be left behind at stop: %s", dir, who,
		strerror(errno));
    socketmap_dir_as_user(cf, who);
    return failed;
}

/* daemon_check_access - the map, its directory and the pid file's
 * directory, checked as the run-time user in a child that becomes it */
int daemon_check_access(const struct config *cf)
{
    pid_t   pid;
    int     status;

    if (geteuid() != 0 || *cf->user == 0)
	return checks_as_user(cf) ? -1 : 0;
    fflush(stderr);
    if ((pid = fork()) < 0) {
	log_msg(LOG_ERR, "fatal: fork: %s", strerror(errno));
	return -1;
    }
    if (pid == 0)
	_exit(daemon_drop(cf->user) < 0 ? 1 : checks_as_user(cf) != 0);
    while (waitpid(pid, &status, 0) < 0)
	if (errno != EINTR)
	    return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* daemon_drop - become the run-time user for good */
int daemon_drop(const char *user)
{
    struct passwd *pw;

    if (geteuid() != 0 || *user == 0)
	return 0;
    if ((pw = getpwnam(user)) == 0) {
	log_msg(LOG_ERR, "fatal: user %s: no such user", user);
	return -1;
    }
    if (pw->pw_uid == 0)
	return 0;				/* user = root: stay */
    if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
	|| setuid(pw->pw_uid) < 0) {
	log_msg(LOG_ERR, "fatal: cannot become user %s: %s", user, strerror(errno));
	return -1;
    }
    if (setuid(0) == 0 || getegid() != pw->pw_gid) {
	log_msg(LOG_ERR, "fatal: privileges of root still held after"
		" becoming %s", user);
	return -1;
    }
    return 0;
}
