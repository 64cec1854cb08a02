#!/usr/bin/env python3
"""manyconns - more milter connections than deptmilter has descriptors
for (tests/milter-descriptor-limit.t).

    manyconns.py SOCKET PID COUNT WAIT CLOSE

Opens COUNT connections to the milter's unix SOCKET at once and sends
the option negotiation on each.  For WAIT seconds it collects the
answers, then prints

    answered A cpu T

(A: connections answered; T: the CPU time, in clock ticks, that process
PID used meanwhile).  Then it closes CLOSE of the answered ones and
waits (at most 30 s) until every other connection is answered, and
prints

    then B

(B: the connections answered in all, of those not closed).
SPDX-License-Identifier: BSD-2-Clause
"""
import select
import socket
import struct
import sys
import time

OPTNEG = struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF)


def cpu(pid):
    """utime + stime of a process, in clock ticks"""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def collect(conns, answered, until):
    """wait for answers until every connection has one (or was closed by
    the milter: never counted) or time is up"""
    closed = set()
    while len(answered) + len(closed) < len(conns) and time.monotonic() < until:
        waiting = [s for s in conns if s not in answered and s not in closed]
        ready, _, _ = select.select(waiting, [], [], max(0, until - time.monotonic()))
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            (answered if data else closed).add(s)


def main():
    path, pid, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    wait, close = float(sys.argv[4]), int(sys.argv[5])
    conns, answered = [], set()
    start = cpu(pid)
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)                 # queued while no descriptor is free
        s.sendall(OPTNEG)
        conns.append(s)
    collect(conns, answered, time.monotonic() + wait)
    print("answered %d cpu %d" % (len(answered), cpu(pid) - start), flush=True)
    for s in list(answered)[:close]:
        conns.remove(s)
        answered.discard(s)
        s.close()
    collect(conns, answered, time.monotonic() + 30)
    print("then %d" % len(answered), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
