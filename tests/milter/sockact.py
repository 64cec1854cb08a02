#!/usr/bin/env python3
"""sockact - play systemd for deptmilter's restart tests: hold the socket
of deptmilter.socket and run deptmilter.service's own commands.

    sockact.py SERVICE_UNIT SOCKET_SPECS SOCKET_MODE BIN CONF COMMANDS EVENTS

What systemd does with contrib/systemd/deptmilter.{socket,service}, done
here without systemd (these machines have none):

- the listening sockets are made once and held for the whole run:
  SOCKET_SPECS is one or more specs, comma-separated, in the order of the
  socket unit's ListenStream= lines (deptmilter.socket: the milter's, then
  the socketmap's), each unix:PATH (made with SOCKET_MODE) or
  inet:PORT@HOST, deptmilter.conf's spelling, since the test's sockets
  are not the unit's paths;
- "start": each ExecStartPre= of the unit, which must exit 0, then
  ExecStart= with the sockets as descriptors 3, 4, ... and LISTEN_FDS=N,
  LISTEN_PID=its pid, LISTEN_FDNAMES (sd_listen_fds(3): one name per
  socket, the socket unit's name for all of them, as systemd gives
  without FileDescriptorName=); Type=forking: the command must exit 0,
  then the main pid is read from the pid file;
- "stop": SIGTERM to the main pid (KillMode=control-group: it is the
  only process), wait until it has exited (SIGKILL after
  TimeoutStopSec=90 s); the sockets stay open;
- "restart": stop, then start, as "systemctl restart" does.

"/usr/sbin/deptmilter" in the unit's commands becomes BIN with "-c CONF"
after it, and PIDFile= becomes the pid_file of CONF.  Commands are read
one a line from the FIFO COMMANDS ("start", "stop", "restart", "quit");
each one done appends a line to EVENTS:

    start pid=N ms=T          (T: from the command to the main pid known)
    stopping pid=N            (SIGTERM sent)
    stop pid=N ms=T status=S  (T: from SIGTERM to the exit)
    fail WHAT

The helper is a child subreaper, so the forked daemon is its child, as
systemd's services are systemd's.
SPDX-License-Identifier: BSD-2-Clause
"""
import ctypes
import fcntl
import os
import shlex
import signal
import socket
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
STOP_TIMEOUT = 90.0


def unit_lines(path, key):
    """every value of KEY= in the [Service] section of a unit file"""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(key + "="):
                out.append(line[len(key) + 1:])
    return out


def conf_value(conf, key):
    with open(conf) as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == key:
                return v.split("#")[0].strip()
    return ""


def make_socket(spec, mode):
    if spec.startswith("unix:"):
        path = spec[5:]
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(~mode & 0o777)
        s.bind(path)
        os.umask(old)
    else:
        port, host = spec.split(":", 1)[1].split("@")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    s.listen(socket.SOMAXCONN)
    return s


class Service:
    def __init__(self, unit, socks, binary, conf, events):
        self.socks = socks
        self.binary = binary
        self.conf = conf
        self.events = events
        self.pre = [self.argv(c) for c in unit_lines(unit, "ExecStartPre")]
        self.start_cmd = self.argv(unit_lines(unit, "ExecStart")[0])
        self.pidfile = conf_value(conf, "pid_file")
        self.main = None

    def argv(self, cmd):
        words = shlex.split(cmd.lstrip("-@"))
        if words[0] == "/usr/sbin/deptmilter":
            words = [self.binary, "-c", self.conf] + words[1:]
        return words

    def event(self, line):
        self.events.write(line + "\n")
        self.events.flush()

    def run(self, argv, with_socket):
        pid = os.fork()
        if pid == 0:
            try:
                env = dict(os.environ)
                if with_socket:
                    n = len(self.socks)
                    # out of the way of 3..3+n-1 first, then in place
                    high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 3 + n)
                            for s in self.socks]
                    for i, fd in enumerate(high):
                        os.dup2(fd, 3 + i)
                        os.set_inheritable(3 + i, True)
                    env.update(LISTEN_FDS=str(n), LISTEN_PID=str(os.getpid()),
                               LISTEN_FDNAMES=":".join(["deptmilter.socket"] * n))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        return os.waitpid(pid, 0)[1]

    def start(self):
        t0 = time.monotonic()
        for argv in self.pre:
            st = self.run(argv, False)
            if st != 0:
                return self.event("fail ExecStartPre status=%d" % st)
        st = self.run(self.start_cmd, True)
        if st != 0:
            return self.event("fail ExecStart status=%d" % st)
        with open(self.pidfile) as f:
            self.main = int(f.read().split()[0])
        self.event("start pid=%d ms=%d" % (self.main,
                                            (time.monotonic() - t0) * 1000))

    def stop(self):
        if self.main is None:
            return self.event("stop pid=0 ms=0 status=0")
        t0 = time.monotonic()
        os.kill(self.main, signal.SIGTERM)
        self.event("stopping pid=%d" % self.main)
        status = None
        while status is None:
            pid, st = os.waitpid(self.main, os.WNOHANG)
            if pid == self.main:
                status = st
            elif time.monotonic() - t0 > STOP_TIMEOUT:
                os.kill(self.main, signal.SIGKILL)
            else:
                time.sleep(0.002)
        self.event("stop pid=%d ms=%d status=%d" % (
            self.main, (time.monotonic() - t0) * 1000, status))
        self.main = None


def main():
    unit, spec, mode, binary, conf, commands, events = sys.argv[1:8]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    socks = [make_socket(s, int(mode, 8)) for s in spec.split(",")]
    svc = Service(unit, socks, binary, conf, open(events, "a"))
    try:
        while True:
            with open(commands) as fifo:
                for line in fifo:
                    cmd = line.strip()
                    if cmd == "start":
                        svc.start()
                    elif cmd == "stop":
                        svc.stop()
                    elif cmd == "restart":
                        svc.stop()
                        svc.start()
                    elif cmd == "quit":
                        return 0
    finally:
        if svc.main is not None:
            svc.stop()


if __name__ == "__main__":
    sys.exit(main())
