"""IMAP limits with real clients: large literals streamed from the store to a client that does
not read (bounded server memory, other clients served, idle timeout), large BINARY parts decoded
in slices, and the per-connection command rate."""
import base64
import imaplib
import os
import re
import socket
import time
import urllib.request

from imapraw import RawImap
from test_imap import CTX, PASS, USER, ImapBase, message

BIG = 24 << 20  # bytes of the large message's body


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class ImapLimitsBase(ImapBase):
    def raw(self, login=True):
        r = RawImap(self.server.ports["imaps"], timeout=60)
        self.addCleanup(r.close)
        if login:
            r.login(USER, PASS)
        return r

    def append(self, raw_message):
        r = self.raw()
        data = raw_message.encode() if isinstance(raw_message, str) else raw_message
        r.send(b"a APPEND INBOX {%d+}\r\n" % len(data) + data + b"\r\n")
        out = r.until_tagged("a", timeout=120)
        self.assertTrue(out[-1].startswith("a OK"), out)
        return int(re.search(r"APPENDUID \d+ (\d+)", out[-1]).group(1))

    def active_imaps(self):
        url = f"http://127.0.0.1:{self.server.ports['http']}/metrics"
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        return int(re.search(r'posthouse_connections_active\{listener="imaps"\} (\d+)',
                             text).group(1))


class ImapSlowReader(ImapLimitsBase):
    extra_config = "[limits]\nidle_timeout_seconds = 5\n"

    def test_large_fetch_to_a_client_that_never_reads(self):
        line = b"0123456789" * 7 + b"abcd\r\n"
        body = line * (BIG // len(line))
        uid = self.append(message("big one").encode() + body)
        baseline = rss_kib(self.server.proc.pid)

        # A client with a small receive window asks for the whole message and never reads.
        s = socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        stalled = CTX.wrap_socket(s)
        self.addCleanup(stalled.close)
        stalled.recv(4096)
        stalled.sendall(f'L LOGIN "{USER}" "{PASS}"\r\nS SELECT INBOX\r\n'
                        f"F UID FETCH {uid} BODY.PEEK[]\r\n".encode())
        before = self.active_imaps()

        # Others are served meanwhile, including a FETCH of the same message's size.
        for _ in range(3):
            other = self.raw()
            other.cmd("s", "SELECT INBOX")
            out = other.cmd("f", f"UID FETCH {uid} RFC822.SIZE")
            self.assertIn(f"RFC822.SIZE {len(body) + len(message('big one'))}", " ".join(out))
            self.assertTrue(out[-1].startswith("f OK"), out)
            other.close()
        grown = max(rss_kib(self.server.proc.pid) for _ in range(5)) - baseline
        # Without streaming the body is held at least twice (read + output): 48 MiB.
        self.assertLess(grown, 12 * 1024, f"server RSS grew by {grown} KiB")

        # The idle timeout closes the stalled connection (it makes no progress).
        deadline = time.time() + 60
        while self.active_imaps() >= before and time.time() < deadline:
            time.sleep(0.5)
        self.assertLess(self.active_imaps(), before)

    def test_large_message_and_partial_come_back_whole(self):
        body = os.urandom(300_000).hex().encode() + b"\r\n"
        raw = message("big exact", body="").encode() + body
        uid = self.append(raw)
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX)
        self.addCleanup(m.logout)
        m.login(USER, PASS)
        m.select("INBOX")
        typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[] BODY.PEEK[TEXT]<1000.200000>)")
        self.assertEqual(typ, "OK")
        parts = [d for d in data if isinstance(d, tuple)]
        self.assertEqual(parts[0][1], raw)
        self.assertEqual(parts[1][1], body[1000:201000])

    def test_large_base64_part_binary_is_decoded_in_slices(self):
        payload = os.urandom(200_000) + b"\0tail"
        b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
        raw = (b"From: a@remote.test\r\nTo: " + USER.encode() + b"\r\nSubject: attach\r\n"
               b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
               b"--BB\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
               b"--BB\r\nContent-Type: application/octet-stream\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--BB--\r\n")
        uid = self.append(raw)
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        r.send(f"f UID FETCH {uid} (BINARY.SIZE[2] BINARY.PEEK[2] BINARY.PEEK[2]<70000.100>)\r\n")
        head = r.line(timeout=30)
        self.assertIn(f"BINARY.SIZE[2] {len(payload)}", head)
        m = re.search(r"BINARY\[2\] ~\{(\d+)\}$", head)
        self.assertTrue(m, head)
        n = int(m.group(1))
        while len(r.buf) < n:
            r.buf += r.sock.recv(65536)
        got, r.buf = r.buf[:n], r.buf[n:]
        self.assertEqual(got, payload)
        while b"\r\nf " not in r.buf:
            r.buf += r.sock.recv(65536)
        m = re.search(rb"BINARY\[2\]<70000> ~?\{100\}\r\n", r.buf)
        self.assertTrue(m, r.buf[:200])
        self.assertEqual(r.buf[m.end():m.end() + 100], payload[70000:70100])
        self.assertIn(b"\r\nf OK", r.buf)


