#ifndef DEPT_MAILBOXES_H
#define DEPT_MAILBOXES_H
/*
 * mailboxes - the list of canonical mailboxes that targets must be in
 *
 * "mailboxes SOURCE [warn]" in the rules says where the canonical
 * mailboxes are listed.  A SOURCE is a text file in the form of a
 * postmap(1) source (the first word of each line is an address; the rest,
 * lines that start with blank space and "#" comments are ignored) or
 * "cdb:PATH", a Postfix cdb table (the file PATH.cdb, as Postfix names
 * it), whose keys are the addresses, with or without the NUL that
 * "postmap -N" adds.  What a key means:
 *
 *   user@domain   a mailbox; the list covers domain
 *   @domain       everyone at domain exists (a Postfix catch-all): the
 *                 domain is not checked, whatever else the list says
 *   domain        the list covers domain, also with no mailbox listed in
 *                 it (Postfix's virtual_mailbox_domains reads such a key so)
 *
 * mailboxes_load() reads one source into the list; each source hands
 * every address to mailboxes_add(), so that another kind of source (a
 * directory search) is one more entry in sources[] in mailboxes.c.
 * mailboxes_seal() sorts the list once every source is read; then
 * mailboxes_covers() and mailboxes_has() answer, local parts compared
 * with the map's key fold (a mailbox is kept as its map key, spelled by
 * record_key_mailbox(), so that the compiler writes the keys as they are).
 *
 * mailboxes_check() checks the targets of one department: a member, alias
 * or unknown redirect target in a covered domain that is not a mailbox is
 * an error at its FILE:LINE naming the target and the list, or a warning
 * in "warn" mode.  Errors go to errs as "FILE:LINE: text"; memory that
 * ran out is noted there.  The struct owns what it points to;
 * mailboxes_free() releases it.  A zeroed struct is "no list".
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include "maps/errors.h"
#include "rewrite/buf.h"

struct mailboxes {
    int     declared;			/* a "mailboxes" line was read */
    int     warn;			/* unknown targets are warnings */
    char   *file;			/* the first line: rules file, recorded */
    long    line;
    char   *shown;			/* the sources as the rules name them */
    char  **keys;			/* "mailbox:DOMAIN:LOCAL", sorted */
    size_t  nkeys, keys_cap;
    char  **domains;			/* covered, sorted */
    size_t  ndomains, domains_cap;
    char  **everyone;			/* catch-all: not checked, sorted */
    size_t  neveryone, everyone_cap;
    struct arena mem;
};

struct rules;
struct rule_dept;

int     mailboxes_load(struct mailboxes *m, const char *dir, const char *spec,
		       struct errs *errs, const char *from, long from_line);
int     mailboxes_add(struct mailboxes *m, const char *local, const char *domain);
void    mailboxes_seal(struct mailboxes *m);
int     mailboxes_covers(const struct mailboxes *m, const char *domain);
int     mailboxes_has(const struct mailboxes *m, const char *local, const char *domain,
		      const char *delimiters);
void    mailboxes_check(struct rules *r, const struct rule_dept *d);
void    mailboxes_free(struct mailboxes *m);

#endif
