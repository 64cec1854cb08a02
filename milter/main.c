/*
 * main - deptmilter [-c CONF] [-f] [-R] [-t] [-V]
 *
 * Startup order: block the signals (a stop signal that arrives while
 * starting is taken when serving begins), parse the configuration, load
 * the map (either failing stops here, exit 1), take the sockets systemd
 * passed (if any: the milter's, and the socketmap's), detach unless -f,
 * open the log, write the pid file and create the sockets (milter,
 * control, socketmap) as root, drop groups, gid and uid, start the
 * control and socketmap threads, serve (smfi_main).  With -R while a
 * deptmilter runs, its milter socket, control socket, pid file and
 * socketmap socket are taken over instead (handover.h) and it is told to
 * go once this one is ready.
 * SIGHUP and SIGTERM stop deptmilter once the open sessions have ended
 * (at most drain_time; see stop.c and drain.c), then the socketmap answers
 * what it has received and closes (socketmap.h); a stop after a handover
 * leaves the sockets and the pid file to the new deptmilter.  -t stops
 * after the map: exit 0 when config and map are fine, the socket
 * directory and user exist, and the user can read the map and its
 * directory (checked at every start too: reloads run as that user; a pid
 * file directory it cannot write is a warning).  Exit 1 on any startup error, 2 on usage.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter/callbacks.h"
#include "milter/config.h"
#include "milter/control.h"
#include "milter/daemon.h"
#include "milter/drain.h"
#include "milter/generation.h"
#include "milter/handover.h"
#include "milter/listen.h"
#include "milter/log.h"
#include "milter/shadow.h"
#include "milter/socketmap.h"
#include "milter/stats.h"
#include "milter/stop.h"

#ifndef DEPT_VERSION
#define DEPT_VERSION	"0.1"
#endif

#define PASSED_MAX	2			/* sockets from systemd */

struct options {
    const char *config;
    int     foreground;
    int     replace;			/* -R: take over from a running one */
    int     test_only;
};

/* usage - the synopsis on stderr, exit 2 */
static void usage(void)
{
    fprintf(stderr, "usage: deptmilter [-c CONF] [-f] [-R] [-t] [-V]\n");
    exit(2);
}

/* version - the version of deptmilter and of libmilter */
static void version(void)
{
    unsigned int major = 0, minor = 0, pl = 0;

    smfi_version(&major, &minor, &pl);
    printf("deptmilter %s (libmilter %u.%u.%u)\n", DEPT_VERSION, major, minor, pl);
    exit(0);
}

/* parse_options - the command line */
static void parse_options(int argc, char **argv, struct options *opt)
{
    int     ch;

    opt->config = CONFIG_PATH;
    while ((ch = getopt(argc, argv, "c:fRtV")) != -1) {
	switch (ch) {
	case 'c':
	    opt->config = optarg;
	    break;
	case 'f':
	    opt->foreground = 1;
	    break;
	case 'R':
	    opt->replace = 1;
	    break;
	case 't':
	    opt->test_only = 1;
	    break;
	case 'V':
	    version();
	    break;
	default:
	    usage();
	}
    }
    if (optind != argc)
	usage();
}

/* load - configuration and map, before anything else; -1 = refuse */
static int load(const struct options *opt, struct config *cf)
{
    char    err[8192], *line, *next;

    config_defaults(cf);
    if (config_load(opt->config, cf, err, sizeof(err)) < 0) {
	for (line = err; line; line = next) {	/* FILE:LINE: text, each */
	    if ((next = strchr(line, '\n')) != 0)
		*next++ = 0;
	    log_msg(LOG_ERR, "%s", line);
	}
	return -1;
    }
    log_set_level(cf->log_level);
    if (gen_init(cf->map, stats_add_map, err, sizeof(err)) < 0) {
	log_msg(LOG_ERR, "fatal: %s; not starting", err);
	return -1;
    }
    shadow_init(cf->shadow_map, opt->test_only);	/* never fatal */
    return 0;
}

/* take_over - -R while a deptmilter runs: its sockets and pid file (a
 * socketmap it serves must be the one deptmilter.conf names) */
static int take_over(const struct config *cf, const char *ctl, struct handover *h)
{
    if (handover_fetch(ctl, h) < 0)
	return -1;
    if (h->sm_fd >= 0 && *cf->socketmap == 0) {
	log_msg(LOG_ERR, "fatal: -R: the running deptmilter serves a socketmap and"
		" deptmilter.conf sets none: stop deptmilter, then start it;"
		" nothing changed");
	return -1;
    }
    daemon_pid_adopt(h->pid_fd);
    return 0;
}

