"""SMTP streaming (issue 19, docs/smtp.md "Memory"): DATA and BDAT go to a nameless spool file in
<data>/spool as they arrive, so a session holds one window, not the message; the in-flight
budget ([limits] max_inflight_bytes) answers a new DATA/BDAT with 452 4.3.1 while it is spent;
every path (delivered, refused, too big, disconnect) closes the spool file and gives the bytes
back. Spool files have no name (O_TMPFILE), so "the temporary file is gone" is checked where it
lives: no descriptor of the server points into the spool directory any more."""
import hashlib
import os
import poplib
import re
import smtplib
import socket
import threading
import time

from harness import WAIT, ServerTestCase, status_kib, uses_asan, wait_for
from mailfixture import CTX, ProvisionedCase, pop_messages

MIB = 1 << 20
WINDOW = 256 * 1024  # server/smtp/message_spool.h kWindowBytes: past it the spool file exists


def body_of(size, tag):
    """About `size` bytes of CRLF text lines (76 characters, like base64) with a header naming
    `tag`; every 97th line starts with '.', so dot-stuffing crosses window and read boundaries."""
    head = f"Subject: {tag}\r\nFrom: a@remote.test\r\nTo: bob@example.test\r\n\r\n".encode()
    line = hashlib.sha256(tag.encode()).hexdigest().encode() * 2
    lines = []
    n = len(head)
    i = 0
    while n < size:
        l = (b"." if i % 97 == 0 else b"") + line[: 74 - (i % 50)] + b"\r\n"
        lines.append(l)
        n += len(l)
        i += 1
    return head + b"".join(lines)


def stuffed(body):
    """The DATA wire form of a CRLF body (RFC 5321 4.5.2) with its terminator."""
    return re.sub(rb"(?m)^\.", b"..", body) + b".\r\n"


class Raw:
    """A raw SMTP client: one command, one reply, and a body sent in pieces at will."""

    def __init__(self, port, timeout=WAIT):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.s.makefile("rb")
        self.reply()

    def reply(self):
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                raise AssertionError(f"connection closed; replies so far: {lines}")
            lines.append(l.rstrip(b"\r\n"))
            if l[3:4] != b"-":
                return int(l[:3]), b"\n".join(x[4:] for x in lines)

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()

    def begin(self, rcpt="bob@example.test"):
        assert self.cmd("EHLO client.remote.test")[0] == 250
        assert self.cmd("MAIL FROM:<a@remote.test>")[0] == 250
        assert self.cmd(f"RCPT TO:<{rcpt}>")[0] == 250

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        self.f.close()
        self.s.close()


def spool_fds(server):
    """The server's open descriptors into its spool directory (nameless files show as
    '<data>/spool/#1234 (deleted)')."""
    spool = os.path.join(server.data, "spool")
    fd_dir = f"/proc/{server.proc.pid}/fd"
    out = []
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except FileNotFoundError:
            continue
        if target.startswith(spool + "/"):
            out.append(target)
    return out


def inflight(server):
    return server.metric("posthouse_smtp_inflight_bytes")


def pop_count(server, user, password):
    p = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], context=CTX, timeout=WAIT)
    try:
        p.user(user)
        p.pass_(password)
        return p.stat()[0]
    finally:
        p.quit()


class Provisioned(ProvisionedCase):
    listeners = ["smtp", "pop3s", "http"]
    mailboxes = {"bob@example.test": "bob-password-1"}

    def settled(self):
        """Every message is finished: nothing in flight, no spool file open."""
        wait_for(lambda: inflight(self.server) == 0 and not spool_fds(self.server),
                 lambda: f"in-flight {inflight(self.server)}, spool {spool_fds(self.server)}")


