/*
 * dirsearch - paged searches of an LDAP directory (see dirsearch.h)
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <ldap.h>
#include "maps/dirsearch.h"

#define TLS_HINT "is the server's certificate signed by a CA of ldap-ca-file," \
		" for the name in the URI?"

struct dirsearch {
    LDAP   *ld;
    int     timeout;
    int     pagesize;
};

/* pipe_hold - block SIGPIPE while libldap writes to a server that may
 * be gone (it would end the program); old keeps the mask to restore */
static void pipe_hold(sigset_t *old)
{
    sigset_t pipe;

    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe, old);
}

/* pipe_release - drop a SIGPIPE raised meanwhile, restore the mask */
static void pipe_release(const sigset_t *old)
{
    sigset_t pipe, pending;
    struct timespec now = { 0, 0 };

    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0
	&& sigismember(&pending, SIGPIPE))
	(void) sigtimedwait(&pipe, 0, &now);
    sigprocmask(SIG_SETMASK, old, 0);
}

/* ld_error - "what: libldap's text for rc (the diagnostic message)" */
static void ld_error(LDAP * ld, int rc, const char *diag, const char *what,
		     char *err, size_t errlen)
{
    char   *msg = 0;

    if (diag == 0 && ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == 0)
	diag = msg;
    if (diag && strcmp(diag, "(unknown error code)") == 0)
	diag = 0;				/* what libldap says of TLS */
    if (diag && *diag)
	snprintf(err, errlen, "%s: %s (%s)", what, ldap_err2string(rc), diag);
    else
	snprintf(err, errlen, "%s: %s", what, ldap_err2string(rc));
    ldap_memfree(msg);
}

/* set_tls - the CA file and a demand for a valid certificate */
static int set_tls(LDAP * ld, const struct dirsearch_conf *conf, char *err,
		   size_t errlen)
{
    int     demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;

    if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) != 0
	|| (conf->cafile
	    && (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, conf->cafile)) != 0)
	|| (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) != 0) {
	ld_error(ld, rc, 0, "TLS setup", err, errlen);
	return -1;
    }
    return 0;
}

/* set_options - protocol 3, no referrals, the timeouts, TLS */
static int set_options(LDAP * ld, const struct dirsearch_conf *conf, char *err,
		       size_t errlen)
{
    int     v3 = LDAP_VERSION3, rc;
    struct timeval tv = { conf->timeout, 0 };

    if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) != 0
	|| (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != 0
	|| (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) != 0
	|| (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) != 0) {
	ld_error(ld, rc, 0, "setup", err, errlen);
	return -1;
    }
    return set_tls(ld, conf, err, errlen);
}

/* wait_result - the answer to msgid within the timeout: 1, 0 timed out
 * (abandoned), -1 failed; what names the step in err */
static int wait_result(struct dirsearch *ds, int msgid, LDAPMessage ** res,
		       const char *what, char *err, size_t errlen)
{
    struct timeval tv = { ds->timeout, 0 };
    int     rc = ldap_result(ds->ld, msgid, LDAP_MSG_ONE, &tv, res);

    if (rc > 0)
	return 1;
    *res = 0;
    if (rc == 0) {
	ldap_abandon_ext(ds->ld, msgid, 0, 0);
	snprintf(err, errlen, "%s: no answer within %d s (ldap-timeout)", what,
		 ds->timeout);
	return 0;
    }
    ldap_get_option(ds->ld, LDAP_OPT_RESULT_CODE, &rc);
    ld_error(ds->ld, rc, 0, what, err, errlen);
    return -1;
}

/* bind_as - simple, SASL EXTERNAL or anonymous, within the timeout */
static int bind_as(struct dirsearch *ds, const struct dirsearch_conf *conf, char *err,
		   size_t errlen)
{
    struct berval cred = { 0, 0 };
    const char *mech = LDAP_SASL_SIMPLE, *dn = conf->binddn;
    LDAPMessage *res = 0;
    char   *diag = 0;
    int     msgid, rc, code = 0;

    if (conf->sasl_external)			/* an empty initial response */
	mech = "EXTERNAL", dn = 0, cred.bv_val = "";
    else if (conf->password)
	cred.bv_val = (char *) conf->password, cred.bv_len = strlen(conf->password);
    if ((rc = ldap_sasl_bind(ds->ld, dn, mech, &cred, 0, 0, &msgid)) != 0) {
	ld_error(ds->ld, rc, 0, strstr(conf->uri, "ldaps://") ? "cannot connect, or the"
		 " TLS handshake failed (" TLS_HINT ")" : "cannot connect", err, errlen);
	return -1;
    }
    if (wait_result(ds, msgid, &res, "bind", err, errlen) <= 0)
	return -1;
    rc = ldap_parse_result(ds->ld, res, &code, 0, &diag, 0, 0, 1);
    if (rc == 0 && code != 0)
	ld_error(ds->ld, code, diag, "bind refused", err, errlen);
    else if (rc != 0)
	ld_error(ds->ld, rc, 0, "bind", err, errlen);
    ldap_memfree(diag);
    return rc == 0 && code == 0 ? 0 : -1;
}

