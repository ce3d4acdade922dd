"""POP3 with Python poplib (plain + STLS, pop3s) and fetchmail: UIDL, TOP, DELE semantics,
maildrop lock, byte-identical retrieval, service switch and bad input."""
import os
import poplib
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest

from harness import WAIT, ServerTestCase, wait_for
from mailfixture import Fixture, pop3_login, pop_messages

CTX = ssl._create_unverified_context()
BODY = (b"From: a@remote.test\r\nTo: pat@example.test\r\nSubject: {subj}\r\n\r\n"
        b"first line\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n")


class Pop3(ServerTestCase):
    listeners = ["smtp", "pop3", "pop3s", "http"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.server)
        cls.fx.domain("example.test")
        cls.fx.mailbox("pat@example.test", "pat-password-1")
        cls.fx.mailbox("quinn@example.test", "quinn-password-1")
        cls.fx.mailbox("nopop@example.test", "nopop-password-1")
        cls.server.cli("mailbox", "edit", "nopop@example.test", "--services", "-pop3")

    def deliver(self, rcpt, subj):
        body = BODY.replace(b"{subj}", subj.encode())
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.sendmail("a@remote.test", [rcpt], body)
        return body

    def pop3s(self, user="pat@example.test", pw="pat-password-1"):
        p = poplib.POP3_SSL("127.0.0.1", self.server.ports["pop3s"], context=CTX, timeout=WAIT)
        p.user(user)
        p.pass_(pw)
        return p

    def pop3s_unless_locked(self, user, pw):
        """A logged-in session, or None while another session holds the maildrop lock."""
        try:
            return self.pop3s(user, pw)
        except poplib.error_proto as e:
            if b"[IN-USE]" in e.args[0]:
                return None
            raise

    def test_capa_before_and_after_tls(self):
        p = poplib.POP3("127.0.0.1", self.server.ports["pop3"], timeout=WAIT)
        capa = p.capa()
        self.assertIn("STLS", capa)
        self.assertNotIn("USER", capa)  # no clear-text auth before TLS
        with self.assertRaises(poplib.error_proto) as e:
            p.user("pat@example.test")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.stls(context=CTX)
        capa = p.capa()
        self.assertIn("USER", capa)
        self.assertIn("UIDL", capa)
        self.assertIn("TOP", capa)
        self.assertIn("RESP-CODES", capa)
        self.assertNotIn("STLS", capa)
        p.user("pat@example.test")
        p.pass_("pat-password-1")
        p.quit()

    def test_retrieval_is_byte_identical_with_dot_lines(self):
        sent = self.deliver("quinn@example.test", "identical")
        msgs = pop_messages(self.server, "quinn@example.test", "quinn-password-1")
        got = [m for m in msgs if b"Subject: identical" in m]
        self.assertEqual(len(got), 1)
        # What we got is the sent message plus our trace headers in front.
        self.assertTrue(got[0].endswith(sent), got[0][-200:])

    def test_uidl_stable_top_and_list(self):
        self.deliver("pat@example.test", "uidl-1")
        self.deliver("pat@example.test", "uidl-2")
        p = self.pop3s()
        _, listing, _ = p.uidl()
        first = [l.split()[1] for l in listing]
        self.assertEqual(len(set(first)), len(first))
        count, size = p.stat()
        _, sizes, _ = p.list()
        self.assertEqual(sum(int(l.split()[1]) for l in sizes), size)
        _, top, _ = p.top(1, 1)
        self.assertIn(b"", top)  # the blank line after the header
        blank = top.index(b"")
        self.assertLessEqual(len(top) - blank - 1, 1)
        p.quit()
        p = self.pop3s()
        _, listing, _ = p.uidl()
        self.assertEqual([l.split()[1] for l in listing], first)
        p.quit()

    def test_dele_applies_only_at_quit(self):
        self.fx.mailbox("dele@example.test", "dele-password-1")
        self.deliver("dele@example.test", "d1")
        self.deliver("dele@example.test", "d2")
        p = self.pop3s("dele@example.test", "dele-password-1")
        self.assertEqual(p.stat()[0], 2)
        p.dele(1)
        self.assertEqual(p.stat()[0], 1)
        with self.assertRaises(poplib.error_proto):
            p.retr(1)  # deleted in this session
        # Drop the connection without QUIT: nothing is deleted. The maildrop lock is released
        # when the server ends that session, so a login that gets the lock sees the outcome.
        p.sock.shutdown(socket.SHUT_RDWR)
        p.close()
        p = wait_for(lambda: self.pop3s_unless_locked("dele@example.test", "dele-password-1"),
                     "the dropped session to release the maildrop lock", interval=0.1)
        self.assertEqual(p.stat()[0], 2)
        p.dele(1)
        p.rset()
        self.assertEqual(p.stat()[0], 2)
        p.dele(2)
        p.quit()
        p = self.pop3s("dele@example.test", "dele-password-1")
        self.assertEqual(p.stat()[0], 1)
        _, lines, _ = p.retr(1)
        self.assertIn(b"Subject: d1", lines)
        p.quit()

    def test_read_ahead_never_serves_the_wrong_message(self):
        # After a RETR the server reads the next message ahead; out-of-order RETRs, TOP and
        # DELE of the read-ahead message must not change what each command returns.
        self.fx.mailbox("ahead@example.test", "ahead-password-1")
        sent = [self.deliver("ahead@example.test", f"ahead-{i}") for i in range(1, 6)]
        p = self.pop3s("ahead@example.test", "ahead-password-1")

        def retr(n):
            _, lines, _ = p.retr(n)
            return b"\r\n".join(lines) + b"\r\n"

        def same(n, got):
            # The stored message has a Received: trace header above what was sent.
            self.assertTrue(got.endswith(sent[n - 1]), (n, got[-120:]))

        same(1, retr(1))   # reads 2 ahead
        same(3, retr(3))   # 2 unused; reads 4 ahead
        same(2, retr(2))   # reads 3 ahead
        p.dele(3)
        same(4, retr(4))   # reads 5 ahead
        _, top, _ = p.top(5, 0)
        self.assertIn(b"Subject: ahead-5", top)
        self.assertNotIn(b"end", top)
        same(5, retr(5))
        same(1, retr(1))   # reads 2 ahead (3 is deleted in this session: skipped)
        same(2, retr(2))
        with self.assertRaises(poplib.error_proto):
            p.retr(3)
        p.quit()
        p = self.pop3s("ahead@example.test", "ahead-password-1")
        self.assertEqual(p.stat()[0], 4)
        p.quit()

    def test_maildrop_lock(self):
        a = self.pop3s()
        b = poplib.POP3_SSL("127.0.0.1", self.server.ports["pop3s"], context=CTX, timeout=WAIT)
        b.user("pat@example.test")
        with self.assertRaises(poplib.error_proto) as e:
            b.pass_("pat-password-1")
        self.assertIn(b"[IN-USE]", e.exception.args[0])
        a.quit()
        c = self.pop3s()
        c.quit()

    def test_auth_failures_and_service_switch(self):
        for user, pw in (("pat@example.test", "wrong-password"), ("ghost@example.test", "x" * 12)):
            p = poplib.POP3_SSL("127.0.0.1", self.server.ports["pop3s"], context=CTX, timeout=WAIT)
            p.user(user)
            with self.assertRaises(poplib.error_proto) as e:
                p.pass_(pw)
            self.assertEqual(e.exception.args[0], b"-ERR [AUTH] Authentication failed")
            p.close()
        p = poplib.POP3_SSL("127.0.0.1", self.server.ports["pop3s"], context=CTX, timeout=WAIT)
        p.user("nopop@example.test")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("nopop-password-1")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        self.assertIn(b"not enabled", e.exception.args[0])
        p.close()

    def test_sasl_plain(self):
        p = poplib.POP3_SSL("127.0.0.1", self.server.ports["pop3s"], context=CTX, timeout=WAIT)
        import base64
        tok = base64.b64encode(b"\0pat@example.test\0pat-password-1").decode()
        resp = p._shortcmd("AUTH PLAIN " + tok)
        self.assertTrue(resp.startswith(b"+OK"), resp)
        p.quit()

    def test_bad_input(self):
        s = socket.create_connection(("127.0.0.1", self.server.ports["pop3"]), timeout=WAIT)
        f = s.makefile("rb")
        f.readline()

        def cmd(line):
            s.sendall(line)
            return f.readline()

        self.assertTrue(cmd(b"STAT\r\n").startswith(b"-ERR"))  # before login
        self.assertTrue(cmd(b"X" * 1000 + b"\r\n").startswith(b"-ERR"))
        self.assertTrue(cmd(b"NOOP\r\n").startswith(b"-ERR"))  # still in sync, still unauthed
        self.assertTrue(cmd(b"CAPA\r\n").startswith(b"+OK"))
        s.close()
        p = self.pop3s()
        for bad in ("RETR 0", "RETR 999", "RETR -1", "TOP 1 -5", "TOP 1", "DELE x", "LIST 1 2"):
            with self.assertRaises(poplib.error_proto, msg=bad):
                p._shortcmd(bad)
        self.assertTrue(p.noop().startswith(b"+OK"))
        p.quit()

    def test_fetchmail_into_mbox(self):
        if not shutil.which("fetchmail"):
            self.skipTest("fetchmail not installed")
        self.fx.mailbox("fm@example.test", "fm-password-1")
        sent = self.deliver("fm@example.test", "via-fetchmail")
        with tempfile.TemporaryDirectory() as d:
            mbox = os.path.join(d, "mbox")
            rc = os.path.join(d, "fetchmailrc")
            with open(rc, "w") as f:
                f.write(f"poll 127.0.0.1 protocol pop3 service {self.server.ports['pop3s']}\n"
                        f"  user 'fm@example.test' password 'fm-password-1' ssl no sslcertck\n"
                        f"  mda \"cat >> {mbox}\"\n")
            os.chmod(rc, 0o600)
            p = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "-v", "--nosyslog",
                                "-i", os.path.join(d, "ids")],
                               capture_output=True, text=True, timeout=4 * WAIT,
                               env={**os.environ, "HOME": d})
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(mbox, "rb") as f:
                data = f.read()
        self.assertIn(b"Subject: via-fetchmail", data)
        self.assertIn(b".starts with a dot", data)
        # fetchmail deletes what it fetched (no "keep"): the maildrop is empty now.
        self.assertEqual(pop_messages(self.server, "fm@example.test", "fm-password-1"), [])


