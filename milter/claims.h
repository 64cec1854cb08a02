#ifndef DEPT_MILTER_CLAIMS_H
#define DEPT_MILTER_CLAIMS_H
/*
 * claims - recipients that a milter session leaves to cleanup's rewrite
 *
 * With deptmilter's socketmap as virtual_alias_maps, Postfix's cleanup
 * rewrites a department address as soon as smtpd hands it the recipient,
 * before the milter's end of message; the milter session would rewrite
 * it again, and both would log.  So a session that accepts a recipient
 * for rewriting while the socketmap is on posts a claim on its address
 * (claims_post).  The socketmap's virtual table, asked by cleanup about
 * that address, takes the claim (claims_take) and logs at debug only; at
 * end of message the session finds it taken (claims_taken), logs the
 * rewrite with its queue id and leaves the envelope as cleanup made it.
 * A claim not taken (cleanup did not ask the socketmap: virtual_alias_maps
 * without it, or receive_override_options = no_address_mappings) leaves
 * the rewrite to the milter, as without the socketmap.  Two sessions with
 * the same recipient at once may take each other's claim: each message is
 * still rewritten once, by cleanup, and logged once.
 *
 * Addresses compare as bare addresses (no <>), ASCII case ignored, as
 * Postfix folds its table keys.  claims_drop() ends a claim (NULL: none).
 * Safe for the milter's threads and the socketmap's at once.
 * SPDX-License-Identifier: BSD-2-Clause
 */

struct claim;

struct claim *claims_post(const char *addr);
int     claims_take(const char *addr);
int     claims_taken(struct claim *c);
void    claims_drop(struct claim *c);

#endif
