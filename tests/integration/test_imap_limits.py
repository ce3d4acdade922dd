"""IMAP limits with real clients: large literals streamed from the store to a client that does
not read (bounded server memory, other clients served, idle timeout), large BINARY parts decoded
in slices, and the per-connection command rate."""
import base64
import imaplib
import os
import re
import smtplib
import socket
import threading

from harness import WAIT, status_kib, uses_asan, wait_for
from imap_base import CTX, PASS, USER, ImapBase, message

BIG = 24 << 20  # bytes of the large message's body


KIB = 1024


def bytes_sent_imaps(server):
    return server.metric("posthouse_bytes_sent_total", "imaps")


def store_bytes(data_dir):
    return sum(os.path.getsize(os.path.join(data_dir, n)) for n in os.listdir(data_dir)
               if n.endswith((".db", ".db-wal")))


class ImapLimitsBase(ImapBase):
    def append(self, raw_message):
        r = self.raw()
        data = raw_message.encode() if isinstance(raw_message, str) else raw_message
        r.send(b"a APPEND INBOX {%d+}\r\n" % len(data) + data + b"\r\n")
        out = r.until_tagged("a", timeout=4 * WAIT)
        self.assertTrue(out[-1].startswith("a OK"), out)
        return int(re.search(r"APPENDUID \d+ (\d+)", out[-1]).group(1))


MAX_BUFFER = 64 * KIB     # limits.max_buffer_bytes of ImapSlowReader
BLOCKING_THREADS = 4      # server.blocking_threads (the default)