class ImapCommandRate(ImapLimitsBase):
    extra_config = "[imap]\ncommand_rate = 1\ncommand_burst = 5\nmax_errors = 3\n"

    def test_client_over_the_rate_is_refused_then_disconnected(self):
        other = self.raw()
        fast = self.raw()
        fast.send("".join(f"n{i} NOOP\r\n" for i in range(20)))
        lines = []
        try:
            while True:
                lines.append(fast.line(timeout=30))
        except (EOFError, ConnectionError, OSError):
            pass
        refused = [l for l in lines if re.match(r"n\d+ NO \[LIMIT\] Command rate exceeded", l)]
        self.assertEqual(len(refused), 3, lines)
        self.assertTrue(any(re.match(r"n\d+ OK", l) for l in lines), lines)
        self.assertEqual(lines[-1], "* BYE Command rate exceeded", lines)
        # Another connection of the same user is unaffected.
        self.assertTrue(other.cmd("o", "NOOP")[-1].startswith("o OK"))

    def test_logout_is_always_allowed(self):
        r = self.raw()
        r.send("".join(f"n{i} NOOP\r\n" for i in range(6)) + "z LOGOUT\r\n")
        out = r.until_tagged("z", timeout=30)
        self.assertTrue(out[-1].startswith("z OK"), out)
        self.assertIn("* BYE", " ".join(out))


class ImapLiteralPlus(ImapLimitsBase):
    def test_literal_plus_alone_and_large_nonsync_literals(self):
        r = self.raw(login=False)
        caps = r.cmd("c", "CAPABILITY")[0].split()
        self.assertIn("LITERAL+", caps)
        self.assertNotIn("LITERAL-", caps)
        r.login(USER, PASS)
        data = message("nonsync", body="x" * 6000 + "\r\n").encode()
        r.send(b"a APPEND INBOX {%d+}\r\n" % len(data) + data + b"\r\n")
        self.assertTrue(r.until_tagged("a")[-1].startswith("a OK"))


class ImapLiteralMinus(ImapLimitsBase):
    extra_config = "[imap]\nliteral_plus = false\n"

    def test_literal_minus_alone_and_the_4096_octet_rule(self):
        r = self.raw(login=False)
        caps = r.cmd("c", "CAPABILITY")[0].split()
        self.assertIn("LITERAL-", caps)
        self.assertNotIn("LITERAL+", caps)
        r.login(USER, PASS)
        # Exactly 4096 octets non-synchronizing: accepted.
        head = message("minus ok", body="").encode()
        data = head + b"y" * (4096 - len(head))
        r.send(b"a APPEND INBOX {4096+}\r\n" + data + b"\r\n")
        self.assertTrue(r.until_tagged("a")[-1].startswith("a OK"))
        # Larger ones must be synchronizing: a synchronizing 5000 still works...
        big = head + b"z" * (5000 - len(head))
        r.send(b"b APPEND INBOX {5000}\r\n")
        self.assertTrue(r.line().startswith("+"))
        r.send(big + b"\r\n")
        self.assertTrue(r.until_tagged("b")[-1].startswith("b OK"))
        # ...a non-synchronizing one is refused and the connection closed.
        r.send(b"d APPEND INBOX {4097+}\r\n" + head + b"w" * (4097 - len(head)) + b"\r\n")
        self.assertRegex(r.line(), r"^d BAD \[TOOBIG\]")
        self.assertRegex(r.line(), r"^\* BYE")
        # Nothing of it was stored.
        other = self.raw()
        out = other.cmd("s", "STATUS INBOX (MESSAGES)")
        self.assertIn("MESSAGES 2", out[0])
