/*
 * log - the one place where deptmilter writes a log line
 *
 * See log.h.  Lines go to syslog(3) and, with -f, to stderr as well; each
 * line is formatted once so that both sinks carry the same text.  The
 * level filter is set once at startup, before threads exist.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rewrite/text.h"
#include "milter/log.h"

#define LOG_LINE_MAX	8192

static int log_level = LOG_INFO;
static int log_stderr = LOG_DEBUG;	/* worst..this level also on stderr */
static int log_syslog;

/* log_open - start syslog, remember the level and the stderr copy */
void log_open(const char *ident, int facility, int level, int stderr_level)
{
    openlog(ident, LOG_PID | LOG_NDELAY, facility);
    log_syslog = 1;
    log_level = level;
    log_stderr = stderr_level;
}

/* log_set_level - change the level before log_open (early errors) */
void log_set_level(int level)
{
    log_level = level;
}

/* log_msg - format one line and send it to every sink */
void log_msg(int level, const char *fmt, ...)
{
    char    line[LOG_LINE_MAX];
    va_list ap;
    int     n;

    if (level > log_level)
	return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
	return;
    if ((size_t) n >= sizeof(line))		/* mark a cut line */
	memcpy(line + sizeof(line) - 4, "...", 4);
    if (log_syslog)
	syslog(level, "%s", line);
    if (level <= log_stderr || !log_syslog)
	fprintf(stderr, "%s\n", line);
}

/* log_set_stderr - which levels also go to stderr (LOG_NONE: none) */
void log_set_stderr(int stderr_level)
{
    log_stderr = stderr_level;
}

/* log_esc_n - escape len bytes of untrusted text, marking a cut */
const char *log_esc_n(const char *in, size_t inlen, char *buf, size_t len)
{
    size_t  used;

    if (len < 4) {
	if (len > 0)
	    buf[0] = 0;
	return buf;
    }
    if (in == 0)
	in = "", inlen = 0;
    if (text_escape_n(in, inlen, buf, len - 3) < 0) {
	used = strlen(buf);
	memcpy(buf + used, "...", 4);
    }
    return buf;
}

/* log_esc - escape an untrusted string for a log line */
const char *log_esc(const char *in, char *buf, size_t len)
{
    return log_esc_n(in, in ? strlen(in) : 0, buf, len);
}

/* log_targets - n NUL-separated addresses as "<a@x>, <b@y>" */
const char *log_targets(const char *targets, size_t n, char *buf, size_t len)
{
    char    esc[LOG_ESC_MAX];
    const char *t = targets;
    size_t  k, used = 0;
    int     w;

    if (len < 4)
	return len ? (buf[0] = 0, buf) : buf;
    buf[0] = 0;
    for (k = 0; k < n; k++, t += strlen(t) + 1) {
	w = snprintf(buf + used, len - used, "%s<%s>", k ? ", " : "",
		     log_esc(t, esc, sizeof(esc)));
	if (w < 0 || (size_t) w >= len - used) {
	    memcpy(buf + len - 4, "...", 4);
	    break;
	}
	used += (size_t) w;
    }
    return buf;
}

/* log_close - stop syslog */
void log_close(void)
{
    if (log_syslog)
	closelog();
    log_syslog = 0;
}
