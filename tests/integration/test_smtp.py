"""SMTP: MX, submission (STARTTLS + AUTH), submissions (implicit TLS), ESMTP extensions,
relay rules, smuggling, limits and durability, with Python smtplib, swaks and raw sockets.
Mail is read back with poplib (a real client) to prove it arrived intact."""
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import unittest

from api_base import Client
from harness import WAIT, start_server, wait_for
from mailfixture import Fixture, ProvisionedCase, pop_messages, raw_smtp

CTX = ssl._create_unverified_context()


def read_reply(sock):
    """One whole SMTP reply (every line up to the final `NNN ` one) from a raw socket."""
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
        lines = data.split(b"\r\n")
        if len(lines) > 1 and any(len(l) >= 4 and l[3:4] == b" " for l in lines[:-1]):
            return data


class SmtpMx(ProvisionedCase):
    listeners = ["smtp", "submission", "submissions", "pop3", "pop3s", "http"]
    extra_config = "[smtp]\nmax_message_bytes = 200000\nmax_recipients = 50\n"
    mailboxes = {"bob@example.test": "bob-password-1", "carol@example.test": "carol-password-1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx.alias("sales@example.test", ["bob@example.test", "carol@example.test"])

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT)

    def test_plain_send_to_mx_arrives_intact(self):
        body = "Subject: hello\r\nFrom: a@remote.test\r\nTo: bob@example.test\r\n\r\n.leading dot\r\nline two\r\n"
        with self.smtp() as s:
            code, msg = s.ehlo("client.remote.test")
            self.assertEqual(code, 250)
            for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes",
                        "chunking", "dsn", "starttls"):
                self.assertIn(ext, s.esmtp_features, ext)
            self.assertNotIn("auth", s.esmtp_features)  # no AUTH on the MX
            refused = s.sendmail("a@remote.test", ["bob@example.test"], body)
            self.assertEqual(refused, {})
        msgs = pop_messages(self.server, "bob@example.test", "bob-password-1")
        got = [m for m in msgs if b"Subject: hello" in m]
        self.assertEqual(len(got), 1)
        m = got[0]
        self.assertTrue(m.startswith(b"Return-Path: <a@remote.test>\r\n"), m[:80])
        self.assertIn(b"Received: from client.remote.test (unknown [127.0.0.1])", m)
        self.assertTrue(m.endswith(b"\r\n\r\n.leading dot\r\nline two\r\n"), m[-60:])

    def test_open_relay_refused_in_every_form(self):
        with self.smtp() as s:
            s.ehlo("x")
            s.mail("a@remote.test")
            for rcpt in ["victim@elsewhere.test", "victim%elsewhere.test@example.test",
                         "<@example.test:victim@elsewhere.test>",
                         "<@a.test,@example.test:victim@example.test>",
                         '"victim@elsewhere.test"@example.test', "victim@[127.0.0.1]"]:
                code, msg = s.rcpt(rcpt)
                self.assertEqual(code, 550, (rcpt, msg))
                self.assertIn(b"5.7.1", msg, rcpt)

    def test_unknown_user_and_bad_sequence(self):
        with self.smtp() as s:
            s.ehlo("x")
            code, _ = s.rcpt("bob@example.test")
            self.assertEqual(code, 503)
            s.mail("a@remote.test")
            code, msg = s.rcpt("nobody@example.test")
            self.assertEqual(code, 550)
            self.assertIn(b"5.1.1", msg)
            code, msg = s.docmd("DATA")
            self.assertEqual(code, 554)

    def test_alias_delivers_to_each_target(self):
        with self.smtp() as s:
            s.sendmail("a@remote.test", ["sales@example.test"], "Subject: alias-test\r\n\r\nx\r\n")
        for who, pw in (("bob@example.test", "bob-password-1"), ("carol@example.test", "carol-password-1")):
            msgs = pop_messages(self.server, who, pw)
            self.assertEqual(sum(b"Subject: alias-test" in m for m in msgs), 1, who)

    def test_size_limit_exact_and_one_over(self):
        limit = 200000
        with self.smtp() as s:
            s.ehlo("x")
            self.assertEqual(int(s.esmtp_features["size"]), limit)
            code, msg = s.mail("a@remote.test", ["SIZE=%d" % (limit + 1)])
            self.assertEqual(code, 552)
        # The Received header is added by the server, so fill the body to leave room for it.
        header = "Subject: big\r\n\r\n"
        with self.smtp() as s:
            s.ehlo("x")
            big = header + "a" * (limit + 10)
            s.mail("a@remote.test")
            s.rcpt("carol@example.test")
            code, msg = s.data(big)
            self.assertEqual(code, 552, msg)
            # The session is still in sync: a normal message goes through.
            s.sendmail("a@remote.test", ["carol@example.test"], "Subject: after-big\r\n\r\nok\r\n")

    def test_smuggling_payloads_never_end_data(self):
        for name, payload in [("lf-dot-lf", b"\n.\n"), ("lf-dot-crlf", b"\n.\r\n"),
                              ("cr-dot-cr", b"\r.\r")]:
            smuggled = (b"Subject: smuggle-" + name.encode() + b"\r\n\r\nbody" + payload +
                        b"MAIL FROM:<evil@remote.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n"
                        b"Subject: injected\r\n\r\nevil\r\n.\r\n")
            replies = raw_smtp(self.server.ports["smtp"], [
                b"EHLO x\r\n", b"MAIL FROM:<a@remote.test>\r\n", b"RCPT TO:<carol@example.test>\r\n",
                b"DATA\r\n", smuggled, b"QUIT\r\n"])
            # One message accepted (250 after DATA), never a second transaction.
            self.assertEqual(sum(r.startswith(b"250 2.0.0 OK") for r in replies), 1, replies)
        # The smuggled commands stayed data inside each message: no message from the injected
        # transaction exists.
        msgs = pop_messages(self.server, "carol@example.test", "carol-password-1")
        self.assertFalse(any(m.startswith(b"Return-Path: <evil@remote.test>") for m in msgs))
        self.assertEqual(sum(b"Subject: smuggle-" in m for m in msgs), 3)

    def test_bdat_chunking(self):
        replies = raw_smtp(self.server.ports["smtp"], [
            b"EHLO x\r\n", b"MAIL FROM:<a@remote.test> BODY=BINARYMIME\r\n",
            b"RCPT TO:<bob@example.test>\r\n",
            b"BDAT 22\r\nSubject: bdat-test\r\n\r\n",
            b"BDAT 7 LAST\r\nbinary\n", b"QUIT\r\n"])
        self.assertTrue(any(r.startswith(b"250 2.0.0 22 octets") for r in replies), replies)
        self.assertTrue(any(r.startswith(b"250 2.0.0 OK") for r in replies), replies)
        msgs = pop_messages(self.server, "bob@example.test", "bob-password-1")
        # POP3 is line based: the final bare LF comes back as a CRLF line end.
        self.assertTrue(any(b"Subject: bdat-test\r\n\r\nbinary\r\n" in m for m in msgs))

    def test_pipelining_and_dsn_params(self):
        replies = raw_smtp(self.server.ports["smtp"], [
            b"EHLO x\r\nMAIL FROM:<a@remote.test> RET=HDRS ENVID=abc+2Bdef\r\n"
            b"RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test\r\n"
            b"RCPT TO:<nobody@example.test>\r\nDATA\r\n",
            b"Subject: piped\r\n\r\nx\r\n.\r\nQUIT\r\n"])
        joined = b"".join(replies)
        self.assertIn(b"250 2.1.0", joined)
        self.assertIn(b"250 2.1.5", joined)
        self.assertIn(b"550 5.1.1", joined)
        self.assertIn(b"354", joined)
        self.assertIn(b"250 2.0.0 OK", joined)

    def test_smtputf8_address(self):
        self.fx.mailbox("jos\u00e9@example.test", "jose-password-1")
        with self.smtp() as s:
            refused = s.sendmail("a@remote.test", ["jos\u00e9@example.test"],
                                 "Subject: utf8\r\n\r\nol\u00e1\r\n".encode(),
                                 mail_options=["SMTPUTF8", "BODY=8BITMIME"])
            self.assertEqual(refused, {})
        msgs = pop_messages(self.server, "jos\u00e9@example.test", "jose-password-1")
        self.assertTrue(any("ol\u00e1".encode() in m for m in msgs))
        # Without SMTPUTF8 a UTF-8 address is refused.
        replies = raw_smtp(self.server.ports["smtp"], [
            b"EHLO x\r\n", b"MAIL FROM:<a@remote.test>\r\n",
            "RCPT TO:<jos\u00e9@example.test>\r\n".encode(), b"QUIT\r\n"])
        self.assertIn(b"553 5.6.7", b"".join(replies))

    def test_bad_input_lines_nul_and_many_rcpts(self):
        replies = raw_smtp(self.server.ports["smtp"], [
            b"EHLO x\r\n", b"MAIL FROM:<a@remote.test>\r\n", b"X" * (1 << 20) + b"\r\n",
            b"RCPT TO:<bob@exa\x00mple.test>\r\n", b"RCPT TO:<no-brackets@example.test\r\n",
            b"NOOP\r\n", b"QUIT\r\n"])
        joined = b"".join(replies)
        self.assertIn(b"500 5.5.2 Line too long", joined)
        self.assertIn(b"250 2.0.0 OK", joined)  # NOOP still answered: in sync
        self.assertIn(b"221", joined)
        # Over the recipient limit: 452 4.5.3, and too many bad ones close the session.
        cmds = [b"EHLO x\r\n", b"MAIL FROM:<a@remote.test>\r\n"]
        cmds += [b"RCPT TO:<bob@example.test>\r\n"] * 51
        replies = raw_smtp(self.server.ports["smtp"], cmds + [b"QUIT\r\n"])
        self.assertIn(b"452 4.5.3", b"".join(replies))
        cmds = [b"EHLO x\r\n", b"MAIL FROM:<a@remote.test>\r\n"]
        cmds += [b"RCPT TO:<nobody%d@example.test>\r\n" % i for i in range(10000)]
        replies = raw_smtp(self.server.ports["smtp"], cmds)
        self.assertIn(b"421 4.7.0", b"".join(replies))

    def test_swaks_to_mx(self):
        if not shutil.which("swaks"):
            self.skipTest("swaks not installed")
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.server.ports["smtp"]),
                            "--to", "bob@example.test", "--from", "swaks@remote.test",
                            "--header", "Subject: via-swaks", "--body", "hi"],
                           capture_output=True, text=True, timeout=4 * WAIT)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        msgs = pop_messages(self.server, "bob@example.test", "bob-password-1")
        self.assertTrue(any(b"Subject: via-swaks" in m for m in msgs))


