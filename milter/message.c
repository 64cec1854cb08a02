/*
 * message - what deptmilter keeps for one SMTP connection and one message
 *
 * See message.h.  Arrays grow by doubling (grow()); every string is a copy owned by
 * the struct msg and freed in msg_free().
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rewrite/buf.h"
#include "milter/message.h"

/* msg_new - a message from MAIL FROM on, on the current map generation */
struct msg *msg_new(const char *from)
{
    struct msg *msg;

    if ((msg = calloc(1, sizeof(*msg))) == 0)
	return 0;
    decision_init(&msg->d);
    decision_init(&msg->sd);
    if ((msg->from = strdup(from ? from : "")) == 0) {
	decision_free(&msg->d);
	free(msg);
	return 0;
    }
    msg->gen = gen_acquire();
    msg->shadow = gen_shadow_acquire();		/* 0 at once when off */
    return msg;
}

/* msg_free - end the message of a connection, if one is in progress */
void msg_free(struct conn *conn)
{
    struct msg *msg;
    size_t  i;

    if (conn == 0 || (msg = conn->msg) == 0)
	return;
    conn->msg = 0;
    for (i = 0; i < msg->nrw; i++) {
	free(msg->rw[i].arg);
	free(msg->rw[i].params);
	free(msg->rw[i].targets);
	claims_drop(msg->rw[i].claim);
    }
    free(msg->rw);
    for (i = 0; i < msg->nseen; i++)
	free(msg->seen[i]);
    free(msg->seen);
    for (i = 0; i < msg->npassed; i++)
	claims_drop(msg->passed[i]);
    free(msg->passed);
    decision_free(&msg->d);
    decision_free(&msg->sd);
    free(msg->from);
    gen_release(msg->gen);
    gen_release(msg->shadow);
    free(msg);
}

/* msg_remember - keep a recipient to rewrite at end of message */
int msg_remember(struct msg *msg, const char *arg, const char *params,
		 const struct decision *d)
{
    struct rewrite *rw;

    if (grow((void **) &msg->rw, &msg->caprw, msg->nrw + 1, sizeof(*rw)) < 0)
	return -1;
    rw = msg->rw + msg->nrw;
    memset(rw, 0, sizeof(*rw));
    rw->arg = strdup(arg);
    rw->params = strdup(params);
    rw->targets = malloc(d->len ? d->len : 1);
    if (rw->arg == 0 || rw->params == 0 || rw->targets == 0) {
	free(rw->arg);
	free(rw->params);
	free(rw->targets);
	return -1;
    }
    memcpy(rw->targets, d->targets, d->len);
    rw->ntargets = d->ntargets;
    memcpy(rw->rule, d->rule, sizeof(rw->rule));
    rw->dept = d->dept;
    msg->nrw++;
    return 0;
}

/* msg_seen - whether an address is already in the envelope */
int msg_seen(const struct msg *msg, const char *addr)
{
    size_t  i;

    for (i = 0; i < msg->nseen; i++)
	if (strcasecmp(msg->seen[i], addr) == 0)
	    return 1;
    return 0;
}

/* msg_add_seen - note an address as present in the envelope */
int msg_add_seen(struct msg *msg, const char *addr)
{
    char   *copy;

    if (grow((void **) &msg->seen, &msg->capseen, msg->nseen + 1, sizeof(char *)) < 0)
	return -1;
    if ((copy = strdup(addr)) == 0)
	return -1;
    msg->seen[msg->nseen++] = copy;
    return 0;
}

/* msg_claim_pass - a claim on a department address passed untouched,
 * logged at RCPT: cleanup's lookup of it is then not logged again */
int msg_claim_pass(struct msg *msg, const char *addr)
{
    struct claim *c;

    if (grow((void **) &msg->passed, &msg->cappassed, msg->npassed + 1,
	     sizeof(*msg->passed)) < 0 || (c = claims_post(addr)) == 0)
	return -1;
    msg->passed[msg->npassed++] = c;
    return 0;
}
