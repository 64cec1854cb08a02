/*
 * deptmap - compile, check, query and show department maps
 *
 *   deptmap compile [--force] [-o MAP.cdb] RULES
 *   deptmap check RULES
 *   deptmap query [-m MAP.cdb | -r RULES] [--explain] ADDRESS... | -
 *   deptmap dump MAP.cdb
 *   deptmap domains MAP.cdb
 *   deptmap test RULES [TESTS]
 *   deptmap diff OLD NEW
 *
 * Exit status: 0 fine, 1 rules or input error (test: a test failed), 2
 * usage, 3 system error; diff exits as diff(1): 0 same, 1 different, 2
 * trouble.
 * Errors a user must fix are printed as "FILE:LINE: text" on stderr.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cdb.h>
#include "maps/answer.h"
#include "maps/compile.h"
#include "maps/diff.h"
#include "maps/expect.h"
#include "rewrite/map.h"
#include "rewrite/buf.h"
#include "rewrite/decide.h"
#include "rewrite/domain.h"
#include "rewrite/sources.h"
#include "rewrite/text.h"

#define EXIT_RULES	1
#define EXIT_USAGE	2
#define EXIT_SYSTEM	3
#define EXIT_TROUBLE	2			/* diff, as diff(1) */
#define DEFAULT_MAP	"/etc/deptmilter/departments.cdb"

static const char usage_text[] =
    "usage: deptmap compile [--force] [-o MAP.cdb] RULES\n"
    "       deptmap check RULES\n"
    "       deptmap query [-m MAP.cdb | -r RULES] [--explain] ADDRESS... | -\n"
    "       deptmap dump MAP.cdb\n" "       deptmap domains MAP.cdb\n"
    "       deptmap test RULES [TESTS]\n" "       deptmap diff OLD NEW\n";

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
    case COMPILE_UNCHANGED:
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

/* tests_beside - the tests file beside the rules, NULL when there is none
 * (*nomem set when memory ran out) */
static char *tests_beside(const char *rules, int *nomem)
{
    struct stat st;
    char   *tests = expect_path(rules);

    *nomem = tests == 0;
    if (tests && stat(tests, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
	free(tests);
	tests = 0;
    }
    return tests;
}

/* open_old - the map in place at out into *old (NULL when there is
 * none); one that cannot be read is said on stderr and left unguarded;
 * -1 only when memory ran out */
static int open_old(const char *out, struct map **old)
{
    char    err[256];
    int     fd;

    *old = 0;
    if ((fd = open(out, O_RDONLY | O_CLOEXEC)) < 0) {
	if (errno == ENOENT || errno == ENOTDIR)
	    return 0;
	snprintf(err, sizeof(err), "%s", strerror(errno));
    } else if (map_open_fd(fd, old, err, sizeof(err)) == 0)
	return 0;
    else if (errno == ENOMEM)
	return -1;
    fprintf(stderr, "deptmap: %s: warning: the map in place cannot be read (%s):"
	    " no shrink guard\n", out, err);
    return 0;
}

/* compile_args - [--force] [-o MAP.cdb] RULES, in any order; 0 or -1 */
static int compile_args(int argc, char **argv, struct compile_opts *opts,
			const char **out, const char **rules)
{
    int     i;

    *out = *rules = 0;
    for (i = 1; i < argc; i++) {
	if (strcmp(argv[i], "--force") == 0)
	    opts->force = 1;
	else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && *out == 0)
	    *out = argv[++i];
	else if (argv[i][0] != '-' && *rules == 0)
	    *rules = argv[i];
	else
	    return -1;
    }
    return *rules ? 0 : -1;
}