class ImapSlowReader(ImapLimitsBase):
    # No search index: the heap bound counts SQLite's page cache up to the size of the
    # databases, and the index of the 24 MiB message's text would inflate that term for pages
    # a FETCH never reads.
    extra_config = (f"[limits]\nidle_timeout_seconds = 5\nmax_buffer_bytes = {MAX_BUFFER}\n"
                    f"[server]\nblocking_threads = {BLOCKING_THREADS}\n"
                    f"[imap]\nsearch_index = false\n")

    def others_fetch_the_size(self, uid, size):
        """Three more clients, one after the other, FETCH the message's size."""
        for _ in range(3):
            other = self.raw()
            other.cmd("s", "SELECT INBOX")
            out = other.cmd("f", f"UID FETCH {uid} RFC822.SIZE")
            self.assertIn(f"RFC822.SIZE {size}", " ".join(out))
            self.assertTrue(out[-1].startswith("f OK"), out)
            other.close()

    def heap_bound_kib(self, streamed):
        """How much a streaming server's heap (RssAnon) may grow while one client stalls a
        FETCH and three others are served, in KiB; computed from the configured limits, the
        server's buffers and the allocator's behaviour:

        - Per connection (imap/session.cc, imap/commands/fetch.cc, net/connection.cc): the
          output buffer (flushed at 64 KiB, its capacity kept up to 4 x 64 KiB), one FETCH
          round built before a flush (<= 256 KiB), one 64 KiB store read slice, the input
          buffer (<= limits.max_buffer_bytes) and TLS record buffers (OpenSSL's and asio's,
          about 17 KiB each, 4 of them). Two connections at a time: the stalled one and the
          client being served.
        - SQLite: each blocking thread's connection may cache pages of the databases, at most
          their size.
        - The allocator. ASan (libasan mapped): freed memory goes to a quarantine (256 MiB by
          default, far more than this test frees) instead of being reused, so the heap keeps
          every byte that passed through a buffer during the window: each byte sent to the
          stalled client was in a store read slice and in the output buffer (2 copies) -
          `streamed`, the server's own bytes_sent count, plus the slice being written. Its
          allocator rounds chunks up (<= 25 %) and shadow memory adds 1/8. glibc (no ASan):
          freed memory is reused, but every thread's arena may keep up to M_TRIM_THRESHOLD
          (dynamic: twice the largest freed chunk, 2 x 256 KiB) unreturned.
        """
        per_connection = 4 * 64 * KIB + 256 * KIB + 64 * KIB + MAX_BUFFER + 4 * 17 * KIB
        bound = 2 * per_connection + BLOCKING_THREADS * store_bytes(self.server.data)
        if uses_asan(self.server.proc.pid):
            bound += 2 * (streamed + 256 * KIB)
            bound = bound * 5 // 4 * 9 // 8
        else:
            threads = len(os.listdir(f"/proc/{self.server.proc.pid}/task"))
            bound += threads * 2 * 256 * KIB
        return bound // KIB

    def test_large_fetch_to_a_client_that_never_reads(self):
        line = b"0123456789" * 7 + b"abcd\r\n"
        body = line * (BIG // len(line))
        raw = message("big one").encode() + body
        uid = self.append(raw)
        # Warm-up: what the first served clients allocate once (TLS, statements, caches) is
        # in the baseline, not in the growth.
        self.others_fetch_the_size(uid, len(raw))
        pid = self.server.proc.pid
        baseline = status_kib(pid, "RssAnon")
        sent_before = bytes_sent_imaps(self.server)

        # A client with a small receive window asks for the whole message and never reads.
        s = socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=WAIT)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        stalled = CTX.wrap_socket(s)
        self.addCleanup(stalled.close)
        stalled.recv(4096)
        stalled.sendall(f'L LOGIN "{USER}" "{PASS}"\r\nS SELECT INBOX\r\n'
                        f"F UID FETCH {uid} BODY.PEEK[]\r\n".encode())
        before = self.active_imaps()

        # Others are served meanwhile, including a FETCH of the same message's size.
        self.others_fetch_the_size(uid, len(raw))
        grown = max(status_kib(pid, "RssAnon") for _ in range(5)) - baseline
        streamed = bytes_sent_imaps(self.server) - sent_before  # read after the heap: larger
        bound = self.heap_bound_kib(streamed)
        # The bound means something only below what holding the body once would take.
        self.assertLess(bound, BIG // KIB, "the bound cannot tell streaming from buffering")
        self.assertLess(grown, bound, f"server heap grew by {grown} KiB; a streaming server "
                        f"stays under {bound} KiB ({streamed} bytes sent meanwhile)")
        print(f"\n[ slow reader ] heap grew {grown} KiB of a {bound} KiB bound, "
              f"{streamed} bytes sent meanwhile")

        # The idle timeout closes the stalled connection (it makes no progress).
        wait_for(lambda: self.active_imaps() < before, "the idle timeout to close the stalled "
                 "connection", interval=0.5)

    def test_large_message_and_partial_come_back_whole(self):
        body = os.urandom(300_000).hex().encode() + b"\r\n"
        raw = message("big exact", body="").encode() + body
        uid = self.append(raw)
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
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
        head = r.line(timeout=WAIT)
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


class ImapFastClients(ImapLimitsBase):
    """The default command budget never refuses a legitimate client, however fast: an offline
    sync or a backup script fetching one message at a time, or ten busy sessions at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with smtplib.SMTP("127.0.0.1", cls.server.ports["smtp"], timeout=WAIT) as s:
            for i in range(20):
                s.sendmail("alice@remote.test", [USER], message(f"fast {i}").encode())

    def test_5000_single_fetches_all_answer_ok(self):
        m = self.imap()
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"20"]))
        answers = {}
        for i in range(5000):
            typ, data = m.fetch(str(i % 20 + 1), "(FLAGS)")
            answers[typ] = answers.get(typ, 0) + 1
        self.assertEqual(answers, {"OK": 5000})

    def test_ten_sessions_at_full_speed_all_answer_ok(self):
        results = [None] * 10

        def session(k):
            m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                                  timeout=WAIT)
            seen = {}
            try:
                m.login(USER, PASS)
                seen[m.select("INBOX")[0]] = 1
                for i in range(300):
                    n = str((i + k) % 20 + 1)
                    op = i % 5
                    if op == 0:
                        typ, _ = m.fetch(n, "(FLAGS BODY.PEEK[HEADER])")
                    elif op == 1:
                        typ, _ = m.store(n, "+FLAGS", "(\\Seen)")
                    elif op == 2:
                        typ, _ = m.search(None, "UNSEEN")
                    elif op == 3:
                        typ, _ = m.store(n, "-FLAGS", "(\\Seen)")
                    else:
                        typ, _ = m.noop()
                    seen[typ] = seen.get(typ, 0) + 1
                m.logout()
            except imaplib.IMAP4.error as e:  # a NO or BAD answer
                seen[f"error: {e}"] = 1
            results[k] = seen

        threads = [threading.Thread(target=session, args=(k,)) for k in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(4 * WAIT)
        self.assertEqual(results, [{"OK": 301}] * 10)


class ImapCommandRate(ImapLimitsBase):
    """A small command budget (10/s, burst 2): a client over it is slowed, never refused. The
    rate is low enough that even a loaded ASan server answers a NOOP well within the 100 ms a
    token takes to come back, so every command past the burst really waits for one."""
    extra_config = "[imap]\ncommand_rate = 10\ncommand_burst = 2\nmax_errors = 3\n"

    def test_client_over_the_rate_is_slowed_not_refused(self):
        other = self.raw()
        fast = self.raw()
        before = self.server.metric("posthouse_commands_paced_total", "imaps")
        # 30 commands at once: 15 times the burst, far faster than 10/s.
        fast.send("".join(f"n{i} NOOP\r\n" for i in range(30)))
        out = fast.until_tagged("n29", timeout=WAIT + 10)
        tagged = [l for l in out if re.match(r"n\d+ ", l)]
        self.assertEqual(len(tagged), 30, out[-5:])
        self.assertTrue(all(re.match(r"n\d+ OK", l) for l in tagged),
                        [l for l in tagged if " OK" not in l][:5])
        # The server held back (nearly) everything past the burst: the client was slowed.
        self.assertGreaterEqual(self.server.metric("posthouse_commands_paced_total", "imaps")
                                - before, 25)
        self.assertTrue(fast.cmd("z", "NOOP")[-1].startswith("z OK"))
        # Another connection of the same user has its own budget.
        self.assertTrue(other.cmd("o", "NOOP")[-1].startswith("o OK"))

    def test_logout_is_always_allowed(self):
        r = self.raw()
        r.send("".join(f"n{i} NOOP\r\n" for i in range(30)) + "z LOGOUT\r\n")
        out = r.until_tagged("z", timeout=WAIT)
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
