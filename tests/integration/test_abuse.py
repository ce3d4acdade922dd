"""Abuse limits on SMTP and POP3 (IMAP's own limits are tested in test_imap.py): connection
floods per IP, password guessing per IP and per account (SMTP AUTH and POP3, one throttle shared
by every protocol), error/command floods and huge lines. Each test checks that the abuser is
refused with the documented reply and that others are still served.

Loopback addresses 127.0.0.2, 127.0.0.3, ... act as distinct client IPs."""
import base64
import poplib
import smtplib
import threading
import unittest

from harness import WAIT, ServerTestCase, wait_for
from mailfixture import Fixture, connect, hangup, pop3_login

GOOD = [(f"good{i}@abuse.test", f"good{i}-password-1") for i in range(4)]
# Mailboxes of the command-budget tests (one per test, so order does not matter).
BUDGET = {name: (f"{name}@abuse.test", f"{name}-password-1")
          for name in ("smtpjunk", "pipelined", "popjunk", "popmany", "ratepop")}


def smtp_auth(port, src, user, password):
    """The reply line to AUTH PLAIN on the submission port, from source address src."""
    s, f = connect(port, src)
    try:
        f.readline()
        s.sendall(b"EHLO abuser\r\n")
        while True:
            line = f.readline()
            if not line or line[3:4] == b" ":
                break
        token = base64.b64encode(f"\0{user}\0{password}".encode())
        s.sendall(b"AUTH PLAIN " + token + b"\r\n")
        return f.readline()
    finally:
        hangup(s, f)


def in_parallel(fn, args_list):
    """Runs fn(*args) for each args concurrently (a guessing burst does not wait for the
    throttle's delays); returns the results in order."""
    out = [None] * len(args_list)

    def run(i, a):
        out[i] = fn(*a)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


