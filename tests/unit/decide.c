/*
 * decide.c - unit tests of the decision for one address (DESIGN.md's
 * semantics): lookup order, extensions, case, aliases and chains,
 * "members *", every unknown policy, match captures, IDN in both forms.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "tests/unit/tap.h"
#include "maps/compile.h"
#include "rewrite/map.h"
#include "rewrite/decide.h"

static const char rules_text[] = "canonical example.com\n" "delimiter +-\n" "department sales.example.com\n"	/* 3 */
    "  members alice bob Carol\n"		/* 4 */
    "  members alice+vip\n"			/* 5 */
    "  alias info -> alice, bob, alice\n"	/* 6 */
    "  alias team -> info@sales.example.com, dan@eng.example.com\n"	/* 7 */
    "  match /^([a-z]+)\\.([a-z]+)$/ -> $2.$1\n"	/* 8 */
    "  match /^x(.*)$/ -> $1@x.example.net, ops\n"	/* 9 */
    "  unknown reject 550 5.1.1 \"No such person in Sales\"\n"	/* 10 */
    "department eng.example.com\n"		/* 11 */
    "  canonical example.org\n" "  members *\n"	/* 13 */
    "department lab.example.com\n"		/* 14 */
    "  case-sensitive\n" "  members Alice\n"	/* 16 */
    "  unknown pass\n"				/* 17 */
    "department bücher.example\n"		/* 18 */
    "  members anna\n"				/* 19 */
    "  unknown redirect desk\n"			/* 20 */
    "department hr.example.com\n"		/* 21 */
    "  unknown tempfail\n"			/* 22 */
    "department void.example.com\n"		/* 23 */
    "  match /^q(.*)$/ -> $1\n"			/* 24 */
    "  unknown reject 550 5.1.1 \"Nobody\"\n"	/* 25 */
    "  match /^d-(.*)$/ -> x@$1.example.com\n"	/* 26 */
    "  match /^s-(.*)$/ -> \"$1\"@example.net, $1\n"	/* 27 */
    "  match /^p-(.*)$/ -> ok, x@$1\n";		/* 28 */

static struct map *map;

/* open_map - compile rules_text into an anonymous map */
static int open_map(void)
{
    char    dir[] = "/tmp/decide-test-XXXXXX", path[64];
    struct rules r;
    int     fd, ret = -1;
    char    err[512] = "";

    if (mkdtemp(dir) == 0)
	return -1;
    snprintf(path, sizeof(path), "%s/x", dir);
    if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) < 0
	|| write(fd, rules_text, sizeof(rules_text) - 1) < 0)
	return -1;
    close(fd);
    if (rules_load(path, &r) == 0)
	ret = compile_map(&r, &map, err, sizeof(err)) == COMPILE_OK ? 0 : -1;
    if (ret < 0)
	printf("# %s%s\n", errs_text(&r.errs), r.errs.count ? "" : err);
    rules_free(&r);
    unlink(path);
    rmdir(dir);
    return ret;
}

/* expect - decide for rcpt; compare "ACTION detail rule" as one string */
static void expect(const char *rcpt, const char *want, const char *name)
{
    struct decision d;
    char    got[2048];
    size_t  at;
    const char *t;

    decision_init(&d);
    decide(map, rcpt, &d, 0, 0);
    at = snprintf(got, sizeof(got), "%s ", decision_action_name(d.action));
    if (d.code)
	at += snprintf(got + at, sizeof(got) - at, "%s %s %s ", d.code, d.dsn, d.text);
    for (t = decision_target(&d, 0); t; t = decision_target(&d, t))
	at +=
	    snprintf(got + at, sizeof(got) - at, "%s%s", t,
		     decision_target(&d, t) ? "," : " ");
    snprintf(got + at, sizeof(got) - at, "%s", d.rule);
    is_str(got, want, name);
    decision_free(&d);
}

