"""Shared fixtures of the outbound tests (test_outbound*.py): a sender instance `self.a`
(alice@a.test submits), helpers that read its queue and its bounces, and adding a loopback SMTP
listener to an instance (it is then an MX on that address)."""
import email
import json
import smtplib
import unittest

from harness import WAIT, wait_for
from mailfixture import CTX, pop_messages


def add_smtp_listener(server, addr, port):
    """Makes `server` listen for SMTP on addr:port too (wait_ready waits for it)."""
    with open(server.config_path) as f:
        text = f.read()
    own = f'smtp = "127.0.0.1:{server.ports["smtp"]}"'
    text = text.replace(own, f'smtp = ["127.0.0.1:{server.ports["smtp"]}", "{addr}:{port}"]')
    with open(server.config_path, "w") as f:
        f.write(text)
    server.extra_listen.append((addr, port))


class OutboundBase(unittest.TestCase):
    """Helpers for a sender `self.a` (alice@a.test) and peers in `self.peers`, which the class
    stops at its end (tests that stop a peer themselves remove it)."""

    @classmethod
    def stop_peers(cls):
        for p in cls.peers:
            p.stop()

    def peer(self, p):
        self.peers.append(p)
        return p

    def submit(self, rcpts, subject, body="hello\r\n", headers="", mail_options=()):
        msg = (f"From: alice@a.test\r\nTo: {', '.join(rcpts)}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject}@a.test>\r\n{headers}\r\n{body}")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=WAIT) as s:
            s.starttls(context=CTX)
            s.login("alice@a.test", "alice-password-1")
            refused = s.sendmail("alice@a.test", rcpts, msg.encode(), mail_options=mail_options)
            self.assertEqual(refused, {})

    def forward_out(self, address, target, subject, sender, mail_options=(), rcpt_options=()):
        """Makes `address` a mailbox of a.test that forwards to `target` without a copy, and
        sends it a message from `sender` through A's MX."""
        self.a.cli("mailbox", "create", address, "--template", "staff", "--password",
                   "fwd-password-1")
        self.a.cli("forward", "set", address, target, "--no-keep-copy")
        with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=WAIT) as s:
            s.sendmail(sender, [address],
                       f"From: {sender or 'mailer-daemon@elsewhere.test'}\r\nTo: {address}\r\n"
                       f"Subject: {subject}\r\n\r\nhi\r\n".encode(),
                       mail_options=list(mail_options), rcpt_options=list(rcpt_options))

    def queue(self, server=None):
        return json.loads((server or self.a).cli("queue", "list", "--json").stdout)

    def recipients_of(self, address, server=None):
        return [(m, r) for m in self.queue(server) for r in m["recipients"]
                if r["address"] == address]

    def wait_state(self, address, states, min_attempts=0, server=None):
        """The last (entry, recipient) for `address` once it is in one of `states` with at
        least `min_attempts` attempts."""
        seen = [None]

        def reached():
            rs = self.recipients_of(address, server)
            if rs:
                seen[0] = rs[-1][1]
                if seen[0]["state"] in states and seen[0]["attempts"] >= min_attempts:
                    return rs[-1]
            return None

        return wait_for(reached, lambda: (
            f"{address} in {states} (attempts >= {min_attempts}), last seen {seen[0]}\n"
            + (server or self.a).read_log()[-3000:]), interval=0.2)

    def bounces(self, subject):
        out = []
        for raw in pop_messages(self.a, "alice@a.test", "alice-password-1"):
            m = email.message_from_bytes(raw)
            if m.get_content_type() == "multipart/report" and subject.encode() in raw:
                out.append(m)
        return out

    def wait_bounce(self, subject):
        return wait_for(lambda: self.bounces(subject), f"a bounce for {subject}", interval=0.2)

    def status_of(self, bounce):
        for part in bounce.walk():
            if part.get_content_type() == "message/delivery-status":
                return part.as_string()
        return ""