class SmtpStreamLarge(Provisioned):
    extra_config = "[smtp]\nmax_message_bytes = 67108864\n"

    def test_40_mib_message_arrives_byte_identical(self):
        body = body_of(40 * MIB, "forty")
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=4 * WAIT) as s:
            self.assertEqual(s.sendmail("a@remote.test", ["bob@example.test"], body), {})
        self.settled()
        got = [m for m in pop_messages(self.server, "bob@example.test", "bob-password-1")
               if b"Subject: forty\r\n" in m[:4096]]
        self.assertEqual(len(got), 1)
        m = got[0]
        self.assertTrue(m.startswith(b"Return-Path: <a@remote.test>\r\nReceived: from "), m[:80])
        self.assertEqual(hashlib.sha256(m[len(m) - len(body):]).hexdigest(),
                         hashlib.sha256(body).hexdigest())
        self.assertEqual(m.index(b"Subject: forty"), len(m) - len(body))

    def test_bdat_chunks_spooled_arrive_byte_identical(self):
        body = body_of(5 * MIB + 123, "chunked")
        c = Raw(self.server.ports["smtp"])
        try:
            c.begin()
            pieces = [body[i:i + 1500000] for i in range(0, len(body), 1500000)]
            for i, p in enumerate(pieces):
                last = " LAST" if i == len(pieces) - 1 else ""
                c.send(f"BDAT {len(p)}{last}\r\n".encode() + p)
                code, text = c.reply()
                self.assertEqual(code, 250, text)
            self.assertEqual(c.cmd("QUIT")[0], 221)
        finally:
            c.close()
        self.settled()
        got = [m for m in pop_messages(self.server, "bob@example.test", "bob-password-1")
               if b"Subject: chunked\r\n" in m[:4096]]
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0].endswith(body))


class SmtpStreamLimits(Provisioned):
    # A budget below one window: the first message alone spends it.
    extra_config = ("[smtp]\nmax_message_bytes = 1048576\n"
                    "[limits]\nmax_inflight_bytes = 65536\n")

    def spend_budget(self, tag):
        """A client in DATA whose first 200 KiB have spent the budget; returns it and the rest
        of its message (the caller sends it and closes the client)."""
        first = Raw(self.server.ports["smtp"])
        first.begin()
        self.assertEqual(first.cmd("DATA")[0], 354)
        wire = stuffed(body_of(300 * 1024, tag))
        first.send(wire[:200 * 1024])
        wait_for(lambda: inflight(self.server) >= 65536, "the first message to spend the budget")
        return first, wire[200 * 1024:]

    def test_budget_spent_gives_452_then_the_same_session_succeeds(self):
        before = pop_count(self.server, "bob@example.test", "bob-password-1")
        first, rest = self.spend_budget("first")
        second = Raw(self.server.ports["smtp"])
        try:
            self.assertEqual(self.server.metric("posthouse_smtp_inflight_limit_bytes"), 65536)

            second.begin()
            self.assertEqual(second.cmd("DATA"), (452, b"4.3.1 Insufficient system storage"))
            self.assertEqual(second.cmd("NOOP")[0], 250)  # the session stays usable

            first.send(rest)
            self.assertEqual(first.reply()[0], 250)
            self.settled()

            # The transaction survived the 452: DATA again, now admitted.
            self.assertEqual(second.cmd("DATA")[0], 354)
            second.send(stuffed(body_of(10 * 1024, "second")))
            code, text = second.reply()
            self.assertEqual(code, 250, text)
        finally:
            first.close()
            second.close()
        self.settled()
        self.assertEqual(pop_count(self.server, "bob@example.test", "bob-password-1"), before + 2)

    def test_budget_spent_refuses_first_bdat_and_every_chunk_after_it(self):
        first, rest = self.spend_budget("holder")
        second = Raw(self.server.ports["smtp"])
        try:
            second.begin()
            second.send(b"BDAT 5\r\nhello")
            self.assertEqual(second.reply(), (452, b"4.3.1 Insufficient system storage"))
            second.send(b"BDAT 6 LAST\r\n world")
            self.assertEqual(second.reply(), (452, b"4.3.1 Insufficient system storage"))
            self.assertEqual(second.cmd("NOOP")[0], 250)
            first.send(rest)
            self.assertEqual(first.reply()[0], 250)
        finally:
            first.close()
            second.close()
        self.settled()

    def test_over_size_gets_552_nothing_delivered_and_the_spool_file_goes(self):
        before = pop_count(self.server, "bob@example.test", "bob-password-1")
        c = Raw(self.server.ports["smtp"])
        try:
            c.begin()
            self.assertEqual(c.cmd("DATA")[0], 354)
            wire = stuffed(body_of(3 * MIB, "too big"))
            c.send(wire[:2 * WINDOW + 4096])
            wait_for(lambda: spool_fds(self.server), "the message to reach its spool file")
            c.send(wire[2 * WINDOW + 4096:])
            self.assertEqual(c.reply(), (552, b"5.3.4 Message size exceeds fixed maximum"))
            self.assertEqual(spool_fds(self.server), [])
            self.assertEqual(inflight(self.server), 0)
            self.assertEqual(c.cmd("NOOP")[0], 250)
        finally:
            c.close()
        self.assertEqual(pop_count(self.server, "bob@example.test", "bob-password-1"), before)

    def test_disconnect_mid_data_leaves_no_spool_file(self):
        c = Raw(self.server.ports["smtp"])
        try:
            c.begin()
            self.assertEqual(c.cmd("DATA")[0], 354)
            c.send(stuffed(body_of(900 * 1024, "cut"))[:2 * WINDOW + 4096])
            wait_for(lambda: spool_fds(self.server), "the message to reach its spool file")
        finally:
            c.close()
        self.settled()
        self.assertEqual(os.listdir(os.path.join(self.server.data, "spool")), [])


