/*
 * generation.c - unit tests of the map generations of deptmilter
 * (milter/generation): references counted under one lock, a message
 * finishing on the map it started with, an old map closed by its last
 * user, a changed file reloaded once, a bad file leaving the map in
 * service, and readers on four threads while the map is replaced 30
 * times.  Run under valgrind (make valgrind) and ThreadSanitizer-free
 * code paths: a reference miscounted shows as a leak or a use after free.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "tests/unit/tap.h"
#include "maps/compile.h"
#include "rewrite/decide.h"
#include "milter/generation.h"

#define RELOADS	30				/* map replaced under the readers */

static char dir[] = "/tmp/generation-test-XXXXXX";
static char map_path[128];

/* make_map - compile rules naming alice's mailbox into PATH (atomically) */
static void make_map(const char *path, const char *mailbox)
{
    char    rules[128], text[256];
    struct errs e;
    FILE   *fp;

    snprintf(rules, sizeof(rules), "%s/x.rules", dir);
    snprintf(text, sizeof(text), "canonical example.com\n"
	     "department sales.example.com\n  alias alice -> %s\n", mailbox);
    errs_init(&e);
    if ((fp = fopen(rules, "w")) == 0 || fputs(text, fp) < 0 || fclose(fp) != 0
	|| compile_file(rules, path, 0, &e) != COMPILE_OK) {
	printf("Bail out! cannot compile %s: %s\n", rules, errs_text(&e));
	exit(1);
    }
    errs_free(&e);
}

/* answer - where alice@sales goes on a generation's map */
static const char *answer(const struct gen *gen, struct decision *d)
{
    if (decide(gen->map, "<alice@sales.example.com>", d, 0, 0) < 0
	|| d->action != DECIDE_REWRITE)
	return "(no rewrite)";
    return decision_target(d, 0);
}

/* replace - a new map renamed over the one in service */
static void replace(const char *mailbox)
{
    char    tmp[160];

    snprintf(tmp, sizeof(tmp), "%s/new.cdb", dir);
    make_map(tmp, mailbox);
    if (rename(tmp, map_path) != 0) {
	printf("Bail out! rename\n");
	exit(1);
    }
}

/* logged - whether the log (stderr, kept in a file) has a line with text */
static int logged(const char *text)
{
    char    line[1024];
    int     found = 0;
    FILE   *fp;

    fflush(stderr);
    snprintf(line, sizeof(line), "%s/log", dir);
    if ((fp = fopen(line, "r")) == 0)
	return 0;
    while (!found && fgets(line, sizeof(line), fp))
	found = strstr(line, text) != 0;
    fclose(fp);
    return found;
}

/* lifecycle - references, reload, a message on its old map */
static void lifecycle(void)
{
    struct decision d;
    struct gen *first, *second, *again;
    char    err[256];
    FILE   *fp;

    decision_init(&d);
    make_map(map_path, "alice@one.example");
    ok(gen_init(map_path, 0, err, sizeof(err)) == 0, "gen_init loads the map");
    first = gen_acquire();
    ok(first && first->generation == 1 && first->refs == 2,
       "acquire: generation 1, its own reference and the caller's");
    is_str(answer(first, &d), "alice@one.example", "generation 1 answers from map one");
    gen_check(0);
    again = gen_acquire();
    ok(again == first && first->refs == 3, "an unchanged file is not reloaded");
    gen_release(again);
    replace("alice@two.example");
    gen_check(0);
    second = gen_acquire();
    ok(second && second != first && second->generation == 2,
       "a replaced file is reloaded as generation 2");
    ok(first->refs == 1, "generation 1 keeps only the message's reference");
    is_str(answer(first, &d), "alice@one.example",
	   "a message started on generation 1 still gets map one's answer");
    is_str(answer(second, &d), "alice@two.example", "generation 2 answers from map two");
    gen_release(first);				/* closes map one */
    if ((fp = fopen(map_path, "w")) != 0) {
	fputs("not a map", fp);
	fclose(fp);
    }
    gen_check(0);
    again = gen_acquire();
    ok(again == second
       && second->refs == 3, "a bad file leaves generation 2 in service");
    ok(logged("not a CDB file: bad header or size; keeping generation=2"),
       "a bad file is logged with its reason and the generation kept");
    gen_release(again);
    gen_check(1);
    again = gen_acquire();
    ok(again == second, "a forced reload of a bad file changes nothing either");
    gen_release(again);
    replace("alice@three.example");
    gen_check(1);
    again = gen_acquire();
    ok(again && again->generation == 3 && second->refs == 1,
       "after it, a good file is generation 3");
    gen_release(again);
    gen_release(second);
    decision_free(&d);
}

static volatile int readers_stop;
static int reader_mixed;

/* reader - acquire, decide twice, release, until told to stop */
static void *reader(void *arg)
{
    struct decision d1, d2;
    struct gen *gen;
    char    first[64];

    (void) arg;
    decision_init(&d1);
    decision_init(&d2);
    while (!readers_stop) {
	if ((gen = gen_acquire()) == 0)
	    continue;
	snprintf(first, sizeof(first), "%s", answer(gen, &d1));
	if (strcmp(first, answer(gen, &d2)) != 0)
	    __atomic_store_n(&reader_mixed, 1, __ATOMIC_RELAXED);
	gen_release(gen);
    }
    decision_free(&d1);
    decision_free(&d2);
    return 0;
}

/* concurrency - four readers while the map is replaced RELOADS times */
static void concurrency(void)
{
    pthread_t t[4];
    struct gen *gen;
    char    mailbox[64];
    int     i, started = 0;

    for (i = 0; i < 4; i++)
	started += pthread_create(t + i, 0, reader, 0) == 0;
    for (i = 0; i < RELOADS; i++) {
	snprintf(mailbox, sizeof(mailbox), "alice@n%d.example", i);
	replace(mailbox);
	gen_check(1);
    }
    readers_stop = 1;
    for (i = 0; i < started; i++)
	pthread_join(t[i], 0);
    ok(started == 4, "four reader threads ran");
    ok(!reader_mixed, "no reader saw its generation change under it");
    gen = gen_acquire();
    ok(gen && gen->generation == 3 + RELOADS && gen->refs == 2,
       "after %d reloads: generation %d, held by itself and the caller only",
       RELOADS, 3 + RELOADS);
    gen_release(gen);
    gen_shutdown();
    ok(gen_acquire() == 0, "after shutdown no generation is in service");
}

/* main - in a directory of its own */
int main(void)
{
    char    cmd[64];

    tap_tmpdir(dir);
    snprintf(map_path, sizeof(map_path), "%s/departments.cdb", dir);
    snprintf(cmd, sizeof(cmd), "%s/log", dir);
    if (freopen(cmd, "w", stderr) == 0) {
	printf("Bail out! cannot log to %s\n", cmd);
	return 1;
    }
    lifecycle();
    concurrency();
    tap_rmdir(dir);
    return done();
}
