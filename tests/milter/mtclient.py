"""mtclient - the MTA side of the milter protocol, for deptmilter's tests.

miltertest(8) cannot send arguments longer than 1 KB or containing NUL,
and its eom_check() does not see recipients added with parameters
(SMFIR_ADDRCPT_PAR).  This module speaks the protocol directly:

    m = Milter("/path/to.sock")            # or ("127.0.0.1", port)
    m.negotiate()                          # -> (version, actions, steps)
    m.connect("client.test", "192.0.2.7")  # -> reply code, e.g. "c"; None
                                           #    when no reply was agreed
    m.macro("R", {"i": "QID1"})
    m.mail("<s@example.net>")              # -> ("c", b""); (None, b"")
                                           #    when no reply was agreed
    m.rcpt("<alice@sales.example.com>", "NOTIFY=NEVER")  # -> (code, data)
    m.eom()                                # -> [(code, [fields...]), ...]
    m.abort(); m.close()

Arguments are bytes or str (str is encoded as UTF-8, with surrogateescape),
sent as they are: a NUL inside an argument splits it, as on the wire.
"""
import socket
import struct

SMFI_VERSION = 6
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF
SMFIP_NR_CONN = 0x1000
SMFIP_NR_MAIL = 0x4000


def _b(s):
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


class Milter:
    def __init__(self, where, timeout=30):
        if isinstance(where, tuple):
            self.s = socket.create_connection(where, timeout=timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(where)

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + _b(cmd) + data)

    steps = 0                              # as agreed at negotiation

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("milter closed the connection")
            buf += chunk
        return buf

    def read(self):
        (n,) = struct.unpack(">I", self._read(4))
        body = self._read(n)
        return chr(body[0]), body[1:]

    def negotiate(self, actions=ALL_ACTIONS, steps=ALL_STEPS):
        self.send("O", struct.pack(">III", SMFI_VERSION, actions, steps))
        cmd, data = self.read()
        if cmd != "O":
            return cmd, None, None
        version, actions, self.steps = struct.unpack(">III", data[:12])
        return version, actions, self.steps

    def connect(self, host, addr):
        self.send("C", _b(host) + b"\0" + b"4" + struct.pack(">H", 25)
                  + _b(addr) + b"\0")
        if self.steps & SMFIP_NR_CONN:
            return None
        return self.read()[0]

    def macro(self, stage, pairs):
        data = _b(stage)
        for k, v in pairs.items():
            data += _b(k) + b"\0" + _b(v) + b"\0"
        self.send("D", data)

    def _args(self, cmd, args):
        self.send(cmd, b"".join(_b(a) + b"\0" for a in args))
        return self.read()

    def mail(self, *args):
        if self.steps & SMFIP_NR_MAIL:
            self.send("M", b"".join(_b(a) + b"\0" for a in args))
            return None, b""
        return self._args("M", args)

    def rcpt(self, *args):
        return self._args("R", args)

    def eom(self):
        """Every modification request, then the final reply (last item)."""
        self.send("E")
        out = []
        while True:
            cmd, data = self.read()
            fields = [f.decode("utf-8", "surrogateescape")
                      for f in data.split(b"\0")[:-1]] if data else []
            out.append((cmd, fields))
            if cmd not in "+-2p":
                return out

    def abort(self):
        self.send("A")

    def close(self):
        try:
            self.send("Q")
        finally:
            self.s.close()