class Pop3Throttle(ServerTestCase):
    """Password guessing over POP3 locks the client address, and the lock ends: on the test
    clock, so the lock is shown by the server's replies, not by how long replies take. The
    failures come from their own loopback address, in parallel (the throttle's delays are not
    waited out one after the other)."""
    listeners = ["pop3", "http"]
    extra_config = "[pop3]\nallow_plaintext_auth = true\n"
    GUESSER = "127.0.0.77"
    # auth/throttle.h: locked after 10 failures, for 5 minutes; failures are remembered for 15.
    LOCK_AFTER, LOCK_SECONDS, WINDOW_SECONDS = 10, 300, 900

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx = Fixture(cls.server)
        fx.domain("example.test")
        fx.mailbox("pat@example.test", "pat-password-1")

    def guess(self, n):
        port = self.server.ports["pop3"]
        replies = [None] * n

        def one(i):
            replies[i] = pop3_login(port, self.GUESSER, "flood@example.test", f"bad-password-{i}")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return replies

    def test_auth_flooding_is_throttled_then_locked_until_the_lock_ends(self):
        port = self.server.ports["pop3"]
        replies = self.guess(self.LOCK_AFTER)
        self.assertEqual(replies, [b"-ERR [AUTH] Authentication failed\r\n"] * self.LOCK_AFTER)
        # Locked: even the right password of another account from that address is refused,
        # without being checked; another address is served.
        locked = b"-ERR [AUTH] Too many failed attempts, try again later\r\n"
        self.assertEqual(pop3_login(port, self.GUESSER, "pat@example.test", "pat-password-1"),
                         locked)
        self.assertTrue(pop3_login(port, "127.0.0.78", "pat@example.test",
                                  "pat-password-1").startswith(b"+OK"))
        # Half the lock later it still holds.
        self.server.advance_clock(self.LOCK_SECONDS // 2)
        self.assertEqual(pop3_login(port, self.GUESSER, "pat@example.test", "pat-password-1"),
                         locked)
        # Past the lock and the failure window the address starts clean.
        self.server.advance_clock(self.WINDOW_SECONDS)
        self.assertTrue(pop3_login(port, self.GUESSER, "pat@example.test",
                                  "pat-password-1").startswith(b"+OK"))


if __name__ == "__main__":
    unittest.main()
