#ifndef DEPT_MILTER_MESSAGE_H
#define DEPT_MILTER_MESSAGE_H
/*
 * message - what deptmilter keeps for one SMTP connection and one message
 *
 * A struct conn lives from the first callback of a connection to
 * xxfi_close and owns the client's name and address and the message in
 * progress.  A struct msg lives from MAIL FROM to the end of the message
 * (eom, abort or close, whichever comes first: msg_free() is idempotent).
 * It holds a reference to the map generation taken at MAIL FROM (and to
 * the shadow map's, when one is in service), the sender as received, the recipients to rewrite at end of message and the
 * addresses already in the envelope (so that each target is added once).
 *
 * The strings given to msg_* are copied; the caller keeps its own.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "rewrite/decide.h"
#include "milter/claims.h"
#include "milter/generation.h"

#define CONN_HOST_MAX	256
#define CONN_ADDR_MAX	64

struct rewrite {
    char   *arg;			/* RCPT argument, byte for byte */
    char   *params;			/* "ORCPT=... [NOTIFY=...]" */
    char   *targets;			/* NUL-separated, as from decide() */
    size_t  ntargets;
    char    rule[RULE_MAX];
    const struct map_dept *dept;	/* in the message's generation */
    struct claim *claim;		/* left to cleanup's rewrite (claims.h) */
};

struct msg {
    struct gen *gen;			/* a reference, released in msg_free;
					 * 0: no map was in service */
    struct gen *shadow;			/* the same for the shadow map; 0: none */
    char   *from;			/* MAIL FROM argument as received */
    struct decision d;			/* reused for every RCPT */
    struct decision sd;			/* the shadow map's, likewise */
    struct rewrite *rw;			/* recipients to rewrite */
    size_t  nrw, caprw;
    char  **seen;			/* addresses in the envelope, no <> */
    size_t  nseen, capseen;
    struct claim **passed;		/* claims on department passes */
    size_t  npassed, cappassed;
};

struct conn {
    char    host[CONN_HOST_MAX];	/* raw; escape when logging */
    char    addr[CONN_ADDR_MAX];
    struct msg *msg;
    int     no_reply;			/* SMFIP_NR_CONN and NR_MAIL agreed */
    int     mail_nomem;			/* the last MAIL FROM ran out of memory */
};

struct msg *msg_new(const char *from);
void    msg_free(struct conn *conn);
int     msg_remember(struct msg *msg, const char *arg, const char *params,
		     const struct decision *d);
int     msg_seen(const struct msg *msg, const char *addr);
int     msg_add_seen(struct msg *msg, const char *addr);
int     msg_claim_pass(struct msg *msg, const char *addr);

#endif