/* passed - the sockets systemd passed: the milter's (*mfd) and the
 * socketmap's (*sfd); -1 when they are not deptmilter.conf's */
static int passed(const struct config *cf, const int *fds, int n, int *mfd, int *sfd)
{
    if (n > 0 && listen_passed(cf, fds, n, mfd, sfd) < 0)
	return -1;
    if (*mfd >= 0)
	log_msg(LOG_INFO, "socket: listening on the socket%s systemd passed",
		*sfd >= 0 ? "s" : "");
    return 0;
}

/* start - the root part of the start, then give root up */
static int start(const struct options *opt, const struct config *cf, struct handover *h)
{
    char    ctl[CONFIG_STR_MAX];
    int     sd[PASSED_MAX], sd_fd = -1, sm_fd = -1;
    int     n = listen_systemd(sd, PASSED_MAX);	/* before the fork: LISTEN_PID */

    if (n < 0 || (!opt->foreground && daemon_detach() < 0))
	return -1;
    (void) drain_fd_limit();			/* a descriptor per session */
    log_open("deptmilter", cf->syslog_facility, cf->log_level,
	     opt->foreground ? LOG_DEBUG : LOG_WARNING);
    log_msg(LOG_INFO, "starting deptmilter %s: socket=%s dry_run=%s"
	    " on_error=%s", DEPT_VERSION, cf->socket, cf->dry_run ? "yes" : "no",
	    cf->on_error == ON_ERROR_ACCEPT ? "accept" : "tempfail");
    gen_announce();
    handover_path(cf->pid_file, ctl, sizeof(ctl));
    if (opt->replace && daemon_running(cf->pid_file) > 0) {
	if (take_over(cf, ctl, h) < 0)
	    return -1;
    } else if (daemon_pid_file(cf->pid_file) < 0)
	return -1;
    if (callbacks_register(cf) != MI_SUCCESS) {
	log_msg(LOG_ERR, "fatal: smfi_register failed");
	return -1;
    }
    if (passed(cf, sd, n, &sd_fd, &sm_fd) < 0)
	return -1;
    if (daemon_socket(cf, h->listen_fd >= 0 ? h->listen_fd : sd_fd, h->made) < 0
	|| handover_listen(ctl, h->ctl_fd) < 0
	|| socketmap_open(cf, h->sm_fd >= 0 ? h->sm_fd : sm_fd,
			  h->sm_fd >= 0 ? h->sm_made : 0) < 0
	|| daemon_drop(cf->user) < 0)
	return -1;
    if (stop_prepare(cf->drain_time) < 0
	|| control_start(cf->stats_interval, cf->map, cf->shadow_map) < 0
	|| socketmap_start() < 0)
	return -1;
    return 0;
}

/* main - load, start, serve until libmilter stops, clean up */
int main(int argc, char **argv)
{
    struct options opt = { 0 };
    struct handover h = { -1, -1, -1, 0, -1, 0, 0, -1 };
    struct config cf;
    int     rc = 1;

    parse_options(argc, argv, &opt);
    if (control_block() < 0)			/* a stop while starting waits */
	return 1;
    if (load(&opt, &cf) < 0)
	return 1;
    if (opt.test_only) {
	gen_warn_sources();
	rc = daemon_check(&cf) < 0;
	rc |= daemon_check_access(&cf) < 0;
	gen_shutdown();
	return rc;
    }
    if (daemon_check_access(&cf) < 0) {
	gen_shutdown();
	return 1;
    }
    if (start(&opt, &cf, &h) < 0)
	goto out;
    if (h.conn >= 0 && handover_go(&h) == 0 && daemon_pid_write(cf.pid_file) < 0)
	goto out;
    if (!opt.foreground) {
	log_set_stderr(LOG_NONE);
	daemon_ready();
    }
    rc = 0;
    if (!stop_pending())			/* else stopped while starting */
	rc = smfi_main() == MI_SUCCESS ? 0 : !stop_taken();
    stop_done();
    log_msg(LOG_INFO, "stopping deptmilter");
out:
    socketmap_stop(handover_done());		/* after the milter's drain */
    control_stop();
    gen_shutdown();
    stats_free();
    if (!handover_done())			/* else the new one's now */
	daemon_pid_remove(cf.pid_file);
    listen_remove(handover_done());
    handover_close();
    log_close();
    return rc;
}
