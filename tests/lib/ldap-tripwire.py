#!/usr/bin/python3
# tests/lib/ldap-tripwire.py -- a TCP relay in front of slapd that signals
# slapd when the client sends its Nth LDAP message: with N = 3 (bind, the
# first page's search, the second page's search) the server is stopped
# while pages are being fetched, at a point the test knows, without a
# sleep.  The relay reads each LDAP message whole (BER: a SEQUENCE tag,
# its length) before it acts, writes "tripped" to MARK once it signalled,
# then forwards the message.  One connection, then it exits.
#
#   ldap-tripwire.py LISTEN_PORT SLAPD_PORT SLAPD_PID SIGNAL N MARK
#
# SIGNAL is KILL (the server is gone: the relay closes both sides) or
# STOP (the server stops answering: the relay keeps both open).
# "ready" on stdout once it listens.
# SPDX-License-Identifier: BSD-2-Clause

import os
import select
import signal
import socket
import sys


def ber_length(buf):
    """Length of the first whole BER element in buf, or None."""
    if len(buf) < 2:
        return None
    first = buf[1]
    if first < 0x80:
        total = 2 + first
    else:
        n = first & 0x7F
        if len(buf) < 2 + n:
            return None
        total = 2 + n + int.from_bytes(buf[2:2 + n], "big")
    return total if len(buf) >= total else None


def recv(sock):
    """What the peer sent; b"" when it closed or reset the connection."""
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def main():
    listen_port, slapd_port, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sig, trip_at, mark = getattr(signal, "SIG" + sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(1)
    print("ready", flush=True)
    client, _ = ls.accept()
    server = socket.create_connection(("127.0.0.1", slapd_port))
    pending, count = b"", 0
    while True:
        readable, _, _ = select.select([client, server], [], [])
        if server in readable:
            data = recv(server)
            if not data:
                break
            client.sendall(data)
        if client in readable:
            data = recv(client)
            if not data:
                break
            pending += data
            while (n := ber_length(pending)) is not None:
                msg, pending = pending[:n], pending[n:]
                count += 1
                if count == trip_at:
                    os.kill(pid, sig)
                    with open(mark, "w") as f:
                        f.write("tripped\n")
                try:
                    server.sendall(msg)
                except OSError:
                    pass
    client.close()
    server.close()


main()