/* open_bound - connect, start TLS if asked, bind */
static int open_bound(struct dirsearch **dsp, const struct dirsearch_conf *conf,
		      char *err, size_t errlen)
{
    struct dirsearch *ds = calloc(1, sizeof(*ds));
    int     rc;

    *dsp = 0;
    if (ds == 0) {
	snprintf(err, errlen, "%s", strerror(errno));
	return -1;
    }
    ds->timeout = conf->timeout;
    ds->pagesize = conf->pagesize > 0 ? conf->pagesize : DIRSEARCH_PAGE;
    if ((rc = ldap_initialize(&ds->ld, conf->uri)) != 0) {
	ld_error(0, rc, 0, "bad server URI", err, errlen);
	goto fail;
    }
    if (set_options(ds->ld, conf, err, errlen) < 0)
	goto fail;
    if (conf->starttls && (rc = ldap_start_tls_s(ds->ld, 0, 0)) != 0) {
	ld_error(ds->ld, rc, 0,
		 rc ==
		 LDAP_CONNECT_ERROR ? "StartTLS failed (" TLS_HINT ")" : "StartTLS", err,
		 errlen);
	goto fail;
    }
    if (bind_as(ds, conf, err, errlen) < 0)
	goto fail;
    *dsp = ds;
    return 0;
fail:
    dirsearch_close(ds);
    return -1;
}

/* dirsearch_open - connect, start TLS if asked, bind; SIGPIPE held */
int dirsearch_open(struct dirsearch **dsp, const struct dirsearch_conf *conf,
		   char *err, size_t errlen)
{
    sigset_t old;
    int     ret;

    pipe_hold(&old);
    ret = open_bound(dsp, conf, err, errlen);
    pipe_release(&old);
    return ret;
}

/* dirsearch_close - end the connection */
void dirsearch_close(struct dirsearch *ds)
{
    sigset_t old;

    if (ds == 0)
	return;
    pipe_hold(&old);
    if (ds->ld)
	ldap_unbind_ext_s(ds->ld, 0, 0);
    pipe_release(&old);
    free(ds);
}

/* free_values - what entry_values() made */
static void free_values(char ***v, size_t n)
{
    size_t  i, k;

    for (i = 0; i < n; i++) {
	for (k = 0; v[i] && v[i][k]; k++)
	    free(v[i][k]);
	free(v[i]);
    }
    free(v);
}

/* copy_values - one attribute's values as terminated strings; -1 when
 * memory ran out or a value holds a NUL byte (err says so) */
static int copy_values(struct berval **bv, char ***out, const char *attr,
		       const char *dn, char *err, size_t errlen)
{
    size_t  n = ldap_count_values_len(bv), k;

    if ((*out = calloc(n + 1, sizeof(**out))) == 0)
	goto nomem;
    for (k = 0; k < n; k++) {
	if (memchr(bv[k]->bv_val, 0, bv[k]->bv_len)) {
	    snprintf(err, errlen, "entry %s: a value of %s holds a NUL byte", dn, attr);
	    return -1;
	}
	if (((*out)[k] = strndup(bv[k]->bv_val, bv[k]->bv_len)) == 0)
	    goto nomem;
    }
    return 0;
nomem:
    snprintf(err, errlen, "%s", strerror(ENOMEM));
    return -1;
}

/* entry_values - the values of attrs in one entry, for fn */
static int entry_values(LDAP * ld, LDAPMessage * e, const char *dn,
			const char *const *attrs, size_t nattrs, char ****vp,
			char *err, size_t errlen)
{
    struct berval **bv;
    size_t  i;
    int     ret = 0;

    if ((*vp = calloc(nattrs + 1, sizeof(**vp))) == 0) {
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	return -1;
    }
    for (i = 0; ret == 0 && i < nattrs; i++) {
	if ((bv = ldap_get_values_len(ld, e, attrs[i])) == 0)
	    continue;
	ret = copy_values(bv, *vp + i, attrs[i], dn, err, errlen);
	ldap_value_free_len(bv);
    }
    return ret;
}

