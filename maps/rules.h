#ifndef DEPT_RULES_H
#define DEPT_RULES_H
/*
 * rules - the administrator's departments.rules, parsed
 *
 * rules_load() reads a rules file and the members-files it names into a
 * struct rules, then checks it as a whole (canonical domains, case folding,
 * duplicate keys, regular expressions, replies).  Every problem found is
 * added to rules->errs as "FILE:LINE: text"; the result is 0 when there are
 * none (-1 also when memory ran out: errs.nomem).  rules_read() does the
 * same for a file already open (path names it in errors and locates its
 * members-files).  The struct owns everything it points to; rules_free()
 * releases it; its strings live in one arena (rules_keep() adds one),
 * freed at once.  Targets are kept without their syntax (struct
 * rule_target), so that a name read from a roster needs no quoting.
 * Members may come from a directory (maps/directory.h): it is read once
 * the whole file has been, and its errors are r->errs.system.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>
#include <stdio.h>
#include "maps/errors.h"
#include "maps/mailboxes.h"
#include "rewrite/buf.h"
#include "rewrite/record.h"

/* shrink-limit: the share of its names a department may lose against
 * the map in place (maps/guard) */
#define SHRINK_DEFAULT	10			/* percent */
#define SHRINK_NONE	(-1)			/* "shrink-limit none" */

/* Where a rule came from: shown in errors, recorded in the map. */
struct rule_src {
    char   *shown;			/* path as the user gave it */
    char   *recorded;			/* basename, or members-file as written */
};

/* A target of a member, alias or unknown redirect, its syntax gone. */
struct rule_target {
    char   *local;			/* unquoted, as written */
    char   *domain;			/* normalised; NULL: the canonical domain */
};

struct rule_entry {
    char   *key;			/* local part: unquoted, then as the map keys it */
    struct rule_target *targets;
    size_t  ntargets;
    const struct rule_src *src;
    long    line;
    int     alias;
    size_t  seq;			/* order of appearance */
    const char *dn;			/* the directory entry behind it, or NULL */
};

struct rule_match {
    char   *pattern;			/* between the slashes */
    int     caseless;
    char  **targets;
    size_t  ntargets;
    const struct rule_src *src;
    long    line;
};

struct rule_dept {
    char   *domain;			/* normalised */
    char   *canonical;			/* NULL: the global one */
    char   *delimiters;			/* NULL: the global one */
    int     case_exact;			/* -1: the global setting */
    const struct rule_src *src;
    long    line;
    long    all_line;			/* "members *", 0 if absent */
    long    postmaster_off;		/* "postmaster off", 0 if absent */
    const struct rule_src *all_src;
    enum unknown_policy unknown;
    long    unknown_line;		/* 0: default policy */
    char    code[4];
    char    dsn[16];
    char   *text;
    struct rule_target redirect;	/* local NULL: none */
    struct rule_entry *entries;
    size_t  nentries, entries_cap;
    struct rule_match *matches;
    size_t  nmatches, matches_cap;
    int     shrink_limit;		/* percent, or SHRINK_NONE */
    long    shrink_line;		/* 0: the global setting */
};

struct directory;			/* maps/directory.h */

struct rules {
    char   *canonical;
    char   *delimiters;
    int     case_exact;
    int     shrink_limit;		/* percent, or SHRINK_NONE */
    long    shrink_line;		/* 0: SHRINK_DEFAULT */
    struct rule_dept *depts;
    size_t  ndepts, depts_cap;
    struct rule_src **srcs;
    size_t  nsrcs, srcs_cap;
    struct errs errs;
    struct mailboxes mbox;		/* "mailboxes": the canonical mailboxes */
    struct arena mem;			/* every string and target of the rules */
    struct directory *dir;		/* LDAP settings and searches, or NULL */
};

int     rules_load(const char *path, struct rules *r);
int     rules_read(FILE *fp, const char *path, struct rules *r);
void    rules_finish(struct rules *r);
void    rules_free(struct rules *r);
char   *rules_dir_of(const char *path);
char   *rules_keep(struct rules *r, const char *s);
struct rule_entry *rules_add_entry(struct rules *r, struct rule_dept *d);

#endif
