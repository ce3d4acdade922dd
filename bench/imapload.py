"""A small asyncio IMAP client for the load generator, the mail loader and the IDLE workload.

Speaks just enough IMAP4rev1 for the bench: tagged commands, untagged lines, literals in
responses ({n}), synchronising literals for APPEND. The same code drives Posthouse and Dovecot.
"""
import asyncio
import re
import time

_LITERAL = re.compile(rb"\{(\d+)\}\r\n$")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")


class ImapError(Exception):
    pass


class Client:
    def __init__(self, reader, writer):
        self.r = reader
        self.w = writer
        self.n = 0

    @classmethod
    async def connect(cls, port, host="127.0.0.1", local_addr=None):
        reader, writer = await asyncio.open_connection(host, port, local_addr=local_addr,
                                                       limit=1 << 22)
        c = cls(reader, writer)
        greeting = await reader.readline()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"greeting: {greeting!r}")
        return c

    async def _read_response(self, tag):
        """Reads until the tagged reply; returns (status line, untagged lines with literals)."""
        untagged = []
        while True:
            line = await self.r.readline()
            if not line:
                raise ImapError("connection closed")
            while True:
                m = _LITERAL.search(line)
                if not m:
                    break
                line += await self.r.readexactly(int(m.group(1)))
                line += await self.r.readline()
            if line.startswith(tag + b" "):
                return line, untagged
            untagged.append(line)

    async def cmd(self, text, literal=None):
        """Sends one command (with an optional synchronising literal); returns (status, lines).
        Raises ImapError unless the status is OK."""
        self.n += 1
        tag = b"b%d" % self.n
        if literal is None:
            self.w.write(tag + b" " + text + b"\r\n")
        else:
            self.w.write(tag + b" " + text + b" {%d}\r\n" % len(literal))
            await self.w.drain()
            cont = await self.r.readline()
            if not cont.startswith(b"+"):
                raise ImapError(f"no continuation for {text!r}: {cont!r}")
            self.w.write(literal + b"\r\n")
        await self.w.drain()
        status, lines = await self._read_response(tag)
        if not status.startswith(tag + b" OK"):
            raise ImapError(f"{text[:40]!r}: {status!r}")
        return status, lines

    async def login(self, user, password):
        return await self.cmd(b'LOGIN "%s" "%s"' % (user.encode(), password.encode()))

    async def try_login(self, user, password):
        """LOGIN that may fail; returns the status line."""
        self.n += 1
        tag = b"b%d" % self.n
        self.w.write(tag + b' LOGIN "%s" "%s"\r\n' % (user.encode(), password.encode()))
        await self.w.drain()
        status, _ = await self._read_response(tag)
        return status

    async def append(self, mailbox, message, flags=b""):
        status, _ = await self.cmd(b"APPEND %s (%s)" % (mailbox, flags), literal=message)
        m = _APPENDUID.search(status)
        return int(m.group(1)) if m else None

    async def idle(self):
        self.n += 1
        self.idle_tag = b"b%d" % self.n
        self.w.write(self.idle_tag + b" IDLE\r\n")
        await self.w.drain()
        line = await self.r.readline()
        if not line.startswith(b"+"):
            raise ImapError(f"IDLE: {line!r}")

    async def done(self):
        self.w.write(b"DONE\r\n")
        await self.w.drain()
        await self._read_response(self.idle_tag)

    async def close(self):
        try:
            self.w.write(b"Z LOGOUT\r\n")
            await self.w.drain()
        except (ConnectionError, RuntimeError):
            pass
        self.w.close()
        try:
            await self.w.wait_closed()
        except (ConnectionError, RuntimeError):
            pass


def message(i, size, subject=None):
    """A plain message of about `size` bytes with CRLF line ends, deterministic in i."""
    head = (f"From: Sender {i % 17} <sender{i % 17}@remote.test>\r\n"
            f"To: bench@example.test\r\n"
            f"Subject: {subject or f'bench message {i}'}\r\n"
            f"Date: Mon, 23 Nov 2026 10:{i % 60:02d}:00 +0000\r\n"
            f"Message-ID: <bench-{i}@remote.test>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    line = (f"line of message {i} " + "x" * 60)[:76].encode() + b"\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body


async def load_mailbox(port, user, password, count, size, concurrency=4, start=0):
    """APPENDs `count` messages to INBOX over `concurrency` connections."""
    async def worker(k):
        c = await Client.connect(port)
        await c.login(user, password)
        for i in range(start + k, start + count, concurrency):
            await c.append(b"INBOX", message(i, size))
        await c.close()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))


async def mix_client(port, user, password, deadline, size, lat, rnd):
    """Runs the command mix until `deadline`; appends (op, seconds) to lat."""
    c = await Client.connect(port)
    await c.login(user, password)

    async def timed(op, text, literal=None):
        t0 = time.perf_counter()
        r = await c.cmd(text, literal)
        lat.append((op, time.perf_counter() - t0))
        return r

    i = 0
    while time.perf_counter() < deadline:
        i += 1
        _, lines = await timed("SELECT", b"SELECT INBOX")
        exists = 0
        for ln in lines:
            m = re.match(rb"\* (\d+) EXISTS", ln)
            if m:
                exists = int(m.group(1))
        await timed("FETCH FLAGS", b"FETCH 1:* (FLAGS)")
        _, lines = await timed("UID SEARCH", b"UID SEARCH UNDELETED")
        uids = []
        for ln in lines:
            if ln.startswith(b"* SEARCH"):
                uids = ln.split()[2:]
        if uids:
            await timed("UID FETCH BODY", b"UID FETCH %s BODY.PEEK[]" % rnd.choice(uids))
        if exists:
            await timed("STORE", b"STORE %d +FLAGS (\\Seen)" % rnd.randint(1, exists))
        t0 = time.perf_counter()
        status, _ = await c.cmd(b"APPEND INBOX ()", literal=message(100000 + i, size))
        lat.append(("APPEND", time.perf_counter() - t0))
        m = _APPENDUID.search(status)
        if m:
            await timed("STORE", b"UID STORE %s +FLAGS (\\Deleted)" % m.group(1))
            await timed("EXPUNGE", b"EXPUNGE")
    await c.close()