class SmtpRouting(ProvisionedCase):
    """Catch-all, forwards, quota, disabled mailboxes and the bare-LF policy."""
    listeners = ["smtp", "pop3s", "http"]
    extra_config = "[smtp]\nbare_lf = \"reject\"\nmax_message_bytes = 50000\n"
    domains = ("example.test", "other.test")
    mailboxes = {**{f"{who}@example.test": f"{who}-password-1"
                    for who in ("bob", "carol", "erin", "frank", "gina")},
                 "catch@other.test": "catch-password-1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("domain", "catchall", "other.test", "catch@other.test")
        cls.server.cli("forward", "set", "erin@example.test", "carol@example.test",
                       "erin-elsewhere@external.test")
        cls.server.cli("forward", "set", "frank@example.test", "carol@example.test",
                       "--no-keep-copy")
        cls.server.cli("mailbox", "edit", "gina@example.test", "--status", "disabled")

    def send(self, rcpts, subject, body="x\r\n", sender="a@remote.test"):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            return s.sendmail(sender, rcpts, f"Subject: {subject}\r\n\r\n{body}")

    def subjects(self, who):
        return [m for m in pop_messages(self.server, who, who.split("@")[0] + "-password-1")]

    def test_catch_all(self):
        self.send(["anything-at-all@other.test"], "to-catchall")
        msgs = pop_messages(self.server, "catch@other.test", "catch-password-1")
        self.assertTrue(any(b"Subject: to-catchall" in m for m in msgs))

    def test_forward_keeps_copy_and_queues_external(self):
        self.send(["erin@example.test"], "fwd-keep")
        self.assertTrue(any(b"Subject: fwd-keep" in m for m in self.subjects("erin@example.test")))
        self.assertTrue(any(b"Subject: fwd-keep" in m for m in self.subjects("carol@example.test")))
        q = self.server.cli("queue", "list", "--json").stdout
        self.assertIn("erin-elsewhere@external.test", q)

    def test_forward_without_copy(self):
        self.send(["frank@example.test"], "fwd-nocopy")
        self.assertFalse(any(b"Subject: fwd-nocopy" in m for m in self.subjects("frank@example.test")))
        self.assertTrue(any(b"Subject: fwd-nocopy" in m for m in self.subjects("carol@example.test")))

    def test_disabled_mailbox_refused(self):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.ehlo("x")
            s.mail("a@remote.test")
            code, msg = s.rcpt("gina@example.test")
            self.assertEqual(code, 550, msg)

    def test_bare_lf_rejected_when_configured(self):
        replies = raw_smtp(self.server.ports["smtp"], [
            b"EHLO x\r\n", b"MAIL FROM:<a@remote.test>\r\n", b"RCPT TO:<bob@example.test>\r\n",
            b"DATA\r\n", b"Subject: barelf\r\n\r\nline one\nline two\r\n.\r\n", b"QUIT\r\n"])
        joined = b"".join(replies)
        self.assertIn(b"554 5.6.0", joined)
        self.assertIn(b"221", joined)  # still in sync
        self.assertFalse(any(b"Subject: barelf" in m for m in self.subjects("bob@example.test")))

    def test_exactly_at_size_limit_and_one_over(self):
        # SIZE= is checked against the limit exactly.
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.ehlo("x")
            self.assertEqual(s.mail("a@remote.test", ["SIZE=50000"])[0], 250)
            s.rset()
            self.assertEqual(s.mail("a@remote.test", ["SIZE=50001"])[0], 552)
        # The body as received (before our Received header) is what counts.
        head = "Subject: at-limit\r\n\r\n"
        exact = head + "a" * (50000 - len(head) - 2) + "\r\n"
        self.assertEqual(len(exact), 50000)
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.ehlo("x")
            s.mail("a@remote.test")
            s.rcpt("bob@example.test")
            code, msg = s.data(exact)
            self.assertEqual(code, 250, msg)
            s.mail("a@remote.test")
            s.rcpt("bob@example.test")
            code, msg = s.data(exact[:-2] + "a\r\n")
            self.assertEqual(code, 552, msg)

    def test_quota_full(self):
        self.fx.mailbox("tiny@example.test", "tiny-password-1")
        self.server.cli("mailbox", "edit", "tiny@example.test", "--quota", "20K")
        codes = []
        for i in range(6):
            with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
                s.ehlo("x")
                s.mail("a@remote.test", ["SIZE=6000"])
                code, _ = s.rcpt("tiny@example.test")
                if code == 250:
                    code, _ = s.data(f"Subject: q{i}\r\n\r\n" + ("b" * 98 + "\r\n") * 60)
                codes.append(code)
        self.assertIn(250, codes)
        self.assertIn(452, codes)  # 4.2.2 mailbox full
        self.assertEqual(codes[-1], 452)
        msgs = pop_messages(self.server, "tiny@example.test", "tiny-password-1")
        self.assertLessEqual(sum(len(m) for m in msgs), 20 * 1024 + 2048)


class Autoresponder(ProvisionedCase):
    """The user sets an autoresponder through the REST API; SMTP delivery answers once per
    sender per period, from the null sender, never to lists."""
    listeners = ["smtp", "pop3s", "http"]
    mailboxes = {"away@example.test": "away-password-1"}

    def api(self, method, path, body=None, cookie=None, csrf=None):
        import http.client
        import json
        c = http.client.HTTPConnection("127.0.0.1", self.server.ports["http"], timeout=WAIT)
        headers = {"Content-Type": "application/json"}
        if cookie:
            headers["Cookie"] = cookie
        if csrf:
            headers["X-CSRF-Token"] = csrf
        c.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
        r = c.getresponse()
        data = r.read()
        return r.status, r.getheader("Set-Cookie"), (json.loads(data) if data else None)

    def test_once_per_sender_and_never_to_lists(self):
        status, cookie, j = self.api("POST", "/session",
                                     {"address": "away@example.test", "password": "away-password-1"})
        self.assertEqual(status, 201, j)
        cookie = cookie.split(";")[0]
        status, _, j = self.api("PUT", "/me/autoresponder",
                                {"enabled": True, "subject": "Away", "body": "Back on Monday."},
                                cookie=cookie, csrf=j["csrf_token"])
        self.assertEqual(status, 200, j)

        def send(sender, extra=""):
            with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
                s.sendmail(sender, ["away@example.test"],
                           f"From: <{sender}>\r\nTo: <away@example.test>\r\n{extra}"
                           f"Subject: hi\r\nMessage-ID: <{time.time()}@remote.test>\r\n\r\nhello\r\n")

        send("alice@remote.test")
        send("alice@remote.test")
        send("list-bot@remote.test", "List-Id: <news.remote.test>\r\n")
        send("", "")  # a bounce: never answered
        q = self.server.cli("queue", "list", "--json").stdout
        import json
        replies = [m for m in json.loads(q) if m["sender"] == ""]
        to = [r["address"] for m in replies for r in m["recipients"]]
        self.assertEqual(to, ["alice@remote.test"])
        body = self.server.cli("queue", "show", replies[0]["id"], "--json").stdout
        self.assertIn("alice@remote.test", body)


class Retention(unittest.TestCase):
    """Deleted mailboxes stay restorable for directory.retention_days, then the upkeep (at start
    and hourly) purges them with their mail; on the test clock. Deletions go through the API,
    so they are stamped with the server's clock, which the purge compares them with."""
    DAY = 86400

    def delete(self, srv, address):
        c = Client(srv.ports["http"])
        st, js = c.login("admin", srv.admin_password)
        self.assertEqual(st, 201, js)
        st, js, _ = c.request("DELETE", f"/api/v1/mailboxes/{address}")
        self.assertEqual(st, 204, js)

    def exists(self, srv, address):
        return srv.cli("mailbox", "show", address, check=False).returncode == 0

    def test_deleted_mailbox_is_purged_after_retention_with_its_mail(self):
        srv = start_server(self, listeners=["smtp", "pop3s", "http"],
                           extra_config="[directory]\nretention_days = 1\n")
        fx = Fixture(srv)
        fx.domain("example.test")
        fx.mailbox("gone@example.test", "gone-password-1")
        fx.mailbox("later@example.test", "later-password-1")
        with smtplib.SMTP("127.0.0.1", srv.ports["smtp"], timeout=WAIT) as s:
            s.sendmail("a@remote.test", ["gone@example.test"], b"Subject: doomed\r\n\r\nx\r\n")
        self.delete(srv, "gone@example.test")
        srv.advance_clock(self.DAY - 600)
        self.delete(srv, "later@example.test")
        # A day and 10 minutes after the first deletion, 20 minutes after the second, the
        # upkeep at start purges the first and keeps the second restorable: one purge, so the
        # pass ran and left the second alone.
        srv.advance_clock(1200)
        srv.stop()
        srv.start()
        wait_for(lambda: "purged 1 deleted objects past the retention period" in srv.read_log(),
                 "the startup upkeep to purge the expired deletion")
        self.assertFalse(self.exists(srv, "gone@example.test"))
        self.assertTrue(self.exists(srv, "later@example.test"))
        check = srv.cli("check", check=False)  # the purged mailbox's mail went with it
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        # A day later the second goes the same way.
        srv.advance_clock(self.DAY)
        srv.stop()
        srv.start()
        wait_for(lambda: srv.read_log().count("purged 1 deleted objects") == 2,
                 "the startup upkeep to purge the second deletion")
        self.assertFalse(self.exists(srv, "later@example.test"))


class SmtpSubmission(ProvisionedCase):
    listeners = ["smtp", "submission", "submissions", "pop3", "pop3s", "http"]
    mailboxes = {"bob@example.test": "bob-password-1", "dave@example.test": "dave-password-1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx.alias("boss@example.test", ["bob@example.test"])

    def test_starttls_auth_and_send_external_is_queued(self):
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=WAIT) as s:
            s.ehlo("me")
            self.assertNotIn("auth", s.esmtp_features)  # no AUTH before TLS
            code, _ = s.mail("bob@example.test")
            self.assertEqual(code, 530)
            s.rset()
            s.starttls(context=CTX)
            s.ehlo("me")
            self.assertIn("auth", s.esmtp_features)
            s.login("bob@example.test", "bob-password-1")
            refused = s.sendmail("bob@example.test", ["someone@external.test", "dave@example.test"],
                                 "Subject: out\r\n\r\nhi\r\n")
            self.assertEqual(refused, {})
        q = self.server.cli("queue", "list", "--json")
        self.assertIn("someone@external.test", q.stdout)
        msgs = pop_messages(self.server, "dave@example.test", "dave-password-1")
        self.assertTrue(any(b"Subject: out" in m for m in msgs))

    def test_implicit_tls_and_auth_login(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.server.ports["submissions"], context=CTX,
                              timeout=WAIT) as s:
            s.ehlo("me")
            s.user, s.password = "bob@example.test", "bob-password-1"
            code, _ = s.auth("LOGIN", s.auth_login)
            self.assertEqual(code, 235)
            # Sending as an alias the user owns works; as someone else it does not.
            code, _ = s.mail("boss@example.test")
            self.assertEqual(code, 250)
            s.rset()
            code, msg = s.mail("dave@example.test")
            self.assertEqual(code, 553)

    def test_wrong_password_same_answer_as_unknown_user(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.server.ports["submissions"], context=CTX,
                              timeout=WAIT) as s:
            s.ehlo("me")
            for user, pw in (("bob@example.test", "wrong-password"), ("ghost@example.test", "x" * 12)):
                with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                    s.login(user, pw)
                self.assertEqual(e.exception.smtp_code, 535)
                self.assertIn(b"5.7.8", e.exception.smtp_error)

    def test_starttls_with_pipelined_command_is_discarded(self):
        raw = socket.create_connection(("127.0.0.1", self.server.ports["submission"]),
                                       timeout=WAIT)
        self.assertTrue(read_reply(raw).startswith(b"220"))
        raw.sendall(b"EHLO x\r\n")
        self.assertTrue(read_reply(raw).startswith(b"250"))
        raw.sendall(b"STARTTLS\r\nRSET\r\n")  # RSET injected before the handshake
        data = read_reply(raw)
        self.assertTrue(data.startswith(b"220"), data)
        tls = CTX.wrap_socket(raw, server_hostname="mail.test")
        tls.sendall(b"NOOP\r\n")
        reply = read_reply(tls)
        # The first reply after TLS answers NOOP ("250 OK"), not the injected RSET ("Reset").
        self.assertEqual(reply, b"250 OK\r\n")
        tls.close()

    def test_auth_refused_before_tls(self):
        replies = raw_smtp(self.server.ports["submission"], [
            b"EHLO x\r\n", b"AUTH PLAIN AGJvYkBleGFtcGxlLnRlc3QAYm9iLXBhc3N3b3JkLTE=\r\n", b"QUIT\r\n"])
        self.assertIn(b"538 5.7.11", b"".join(replies))


class SmtpCrash(unittest.TestCase):
    """SIGKILL during concurrent delivery: every message that got 250 is there after restart."""

    def test_kill_during_delivery_loses_nothing_acknowledged(self):
        srv = start_server(self, listeners=["smtp", "pop3s", "http"])
        fx = Fixture(srv)
        fx.domain("example.test")
        fx.mailbox("bob@example.test", "bob-password-1")
        acked = set()
        lock = threading.Lock()
        stop = threading.Event()

        def client(n):
            i = 0
            while not stop.is_set() and i < 200:
                tag = f"crash-{n}-{i}"
                try:
                    with smtplib.SMTP("127.0.0.1", srv.ports["smtp"], timeout=WAIT) as s:
                        s.sendmail("a@remote.test", ["bob@example.test"],
                                   f"Subject: {tag}\r\n\r\n{'x' * 2000}\r\n")
                    with lock:
                        acked.add(tag)
                except (OSError, smtplib.SMTPException):
                    return
                i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        # Killed in full flight: once a good number of messages were acknowledged.
        wait_for(lambda: len(acked) >= 40, lambda: f"40 acknowledged messages, "
                 f"{len(acked)} so far")
        srv.kill()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acked), 0)
        srv.start()
        msgs = pop_messages(srv, "bob@example.test", "bob-password-1")
        subjects = set()
        for m in msgs:
            for line in m.split(b"\r\n"):
                if line.startswith(b"Subject: crash-"):
                    subjects.add(line[len(b"Subject: "):].decode())
            self.assertTrue(m.endswith(b"x" * 2000 + b"\r\n"), "partial message visible")
        missing = acked - subjects
        self.assertEqual(missing, set(), f"{len(missing)} acknowledged messages lost")
        check = srv.cli("check", check=False)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


if __name__ == "__main__":
    unittest.main()
