/*
 * decide_bench - the cost of one decision against a bare CDB lookup
 *
 *   decide_bench rate MAP.cdb ADDRESSES SECONDS      decisions and bare lookups per second
 *   decide_bench decide MAP.cdb ADDRESSES            one pass of decide(), for callgrind
 *   decide_bench bare MAP.cdb ADDRESSES              one pass of cdb_find(), for callgrind
 *
 * ADDRESSES holds one address per line, in lower case, "+" the only
 * delimiter.  The bare run looks up, with tinycdb's cdb_find, the keys
 * decide() looks up for them (addr:DOMAIN:LOCAL, then without the
 * extension where there is one), so the ratio is the price of everything
 * decide() does beyond the lookups themselves.  Rates are per address.
 * Under callgrind, collect only run_decide or run_bare with
 * --toggle-collect.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cdb.h>
#include "rewrite/map.h"
#include "rewrite/decide.h"

struct input {
    char  **addrs;			/* as the milter gets them */
    size_t  n;
    char  **keys;			/* what decide() looks up for them */
    size_t  nkeys;
};

/* add_key - one more key for the bare lookups */
static int add_key(struct input *in, size_t *cap, const char *dom, size_t dl,
		   const char *local, size_t ln)
{
    char   *k;

    if (in->nkeys == *cap) {
	*cap = *cap ? *cap * 2 : 1024;
	if ((in->keys = realloc(in->keys, *cap * sizeof(char *))) == 0)
	    return -1;
    }
    if ((k = malloc(ln + dl + 8)) == 0)
	return -1;
    sprintf(k, "addr:%.*s:%.*s", (int) dl, dom, (int) ln, local);
    in->keys[in->nkeys++] = k;
    return 0;
}

/* bare_keys - the keys decide() looks up for "<local@domain>": the whole
 * local part, then without its "+" extension if it has one */
static int bare_keys(struct input *in, size_t *cap, const char *addr)
{
    const char *s = addr + (*addr == '<'), *at = strrchr(s, '@');
    size_t  ln = at - s, dl = strlen(at + 1) - (addr[0] == '<');
    const char *plus = memchr(s, '+', ln);

    if (add_key(in, cap, at + 1, dl, s, ln) < 0)
	return -1;
    return plus ? add_key(in, cap, at + 1, dl, s, plus - s) : 0;
}

/* read_input - addresses, and the keys a bare lookup asks */
static int read_input(const char *path, struct input *in)
{
    FILE   *fp = fopen(path, "r");
    char    line[1024];
    size_t  cap = 0, kcap = 0;

    memset(in, 0, sizeof(*in));
    if (fp == 0)
	return -1;
    while (fgets(line, sizeof(line), fp)) {
	line[strcspn(line, "\n")] = 0;
	if (strchr(line, '@') == 0)
	    continue;
	if (in->n == cap) {
	    cap = cap ? cap * 2 : 1024;
	    if ((in->addrs = realloc(in->addrs, cap * sizeof(char *))) == 0)
		return -1;
	}
	in->addrs[in->n++] = strdup(line);
	if (bare_keys(in, &kcap, line) < 0)
	    return -1;
    }
    fclose(fp);
    return 0;
}

static volatile unsigned long sink;

void    run_decide(const struct map *map, const struct input *in, struct decision *d)
    __attribute__((noinline));
void    run_bare(const struct map *map, const struct input *in)
    __attribute__((noinline));

/* run_decide - one decide() per address */
void run_decide(const struct map *map, const struct input *in, struct decision *d)
{
    size_t  i;

    for (i = 0; i < in->n; i++) {
	decide(map, in->addrs[i], d, 0, 0);
	sink += d->ntargets;
    }
}

/* run_bare - one cdb_find() per key, on a private copy of struct cdb */
void run_bare(const struct map *map, const struct input *in)
{
    struct cdb c = map->cdb;
    size_t  i;

    for (i = 0; i < in->nkeys; i++)
	sink += cdb_find(&c, in->keys[i], strlen(in->keys[i]));
}

/* now - monotonic seconds */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* rate - passes per second of one kind for about secs seconds */
static double rate(const struct map *map, const struct input *in, struct decision *d,
		   int bare, double secs)
{
    double  t0 = now(), t;
    unsigned long passes = 0;

    do {
	if (bare)
	    run_bare(map, in);
	else
	    run_decide(map, in, d);
	passes++;
    } while ((t = now()) - t0 < secs);
    return passes * in->n / (t - t0);
}

int main(int argc, char **argv)
{
    struct map *map;
    struct input in;
    struct decision d;
    char    err[256];

    if (argc < 4 || map_open(argv[2], &map, err, sizeof(err)) < 0
	|| read_input(argv[3], &in) < 0 || in.n == 0) {
	fprintf(stderr,
		"usage: decide_bench rate|decide|bare MAP ADDRESSES [SECONDS]\n");
	return 2;
    }
    decision_init(&d);
    if (strcmp(argv[1], "rate") == 0) {
	double  secs = argc > 4 ? atof(argv[4]) : 1.0;

	printf("decide %.0f\n", rate(map, &in, &d, 0, secs));
	printf("bare %.0f\n", rate(map, &in, &d, 1, secs));
    } else if (strcmp(argv[1], "decide") == 0)
	run_decide(map, &in, &d);
    else
	run_bare(map, &in);
    decision_free(&d);
    map_close(map);
    return 0;
}
