/*
 * deptmap - compile, check, query and show department maps
 *
 *   deptmap compile [-o MAP.cdb] RULES
 *   deptmap check RULES
 *   deptmap query [-m MAP.cdb | -r RULES] [--explain] ADDRESS... | -
 *   deptmap dump MAP.cdb
 *   deptmap domains MAP.cdb
 *
 * Exit status: 0 fine, 1 rules or input error, 2 usage, 3 system error.
 * Errors a user must fix are printed as "FILE:LINE: text" on stderr.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>
#include <cdb.h>
#include "maps/compile.h"
#include "rewrite/map.h"
#include "rewrite/buf.h"
#include "rewrite/decide.h"
#include "rewrite/domain.h"
#include "rewrite/text.h"

#define EXIT_RULES	1
#define EXIT_USAGE	2
#define EXIT_SYSTEM	3
#define DEFAULT_MAP	"/etc/deptmilter/departments.cdb"

static const char usage_text[] =
    "usage: deptmap compile [-o MAP.cdb] RULES\n"
    "       deptmap check RULES\n"
    "       deptmap query [-m MAP.cdb | -r RULES] [--explain] ADDRESS... | -\n"
    "       deptmap dump MAP.cdb\n" "       deptmap domains MAP.cdb\n";

/* usage - the synopsis, exit 2 */
static int usage(void)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* exit_status - the exit status for a compiler's result */
static int exit_status(enum compile_result res)
{
    switch (res) {
    case COMPILE_OK:
	return 0;
    case COMPILE_RULES:
	return EXIT_RULES;
    case COMPILE_SYSTEM:
	break;
    }
    return EXIT_SYSTEM;
}

/* default_output - RULES with .rules replaced by .cdb */
static char *default_output(const char *rules)
{
    size_t  n = strlen(rules);
    char   *out = malloc(n + 5);

    if (out == 0)
	return 0;
    if (n > 6 && strcmp(rules + n - 6, ".rules") == 0)
	n -= 6;
    sprintf(out, "%.*s.cdb", (int) n, rules);
    return out;
}

/* report - the errors a user must fix, or the one line for memory that
 * ran out (then exit 3, whatever else was found) */
static int report(const struct errs *e, int ret)
{
    if (e->nomem) {
	fputs("deptmap: out of memory\n", stderr);
	return EXIT_SYSTEM;
    }
    fputs(errs_text(e), stderr);
    return ret;
}

/* cmd_compile - deptmap compile [-o MAP.cdb] RULES */
static int cmd_compile(int argc, char **argv)
{
    struct errs e;
    char   *out = 0;
    const char *rules;
    enum compile_result res;
    int     ret;

    if (argc == 4 && strcmp(argv[1], "-o") == 0)
	out = strdup(argv[2]), rules = argv[3];
    else if (argc == 2 && argv[1][0] != '-')
	out = default_output(rules = argv[1]);
    else
	return usage();
    if (out == 0)
	return EXIT_SYSTEM;
    errs_init(&e);
    res = compile_file(rules, out, &e);
    ret = report(&e, exit_status(res));
    errs_free(&e);
    free(out);
    return ret;
}

/* compile_temp - rules compiled into an anonymous file, opened as a map */
static int compile_temp(const char *rules, struct map **mapp)
{
    struct rules r;
    char    err[512];
    enum compile_result res = COMPILE_RULES;
    int     ret;

    *mapp = 0;
    if (rules_load(rules, &r) == 0)
	res = compile_map(&r, mapp, err, sizeof(err));
    else if (r.errs.system)			/* a directory that cannot be read */
	res = COMPILE_SYSTEM;
    ret = report(&r.errs, exit_status(res));
    if (res == COMPILE_SYSTEM && !r.errs.nomem && !r.errs.system)
	fprintf(stderr, "deptmap: %s: %s\n", rules, err);
    rules_free(&r);
    return ret;
}

/* cmd_check - deptmap check RULES: silent on success */
static int cmd_check(int argc, char **argv)
{
    struct map *map;
    int     ret;

    if (argc != 2)
	return usage();
    ret = compile_temp(argv[1], &map);
    map_close(map);
    return ret;
}

/* explain - print one step of a decision */
static void explain(void *ctx, const char *fmt, ...)
{
    char    line[4096], safe[4 * sizeof(line)];
    va_list ap;

    (void) ctx;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    text_escape_controls(line, strlen(line), safe, sizeof(safe));
    printf("# %s\n", safe);
}

/* print_decision - address, action, detail, rule: one tab between */
static void print_decision(const char *addr, const struct decision *d)
{
    char    safe[8192];
    const char *t;

    text_escape_controls(addr, strlen(addr), safe, sizeof(safe));
    printf("%s\t%s\t", safe, decision_action_name(d->action));
    if (d->action == DECIDE_REJECT || d->action == DECIDE_TEMPFAIL)
	printf("%s %s %s", d->code, d->dsn, d->text);
    for (t = decision_target(d, 0); t; t = decision_target(d, t)) {
	text_escape_controls(t, strlen(t), safe, sizeof(safe));
	printf("%s%s", t == d->targets ? "" : ",", safe);
    }
    printf("\trule=%s\n", d->rule);
}

