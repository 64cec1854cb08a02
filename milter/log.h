#ifndef DEPT_MILTER_LOG_H
#define DEPT_MILTER_LOG_H
/*
 * log - the one place where deptmilter writes a log line
 *
 * log_open() starts syslog with the configured facility; lines of level
 * stderr_level or worse are also written to stderr, unchanged (deptmilter
 * -f: LOG_DEBUG, all; a daemon until it is ready: LOG_WARNING; then
 * LOG_NONE).  log_set_stderr() changes that.  Before log_open() every line
 * goes to stderr only.
 * log_msg() formats one line and drops it when its level is below the
 * configured one.  Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_INFO,
 * LOG_DEBUG.
 *
 * Nothing from the network may reach log_msg() unescaped: log_esc() runs
 * text_escape() into a caller-owned buffer and returns it, with "..."
 * appended when the text had to be cut; log_esc_n() does the same for
 * len bytes that need not be terminated.  log_targets() writes n
 * NUL-separated addresses (a decision's targets) as "<a@x>, <b@y>", each
 * escaped, "..." when the list had to be cut.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <syslog.h>

#define LOG_TARGETS_MAX	4096			/* "<a@x>, <b@y>" in a log line */
#define LOG_ESC_MAX	1024			/* escaped network string in a log line */
#define LOG_NONE	(-1)			/* log_set_stderr: nothing on stderr */

void    log_open(const char *ident, int facility, int level, int stderr_level);
void    log_set_level(int level);
void    log_set_stderr(int stderr_level);
void    log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *log_esc(const char *in, char *buf, size_t len);
const char *log_esc_n(const char *in, size_t inlen, char *buf, size_t len);
const char *log_targets(const char *targets, size_t n, char *buf, size_t len);
void    log_close(void);

#endif
