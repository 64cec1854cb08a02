#!/usr/bin/env python3
"""smtpload - send many messages over concurrent SMTP sessions, and say
what the server answered to each, for deptmilter's fault and load tests.

    smtpload.py HOST:PORT SESSIONS JOBS RESULTS [PER_SESSION]

JOBS is a file of lines "ID<TAB>RCPT[,RCPT...]".  SESSIONS threads take
jobs from the list in order; each opens an SMTP session, sends up to
PER_SESSION (default 10) messages on it (RSET between them), then QUIT.
Every message carries the header "X-Load-Id: ID", so that the copy that
reaches the sink can be told apart.

RESULTS gets one line per job, in ID order:

    ID<TAB>OUTCOME<TAB>RCPT=CODE[,RCPT=CODE...]<TAB>DATA-CODE

OUTCOME is "delivered" (the end of DATA got 2xx: queued), "rejected"
(no recipient accepted and every refusal was 5xx), "tempfailed" (some
4xx, nothing queued) or "error" (the session broke: connection refused,
closed, timeout; CODE is then 0).  A job whose session breaks is retried
on a new session up to 3 times only while nothing of it was queued, so
a message is never sent twice.  Exit status 0 when every job has a line.

With LOAD_HOOK_EVERY=K and LOAD_HOOK_CMD=CMD in the environment, a thread
runs the shell command CMD (with $LOAD_HOOK_N = 1, 2, ...) each time K
more jobs have finished, while the sessions go on: the fault tests use it
to replace the map or kill the milter at known points of the run.  The
sessions wait while the hook is more than one step behind, so that every
step happens during the run; a session about to wait ends first (QUIT),
so that no idle SMTP session is held open while the hook runs (a
restart of deptmilter lets the open sessions end before it stops).
"""
import os
import subprocess
import queue
import smtplib
import socket
import sys
import threading
import time


def send_one(s, mid, rcpts, stage):
    """One transaction on an open session: (outcome, codes, data code)."""
    codes = []
    stage[0] = "envelope"
    code, _ = s.mail("<load@example.net>")
    if code >= 400:
        return ("tempfailed" if code < 500 else "rejected",
                [(r, code) for r in rcpts], 0)
    accepted = 0
    for r in rcpts:
        code, _ = s.rcpt("<%s>" % r)
        codes.append((r, code))
        if code < 300:
            accepted += 1
    if accepted == 0:
        s.rset()
        if all(c >= 500 for _, c in codes):
            return ("rejected", codes, 0)
        return ("tempfailed", codes, 0)
    body = ("From: <load@example.net>\r\nTo: <%s>\r\nSubject: load %s\r\n"
            "X-Load-Id: %s\r\n\r\nmessage %s\r\n" % (rcpts[0], mid, mid, mid))
    stage[0] = "data"
    try:
        code, _ = s.data(body.encode())
    except smtplib.SMTPDataError as e:     # DATA itself refused, or the end
        code = e.smtp_code
        stage[0] = "refused"                # start afresh on a new session
        if code < 500:
            return ("tempfailed", codes, code)
        return ("rejected", codes, code)
    if 200 <= code < 300:
        return ("delivered", codes, code)
    return ("tempfailed" if code < 500 else "rejected", codes, code)


HOOK = {"every": 0, "n": 0}


def hook_behind(results, lock):
    """whether the hook is more than one step behind"""
    with lock:
        return HOOK["every"] and len(results) >= (HOOK["n"] + 2) * HOOK["every"]


def hook_wait(results, lock):
    """wait while the hook is more than one step behind"""
    while hook_behind(results, lock):
        time.sleep(0.005)


def worker(addr, jobs, results, per_session, lock):
    s = None
    used = 0
    while True:
        if s is not None and hook_behind(results, lock):
            try:                # no idle session held while the hook runs:
                s.quit()        # a restart lets open sessions end first
            except (smtplib.SMTPException, OSError):
                pass
            s = None
        hook_wait(results, lock)
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            break
        mid, rcpts, tries = job
        stage = ["connect"]
        try:
            if s is None:
                s = smtplib.SMTP(addr[0], addr[1], local_hostname="load.test",
                                 timeout=120)
                s.ehlo("load.test")
                used = 0
            res = send_one(s, mid, rcpts, stage)
            used += 1
            if used >= per_session or stage[0] == "refused":
                try:
                    s.quit()
                except (smtplib.SMTPException, OSError):
                    pass
                s = None
        except (smtplib.SMTPException, OSError, EOFError):
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass
            s = None
            # the message may have been queued when the reply to DATA was
            # lost: never send it again after a break inside DATA
            if tries < 3 and stage[0] != "data":
                jobs.put((mid, rcpts, tries + 1))
                time.sleep(0.2)
                continue
            res = ("error", [(r, 0) for r in rcpts], 0)
        with lock:
            results[mid] = res
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def hook_runner(results, lock, stop, every, cmd):
    """run cmd each time `every` more jobs are done"""
    n = 0
    while not stop.is_set():
        with lock:
            done = len(results)
        if done >= (n + 1) * every:
            env = dict(os.environ, LOAD_HOOK_N=str(n + 1))
            subprocess.run(cmd, shell=True, env=env)
            n += 1
            HOOK["n"] = n
        else:
            time.sleep(0.01)


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    sessions = int(sys.argv[2])
    per_session = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    jobs = queue.Queue()
    order = []
    with open(sys.argv[3]) as f:
        for line in f:
            mid, rcpts = line.rstrip("\n").split("\t")
            order.append(mid)
            jobs.put((mid, rcpts.split(","), 0))
    results = {}
    lock = threading.Lock()
    socket.setdefaulttimeout(120)
    threads = [threading.Thread(target=worker,
                                args=((host, int(port)), jobs, results,
                                      per_session, lock))
               for _ in range(sessions)]
    hook = None
    stop = threading.Event()
    if os.environ.get("LOAD_HOOK_CMD"):
        HOOK["every"] = int(os.environ.get("LOAD_HOOK_EVERY", "100"))
        hook = threading.Thread(target=hook_runner,
                                args=(results, lock, stop,
                                      int(os.environ.get("LOAD_HOOK_EVERY", "100")),
                                      os.environ["LOAD_HOOK_CMD"]))
        hook.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    if hook:
        hook.join()
    with open(sys.argv[4], "w") as out:
        for mid in order:
            outcome, codes, dcode = results.get(mid, ("error", [], 0))
            out.write("%s\t%s\t%s\t%d\n" % (
                mid, outcome, ",".join("%s=%d" % c for c in codes), dcode))
    return 0 if len(results) == len(order) else 1


if __name__ == "__main__":
    sys.exit(main())
