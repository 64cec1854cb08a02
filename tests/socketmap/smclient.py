#!/usr/bin/env python3
# smclient.py SOCKET MODE [ARGS] -- socketmap clients for tests/socketmap-*.t
#   raw HEX            send bytes, print the replies (hex) until the
#                      server closes or 2 s of silence; "closed" if it did
#   ask NAME KEY...    one connection, one request per key, print replies
#   split NAME KEY     one request sent in pieces of 3 bytes, 20 ms apart
#   many N             open N connections at once, then drop them all
#   noread NAME KEY    send the request again and again, never read;
#                      print "closed by server" when the server closes
# SPDX-License-Identifier: BSD-2-Clause
import resource, socket, sys, time

def ns(b):
    return b"%d:%s," % (len(b), b)

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

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
    s = connect(path)
    s.sendall(bytes.fromhex(args[0]))
    s.settimeout(2)
    got = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                print("closed")
                break
            got += c
    except socket.timeout:
        pass
    print(got.decode("latin-1"))
elif mode == "ask":
    s = connect(path)
    for k in args[1:]:
        s.sendall(ns(args[0].encode() + b" " + k.encode()))
        r = read_ns(s)
        print(r.decode() if r is not None else "closed")
elif mode == "split":
    s = connect(path)
    req = ns(args[0].encode() + b" " + args[1].encode())
    for i in range(0, len(req), 3):
        s.sendall(req[i:i + 3])
        time.sleep(0.02)
    print(read_ns(s).decode())
elif mode == "many":
    n = int(args[0])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
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