class Abuse(ServerTestCase):
    listeners = ["smtp", "submission", "pop3", "http"]
    extra_config = ("[limits]\nmax_connections_per_ip = 16\n"
                    "[smtp]\nallow_plaintext_auth = true\n"
                    "[pop3]\nallow_plaintext_auth = true\n")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx = Fixture(cls.server)
        fx.domain("abuse.test")
        for address, password in GOOD:
            fx.mailbox(address, password)

    def test_smtp_and_pop3_connection_flood_per_ip(self):
        # Each round floods from its own address: the per-IP count spans listeners, and the
        # slots of the round before are freed asynchronously (a loaded machine may not have
        # freed them yet when the next round starts).
        for name, refusal, greeting, ip, other in (
                ("smtp", b"421 4.7.0 Too many connections", b"220", "127.0.0.50", "127.0.0.51"),
                ("pop3", b"-ERR [SYS/TEMP] Too many connections", b"+OK", "127.0.0.52",
                 "127.0.0.53")):
            port = self.server.ports[name]
            held = [connect(port, ip) for _ in range(16)]
            for s, f in held:
                line = f.readline()
                self.assertTrue(line.startswith(greeting), f"{name}: {line!r}")
            s, f = connect(port, ip)
            self.assertTrue(f.readline().startswith(refusal), name)
            hangup(s, f)
            # Another client IP is served during the flood.
            s, f = connect(port, other)
            self.assertTrue(f.readline().startswith(greeting), name)
            hangup(s, f)
            for s, f in held:
                hangup(s, f)
            # Once the flood ends, the same IP is served again (slots free asynchronously).
            def served():
                s, f = connect(port, ip)
                line = f.readline()
                hangup(s, f)
                return line.startswith(greeting)

            wait_for(served, f"{name}: the IP to be served again after its connections closed",
                     interval=0.1)

    def test_smtp_auth_guessing_locks_the_account_from_every_ip(self):
        user, password = GOOD[0]
        port = self.server.ports["submission"]
        replies = in_parallel(smtp_auth, [(port, f"127.0.0.{10 + i}", user, f"guess-{i}")
                                          for i in range(12)])
        self.assertTrue(all(r.startswith((b"535", b"454")) for r in replies), replies)
        # The right password from a fresh IP is refused while the account is locked ...
        self.assertTrue(smtp_auth(port, "127.0.0.30", user, password).startswith(b"454 4.7.0"))
        # ... and POP3 shares the throttle.
        self.assertIn(b"Too many failed attempts",
                      pop3_login(self.server.ports["pop3"], "127.0.0.30", user, password))
        # Another account from that IP is not affected.
        other, other_pw = GOOD[1]
        self.assertTrue(smtp_auth(port, "127.0.0.30", other, other_pw).startswith(b"235"))

    def test_smtp_auth_guessing_locks_the_ip_for_every_account(self):
        port = self.server.ports["submission"]
        replies = in_parallel(smtp_auth, [(port, "127.0.0.40", f"nobody{i}@abuse.test", "x" * 12)
                                          for i in range(12)])
        self.assertTrue(all(r.startswith((b"535", b"454")) for r in replies), replies)
        user, password = GOOD[2]
        self.assertTrue(smtp_auth(port, "127.0.0.40", user, password).startswith(b"454 4.7.0"))
        self.assertTrue(smtp_auth(port, "127.0.0.41", user, password).startswith(b"235"))

    def test_pop3_guessing_locks_the_ip(self):
        port = self.server.ports["pop3"]
        replies = in_parallel(pop3_login, [(port, "127.0.0.60", f"nobody{i}@abuse.test", "y" * 12)
                                           for i in range(12)])
        self.assertTrue(all(r.startswith(b"-ERR") for r in replies), replies)
        user, password = GOOD[3]
        refused = pop3_login(port, "127.0.0.60", user, password)
        self.assertTrue(refused.startswith(b"-ERR [AUTH] Too many failed attempts"), refused)
        self.assertTrue(pop3_login(port, "127.0.0.61", user, password).startswith(b"+OK"))

    def test_error_floods_close_the_session(self):
        s, f = connect(self.server.ports["smtp"], "127.0.0.70")
        f.readline()
        s.sendall(b"BOGUS\r\n" * 5000)
        lines = read_all(s, f)
        self.assertTrue(lines[-1].startswith(b"421 "), lines[-3:])
        self.assertIn(b"Too many errors", lines[-1])
        self.assertLess(len(lines), 5000)
        s, f = connect(self.server.ports["pop3"], "127.0.0.70")
        f.readline()
        s.sendall(b"BOGUS\r\n" * 5000)
        n = 0
        while f.readline():
            n += 1
        hangup(s, f)
        self.assertLess(n, 5000, "POP3 answered every bad command instead of closing")

    def test_huge_lines_are_refused_and_the_session_stays_in_sync(self):
        s, f = connect(self.server.ports["pop3"], "127.0.0.80")
        f.readline()
        s.sendall(b"USER " + b"u" * (4 << 20) + b"\r\nCAPA\r\n")
        first = f.readline()
        self.assertTrue(first.startswith(b"-ERR"), first[:80])
        self.assertTrue(f.readline().startswith(b"+OK"))  # CAPA answered: in sync
        hangup(s, f)
        s, f = connect(self.server.ports["smtp"], "127.0.0.80")
        f.readline()
        s.sendall(b"HELO " + b"h" * (4 << 20) + b"\r\nNOOP\r\n")
        first = f.readline()
        self.assertTrue(first.startswith(b"500 ") and b"Line too long" in first, first)
        self.assertTrue(f.readline().startswith(b"250"))
        hangup(s, f)