/* same - decision_same_answer() for the decisions of two addresses */
static void same(const char *a, const char *b, int want, const char *name)
{
    struct decision da, db;

    decision_init(&da);
    decision_init(&db);
    decide(map, a, &da, 0, 0);
    decide(map, b, &db, 0, 0);
    ok(decision_same_answer(&da, &db) == want && decision_same_answer(&db, &da) == want,
       "same answer? %s", name);
    decision_free(&da);
    decision_free(&db);
}

/* answers - which decisions are the same answer */
static void answers(void)
{
    same("<alice@sales.example.com>", "<ALICE@sales.example.com>", 1,
	 "the same rewrite: yes");
    same("<alice@sales.example.com>", "<bob@sales.example.com>", 0,
	 "another target: no");
    same("<info@sales.example.com>", "<alice@sales.example.com>", 0,
	 "one target of two: no");
    same("<bob@example.com>", "<alice@lab.example.com>", 1,
	 "pass outside and a department's pass (rule and department differ): yes");
    same("<nobody@sales.example.com>", "<alice.b+x@sales.example.com>", 1,
	 "the same reject: yes");
    same("<nobody@sales.example.com>", "<nobody@void.example.com>", 0,
	 "another reply text: no");
    same("<nobody@sales.example.com>", "<zoe@hr.example.com>", 0,
	 "reject and tempfail: no");
    same("<q@void.example.com>", "<zoe@hr.example.com>", 0,
	 "a map error and a tempfail policy: no");
    same("<nobody@sales.example.com>", "<bob@example.com>", 0, "reject and pass: no");
}

