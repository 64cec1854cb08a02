/*
 * fuzz_map - libFuzzer target: map loading and decisions on any bytes
 *
 * A map file may be corrupt, truncated or hostile: opening it must fail
 * cleanly or give a map on which decisions and a walk of every record are
 * safe.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "rewrite/map.h"
#include "rewrite/decide.h"

static const char *probes[] = {
    "<alice@sales.example.com>", "<alice+x@sales.example.com>",
    "<john.doe@sales.example.com>", "<x@eng.example.com>", "<info@a>",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct map *map;
    struct decision d;
    char    err[256];
    struct map_record rec;
    unsigned pos;
    size_t  i;
    int     fd = memfd_create("fuzz", 0);

    if (fd < 0)
	return 0;
    if (write(fd, data, size) != (ssize_t) size) {
	close(fd);
	return 0;
    }
    if (map_open_fd(fd, &map, err, sizeof(err)) < 0)
	return 0;
    decision_init(&d);
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
	(void) decide(map, probes[i], &d, 0, 0);
    for (i = 0; i < map->ndepts; i++) {
	char    probe[600];

	snprintf(probe, sizeof(probe), "<someone+x@%s>", map->depts[i].domain);
	(void) decide(map, probe, &d, 0, 0);
    }
    decision_free(&d);
    pos = 0;
    while (map_record_next(map, &pos, &rec))
	/* walk only */ ;
    map_close(map);
    return 0;
}