/* take_entry - hand one entry to fn */
static int take_entry(struct dirsearch *ds, LDAPMessage * e, const char *const *attrs,
		      dirsearch_fn fn, void *ctx, char *err, size_t errlen)
{
    char   *dn = ldap_get_dn(ds->ld, e), ***v = 0;
    size_t  nattrs;
    int     ret = -1;

    for (nattrs = 0; attrs[nattrs]; nattrs++)
	/* void */ ;
    if (dn == 0) {
	ld_error(ds->ld, LDAP_DECODING_ERROR, 0, "entry without a DN", err, errlen);
	return -1;
    }
    if (entry_values(ds->ld, e, dn, attrs, nattrs, &v, err, errlen) == 0) {
	err[0] = 0;
	ret = fn(ctx, dn, v);
    }
    if (v)
	free_values(v, nattrs);
    ldap_memfree(dn);
    return ret;
}

/* page_done - the result of one page: its status and the next cookie */
static int page_done(struct dirsearch *ds, LDAPMessage * res, struct berval *cookie,
		     char *err, size_t errlen)
{
    LDAPControl **ctrls = 0, *pc;
    char   *diag = 0;
    int     code = 0, rc, ret = -1;
    ber_int_t count;

    if ((rc = ldap_parse_result(ds->ld, res, &code, 0, &diag, 0, &ctrls, 0)) != 0)
	ld_error(ds->ld, rc, 0, "search", err, errlen);
    else if (code != 0)
	ld_error(ds->ld, code, diag, "search", err, errlen);
    else if ((pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, 0)) == 0)
	snprintf(err, errlen, "search: a page came without the paged results"
		 " control (paging refused)");
    else if ((rc = ldap_parse_pageresponse_control(ds->ld, pc, &count, cookie)) != 0)
	ld_error(ds->ld, rc, 0, "search: paged results control", err, errlen);
    else
	ret = 0;
    ldap_controls_free(ctrls);
    ldap_memfree(diag);
    return ret;
}

/* send_page - ask for the next page after cookie */
static int send_page(struct dirsearch *ds, const char *base, const char *filter,
		     const char *const *attrs, struct berval *cookie, int *msgid,
		     char *err, size_t errlen)
{
    LDAPControl ctrl, *ctrls[2] = { &ctrl, 0 };
    struct berval value = { 0, 0 };
    struct timeval tv = { ds->timeout, 0 };
    int     rc;

    if ((rc = ldap_create_page_control_value(ds->ld, ds->pagesize, cookie, &value)) != 0) {
	ld_error(ds->ld, rc, 0, "search: paged results control", err, errlen);
	return -1;
    }
    ctrl.ldctl_oid = LDAP_CONTROL_PAGEDRESULTS;
    ctrl.ldctl_value = value;
    ctrl.ldctl_iscritical = 1;
    rc = ldap_search_ext(ds->ld, base, LDAP_SCOPE_SUBTREE, filter, (char **) attrs, 0,
			 ctrls, 0, &tv, 0, msgid);
    ber_memfree(value.bv_val);
    if (rc != 0) {
	ld_error(ds->ld, rc, 0, "search", err, errlen);
	return -1;
    }
    return 0;
}

/* run_page - one page: its entries to fn, then the cookie of the next */
static int run_page(struct dirsearch *ds, const char *base, const char *filter,
		    const char *const *attrs, struct berval *cookie, dirsearch_fn fn,
		    void *ctx, char *err, size_t errlen)
{
    LDAPMessage *res;
    int     msgid, type, ret = -1;

    if (send_page(ds, base, filter, attrs, cookie, &msgid, err, errlen) < 0)
	return -1;
    ber_memfree(cookie->bv_val);
    cookie->bv_val = 0, cookie->bv_len = 0;
    for (;;) {
	if (wait_result(ds, msgid, &res, "search", err, errlen) <= 0)
	    return -1;
	type = ldap_msgtype(res);
	if (type == LDAP_RES_SEARCH_ENTRY)
	    ret = take_entry(ds, res, attrs, fn, ctx, err, errlen);
	else if (type == LDAP_RES_SEARCH_RESULT)
	    ret = page_done(ds, res, cookie, err, errlen);
	else
	    ret = 0;				/* a reference: not followed */
	ldap_msgfree(res);
	if (ret < 0 || type == LDAP_RES_SEARCH_RESULT)
	    break;
    }
    if (ret < 0 && type != LDAP_RES_SEARCH_RESULT)
	ldap_abandon_ext(ds->ld, msgid, 0, 0);
    return ret;
}

/* dirsearch_run - every entry under base matching filter, page by page */
int dirsearch_run(struct dirsearch *ds, const char *base, const char *filter,
		  const char *const *attrs, dirsearch_fn fn, void *ctx, char *err,
		  size_t errlen)
{
    struct berval cookie = { 0, 0 };
    sigset_t old;
    int     ret;

    pipe_hold(&old);
    do
	ret = run_page(ds, base, filter, attrs, &cookie, fn, ctx, err, errlen);
    while (ret == 0 && cookie.bv_len > 0);
    ber_memfree(cookie.bv_val);
    pipe_release(&old);
    return ret;
}
