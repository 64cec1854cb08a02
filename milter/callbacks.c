/*
 * callbacks - libmilter events turned into decide() calls
 *
 * See callbacks.h.  The protocol steps asked for are connect (for the
 * client's name and address in reject lines), MAIL and RCPT; headers,
 * body, DATA, HELO and unknown commands are switched off.  At RCPT each
 * argument goes through decide() on the message's map generation:
 *
 *   PASS      continue, untouched
 *   REJECT    smfi_setreply() with the department's reply, SMFIS_REJECT
 *   TEMPFAIL  smfi_setreply(), SMFIS_TEMPFAIL; a map error with
 *             on_error = accept continues instead
 *   REWRITE   remembered; at end of message smfi_delrcpt() of the argument
 *             as received and smfi_addrcpt_par() of each target not yet in
 *             the envelope, with ORCPT and NOTIFY; with the socketmap on,
 *             unless cleanup's virtual_alias_maps rewrote it already
 *             (claims.h): then only logged
 *
 * A message begun with no map in service (possible only while deptmilter
 * stops: libmilter may still serve a session after smfi_main() returned
 * and the map was let go) has no generation; each of its RCPTs gets
 * on_error, and the log line says that no map was in service.
 *
 * With a shadow map in service at MAIL FROM, each RCPT is decided on it
 * too, after the decision in service has been acted on and logged; a
 * different answer is one "shadow:" line (shadow.h), and nothing else.
 *
 * Never SMFIS_ACCEPT (no end of message would follow) or SMFIS_DISCARD.
 * With dry_run everything is decided and logged ("would ...") and nothing
 * is changed.  Every string from the network is escaped before logging.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "rewrite/text.h"
#include "milter/callbacks.h"
#include "milter/log.h"
#include "milter/message.h"
#include "milter/shadow.h"
#include "milter/stats.h"

#define NOQUEUE		"NOQUEUE"
#define PARAMS_MAX	8192			/* ORCPT= and NOTIFY= of one recipient */
#define ORCPT_MAX	500			/* RFC 3461: longer client ORCPTs are ignored */

static const struct config *cb_cf;

/* get_conn - the connection state, made on first use */
static struct conn *get_conn(SMFICTX *ctx)
{
    struct conn *conn;

    if ((conn = smfi_getpriv(ctx)) != 0)
	return conn;
    if ((conn = calloc(1, sizeof(*conn))) == 0)
	return 0;
    strcpy(conn->host, "unknown");
    strcpy(conn->addr, "unknown");
    if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
	free(conn);
	return 0;
    }
    return conn;
}

/* queue_id - the Postfix queue id, escaped, or NOQUEUE before it exists */
static const char *queue_id(SMFICTX *ctx, char *buf, size_t len)
{
    const char *qid = smfi_getsymval(ctx, "i");

    if (qid == 0 || *qid == 0)
	return NOQUEUE;
    return log_esc(qid, buf, len);
}

/* esc_addr - an address argument for a log line: escaped, without <> */
static const char *esc_addr(const char *arg, char *buf, size_t len)
{
    size_t  n = strlen(arg);

    if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>')
	return log_esc_n(arg + 1, n - 2, buf, len);
    return log_esc(arg, buf, len);
}

/* bare_addr - a copy of an address argument without its <>, or NULL */
static char *bare_addr(const char *arg)
{
    size_t  n = strlen(arg);

    if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>')
	return strndup(arg + 1, n - 2);
    return strdup(arg);
}

/* cb_negotiate - ask for MAIL, RCPT and connect only; declare our actions
 *
 * Connect and MAIL FROM never change what happens to a message, so where
 * the MTA allows it they get no reply: Postfix then does not wait for us
 * twice per message.  A failure there is answered at the first RCPT. */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3,
			     unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
    const unsigned long actions = SMFIF_ADDRCPT | SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT;
    const unsigned long off = SMFIP_NOHELO | SMFIP_NOHDRS | SMFIP_NOBODY
	| SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA;
    struct conn *conn;

    (void) f2;
    (void) f3;
    if ((f0 & actions) != actions) {
	log_msg(LOG_ERR, "error: the MTA does not offer the actions add"
		" recipient with parameters and delete recipient"
		" (offered 0x%lx); use milter_protocol = 6", f0);
	return SMFIS_REJECT;
    }
    *pf0 = actions;
    *pf1 = f1 & off;
    if ((f1 & (SMFIP_NR_CONN | SMFIP_NR_MAIL)) == (SMFIP_NR_CONN | SMFIP_NR_MAIL)
	&& (conn = get_conn(ctx)) != 0) {
	*pf1 |= SMFIP_NR_CONN | SMFIP_NR_MAIL;
	conn->no_reply = 1;
    }
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

