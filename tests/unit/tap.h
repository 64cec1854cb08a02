/*
 * tap.h - the smallest TAP producer, for unit tests of pure code
 *
 * ok(cond, fmt, ...) prints one "ok N - name" or "not ok N - name" line;
 * is_str(got, want, name) also shows both strings when they differ;
 * done() prints the plan and returns the exit status for main;
 * tap_tmpdir() and tap_rmdir() make and remove a test's directory.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef DEPT_TAP_H
#define DEPT_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok - one test line */
static int __attribute__((format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
	tap_failed++;
    return cond;
}

/* is_str - string equality, with both shown on failure */
static int
    __attribute__((unused)) is_str(const char *got, const char *want, const char *name)
{
    int     same = (got == 0 && want == 0)
	|| (got != 0 && want != 0 && strcmp(got, want) == 0);

    if (!ok(same, "%s", name))
	printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)",
	       want ? want : "(null)");
    return same;
}

/* tap_tmpdir - make the directory of a "/tmp/NAME-XXXXXX" template, or
 * bail out */
static void __attribute__((unused)) tap_tmpdir(char *tmpl)
{
    if (mkdtemp(tmpl) == 0) {
	printf("Bail out! mkdtemp %s\n", tmpl);
	exit(1);
    }
}

/* tap_rmdir - remove a directory made by tap_tmpdir, with what it holds */
static void __attribute__((unused)) tap_rmdir(const char *dir)
{
    char    cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
	printf("# could not remove %s\n", dir);
}

/* done - the plan, and the exit status */
static int done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed != 0;
}

#endif
