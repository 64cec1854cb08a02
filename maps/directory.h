#ifndef DEPT_DIRECTORY_H
#define DEPT_DIRECTORY_H
/*
 * directory - rosters read from LDAP or Active Directory at compile time
 *
 * The rules keywords (departments.rules(5)):
 *
 *   ldap-server URI...            before the first department; URIs tried in turn
 *   ldap-starttls                 StartTLS on ldap://
 *   ldap-ca-file PATH             the CA certificates that sign the server's
 *   ldap-bind-file PATH           binddn = DN / password = PW, or sasl = EXTERNAL;
 *                                 no access for group or others
 *   ldap-timeout SECONDS          each network wait (default 30)
 *   members-ldap BASE FILTER [ATTR [NAME-ATTR]] [allow-empty]
 *   proxy-addresses BASE [FILTER] [allow-empty]
 *
 * directory_keyword() says whether a word is one of them (1: a setting,
 * 2: a department's search); directory_parse() takes one such line, dept
 * being the department's position in r->depts (-1 before any, -2 after a
 * department line in error).  PATHs are relative to the rules file.
 * directory_read() runs every search, after the whole rules file was read
 * without error and before rules_finish(): each entry becomes members of
 * its department (rule_entry.dn names it, the search line is its rule).
 * A directory that cannot be read is an error at the line concerned that
 * names the server and what failed, with r->errs.system set; no member of
 * a failed search is kept.  A search that finds no member is an error
 * unless its line says allow-empty.  directory_free() releases the state
 * (r->dir), wiping the password.  Errors go to r->errs as FILE:LINE: text.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "maps/rules.h"

#define DIRECTORY_TIMEOUT	30		/* seconds, the default */
#define DIRECTORY_TIMEOUT_MAX	3600

int     directory_keyword(const char *kw);
void    directory_parse(struct rules *r, const struct rule_src *src, long line,
			long dept, const char *kw, char *rest);
void    directory_read(struct rules *r);
void    directory_free(struct directory *dir);

/* What a proxyAddresses value is, by its prefix (Active Directory: the
 * type before ":", SMTP in capitals for the primary address). */
enum directory_proxy {
    PROXY_OTHER,			/* x500:, X400:, sip:, no prefix ... */
    PROXY_PRIMARY,			/* SMTP: */
    PROXY_SECONDARY,			/* smtp: (any other case but SMTP) */
};

enum directory_proxy directory_proxy_kind(const char *value);

#endif
