#ifndef DEPT_MILTER_TABLES_H
#define DEPT_MILTER_TABLES_H
/*
 * tables - the answers of deptmilter's socketmap tables
 *
 * tables_answer() answers one socketmap request, "NAME KEY" (len bytes,
 * not terminated), into reply (emptied first): the payload of the reply
 * netstring, "OK value", "NOTFOUND ", "TEMP reason" or "PERM reason".
 * client names the asking process in log lines.  It returns 0, or -1
 * when memory ran out (reply is then unusable).  The tables, each one
 * decide() on the map generation in service (gen_acquire, per request):
 *
 *   virtual  (virtual_alias_maps) a department address decide() rewrites:
 *            "OK target1,target2".  Everything else "NOTFOUND ", except
 *            an address user+ext@dept that is not rewritten while
 *            user@dept is: "OK user+ext@dept", itself, so that Postfix
 *            does not go on to user@dept and rewrite what decide() did not.
 *   access   (check_recipient_access) a department's refusal of an
 *            address: "OK 550 5.1.1 text", access(5)'s "5NN text" and
 *            "4NN text" actions with the exact code, enhanced code and
 *            text of the rules.  Else "NOTFOUND ", except user+ext@dept
 *            not refused while user@dept is: "OK DUNNO" (no shorter key).
 *   domains  (relay_domains, virtual_alias_domains) a department domain
 *            in either IDN form: "OK domain" (its A-label); else NOTFOUND.
 *   transport (transport_maps) a department's refusal of an address:
 *            "OK error:DSN text" (reject: bounce with the department's
 *            text) or "OK retry:DSN text" (tempfail: defer), so that mail
 *            no smtpd refused (sendmail(1), bounces, a submission service
 *            without the access check) gets the department's answer.
 *            user+ext@dept not refused while user@dept is: "OK :" (the
 *            usual transport; no shorter key).  Domain keys: NOTFOUND.
 *
 * An address outside every department is answered without a CDB lookup
 * (decide() stops at map_department()).  A map error, or no map in
 * service, gives on_error: "TEMP ..." (tempfail) or NOTFOUND (accept).
 * dry_run answers "NOTFOUND " everywhere and logs what it would have
 * answered.  A key with NUL, CR or LF is nobody: NOTFOUND and a warning.
 * Decisions are counted (stats) and logged as the milter logs them, with
 * "socketmap:" where the milter writes the queue id.  With a shadow map
 * in service, every virtual and access answer is decided on it too
 * (shadow.h) and a different answer logged as the table logs its own
 * decisions: at info (and counted) by the table that logs the decision
 * in service at info, or the candidate's when the address is outside
 * every department now; by the other table at debug.  So a message meets
 * one such line, as it meets one line of the decision itself.
 *
 * The caller owns a struct tables: tables_init() once, tables_free() at
 * the end; it may not be shared by threads.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#include "rewrite/address.h"
#include "rewrite/buf.h"
#include "rewrite/decide.h"
#include "milter/config.h"

#define TABLES_NAME_MAX	32			/* a table name */
/* a key: the longest address, its local part quoted; longer is no address */
#define TABLES_KEY_MAX	(2 * ADDR_LOCAL_MAX + 3 + ADDR_DOMAIN_MAX)
#define TABLES_REQUEST_MAX (TABLES_NAME_MAX + 1 + TABLES_KEY_MAX)
#define TABLES_REPLY_MAX 100000			/* Postfix's socketmap_max_reply_size */

struct tables {
    const struct config *cf;
    struct decision d;			/* the key's */
    struct decision base;		/* the key without its extension */
    struct decision shadow;		/* the key's, on the shadow map */
    int     quiet;			/* the decision was logged at debug */
};

void    tables_init(struct tables *t, const struct config *cf);
int     tables_answer(struct tables *t, const char *req, size_t len,
		      const char *client, struct buf *reply);
void    tables_free(struct tables *t);

#endif