class SmtpStreamRestart(ServerTestCase):
    listeners = ["smtp"]

    def test_spool_leftovers_are_removed_at_start(self):
        self.server.stop()
        spool = os.path.join(self.server.data, "spool")
        os.makedirs(spool, exist_ok=True)
        with open(os.path.join(spool, "0123abcd.tmp"), "wb") as f:
            f.write(b"half a message from before a crash")
        self.server.start()
        self.assertEqual(os.listdir(spool), [])
        self.assertIn("removed 1 spool files left by a crash", self.server.read_log())


# The memory test's load (see SmtpStreamMemory's docstring for why these figures).
CLIENTS = 80
MESSAGE_MIB = 30
BLOCKING_THREADS = 4  # [server] blocking_threads (the default): deliveries run at once
CHECK_THREADS = 8  # [antispam] threads (the default): sender checks run at once
READ_BUFFER = 1 << 20  # [limits] max_buffer_bytes (the default): one connection's read buffer
WINDOW_CAPACITY = WINDOW + 128 * 1024  # message_spool.h: kWindowBytes + kReadSlackBytes
ASAN_QUARANTINE = 256 * MIB  # ASan keeps this much freed memory before reusing it (default)
MARGIN = 128 * MIB


# RFC 5321 4.5.3.2.6: how long an SMTP client waits for the reply to the final dot.
DATA_TERMINATION = 600


