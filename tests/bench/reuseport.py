#!/usr/bin/env python3
"""reuseport - why deptmilter -R hands over one socket instead of binding
a second one with SO_REUSEPORT: connections queued in the socket that
closes are reset (Linux, net.ipv4.tcp_migrate_req = 0, the default).

    python3 tests/bench/reuseport.py
SPDX-License-Identifier: BSD-2-Clause
"""
import os
import socket
import time

N = 200
def listener(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port)); s.listen(1024); return s
a = listener(0); port = a.getsockname()[1]; b = listener(port)
cs = []
for i in range(N):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"x"); cs.append(c)
time.sleep(0.2)
a.close()   # the old process goes, its queue with it
b.setblocking(False); got = 0; keep = []
while True:
    try: keep.append(b.accept()); got += 1
    except BlockingIOError: break
reset = 0
for c in cs:
    c.settimeout(0.5)
    try:
        if c.recv(1) == b"": reset += 1
    except ConnectionResetError: reset += 1
    except socket.timeout: pass
print("SO_REUSEPORT: %d connections, %d accepted by the socket that stayed, %d reset when the other closed" % (N, got, reset))
# the same with one shared socket (a dup, as handed over): nothing lost
a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen(1024); port = a.getsockname()[1]
b = socket.socket(fileno=os.dup(a.fileno()))
cs = [socket.create_connection(("127.0.0.1", port)) for i in range(N)]
time.sleep(0.2); a.close(); b.setblocking(False); got = 0; keep = []
while True:
    try: keep.append(b.accept()); got += 1
    except BlockingIOError: break
print("one shared socket: %d connections, %d accepted after the old one closed its copy" % (N, got))
