#ifndef DEPT_DIRSEARCH_H
#define DEPT_DIRSEARCH_H
/*
 * dirsearch - paged searches of an LDAP directory (OpenLDAP's libldap)
 *
 * dirsearch_open() connects to the server (a URI, or several separated
 * by blanks, tried in turn), starts TLS when asked, checks the server's
 * certificate against the CA file (or libldap's default), and binds:
 * simple (DN and password), SASL EXTERNAL (over ldapi://, the peer's
 * uid), or anonymous.  dirsearch_run() searches the subtree under base
 * with the RFC 2696 paged results control, marked critical, page by page,
 * and hands every entry to fn: its DN and, for each of attrs, its values
 * (a NULL-terminated array of terminated strings, NULL when the entry has
 * none).  Search references (referrals) are not followed.
 *
 * Every wait on the network (connect, TLS, bind, each page) ends after
 * conf->timeout seconds; the server is asked for the same time limit.
 * Nothing partial is ever taken for a result: a result code other than
 * success, a page without the paged results control, a value holding a
 * NUL byte or a connection lost fails the search.  Both return 0, or -1
 * with err holding "what failed: the server's reason"; when fn returns -1
 * the search stops and dirsearch_run() returns -1 with err empty (fn says
 * why its own way).  dirsearch_close() ends the connection; the handle
 * owns everything, the values handed to fn live until fn returns.
 * libldap is used here only: nothing else includes <ldap.h>.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#define DIRSEARCH_PAGE	500			/* entries asked for per page */

struct dirsearch_conf {
    const char *uri;			/* blank-separated URIs */
    int     starttls;			/* StartTLS on ldap:// */
    const char *cafile;			/* NULL: libldap's default */
    const char *binddn;			/* simple bind; NULL: see sasl */
    const char *password;
    int     sasl_external;		/* SASL EXTERNAL; neither: anonymous */
    int     timeout;			/* seconds, each wait */
    int     pagesize;			/* 0: DIRSEARCH_PAGE */
};

struct dirsearch;

typedef int (*dirsearch_fn)(void *ctx, const char *dn, char ***values);

int     dirsearch_open(struct dirsearch **dsp, const struct dirsearch_conf *conf,
		       char *err, size_t errlen);
int     dirsearch_run(struct dirsearch *ds, const char *base, const char *filter,
		      const char *const *attrs, dirsearch_fn fn, void *ctx,
		      char *err, size_t errlen);
void    dirsearch_close(struct dirsearch *ds);

#endif