/* query_one - decide for one address and print it */
static int query_one(const struct map *map, const char *addr, int verbose)
{
    struct decision d;

    decision_init(&d);
    if (decide(map, addr, &d, verbose ? explain : 0, 0) < 0) {
	fprintf(stderr, "deptmap: out of memory\n");
	decision_free(&d);
	return EXIT_SYSTEM;
    }
    print_decision(addr, &d);
    decision_free(&d);
    return 0;
}

/* query_stdin - one address per line from standard input */
static int query_stdin(const struct map *map, int verbose)
{
    char   *line = 0;
    size_t  cap = 0;
    ssize_t n;
    int     ret = 0;

    while (ret == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
	    line[--n] = 0;
	if (n > 0)
	    ret = query_one(map, line, verbose);
    }
    free(line);
    return ret;
}

/* cmd_query - deptmap query [-m MAP | -r RULES] [--explain] ADDRESS... | - */
static int cmd_query(int argc, char **argv)
{
    const char *mapfile = DEFAULT_MAP, *rules = 0;
    struct map *map;
    char    err[256];
    int     i, verbose = 0, ret = 0;

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
	if (strcmp(argv[i], "--explain") == 0)
	    verbose = 1;
	else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
	    mapfile = argv[++i];
	else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
	    rules = argv[++i];
	else
	    return usage();
    }
    if (i == argc)
	return usage();
    if (rules) {
	if ((ret = compile_temp(rules, &map)) != 0)
	    return ret;
    } else if (map_open(mapfile, &map, err, sizeof(err)) < 0) {
	fprintf(stderr, "deptmap: %s: %s\n", mapfile, err);
	return EXIT_SYSTEM;
    }
    if (argc - i == 1 && strcmp(argv[i], "-") == 0)
	ret = query_stdin(map, verbose);
    for (; ret == 0 && i < argc && strcmp(argv[i], "-") != 0; i++)
	ret = query_one(map, argv[i], verbose);
    map_close(map);
    return ret;
}

/* dumped_cmp - by key bytes */
static int dumped_cmp(const void *a, const void *b)
{
    const struct map_record *x = a, *y = b;
    int     c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* print_escaped - bytes made safe, tabs kept as field separators */
static void print_escaped(const char *s, size_t n)
{
    char    buf[8192];
    size_t  i, start = 0;

    for (i = 0; i <= n; i++) {
	if (i < n && s[i] != '\t')
	    continue;
	text_escape_controls(s + start, i - start, buf, sizeof(buf));
	fputs(buf, stdout);
	if (i < n)
	    putchar('\t');
	start = i + 1;
    }
}

/* cmd_dump - every record, sorted by key, "KEY<TAB>VALUE" */
static int cmd_dump(int argc, char **argv)
{
    struct map *map;
    struct map_record *v = 0;
    size_t  n = 0, cap = 0, i;
    unsigned pos = 0;
    char    err[256];

    if (argc != 2)
	return usage();
    if (map_open(argv[1], &map, err, sizeof(err)) < 0) {
	fprintf(stderr, "deptmap: %s: %s\n", argv[1], err);
	return EXIT_SYSTEM;
    }
    for (;;) {
	if (grow((void **) &v, &cap, n + 1, sizeof(*v)) < 0) {
	    fprintf(stderr, "deptmap: out of memory\n");
	    free(v);
	    map_close(map);
	    return EXIT_SYSTEM;
	}
	if (!map_record_next(map, &pos, v + n))
	    break;
	n++;
    }
    if (n > 1)
	qsort(v, n, sizeof(*v), dumped_cmp);
    for (i = 0; i < n; i++) {
	print_escaped(v[i].key, v[i].klen);
	putchar('\t');
	print_escaped(v[i].val, v[i].vlen);
	putchar('\n');
    }
    free(v);
    map_close(map);
    return 0;
}

/* cmd_domains - the department domains, A-label and U-label forms */
static int cmd_domains(int argc, char **argv)
{
    struct map *map;
    char    err[256], u[1024];
    size_t  i;

    if (argc != 2)
	return usage();
    if (map_open(argv[1], &map, err, sizeof(err)) < 0) {
	fprintf(stderr, "deptmap: %s: %s\n", argv[1], err);
	return EXIT_SYSTEM;
    }
    for (i = 0; i < map->ndepts; i++) {
	printf("%s\n", map->depts[i].domain);
	if (domain_to_unicode(map->depts[i].domain, u, sizeof(u)) == 0
	    && strcmp(u, map->depts[i].domain) != 0)
	    printf("%s\n", u);
    }
    map_close(map);
    return 0;
}

/* main - run one deptmap command */
int main(int argc, char **argv)
{
    static const struct {
	const char *name;
	int     (*fn)(int, char **);
    } cmds[] = {
	{"compile", cmd_compile},
	{"check", cmd_check},
	{"query", cmd_query},
	{"dump", cmd_dump},
	{"domains", cmd_domains},
    };
    size_t  i;
    int     ret;

    if (argc < 2)
	return usage();
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
	if (strcmp(argv[1], cmds[i].name) == 0) {
	    ret = cmds[i].fn(argc - 1, argv + 1);
	    if (fflush(stdout) != 0 || ferror(stdout))
		return EXIT_SYSTEM;
	    return ret;
	}
    }
    return usage();
}
