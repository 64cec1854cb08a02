#!/usr/bin/env python3
# smclient.py SOCKET MODE [ARGS] -- socketmap clients for tests/socketmap-*.t
# SOCKET: a unix socket's path, or inet:HOST:PORT
#   raw HEX [N]        send bytes, print the replies until the server
#                      closes, N replies came or 2 s of silence; "closed"
#                      first if the server closed (SMCLIENT_SILENCE: the
#                      seconds of silence, default 2)
#   rawfile FILE       the same with the bytes of FILE
#   ask NAME KEY...    one connection, one request per key, print replies
#   timed NAME KEY     one request; its reply and the ms from connect to
#                      reply (python's own start left out)
#   split NAME KEY     one request sent in pieces of 3 bytes, 20 ms apart
#   many N             open N connections at once, then drop them all
#   churn N            N connections one after another, each sending half
#                      a request and dropping it
#   idle N SECONDS     hold N idle connections open for SECONDS; print
#                      "opened N" once they are, then how many were closed
#                      by the server meanwhile
#   slow NAME KEY SECS one request sent one byte every SECS seconds, then
#                      its reply; or "closed after B bytes, T s" when the
#                      server closes first
#   noread NAME KEY    send the request again and again, never read;
#                      print "closed by server" when the server closes
#   noreads N NAME KEY N such clients at once: "closed N of M"
#   hold N NAME KEY C SECS  N connections each send C requests at once and
#                      read nothing for SECS: "closed N of M" by the server
# SPDX-License-Identifier: BSD-2-Clause
import os, resource, select, socket, sys, time

def ns(b):
    return b"%d:%s," % (len(b), b)

def connect(path):
    if path.startswith("inet:"):
        host, port = path[5:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))

def complete(got):
    """how many whole netstrings got holds"""
    n = 0
    while b":" in got:
        head, rest = got.split(b":", 1)
        if not head.isdigit() or len(rest) < int(head) + 1:
            break
        got, n = rest[int(head) + 1:], n + 1
    return n

def raw(path, data, want=None):
    s = connect(path)
    s.sendall(data)
    s.settimeout(float(os.environ.get("SMCLIENT_SILENCE", "2")))
    got = b""
    try:
        while want is None or complete(got) < want:
            c = s.recv(65536)
            if not c:
                print("closed")
                break
            got += c
    except socket.timeout:
        pass
    except ConnectionResetError:
        print("closed")
    print(got.decode("latin-1"))

def read_ns(s):
    buf = b""
    while b":" not in buf:
        c = s.recv(1)
        if not c:
            return None
        buf += c
    n = int(buf[:-1])
    data = b""
    while len(data) < n + 1:
        c = s.recv(n + 1 - len(data))
        if not c:
            return None
        data += c
    return data[:-1]

path, mode = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
if mode == "raw":
    raw(path, bytes.fromhex(args[0]), int(args[1]) if len(args) > 1 else None)
elif mode == "rawfile":
    raw(path, open(args[0], "rb").read())
elif mode == "ask":
    s = connect(path)
    for k in args[1:]:
        s.sendall(ns(args[0].encode() + b" " + k.encode()))
        r = read_ns(s)
        print(r.decode() if r is not None else "closed")
elif mode == "timed":
    start = time.monotonic()
    s = connect(path)
    s.sendall(ns(args[0].encode() + b" " + args[1].encode()))
    r = read_ns(s)
    print(r.decode() if r is not None else "closed", int((time.monotonic() - start) * 1000))
elif mode == "split":
    s = connect(path)
    req = ns(args[0].encode() + b" " + args[1].encode())
    for i in range(0, len(req), 3):
        s.sendall(req[i:i + 3])
        time.sleep(0.02)
    print(read_ns(s).decode())
elif mode == "many":
    n = int(args[0])
    fd_limit(n)
    socks = [connect(path) for _ in range(n)]
    print("opened", len(socks))
    for s in socks:
        s.close()
elif mode == "noread":
    s = connect(path)
    req = ns(args[0].encode() + b" " + args[1].encode()) * 1000
    s.settimeout(20)
    sent = 0
    try:
        while sent < 100 * 1024 * 1024:
            sent += s.send(req)
    except (BrokenPipeError, ConnectionResetError):
        print("closed by server after", sent // 1024, "KB")
    except socket.timeout:
        print("blocked after", sent // 1024, "KB")
elif mode == "churn":
    for i in range(int(args[0])):
        s = connect(path)
        s.sendall(b"29:virtual alice@sales")
        s.close()
    print("churned", args[0])
elif mode == "idle":
    n = int(args[0])
    fd_limit(n)
    socks = [connect(path) for _ in range(n)]
    print("opened", n, flush=True)
    time.sleep(float(args[1]))
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed += 1
    print("closed by server", closed)
elif mode == "slow":
    s = connect(path)
    req = ns(args[0].encode() + b" " + args[1].encode())
    start = time.monotonic()
    for i in range(len(req)):
        try:
            s.sendall(req[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            print("closed after %d bytes, %.1f s" % (i, time.monotonic() - start))
            sys.exit(0)
        if i + 1 < len(req):
            r, _, _ = select.select([s], [], [], float(args[2]))
            if r and s.recv(1) == b"":
                print("closed after %d bytes, %.1f s" % (i + 1, time.monotonic() - start))
                sys.exit(0)
    r = read_ns(s)
    print(r.decode() if r is not None else "closed after the request")
elif mode == "noreads":
    n = int(args[0])
    fd_limit(n)
    req = ns(args[1].encode() + b" " + args[2].encode()) * 1000
    socks = [connect(path) for _ in range(n)]
    for s in socks:
        s.setblocking(False)
    live, closed, end = set(socks), 0, time.monotonic() + 60
    while live and time.monotonic() < end:
        _, w, _ = select.select([], list(live), [], 1)
        for s in w:
            try:
                s.send(req)
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                live.discard(s)
                closed += 1
    print("closed %d of %d" % (closed, n))
elif mode == "hold":
    n, count, secs = int(args[0]), int(args[3]), float(args[4])
    fd_limit(n)
    req = ns(args[1].encode() + b" " + args[2].encode()) * count
    socks = [connect(path) for _ in range(n)]
    for s in socks:
        s.sendall(req)
    time.sleep(secs)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            while s.recv(1 << 20):
                pass
        except BlockingIOError:
            continue
        except ConnectionResetError:
            pass
        closed += 1
    print("closed %d of %d" % (closed, n))