class SmtpStreamMemory(Provisioned):
    """CLIENTS concurrent MESSAGE_MIB messages, all in DATA at once, keep the server's peak RSS
    (VmHWM in /proc/<pid>/status, read after the run; the base is VmRSS after a warm-up
    message) under a bound derived from the design, not fitted to a measurement:

        live = CLIENTS x (window capacity + read buffer + 64 KiB of session state)
             + BLOCKING_THREADS x message   (a delivery holds one copy; that many run at once)
             + CHECK_THREADS x message      (the MX's sender checks read one copy each, DKIM
                                             hashes the body from it; that many run at once)
        bound = base + live + MARGIN                                  (glibc malloc)
        bound = base + (live + quarantine) x 5/4 x 9/8 + MARGIN       (ASan: freed memory is
                quarantined, 256 MiB by default; chunks round up <= 25 %; shadow adds 1/8)

    For 80 x 30 MiB under ASan that is base + ~1160 MiB, while holding every message whole (as
    before issue 19) takes more than 80 x 30 MiB = 2400 MiB over base: the test asserts the
    bound is below that, so it tells streaming from buffering. The in-flight budget is set far
    above the load, so what bounds memory here is streaming, not admission.

    Why 80 and not the issue's 100: under ASan on this 2-core machine (shared with other
    builds) 100 x 30 MiB took 75 s for the load alone (deliveries are serial at the store's
    writer: each parses, hashes and fsyncs 30 MiB, ~0.75 s), over the ~60 s a test may take;
    80 is the largest that stays near it. Measured at 100 x 30 MiB: base 445 MiB, peak
    (VmHWM) 1064 MiB, bound 1304 MiB; at 10 x 30 MiB: base 446, peak 811 MiB in 11 s (the
    quarantine fills first). Raise CLIENTS on a faster machine: the bound follows it."""

    extra_config = ("[smtp]\nmax_message_bytes = 33554432\n"
                    "[limits]\nmax_connections_per_ip = 500\nmax_inflight_bytes = 8589934592\n")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The template's 1 GiB quota would refuse part of the load.
        cls.server.cli("mailbox", "create", "load@example.test", "--template", cls.fx.template,
                       "--password", "load-password-1", "--quota", "8G")

    def test_concurrent_large_messages_keep_rss_bounded(self):
        pid = self.server.proc.pid
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.sendmail("a@remote.test", ["load@example.test"], body_of(2 * WINDOW, "warm-up"))
        self.settled()
        before = pop_count(self.server, "load@example.test", "load-password-1")
        base_kib = status_kib(pid, "VmRSS")

        wire = stuffed(body_of(MESSAGE_MIB * MIB, "load"))
        ready = threading.Barrier(CLIENTS + 1, timeout=4 * WAIT)
        replies = [None] * CLIENTS
        errors = []

        def client(i):
            c = None
            try:
                c = Raw(self.server.ports["smtp"], timeout=4 * WAIT)
                c.begin("load@example.test")
                code, text = c.cmd("DATA")
                assert code == 354, (code, text)
                ready.wait()
                # Deliveries are serial at the store's writer, so the last of the CLIENTS
                # replies comes after all the others' (a minute unloaded, several on a loaded
                # machine): the client waits as RFC 5321 4.5.3.2.6 says an SMTP client waits
                # for the reply to the final dot, 10 minutes, not a test's WAIT multiple.
                c.s.settimeout(DATA_TERMINATION)
                c.send(wire)
                replies[i] = c.reply()
                c.cmd("QUIT")
            except Exception as e:  # reported below, with the others
                errors.append(f"client {i}: {e!r}")
                ready.abort()
            finally:
                if c:
                    c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        try:
            ready.wait()  # every session is in DATA: all CLIENTS messages are in flight at once
        except threading.BrokenBarrierError:
            pass  # a client failed: its error is reported below
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [])
        self.assertEqual([r[0] for r in replies], [250] * CLIENTS, replies)
        self.settled()

        peak_kib = status_kib(pid, "VmHWM")
        asan = uses_asan(pid)
        live = (CLIENTS * (WINDOW_CAPACITY + READ_BUFFER + 64 * 1024) +
                (BLOCKING_THREADS + CHECK_THREADS) * MESSAGE_MIB * MIB)
        growth = (live + ASAN_QUARANTINE) * 5 // 4 * 9 // 8 if asan else live
        self.assertLess(growth + MARGIN, CLIENTS * MESSAGE_MIB * MIB,
                        "the bound cannot tell streaming from buffering")
        bound = base_kib * 1024 + growth + MARGIN
        print(f"\nRSS: base {base_kib // 1024} MiB, peak {peak_kib // 1024} MiB, bound "
              f"{bound // MIB} MiB ({CLIENTS} x {MESSAGE_MIB} MiB in {elapsed:.1f} s, asan={asan})")
        self.assertLess(peak_kib * 1024, bound)
        self.assertEqual(pop_count(self.server, "load@example.test", "load-password-1"),
                         before + CLIENTS)