/* cb_connect - keep the client's name and address for log lines */
/* (an MTA that has no name sends "[addr]"; Postfix logs that "unknown") */
static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    struct conn *conn;
    const void *src = 0;

    if ((conn = get_conn(ctx)) == 0) {
	log_msg(LOG_ERR, "error: out of memory at connect");
	return SMFIS_TEMPFAIL;			/* no_reply is only ever set in conn */
    }
    if (host && *host && *host != '[')		/* "[addr]": name unknown */
	snprintf(conn->host, sizeof(conn->host), "%s", host);
    if (sa && sa->sa_family == AF_INET)
	src = &((struct sockaddr_in *) (void *) sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
	src = &((struct sockaddr_in6 *) (void *) sa)->sin6_addr;
    if (src == 0 || inet_ntop(sa->sa_family, src, conn->addr, sizeof(conn->addr)) == 0)
	strcpy(conn->addr, "unknown");
    return conn->no_reply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_envfrom - start a message on the current map generation */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct conn *conn;

    if ((conn = get_conn(ctx)) == 0)
	goto nomem;
    msg_free(conn);				/* a message left over */
    if ((conn->mail_nomem = (conn->msg = msg_new(argv[0])) == 0) != 0)
	goto nomem;
    /* no map in service (msg->gen == 0): each RCPT says so (rcpt_no_map) */
    return conn->no_reply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
nomem:
    log_msg(LOG_ERR, "error: out of memory at MAIL FROM");
    return conn && conn->no_reply ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
}

/* keep_orcpt - whether a client's ORCPT value can be passed on as is */
static int keep_orcpt(const char *val)
{
    const unsigned char *p;

    if (strchr(val, ';') == 0 || strlen(val) > ORCPT_MAX)
	return 0;
    for (p = (const unsigned char *) val; *p; p++)
	if (*p <= ' ' || *p > '~')
	    return 0;
    return 1;
}

/* keep_notify - whether a client's NOTIFY value is plain enough to copy */
static int keep_notify(const char *val)
{
    return *val && strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "abcdefghijklmnopqrstuvwxyz,") == strlen(val);
}

/* rcpt_params - "ORCPT=... [NOTIFY=...]" for the targets of one RCPT */
static int rcpt_params(char **argv, char *buf, size_t len)
{
    const char *orcpt = 0, *notify = 0;
    char   *bare, *xt;
    size_t  xlen;
    int     n, i;

    for (i = 1; argv[i]; i++) {
	if (strncasecmp(argv[i], "ORCPT=", 6) == 0 && keep_orcpt(argv[i] + 6))
	    orcpt = argv[i] + 6;
	else if (strncasecmp(argv[i], "NOTIFY=", 7) == 0 && keep_notify(argv[i] + 7))
	    notify = argv[i] + 7;
    }
    if (orcpt)					/* what the sender wrote first */
	n = snprintf(buf, len, "ORCPT=%s", orcpt);
    else {
	if ((bare = bare_addr(argv[0])) == 0)
	    return -1;
	xlen = 3 * strlen(bare) + 1;
	if ((xt = malloc(xlen)) == 0 || text_xtext(bare, xt, xlen) < 0)
	    n = -1;
	else
	    n = snprintf(buf, len, "ORCPT=rfc822;%s", xt);
	free(xt);
	free(bare);
    }
    if (n < 0 || (size_t) n >= len)
	return -1;
    if (notify && snprintf(buf + n, len - n, " NOTIFY=%s", notify) >= (int) (len - n))
	return -1;
    return 0;
}

/* log_refusal - "reject:" or "tempfail:" line, or its "would" form */
static void log_refusal(SMFICTX *ctx, struct conn *conn, const char *what,
			const char *arg, const struct decision *d,
			const char *code, const char *dsn, const char *text)
{
    char    qid[64], host[LOG_ESC_MAX], addr[LOG_ESC_MAX];
    char    from[LOG_ESC_MAX], to[LOG_ESC_MAX], txt[LOG_ESC_MAX];

    log_msg(LOG_INFO, "%s: %s%s: RCPT from %s[%s]: %s %s %s; from=<%s> to=<%s>"
	    " rule=%s", queue_id(ctx, qid, sizeof(qid)),
	    cb_cf->dry_run ? "would " : "", what,
	    log_esc(conn->host, host, sizeof(host)),
	    log_esc(conn->addr, addr, sizeof(addr)), code, dsn,
	    log_esc(text, txt, sizeof(txt)),
	    esc_addr(conn->msg->from, from, sizeof(from)),
	    esc_addr(arg, to, sizeof(to)), d->rule);
}

