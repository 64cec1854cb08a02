/*
 * fuzz_rules - libFuzzer target: rules parser and compiler
 *
 * Any bytes as a rules file: parse; when they are accepted, compile them,
 * open the result as a map and decide for a few addresses.  Errors are
 * fine; faults, leaks and undefined behaviour are not.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "maps/compile.h"
#include "rewrite/map.h"
#include "rewrite/decide.h"

static const char *probes[] = {
    "<alice@sales.example.com>", "<a+b@eng.example.com>", "<x.y@sales.example.com>",
    "<info@hr.example.com>", "<>", "<Z@B\xc3\xbc" "cher.example>",
};

/* decide_probes - a few decisions on the compiled map */
static void decide_probes(int fd)
{
    struct map *map;
    struct decision d;
    char    err[256];
    size_t  i;

    if (map_open_fd(dup(fd), &map, err, sizeof(err)) < 0)
	abort();				/* the compiler wrote what we cannot read */
    decision_init(&d);
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
	(void) decide(map, probes[i], &d, 0, 0);
    decision_free(&d);
    map_close(map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE   *fp = fmemopen((void *) data, size, "r");
    struct rules r;
    char    err[512];
    int     fd;

    if (size == 0 || fp == 0) {
	if (fp)
	    fclose(fp);
	return 0;
    }
    if (rules_read(fp, "/nonexistent/fuzz.rules", &r) == 0
	&& (fd = memfd_create("fuzz", 0)) >= 0) {
	if (compile_fd(&r, fd, err, sizeof(err)) == COMPILE_OK)
	    decide_probes(fd);
	close(fd);
    }
    rules_free(&r);
    fclose(fp);
    return 0;
}
