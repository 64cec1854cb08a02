#ifndef DEPT_MILTER_CONFIG_H
#define DEPT_MILTER_CONFIG_H
/*
 * config - deptmilter.conf
 *
 * config_defaults() fills a struct config with the documented defaults;
 * config_load() reads "key = value" lines over them ('#' starts a
 * comment, blank lines are ignored) and returns 0, or -1 with every error
 * found in err, one "FILE:LINE: text" line each (separated by newlines).
 * Every key may appear once; an unknown key is an error.  The struct owns
 * its strings (fixed arrays): nothing to free.  config_socket_path() gives
 * the file of a unix socket spec, NULL for inet: and inet6:.
 * config_where() says where a key was set, "FILE:LINE" (or "FILE" for a
 * default), for an error found later about its value.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <sys/types.h>

#define CONFIG_PATH	"/etc/deptmilter/deptmilter.conf"
#define CONFIG_STR_MAX	1024
#define CONFIG_KEYS_MAX	32			/* keys a file may set */

enum on_error {
    ON_ERROR_TEMPFAIL,
    ON_ERROR_ACCEPT,
};

struct config {
    char    socket[CONFIG_STR_MAX];	/* libmilter syntax */
    mode_t  socket_mode;
    char    map[CONFIG_STR_MAX];
    enum on_error on_error;
    int     dry_run;
    char    user[CONFIG_STR_MAX];	/* "" = do not change user */
    int     syslog_facility;		/* LOG_MAIL, ... */
    int     log_level;			/* LOG_ERR .. LOG_DEBUG */
    char    pid_file[CONFIG_STR_MAX];	/* "" = none */
    unsigned stats_interval;		/* seconds, 0 = off */
    char    socketmap[CONFIG_STR_MAX];	/* "" = off; syntax of socket */
    char    shadow_map[CONFIG_STR_MAX];	/* "" = off; a candidate map */
    unsigned drain_time;		/* seconds a stop waits for sessions */
    char    file[CONFIG_STR_MAX];	/* the file read, for config_where */
    unsigned line[CONFIG_KEYS_MAX];	/* where each key was set, or 0 */
};

void    config_defaults(struct config *cf);
const char *config_socket_path(const char *spec);
int     config_load(const char *path, struct config *cf, char *err, size_t errlen);
const char *config_where(const struct config *cf, const char *key, char *buf,
			 size_t len);

#endif