/* set_reply - hand a reply to libmilter, with "%" doubled */
static void set_reply(SMFICTX *ctx, const char *code, const char *dsn, const char *text)
{
    char    c[8], s[32], t[2 * 1024 + 1];

    if (snprintf(c, sizeof(c), "%s", code) >= (int) sizeof(c)
	|| snprintf(s, sizeof(s), "%s", dsn) >= (int) sizeof(s)
	|| text_percent_double(text, t, sizeof(t)) < 0
	|| smfi_setreply(ctx, c, s, t) != MI_SUCCESS)
	log_msg(LOG_WARNING, "warning: reply \"%s %s\" refused by libmilter;"
		" the MTA's default reply is used", code, dsn);
}

/* rcpt_reject - the department's unknown policy says no */
static sfsistat rcpt_reject(SMFICTX *ctx, struct conn *conn, const char *arg,
			    const struct decision *d)
{
    stats_count(d->dept, STATS_REJECT);
    log_refusal(ctx, conn, "reject", arg, d, d->code, d->dsn, d->text);
    if (cb_cf->dry_run)
	return SMFIS_CONTINUE;
    set_reply(ctx, d->code, d->dsn, d->text);
    return SMFIS_REJECT;
}

/* rcpt_tempfail - a temporary failure: policy, or the map (on_error) */
static sfsistat rcpt_tempfail(SMFICTX *ctx, struct conn *conn, const char *arg,
			      const struct decision *d)
{
    const char *code = d->code && *d->code ? d->code : NOMAP_CODE;
    const char *dsn = d->dsn && *d->dsn ? d->dsn : NOMAP_DSN;
    const char *text = d->text && *d->text ? d->text : NOMAP_TEXT;
    char    qid[64], to[LOG_ESC_MAX];

    if (d->map_error && cb_cf->on_error == ON_ERROR_ACCEPT) {
	stats_count(d->dept, STATS_PASS);
	log_msg(LOG_WARNING, "%s: warning: map error for to=<%s>; passed"
		" untouched (on_error = accept)", queue_id(ctx, qid, sizeof(qid)),
		esc_addr(arg, to, sizeof(to)));
	return SMFIS_CONTINUE;
    }
    stats_count(d->dept, STATS_TEMPFAIL);
    log_refusal(ctx, conn, "tempfail", arg, d, code, dsn, text);
    if (cb_cf->dry_run)
	return SMFIS_CONTINUE;
    set_reply(ctx, code, dsn, text);
    return SMFIS_TEMPFAIL;
}

/* rcpt_no_map - the message began with no map in service: on_error */
static sfsistat rcpt_no_map(SMFICTX *ctx, const char *arg)
{
    char    qid[64], buf[LOG_ESC_MAX];
    const char *q = queue_id(ctx, qid, sizeof(qid));
    const char *to = esc_addr(arg, buf, sizeof(buf));

    if (cb_cf->on_error == ON_ERROR_ACCEPT) {
	stats_count(0, STATS_PASS);
	log_msg(LOG_WARNING, "%s: warning: no map in service for to=<%s>;"
		" passed untouched (on_error = accept)", q, to);
	return SMFIS_CONTINUE;
    }
    stats_count(0, STATS_TEMPFAIL);
    log_msg(LOG_ERR, "%s: error: no map in service for to=<%s>; %s %s %s"
	    " (on_error = tempfail)", q, to, cb_cf->dry_run ?
	    "would tempfail with" : "tempfailed with", NOMAP_CODE, NOMAP_DSN);
    if (cb_cf->dry_run)
	return SMFIS_CONTINUE;
    set_reply(ctx, NOMAP_CODE, NOMAP_DSN, NOMAP_TEXT);
    return SMFIS_TEMPFAIL;
}

/* rcpt_pass - not ours, or the policy lets it through: note the address */
static sfsistat rcpt_pass(SMFICTX *ctx, struct conn *conn, const char *arg,
			  const struct decision *d)
{
    char    qid[64], to[LOG_ESC_MAX];
    char   *bare;

    /* a department's "unknown pass" is a decision worth a line; mail
     * outside the departments would flood the log at info */
    stats_count(d->dept, STATS_PASS);
    log_msg(d->dept ? LOG_INFO : LOG_DEBUG, "%s: pass: to=<%s> rule=%s",
	    queue_id(ctx, qid, sizeof(qid)), esc_addr(arg, to, sizeof(to)), d->rule);
    if ((bare = bare_addr(arg)) == 0 || msg_add_seen(conn->msg, bare) < 0) {
	free(bare);
	log_msg(LOG_ERR, "error: out of memory at RCPT");
	return SMFIS_TEMPFAIL;
    }
    if (d->dept && *cb_cf->socketmap && !cb_cf->dry_run)
	(void) msg_claim_pass(conn->msg, bare);	/* none: logged twice */
    free(bare);
    return SMFIS_CONTINUE;
}

