#ifndef DEPT_REPLY_H
#define DEPT_REPLY_H
/*
 * reply - an SMTP reply that Postfix will take from a milter
 *
 * reply_check() validates code, enhanced status code and text as Postfix
 * checks a milter's reply: the code must be of the class the action needs
 * (5 for reject, 4 for tempfail) and not 421 or 521 (after which smtpd
 * hangs up on the client, other recipients and all), the enhanced code of the same class and
 * of the form C.S.D, the text printable ASCII without CR or LF, and the
 * whole reply, with "%" doubled as smfi_setreply wants it, at most 980
 * characters.  It returns 0, or -1 with a reason in why.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

int     reply_check(char klass, const char *code, const char *dsn,
		    const char *text, char *why, size_t whylen);

#endif
