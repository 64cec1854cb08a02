#!/usr/bin/env python3
"""smcount - a socketmap proxy that writes down every question, for make bench

    python3 tests/bench/smcount.py LISTEN UPSTREAM LOG

Listens on the unix socket LISTEN (mode 0666) and passes every request
to the socketmap server on the unix socket UPSTREAM, its reply back.
Each request is one line of LOG, written when its reply came:

    PROCESS<TAB>TABLE<TAB>KEY<TAB>REPLY-STATUS

PROCESS is the client's name from /proc/PID/comm (smtpd, cleanup,
trivial-rewrite, ...; SO_PEERCRED), so that the bench can tell who asks
what for one message.  One thread per connection; Postfix asks one
question at a time on each.  Only for counting: never timed.
SPDX-License-Identifier: BSD-2-Clause
"""
import os
import socket
import struct
import sys
import threading

lock = threading.Lock()


def peer_name(conn):
    """comm of the process at the other end of a unix socket"""
    cred = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid = struct.unpack("3i", cred)[0]
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def netstring(sock, buf):
    """one netstring's payload from sock (buf: bytes read before), and
    what was read after it; None when the connection ends"""
    while b":" not in buf:
        more = sock.recv(65536)
        if not more:
            return None, b""
        buf += more
    head, rest = buf.split(b":", 1)
    n = int(head)
    while len(rest) < n + 1:
        more = sock.recv(65536)
        if not more:
            return None, b""
        rest += more
    return rest[:n], rest[n + 1:]


def serve(conn, upstream, log):
    """pass requests and replies on one connection, writing them down"""
    who = peer_name(conn)
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(upstream)
    cbuf = ubuf = b""
    try:
        while True:
            req, cbuf = netstring(conn, cbuf)
            if req is None:
                break
            up.sendall(b"%d:%s," % (len(req), req))
            rep, ubuf = netstring(up, ubuf)
            if rep is None:
                break
            conn.sendall(b"%d:%s," % (len(rep), rep))
            name, _, key = req.decode("utf-8", "replace").partition(" ")
            status = rep.decode("utf-8", "replace").split(" ", 1)[0]
            with lock:
                log.write("%s\t%s\t%s\t%s\n" % (who, name, key, status))
                log.flush()
    except OSError:
        pass
    finally:
        conn.close()
        up.close()


def main():
    listen, upstream, logname = sys.argv[1:4]
    if os.path.exists(listen):
        os.unlink(listen)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    os.chmod(listen, 0o666)
    srv.listen(128)
    log = open(logname, "a")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, upstream, log), daemon=True).start()


main()