/* rcpt_claim - with the socketmap on, leave the rewrite to cleanup if it
 * asks (claims.h); without memory for the claim the milter rewrites */
static void rcpt_claim(struct rewrite *rw)
{
    char   *bare;

    if ((bare = bare_addr(rw->arg)) != 0)
	rw->claim = claims_post(bare);
    free(bare);
}

/* rcpt_rewrite - a known department address: remember it for the end */
static sfsistat rcpt_rewrite(SMFICTX *ctx, struct conn *conn, char **argv,
			     const struct decision *d)
{
    char    params[PARAMS_MAX];

    (void) ctx;
    if (d->ntargets == 0) {			/* would lose the recipient */
	log_msg(LOG_ERR, "error: rewrite without a target, rule=%s", d->rule);
	return SMFIS_TEMPFAIL;
    }
    if (rcpt_params(argv, params, sizeof(params)) < 0
	|| msg_remember(conn->msg, argv[0], params, d) < 0) {
	log_msg(LOG_ERR, "error: out of memory or address too long at RCPT");
	return SMFIS_TEMPFAIL;
    }
    if (*cb_cf->socketmap && !cb_cf->dry_run)
	rcpt_claim(conn->msg->rw + conn->msg->nrw - 1);
    return SMFIS_CONTINUE;
}

/* rcpt_shadow - the RCPT decided on the shadow map: a different answer
 * logged and counted */
static void rcpt_shadow(SMFICTX *ctx, struct msg *msg, const char *arg)
{
    char    qid[64], to[LOG_ESC_MAX];

    if (shadow_differs(msg->shadow->map, arg, &msg->d, &msg->sd) > 0)
	shadow_report(1, queue_id(ctx, qid, sizeof(qid)), esc_addr(arg, to, sizeof(to)),
		      &msg->d, &msg->sd, "");
}

/* rcpt_act - act on the decision made for one recipient */
static sfsistat rcpt_act(SMFICTX *ctx, struct conn *conn, char **argv,
			 const struct decision *d)
{
    switch (d->action) {
    case DECIDE_PASS:
	return rcpt_pass(ctx, conn, argv[0], d);
    case DECIDE_REJECT:
	return rcpt_reject(ctx, conn, argv[0], d);
    case DECIDE_TEMPFAIL:
	return rcpt_tempfail(ctx, conn, argv[0], d);
    case DECIDE_REWRITE:
	return rcpt_rewrite(ctx, conn, argv, d);
    }
    return SMFIS_TEMPFAIL;
}

/* cb_envrcpt - decide for one recipient */
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn *conn = smfi_getpriv(ctx);
    struct decision *d;
    sfsistat status;

    if (conn && conn->msg == 0 && conn->mail_nomem) {
	log_msg(LOG_ERR, "error: out of memory at MAIL FROM: RCPT tempfailed");
	return SMFIS_TEMPFAIL;
    }
    if (conn == 0 || conn->msg == 0 || argv[0] == 0) {
	log_msg(LOG_ERR, "error: RCPT without MAIL FROM");
	return SMFIS_TEMPFAIL;
    }
    if (conn->msg->gen == 0)
	return rcpt_no_map(ctx, argv[0]);
    d = &conn->msg->d;
    if (decide(conn->msg->gen->map, argv[0], d, 0, 0) < 0
	&& d->action != DECIDE_TEMPFAIL) {
	log_msg(LOG_ERR, "error: decide failed at RCPT");
	return SMFIS_TEMPFAIL;
    }
    status = rcpt_act(ctx, conn, argv, d);
    if (conn->msg->shadow)
	rcpt_shadow(ctx, conn->msg, argv[0]);
    return status;
}

/* arg_done - whether an earlier remembered recipient had the same argument */
static int arg_done(const struct msg *msg, size_t i)
{
    size_t  j;

    for (j = 0; j < i; j++)
	if (strcmp(msg->rw[j].arg, msg->rw[i].arg) == 0)
	    return 1;
    return 0;
}

