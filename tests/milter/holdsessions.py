#!/usr/bin/env python3
"""holdsessions - hold many SMTP sessions open at once, each past RCPT,
then finish them all (tests/load-1000-sessions.t).

    holdsessions.py HOST:PORT[,PORT...] SESSIONS HELD_RCPT RCPT PARALLEL

Opens SESSIONS SMTP sessions at once (session I to the ((I-1) mod K)th
of the K ports) and takes each through the greeting, EHLO, MAIL FROM
and RCPT TO:<HELD_RCPT>, which must be refused with 5xx (so that the
milter has decided on a recipient and Postfix has opened no queue file
yet: no cleanup process per held session).  When every session has got
that far or failed, prints

    held N

(N: the sessions that got there) and waits for a line on stdin.  "go"
finishes every held session, PARALLEL at a time: RCPT TO:<RCPT>, DATA,
a message with the header "X-Load-Id: I" (I = 1..SESSIONS, so that each
copy in the sink can be told apart), the end of DATA, QUIT; anything
else (or the end of input) just closes them.  Then prints

    done accepted=A

(A: the messages whose end of DATA got 2xx).  Every session that did
not go as planned prints one line "session I STAGE: WHAT" saying what
it saw (the server's reply, a timeout, a closed connection).  The
greeting may come late, when Postfix starts an smtpd for each session:
it is waited for at most 600 s; each other step at most 120 s.  Exit status 0 when every session was held and
every message accepted.
SPDX-License-Identifier: BSD-2-Clause
"""
import asyncio
import sys

STEP = 120                              # seconds per SMTP step
GREETING = 600                          # seconds for the greeting


class Failed(Exception):
    """a session that went wrong, with what it saw"""


async def reply(reader, stage, wait=STEP):
    """one SMTP reply (all its lines): (code, text)"""
    lines = []
    while True:
        try:
            line = await asyncio.wait_for(reader.readline(), wait)
        except asyncio.TimeoutError:
            raise Failed("%s: no reply within %d s" % (stage, wait))
        if not line:
            raise Failed("%s: connection closed by the server" % stage)
        text = line.decode("latin-1").rstrip("\r\n")
        lines.append(text)
        if len(text) < 4 or text[3] != "-":
            break
    try:
        code = int(lines[-1][:3])
    except ValueError:
        raise Failed("%s: not an SMTP reply: %r" % (stage, lines[-1]))
    return code, " / ".join(lines)


async def step(reader, writer, stage, send, want, wait=STEP):
    """send a command (or nothing) and expect a reply of class want"""
    if send is not None:
        writer.write(send)
        await writer.drain()
    code, text = await reply(reader, stage, wait)
    if code // 100 != want:
        raise Failed("%s: %s" % (stage, text))


async def hold(addr, held_rcpt):
    """a session taken past RCPT: (reader, writer)"""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(addr[0], addr[1]), STEP)
    except (OSError, asyncio.TimeoutError) as e:
        raise Failed("connect: %s" % (e or "timeout"))
    try:
        await step(reader, writer, "greeting", None, 2, GREETING)
        await step(reader, writer, "EHLO", b"EHLO load.test\r\n", 2)
        await step(reader, writer, "MAIL FROM",
                   b"MAIL FROM:<load@example.net>\r\n", 2)
        await step(reader, writer, "RCPT (held)",
                   ("RCPT TO:<%s>\r\n" % held_rcpt).encode(), 5)
    except (Failed, OSError) as e:
        writer.close()
        raise Failed(str(e))
    return reader, writer


async def finish(i, reader, writer, rcpt, gate):
    """RCPT, DATA, the message, QUIT on a held session"""
    body = ("From: <load@example.net>\r\nTo: <%s>\r\nSubject: held %d\r\n"
            "X-Load-Id: %d\r\n\r\nmessage %d\r\n.\r\n" % (rcpt, i, i, i))
    async with gate:
        try:
            await step(reader, writer, "RCPT", ("RCPT TO:<%s>\r\n" % rcpt).encode(), 2)
            await step(reader, writer, "DATA", b"DATA\r\n", 3)
            await step(reader, writer, "end of DATA", body.encode(), 2)
            await step(reader, writer, "QUIT", b"QUIT\r\n", 2)
        finally:
            writer.close()


async def guarded(i, coro, errors):
    """run one session's part; a failure is recorded, not raised"""
    try:
        await coro
        return True
    except (Failed, OSError) as e:
        errors.append("session %d %s" % (i, e))
        return False


async def main():
    host, ports = sys.argv[1].rsplit(":", 1)
    ports = [int(p) for p in ports.split(",")]
    count, held_rcpt, rcpt = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    gate = asyncio.Semaphore(int(sys.argv[5]))
    errors = []
    held = [None] * count

    async def one(i):
        held[i - 1] = await hold((host, ports[(i - 1) % len(ports)]), held_rcpt)

    await asyncio.gather(*(guarded(i, one(i), errors) for i in range(1, count + 1)))
    print("held %d" % sum(1 for h in held if h), flush=True)
    for e in errors:
        print(e, flush=True)
    loop = asyncio.get_running_loop()
    go = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
    if go != "go":
        for h in held:
            if h:
                h[1].close()
        print("done accepted=0 (told %r)" % go, flush=True)
        return 1
    errors = []
    done = await asyncio.gather(*(guarded(i, finish(i, h[0], h[1], rcpt, gate), errors)
                                  for i, h in enumerate(held, 1) if h))
    accepted = sum(1 for d in done if d)
    print("done accepted=%d" % accepted, flush=True)
    for e in errors:
        print(e, flush=True)
    return 0 if accepted == count else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