int main(void)
{
    if (!ok(open_map() == 0, "example rules compile and open"))
	return done();
    expect("<alice@sales.example.com>", "REWRITE alice@example.com x:4",
	   "member rewritten");
    expect("alice@sales.example.com", "REWRITE alice@example.com x:4",
	   "without brackets");
    expect("<ALICE@Sales.Example.Com>", "REWRITE alice@example.com x:4",
	   "local part and domain case folded");
    expect("<carol@sales.example.com>", "REWRITE Carol@example.com x:4",
	   "target keeps the case written");
    expect("<info@sales.example.com>", "REWRITE alice@example.com,bob@example.com x:6",
	   "alias to several, de-duplicated");
    expect("<team@sales.example.com>",
	   "REWRITE alice@example.com,bob@example.com,dan@example.org x:7",
	   "alias chain through two departments resolved");
    expect("<alice+news@sales.example.com>", "REWRITE alice+news@example.com x:4",
	   "extension carried over when only the bare name matched");
    expect("<Alice+News@sales.example.com>", "REWRITE alice+News@example.com x:4",
	   "carried-over extension keeps the client's case, as Postfix does");
    expect("<alice-news@sales.example.com>", "REWRITE alice-news@example.com x:4",
	   "any delimiter of the set splits");
    expect("<alice+vip@sales.example.com>", "REWRITE alice+vip@example.com x:5",
	   "exact entry with extension wins over the bare name");
    expect("<info+x@sales.example.com>",
	   "REWRITE alice+x@example.com,bob+x@example.com x:6",
	   "extension carried over to every alias target");
    expect("<john.doe@sales.example.com>", "REWRITE doe.john@example.com x:8",
	   "match rule with captures, bare result in the canonical domain");
    expect("<xray@sales.example.com>", "REWRITE ray@x.example.net,ops@example.com x:9",
	   "second match rule, several targets");
    expect("<alice.b+x@sales.example.com>",
	   "REJECT 550 5.1.1 No such person in Sales x:10",
	   "match sees the whole local part with its extension");
    expect("<nobody@sales.example.com>", "REJECT 550 5.1.1 No such person in Sales x:10",
	   "unknown reject with the department's reply");
    expect("<someone@eng.example.com>", "REWRITE someone@example.org x:13",
	   "members * reroutes to the department's canonical domain");
    expect("<Some.One+x@ENG.example.com>", "REWRITE Some.One+x@example.org x:13",
	   "members * keeps the local part as written");
    expect("<Alice@lab.example.com>", "REWRITE Alice@example.com x:16",
	   "case-sensitive hit");
    expect("<alice@lab.example.com>", "PASS x:17", "case-sensitive miss, unknown pass");
    expect("<anna@bücher.example>", "REWRITE anna@example.com x:19",
	   "IDN department, U-label");
    expect("<anna@xn--bcher-kva.example>", "REWRITE anna@example.com x:19",
	   "IDN department, A-label");
    expect("<zoe@XN--BCHER-KVA.example>", "REWRITE desk@example.com x:20",
	   "unknown redirect");
    expect("<zoe@hr.example.com>",
	   "TEMPFAIL 450 4.1.1 Recipient not yet known, try again later x:22",
	   "unknown tempfail");
    expect("<bob@example.com>", "PASS -", "address outside the departments passes");
    expect("<q@void.example.com>", "TEMPFAIL 451 4.3.0 Temporary lookup failure x:24",
	   "a match rule that gives no address is a tempfail with its rule");
    expect("<d-ok@void.example.com>", "REWRITE x@ok.example.com x:26",
	   "a capture in the domain of a match target");
    expect("<d-a_b@void.example.com>",
	   "TEMPFAIL 451 4.3.0 Temporary lookup failure x:26",
	   "a match target whose domain is not a mail domain is a tempfail");
    expect("<D-B\xc3\xbc" "CHER@void.example.com>",
	   "REWRITE x@xn--bcher-kva.example.com x:26",
	   "an IDN domain made by a match rule is normalised");
    expect("<\"s-john smith\"@void.example.com>",
	   "REWRITE \"john smith\"@example.net,\"john smith\"@example.com x:27",
	   "captures go into the local part literally, quoted again as needed");
    expect("<s-a.b@void.example.com>", "REWRITE a.b@example.net,a.b@example.com x:27",
	   "a quoted template with a dot-atom result is written unquoted");
    expect("<p-a..b@void.example.com>",
	   "TEMPFAIL 451 4.3.0 Temporary lookup failure x:28",
	   "one invalid match target makes the whole answer a tempfail");
    expect("<p-example.org@void.example.com>",
	   "REWRITE ok@example.com,x@example.org x:28",
	   "every match target valid: all of them");
    expect("<Postmaster@void.example.com>", "REWRITE postmaster@example.com x:23",
	   "postmaster reaches the canonical postmaster, at the department's line");
    expect("<POSTMASTER@lab.example.com>", "REWRITE postmaster@example.com x:14",
	   "postmaster is case-insensitive in a case-sensitive department too");
    expect("<postmaster@eng.example.com>", "REWRITE postmaster@example.org x:13",
	   "members * reaches the postmaster of its own canonical domain");
    expect("<>", "PASS -", "null address passes");
    expect("<postmaster>", "PASS -", "address without domain passes");
    expect("<\"a b\"@eng.example.com>", "REWRITE \"a b\"@example.org x:13",
	   "quoted local part requoted");
    expect("<@r1,@r2:bob@sales.example.com>", "REWRITE bob@example.com x:4",
	   "source route dropped");
    expect("<bob@sales.example.com.>", "REWRITE bob@example.com x:4",
	   "trailing dot in domain");
    expect("<\"\"@sales.example.com>", "REJECT 550 5.1.1 No such person in Sales x:10",
	   "empty quoted local part: the unknown policy");
    {
	char    big[1200];

	memset(big, 'x', sizeof(big));
	big[0] = '<';
	strcpy(big + 1100, "@sales.example.com>");
	expect(big, "REJECT 550 5.1.1 No such person in Sales x:10",
	       "local part too long for any member: the unknown policy");
    }
    answers();
    map_close(map);
    return done();
}