/* add_target - smfi_addrcpt_par one target unless already in the envelope */
static int add_target(SMFICTX *ctx, struct msg *msg, const char *target,
		      const char *params)
{
    char   *rcpt;
    size_t  len;
    int     ret = -1;

    if (msg_seen(msg, target))
	return 0;
    len = strlen(target) + 3;
    if ((rcpt = malloc(len)) == 0)
	return -1;
    snprintf(rcpt, len, "<%s>", target);
    if (smfi_addrcpt_par(ctx, rcpt, (char *) params) != MI_SUCCESS)
	goto out;
    if (msg_add_seen(msg, target) < 0)
	goto out;
    ret = 0;
out:
    free(rcpt);
    return ret;
}

/* apply_rewrite - delete one recipient and add its targets */
static int apply_rewrite(SMFICTX *ctx, struct msg *msg, size_t i)
{
    struct rewrite *rw = msg->rw + i;
    const char *t = rw->targets;
    char    to[LOG_ESC_MAX], qid[64];
    size_t  k;

    if (!arg_done(msg, i) && smfi_delrcpt(ctx, rw->arg) != MI_SUCCESS) {
	log_msg(LOG_ERR, "%s: error: cannot delete recipient <%s>; message"
		" tempfailed", queue_id(ctx, qid, sizeof(qid)),
		esc_addr(rw->arg, to, sizeof(to)));
	return -1;
    }
    for (k = 0; k < rw->ntargets; k++, t += strlen(t) + 1) {
	if (add_target(ctx, msg, t, rw->params) < 0) {
	    log_msg(LOG_ERR, "%s: error: cannot add recipient <%s> %s;"
		    " message tempfailed", queue_id(ctx, qid, sizeof(qid)),
		    log_esc(t, to, sizeof(to)), rw->params);
	    return -1;
	}
    }
    return 0;
}

/* log_rewrite - "rewrite:" line (or "would rewrite:") for one recipient */
static void log_rewrite(SMFICTX *ctx, const struct rewrite *rw)
{
    char    qid[64], to[LOG_ESC_MAX], list[LOG_TARGETS_MAX];

    log_msg(LOG_INFO, "%s: %srewrite: to=<%s> -> %s rule=%s",
	    queue_id(ctx, qid, sizeof(qid)), cb_cf->dry_run ? "would " : "",
	    esc_addr(rw->arg, to, sizeof(to)),
	    log_targets(rw->targets, rw->ntargets, list, sizeof(list)), rw->rule);
}

/* cb_eom - apply every remembered rewrite that cleanup did not make,
 * then log them all */
static sfsistat cb_eom(SMFICTX *ctx)
{
    struct conn *conn = smfi_getpriv(ctx);
    struct msg *msg;
    sfsistat status = SMFIS_CONTINUE;
    size_t  i;

    if (conn == 0 || (msg = conn->msg) == 0)
	return SMFIS_CONTINUE;
    for (i = 0; !cb_cf->dry_run && i < msg->nrw; i++) {
	if (msg->rw[i].claim && claims_taken(msg->rw[i].claim))
	    continue;				/* cleanup rewrote it */
	if (apply_rewrite(ctx, msg, i) < 0) {
	    status = SMFIS_TEMPFAIL;
	    goto out;
	}
    }
    for (i = 0; i < msg->nrw; i++) {		/* counted once accepted */
	stats_count(msg->rw[i].dept, STATS_REWRITE);
	log_rewrite(ctx, msg->rw + i);
    }
out:
    msg_free(conn);
    return status;
}

/* cb_abort - the message ended early: forget it */
static sfsistat cb_abort(SMFICTX *ctx)
{
    msg_free(smfi_getpriv(ctx));
    return SMFIS_CONTINUE;
}

/* cb_close - the connection ended: forget everything about it */
static sfsistat cb_close(SMFICTX *ctx)
{
    struct conn *conn = smfi_getpriv(ctx);

    if (conn) {
	msg_free(conn);
	free(conn);
	smfi_setpriv(ctx, 0);
    }
    return SMFIS_CONTINUE;
}

/* callbacks_register - give libmilter our callbacks */
int callbacks_register(const struct config *cf)
{
    struct smfiDesc desc;

    cb_cf = cf;
    memset(&desc, 0, sizeof(desc));
    desc.xxfi_name = "deptmilter";
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = SMFIF_ADDRCPT | SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT;
    desc.xxfi_connect = cb_connect;
    desc.xxfi_envfrom = cb_envfrom;
    desc.xxfi_envrcpt = cb_envrcpt;
    desc.xxfi_eom = cb_eom;
    desc.xxfi_abort = cb_abort;
    desc.xxfi_close = cb_close;
    desc.xxfi_negotiate = cb_negotiate;
    return smfi_register(desc);
}