def read_all(s, f):
    """Every line the server sends until it closes the connection."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            break
        lines.append(line)
    hangup(s, f)
    return lines


def deliver(port, rcpt, count, tag):
    """Sends `count` messages to rcpt in one smtplib session on the MX port."""
    with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as c:
        c.ehlo("legit.example")
        for i in range(count):
            body = f"Subject: {tag} {i}\r\nFrom: a@legit.example\r\n\r\nmessage {i}\r\n"
            refused = c.sendmail("a@legit.example", [rcpt], body)
            assert not refused, refused


def pop3_session(port, user, password):
    p = poplib.POP3("127.0.0.1", port, timeout=WAIT)
    p.user(user)
    p.pass_(password)
    return p


def pop3_count(port, user, password):
    p = pop3_session(port, user, password)
    try:
        return p.stat()[0]
    finally:
        p.quit()


class CommandBudget(ServerTestCase):
    """The default budgets: 100 junk commands between two messages; 500/s with a burst of 1000
    (docs/config.md [smtp] and [pop3])."""
    listeners = ["smtp", "pop3", "http"]
    extra_config = "[pop3]\nallow_plaintext_auth = true\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx = Fixture(cls.server)
        fx.domain("abuse.test")
        for address, password in BUDGET.values():
            fx.mailbox(address, password)

    def test_smtp_junk_commands_end_the_session(self):
        rcpt = BUDGET["smtpjunk"][0]
        s, f = connect(self.server.ports["smtp"], "127.0.0.90")
        f.readline()
        # A message first: the limit counts junk since the last accepted message.
        s.sendall(f"EHLO flood\r\nMAIL FROM:<a@flood.example>\r\nRCPT TO:<{rcpt}>\r\n"
                  "DATA\r\n".encode())
        while not f.readline().startswith(b"354"):
            pass
        s.sendall(b"Subject: before\r\n\r\nx\r\n.\r\n")
        self.assertTrue(f.readline().startswith(b"250 2.0.0 OK queued"))
        junk = [b"NOOP", b"RSET", b"VRFY postmaster", b"HELP", b"EHLO again"] * 40
        s.sendall(b"".join(c + b"\r\n" for c in junk))
        lines = read_all(s, f)
        self.assertEqual(lines[-1], b"421 4.7.0 Too many commands without mail, closing "
                         b"connection\r\n")
        # Exactly 100 were answered (EHLO's multiline reply counts once: its last line).
        finals = [l for l in lines[:-1] if l[3:4] == b" "]
        self.assertEqual(len(finals), 100, lines[-5:])
        self.assertTrue(all(l[:1] == b"2" for l in finals))
        # The connection is closed, the other client is served, the message is kept.
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as c:
            self.assertEqual(c.noop()[0], 250)
        self.assertEqual(pop3_count(self.server.ports["pop3"], *BUDGET["smtpjunk"]), 1)

    def test_smtp_pipelined_client_sending_many_messages_is_not_limited(self):
        rcpt, password = BUDGET["pipelined"]
        deliver(self.server.ports["smtp"], rcpt, 100, "pipelined")
        # Junk between messages: 90 NOOPs, a message, 90 more (the count restarts per message).
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as c:
            c.ehlo("legit.example")
            for round_ in range(2):
                for _ in range(90):
                    self.assertEqual(c.noop()[0], 250)
                c.sendmail("a@legit.example", [rcpt], f"Subject: r{round_}\r\n\r\nx\r\n")
        # A raw client pipelining 100 whole transactions in one write.
        s, f = connect(self.server.ports["smtp"], "127.0.0.91")
        f.readline()
        batch = b"EHLO pipe\r\n" + b"".join(
            f"MAIL FROM:<p@pipe.example>\r\nRCPT TO:<{rcpt}>\r\nBDAT 12 LAST\r\n"
            f"Subject: {i:03d}".encode() for i in range(100)) + b"QUIT\r\n"
        s.sendall(batch)
        lines = read_all(s, f)
        self.assertEqual(sum(1 for l in lines if l.startswith(b"250 2.0.0 OK queued")), 100,
                         lines[-3:])
        self.assertTrue(lines[-1].startswith(b"221"))
        self.assertEqual(pop3_count(self.server.ports["pop3"], rcpt, password), 202)

    def test_pop3_junk_commands_end_the_session_and_delete_nothing(self):
        rcpt, password = BUDGET["popjunk"]
        deliver(self.server.ports["smtp"], rcpt, 3, "popjunk")
        s, f = connect(self.server.ports["pop3"], "127.0.0.92")
        f.readline()
        s.sendall(f"USER {rcpt}\r\nPASS {password}\r\nDELE 1\r\n".encode())
        for _ in range(3):
            self.assertTrue(f.readline().startswith(b"+OK"))
        s.sendall(b"NOOP\r\nSTAT\r\nRSET\r\nLIST 2\r\nUIDL 3\r\n" * 30)
        lines = read_all(s, f)
        self.assertEqual(lines[-1], b"-ERR Too many commands without mail retrieval, closing "
                         b"connection\r\n")
        self.assertEqual(len(lines), 101, lines[-3:])
        self.assertEqual(pop3_count(self.server.ports["pop3"], rcpt, password), 3)

    def test_pop3_client_fetching_many_messages_is_not_limited(self):
        rcpt, password = BUDGET["popmany"]
        deliver(self.server.ports["smtp"], rcpt, 150, "popmany")
        p = pop3_session(self.server.ports["pop3"], rcpt, password)
        self.assertEqual(len(p.uidl()[1]), 150)
        self.assertEqual(len(p.list()[1]), 150)
        for i in range(1, 151):
            p.top(i, 0)
            p.uidl(i)
            p.list(i)
            self.assertIn(f"message {i - 1}".encode(), b"\n".join(p.retr(i)[1]))
            p.dele(i)
        p.quit()
        self.assertEqual(pop3_count(self.server.ports["pop3"], rcpt, password), 0)


class CommandRate(ServerTestCase):
    """A small command budget (50 commands/s, burst 10), junk limits off: a burst far over it
    is answered in full, slowed down by the server (backpressure), never refused."""
    listeners = ["smtp", "pop3", "http"]
    extra_config = ("[smtp]\ncommand_rate = 50\ncommand_burst = 10\njunk_command_limit = 0\n"
                    "[pop3]\nallow_plaintext_auth = true\ncommand_rate = 50\n"
                    "command_burst = 10\njunk_command_limit = 0\n")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx = Fixture(cls.server)
        fx.domain("abuse.test")
        fx.mailbox(*BUDGET["ratepop"])

    def paced(self, listener):
        return self.server.metric("posthouse_commands_paced_total", listener)

    def test_smtp_command_rate_slows_the_client(self):
        before = self.paced("smtp")
        s, f = connect(self.server.ports["smtp"], "127.0.0.93")
        f.readline()
        s.sendall(b"EHLO fast\r\n" + b"NOOP\r\n" * 200 + b"QUIT\r\n")
        lines = read_all(s, f)
        self.assertEqual(lines[-1][:4], b"221 ")
        # EHLO's reply counts once (its last line), then every NOOP is answered 250.
        finals = [l for l in lines[:-1] if l[3:4] == b" "]
        self.assertEqual(len(finals), 201, lines[-3:])
        self.assertTrue(all(l.startswith(b"250") for l in lines[:-1]))
        # Nearly everything past the burst of 10 was held back: the client was slowed.
        self.assertGreaterEqual(self.paced("smtp") - before, 150)

    def test_pop3_command_rate_slows_the_client(self):
        rcpt, password = BUDGET["ratepop"]
        before = self.paced("pop3")
        s, f = connect(self.server.ports["pop3"], "127.0.0.94")
        f.readline()
        s.sendall(f"USER {rcpt}\r\nPASS {password}\r\n".encode() + b"NOOP\r\n" * 200 +
                  b"QUIT\r\n")
        lines = read_all(s, f)
        self.assertEqual(len(lines), 203, lines[-3:])
        self.assertTrue(all(l.startswith(b"+OK") for l in lines), [l for l in lines
                                                                   if not l.startswith(b"+OK")])
        self.assertGreaterEqual(self.paced("pop3") - before, 150)


if __name__ == "__main__":
    unittest.main()
