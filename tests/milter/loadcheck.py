#!/usr/bin/env python3
"""loadcheck - account for every message of a load run (tests/fault-*.t).

    loadcheck.py JOBS RESULTS SINKDIR QUERY_A [QUERY_B ...]

JOBS and RESULTS are smtpload.py's files; SINKDIR holds smtp-sink's
message files; each QUERY file is the output of "deptmap query" on every
address of the jobs with one rule set (address, action, detail, rule).

For each job, the rule sets that explain it are those under which every
RCPT got the answer the set gives (2xx for REWRITE and PASS, 5xx for
REJECT, 4xx for TEMPFAIL) and, when the message was queued, the sink
holds exactly the targets the set gives for the accepted recipients (a
PASS target is the address itself), each once, each with an ORCPT naming
one of the message's recipients.  A job no set explains is "wrong"; a
queued job missing from the sink is "lost"; a sink copy of a job that was
not queued, or a second copy, is "extra".  Tempfailed jobs are explained
by any set (the sender was told 4xx and will retry).

Prints "sent=N delivered=N rejected=N tempfailed=N error=N wrong=N
lost=N extra=N" and, per set, how many jobs only it explains ("only_A=N"),
then at most 20 problems, one a line, starting with "problem:".
"""
import os
import re
import sys


def load_query(path):
    """address -> (class, frozenset of targets)"""
    out = {}
    with open(path) as f:
        for line in f:
            addr, action, detail, _ = line.rstrip("\n").split("\t")
            if action == "REWRITE":
                out[addr] = ("2", frozenset(detail.split(",")))
            elif action == "PASS":
                out[addr] = ("2", frozenset([addr]))
            elif action == "REJECT":
                out[addr] = ("5", frozenset())
            else:
                out[addr] = ("4", frozenset())
    return out


def xtext_decode(s):
    return re.sub(r"\+([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def load_sink(d):
    """load id -> list of copies, each a list of (rcpt, orcpt)"""
    copies = {}
    for name in os.listdir(d):
        rcpts, mid = [], None
        with open(os.path.join(d, name), errors="replace") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if line.startswith("X-Rcpt-Args: "):
                    m = re.match(r"X-Rcpt-Args: <([^>]*)>(?: ORCPT=rfc822;(\S*))?", line)
                    rcpts.append((m.group(1), xtext_decode(m.group(2) or "")))
                elif line.startswith("X-Load-Id: "):
                    mid = line[11:].strip()
                elif line == "" and mid is not None:
                    break
        copies.setdefault(mid, []).append(rcpts)
    return copies


def explains(q, rcpts, codes, copies):
    """whether rule set q explains the answers and the delivery"""
    want = set()
    for r in rcpts:
        cls, targets = q[r]
        got = str(codes[r])[0]
        if got != cls:
            return False
        if cls == "2":
            want |= targets
    if not copies:
        return True
    got = [t for t, _ in copies[0]]
    return len(got) == len(set(got)) and set(got) == want


def main():
    jobs = {}
    with open(sys.argv[1]) as f:
        for line in f:
            mid, rcpts = line.rstrip("\n").split("\t")
            jobs[mid] = rcpts.split(",")
    sets = [load_query(p) for p in sys.argv[4:]]
    names = [chr(ord("A") + i) for i in range(len(sets))]
    sink = load_sink(sys.argv[3])
    count = dict(sent=0, delivered=0, rejected=0, tempfailed=0, error=0,
                 wrong=0, lost=0, extra=0)
    only = dict((n, 0) for n in names)
    problems = []
    with open(sys.argv[2]) as f:
        for line in f:
            mid, outcome, codes, _ = line.rstrip("\n").split("\t")
            codes = dict(c.rsplit("=", 1) for c in codes.split(",") if c)
            copies = sink.pop(mid, [])
            count["sent"] += 1
            count[outcome] += 1
            if outcome == "delivered" and not copies:
                count["lost"] += 1
                problems.append("lost %s %s %s" % (mid, jobs[mid], codes))
                continue
            if outcome != "delivered" and copies and outcome != "error":
                count["extra"] += 1
                problems.append("extra %s (%s) %s" % (mid, outcome, copies))
                continue
            if len(copies) > 1:
                count["extra"] += 1
                problems.append("twice %s %s" % (mid, copies))
            if outcome in ("tempfailed", "error"):
                continue
            for _, orcpt in (copies[0] if copies else []):
                if orcpt not in jobs[mid]:
                    count["wrong"] += 1
                    problems.append("orcpt %s %s %s" % (mid, orcpt, jobs[mid]))
            fits = [n for n, q in zip(names, sets)
                    if explains(q, jobs[mid], codes, copies)]
            if not fits:
                count["wrong"] += 1
                problems.append("wrong %s rcpts=%s codes=%s got=%s"
                                % (mid, jobs[mid], codes, copies))
            elif len(fits) == 1:
                only[fits[0]] += 1
    for mid, copies in sink.items():
        count["extra"] += len(copies)
        problems.append("unknown sink copy %s %s" % (mid, copies))
    print(" ".join("%s=%d" % (k, count[k]) for k in
                   ("sent", "delivered", "rejected", "tempfailed", "error",
                    "wrong", "lost", "extra")))
    print(" ".join("only_%s=%d" % (n, only[n]) for n in names))
    for p in problems[:20]:
        print("problem: " + p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
