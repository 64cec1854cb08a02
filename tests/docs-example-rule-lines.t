#!/usr/bin/env bash
# docs-example-rule-lines.t -- the example log lines and query outputs in
# README, INSTALL and the man pages cite the rule lines that the shipped
# examples/departments.rules really gives: every "rule=departments.rules:N"
# in them is checked against `deptmap query -r examples/departments.rules`
# for the address the example line names (the to=<...> before it, or the
# address that starts a query output line).  Examples from other rules
# files (rule=lab.rules:4), and a citation in prose that names no
# address, are not checked.
# SPDX-License-Identifier: BSD-2-Clause

cd "$(dirname "$0")/.." || exit 1

. tests/lib/tap.sh

if [ ! -x ./deptmap ]; then
    skip_all "./deptmap not built (make deptmap)"
fi

# cite FILE...: "FILE ADDRESS N" for every rule=departments.rules:N in the
# files, man page markup and line breaks of literal blocks taken away
cites() {
    python3 - "$@" <<'PY'
import re, sys
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"\\&", "", text)
    for m in re.finditer(r"rule=departments\.rules:(\d+)", text):
        before = text[max(0, m.start() - 400):m.start()]
        to = re.findall(r"to=<([^<>\s]+)>", before)
        line = re.findall(r"(?m)^\s*([^\s<>=]+@[^\s<>]+)\s+(?:REWRITE|REJECT|TEMPFAIL|PASS)\b", before)
        cands = [(before.rfind("to=<" + a + ">"), a) for a in to]
        cands += [(before.rfind(a), a) for a in line]
        if not cands:
            print(path, "-", m.group(1))
            continue
        print(path, max(cands)[1], m.group(1))
PY
}

n=0
while read -r file addr line; do
    n=$((n + 1))
    if [ "$addr" = - ]; then                # prose, not an example line
        note "$file: rule=departments.rules:$line names no address: not checked"
        continue
    fi
    got=$(./deptmap query -r examples/departments.rules "$addr" | awk -F '\t' '{print $4}')
    is "$got" "rule=departments.rules:$line" "$file: the example for $addr cites the rule line the shipped example gives"
done < <(cites README INSTALL man/*.[58])
ok $((n < 6)) "the documents hold examples to check ($n found)"

done_testing