/* cmd_compile - deptmap compile [--force] [-o MAP.cdb] RULES */
static int cmd_compile(int argc, char **argv)
{
    struct compile_opts opts;
    struct map *old = 0;
    struct errs e;
    const char *rules, *given;
    char   *out, *tests = 0;
    enum compile_result res;
    int     ret, nomem = 0;

    memset(&opts, 0, sizeof(opts));
    if (compile_args(argc, argv, &opts, &given, &rules) < 0)
	return usage();
    if ((out = given ? strdup(given) : default_output(rules)) == 0
	|| (tests = tests_beside(rules, &nomem), nomem)
	|| open_old(out, &old) < 0) {
	fputs("deptmap: out of memory\n", stderr);
	free(tests);
	free(out);
	return EXIT_SYSTEM;
    }
    opts.old = old;
    opts.tests = tests;
    errs_init(&e);
    res = compile_file(rules, out, &opts, &e);
    ret = report(&e, exit_status(res));
    if (res == COMPILE_UNCHANGED)
	printf("%s: unchanged (digest=%s), not replaced\n", out, old->digest);
    errs_free(&e);
    map_close(old);
    free(tests);
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
static int print_decision(const char *addr, const struct decision *d)
{
    struct buf b = { 0 };
    int     ret = -1;

    if (answer_add_escaped(&b, addr, strlen(addr)) == 0 && buf_adds(&b, "\t") == 0
	&& answer_add(&b, d) == 0) {
	printf("%s\trule=%s\n", b.s, d->rule);
	ret = 0;
    }
    buf_free(&b);
    return ret;
}

/* query_one - decide for one address and print it */
static int query_one(const struct map *map, const char *addr, int verbose)
{
    struct decision d;
    int     ret = 0;

    decision_init(&d);
    if (decide(map, addr, &d, verbose ? explain : 0, 0) < 0
	|| print_decision(addr, &d) < 0) {
	fprintf(stderr, "deptmap: out of memory\n");
	ret = EXIT_SYSTEM;
    }
    decision_free(&d);
    return ret;
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

/* warn_stale - a source changed since the map was made */
static void warn_stale(void *ctx, const char *source)
{
    char    esc[1024];

    (void) text_escape(source, esc, sizeof(esc));
    fprintf(stderr, "deptmap: warning: " SOURCES_STALE_FMT "\n", (const char *) ctx,
	    esc);
}

/* open_map - the map of deptmap query -m, with Postfix's warning when a
 * source is newer; 0, or an exit status */
static int open_map(const char *path, struct map **mapp)
{
    struct stat st;
    char    err[256];

    if (map_open(path, mapp, err, sizeof(err)) < 0) {
	fprintf(stderr, "deptmap: %s: %s\n", path, err);
	return EXIT_SYSTEM;
    }
    if (fstat((*mapp)->fd, &st) == 0)
	(void) sources_stale(*mapp, path, &st.st_mtim, warn_stale, (void *) path);
    return 0;
}

/* cmd_query - deptmap query [-m MAP | -r RULES] [--explain] ADDRESS... | - */
static int cmd_query(int argc, char **argv)
{
    const char *mapfile = DEFAULT_MAP, *rules = 0;
    struct map *map;
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
    } else if ((ret = open_map(mapfile, &map)) != 0)
	return ret;
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

/* cmd_test - deptmap test RULES [TESTS]: the rules against their tests */
static int cmd_test(int argc, char **argv)
{
    struct expect_count n = { 0, 0 };
    struct errs e;
    struct map *map;
    char   *tests;
    int     ret = EXIT_SYSTEM;

    if (argc < 2 || argc > 3)
	return usage();
    if ((tests = argc == 3 ? strdup(argv[2]) : expect_path(argv[1])) == 0) {
	fputs("deptmap: out of memory\n", stderr);
	return EXIT_SYSTEM;
    }
    if ((ret = compile_temp(argv[1], &map)) != 0) {
	free(tests);
	return ret;
    }
    errs_init(&e);
    switch (expect_run(tests, map, &e, &n)) {
    case EXPECT_PASS:
	printf("%s: %lu tests passed\n", tests, n.tests);
	ret = 0;
	break;
    case EXPECT_FAIL:
	ret = EXIT_RULES;
	break;
    case EXPECT_SYSTEM:
	ret = EXIT_SYSTEM;
	break;
    }
    ret = report(&e, ret);
    if (ret == EXIT_RULES && n.failed)
	fprintf(stderr, "%s: %lu of %lu tests failed\n", tests, n.failed, n.tests);
    errs_free(&e);
    map_close(map);
    free(tests);
    return ret;
}

/* diff_open - a compiled map, or rules compiled in memory: 0, or 2 (diff's
 * trouble) with what went wrong on stderr */
static int diff_open(const char *path, struct map **mapp)
{
    char    err[256];
    int     kind = diff_is_map(path);

    *mapp = 0;
    if (kind < 0) {
	fprintf(stderr, "deptmap: %s: %s\n", path, strerror(errno));
	return EXIT_TROUBLE;
    }
    if (kind == 0)
	return compile_temp(path, mapp) == 0 ? 0 : EXIT_TROUBLE;
    if (map_open(path, mapp, err, sizeof(err)) < 0) {
	fprintf(stderr, "deptmap: %s: %s\n", path, err);
	return EXIT_TROUBLE;
    }
    return 0;
}

/* diff_print - one line of the difference */
static void diff_print(void *ctx, const char *line)
{
    (void) ctx;
    puts(line);
}

/* cmd_diff - deptmap diff OLD NEW: exit 0 same, 1 different, 2 trouble */
static int cmd_diff(int argc, char **argv)
{
    struct map *old = 0, *new = 0;
    long    n = -1;
    int     ret;

    if (argc != 3)
	return usage();
    if ((ret = diff_open(argv[1], &old)) == 0 && (ret = diff_open(argv[2], &new)) == 0
	&& (n = diff_maps(old, new, diff_print, 0)) < 0) {
	fputs("deptmap: out of memory\n", stderr);
	ret = EXIT_TROUBLE;
    }
    map_close(old);
    map_close(new);
    return ret ? ret : n > 0;
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
	{"test", cmd_test},
	{"diff", cmd_diff},
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
