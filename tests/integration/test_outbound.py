"""Outbound delivery: instance A sends through MX records served by a local dnsmasq to real
peers on loopback addresses (127.0.0.x, all on one port, A's `outbound.mx_port`): a second
Posthouse (B), Postfix's smtp-sink (4xx then 2xx, 5xx), and small hostile Python peers (a
connection dropped mid-DATA, a 10 MB banner, invalid reply codes, a peer that never answers).
Bounces come back to the sender's mailbox and are read with POP3. Session reuse and TLS are in
test_outbound_sessions.py, the queue over the API in test_outbound_queue.py.
"""
import json
import re
import unittest

from harness import free_port, start_server, wait_for
from mailfixture import Fixture, pop_messages
from outbound_base import OutboundBase, add_smtp_listener
from peers import Dns, PyPeer, Sink, read_line

B_ADDR = "127.0.0.2"       # Posthouse B, MX of b.test
RETRY_ADDR = "127.0.0.3"   # smtp-sink: 4xx then 2xx
BOUNCE_ADDR = "127.0.0.4"  # smtp-sink: 5xx to RCPT
SELF_ADDR = "127.0.0.5"    # A itself listens here too: an MX pointing to A
DROP_ADDR = "127.0.0.6"    # drops the connection mid-DATA, then smtp-sink
BANNER_ADDR = "127.0.0.7"  # 10 MB banner
BADCODE_ADDR = "127.0.0.8"  # invalid reply codes
HANG_ADDR = "127.0.0.9"    # accepts and never answers, then smtp-sink (kill -9 test)
UTF8_ADDR = "127.0.0.10"   # smtp-sink without SMTPUTF8


def drop_mid_data(conn):
    conn.sendall(b"220 dropper.test ESMTP\r\n")
    while True:
        line = read_line(conn).upper()
        if line.startswith(b"EHLO") or line.startswith(b"HELO"):
            conn.sendall(b"250 dropper.test\r\n")
        elif line.startswith(b"DATA"):
            conn.sendall(b"354 go ahead\r\n")
            conn.recv(10)  # a little of the message, then the connection drops
            return
        else:
            conn.sendall(b"250 2.0.0 ok\r\n")


def huge_banner(conn):
    chunk = b"220-" + b"x" * 65536
    try:
        for _ in range(160):  # 10 MB, never a line end
            conn.sendall(chunk)
    except OSError:
        pass


def bad_codes(conn):
    conn.sendall(b"220 badcode.test ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"999 what is this\r\n")
    try:
        read_line(conn)
    except OSError:
        pass


def hang(conn):
    try:
        conn.recv(1)  # never greets; waits until the client goes away
    except OSError:
        pass


class Outbound(OutboundBase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.peers = []
        cls.addClassCleanup(cls.stop_peers)
        cls.dns = Dns([
            "--mx-host=b.test,mx.b.test,10", f"--host-record=mx.b.test,{B_ADDR}",
            "--mx-host=retry.test,mx.retry.test,10", f"--host-record=mx.retry.test,{RETRY_ADDR}",
            "--mx-host=bounce.test,mx.bounce.test,10",
            f"--host-record=mx.bounce.test,{BOUNCE_ADDR}",
            "--mx-host=loop.test,mail-a.test,10", f"--host-record=mail-a.test,{SELF_ADDR}",
            "--mx-host=loop2.test,other-name.test,10",
            f"--host-record=other-name.test,{SELF_ADDR}",
            "--mx-host=drop.test,mx.drop.test,10", f"--host-record=mx.drop.test,{DROP_ADDR}",
            "--mx-host=banner.test,mx.banner.test,10",
            f"--host-record=mx.banner.test,{BANNER_ADDR}",
            "--mx-host=badcode.test,mx.badcode.test,10",
            f"--host-record=mx.badcode.test,{BADCODE_ADDR}",
            "--mx-host=hang.test,mx.hang.test,10", f"--host-record=mx.hang.test,{HANG_ADDR}",
            "--mx-host=utf8.test,mx.utf8.test,10", f"--host-record=mx.utf8.test,{UTF8_ADDR}",
            # No MX, an A record: the domain itself is the MX (RFC 5321 5.1).
            f"--host-record=implicit.test,{RETRY_ADDR}",
            # Null MX (RFC 7505): preference 0, exchange "." (root).
            "--dns-rr=nullmx.test,15,000000",
            # nothing.test: no record at all (NXDOMAIN under --local=/test/).
        ])
        cls.addClassCleanup(cls.dns.stop)
        outbound = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\nmx_port = {cls.port}\n'
                    "poll_interval_seconds = 1\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
                    "connect_timeout_seconds = 5\ncommand_timeout_seconds = 20\n")
        cls.b = start_server(cls, start=False, listeners=["smtp", "pop3s"],
                             hostname="mx.b.test", extra_config=outbound)
        add_smtp_listener(cls.b, B_ADDR, cls.port)
        cls.b.start()
        cls.a = start_server(cls, start=False, listeners=["smtp", "submission", "pop3s"],
                             hostname="mail-a.test", extra_config=outbound)
        add_smtp_listener(cls.a, SELF_ADDR, cls.port)
        cls.a.start()
        fa = Fixture(cls.a)
        fa.domain("a.test")
        fa.mailbox("alice@a.test", "alice-password-1")
        fb = Fixture(cls.b)
        fb.domain("b.test")
        fb.mailbox("bob@b.test", "bob-password-1")
        fb.mailbox("carol@b.test", "carol-password-1")

    # -- tests --------------------------------------------------------------------------

    def test_delivers_to_second_instance_through_mx(self):
        self.submit(["bob@b.test", "carol@b.test"], "to-b")
        self.wait_state("bob@b.test", ["delivered"])
        self.wait_state("carol@b.test", ["delivered"])
        for user, pw in (("bob@b.test", "bob-password-1"), ("carol@b.test", "carol-password-1")):
            msgs = [m for m in pop_messages(self.b, user, pw) if b"Subject: to-b" in m]
            self.assertEqual(len(msgs), 1, user)
            self.assertIn(b"Return-Path: <alice@a.test>", msgs[0])
        # One transaction carried both recipients.
        m, _ = self.recipients_of("carol@b.test")[-1]
        self.assertEqual(sorted(r["address"] for r in m["recipients"]),
                         ["bob@b.test", "carol@b.test"])

    def test_dkim_signatures_verify_with_dkimpy(self):
        try:
            import dkim  # Debian's python3-dkim: an independent verifier
        except ImportError:
            import sys
            sys.path.append("/usr/lib/python3/dist-packages")
            import dkim
        records = json.loads(self.a.cli("domain", "dns", "a.test", "--json").stdout)
        txt = {r["name"]: r["value"] for r in records if r["type"] == "TXT"}
        self.assertIn("ph1r._domainkey.a.test.", txt)
        self.assertIn("ph1e._domainkey.a.test.", txt)
        self.assertIn({"name": "a.test.", "type": "MX", "value": "10 mail-a.test."}, records)
        self.assertIn("_dmarc.a.test.", txt)

        def dnsfunc(name, timeout=5):
            return txt.get(name.decode().rstrip(".") + ".", "").encode()

        self.submit(["bob@b.test"], "dkim-signed")
        self.wait_state("bob@b.test", ["delivered"])
        msgs = [m for m in pop_messages(self.b, "bob@b.test", "bob-password-1")
                if b"Subject: dkim-signed" in m]
        self.assertEqual(len(msgs), 1)
        msg = msgs[0]
        self.assertEqual(msg.count(b"DKIM-Signature:"), 2)
        d = dkim.DKIM(msg)
        self.assertTrue(d.verify(idx=0, dnsfunc=dnsfunc), "rsa-sha256")
        d = dkim.DKIM(msg)
        self.assertTrue(d.verify(idx=1, dnsfunc=dnsfunc), "ed25519-sha256")
        # A changed body no longer verifies.
        bad = msg.replace(b"hello", b"jello")
        try:
            ok = dkim.DKIM(bad).verify(idx=0, dnsfunc=dnsfunc)
        except dkim.ValidationError as e:
            ok = False
            self.assertIn("body hash mismatch", str(e))
        self.assertFalse(ok)
        # The private key is nowhere in the log.
        self.assertNotIn("PRIVATE KEY", self.a.read_log())

    def test_queue_retry_and_delete_commands(self):
        self.submit(["q@nothing-yet.test"], "queue-cli")
        m, _ = self.wait_state("q@nothing-yet.test", ["bounced"])
        p = self.a.cli("queue", "retry", m["id"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nothing to retry", p.stderr)
        self.assertIn(m["id"], self.a.cli("queue", "delete", m["id"]).stdout)
        self.assertEqual(self.recipients_of("q@nothing-yet.test"), [])
        p = self.a.cli("queue", "delete", m["id"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not found", p.stderr)

    def test_soft_failure_is_retried_then_delivered_once(self):
        soft = Sink(RETRY_ADDR, self.port, "-r", "RCPT")
        try:
            self.submit(["someone@retry.test"], "soft-then-ok")
            _, r = self.wait_state("someone@retry.test", ["deferred"], min_attempts=1)
            self.assertIn("450", r["last_error"])
        finally:
            soft.stop()
        ok = self.peer(Sink(RETRY_ADDR, self.port))
        self.wait_state("someone@retry.test", ["delivered"])
        got = [m for m in ok.messages() if b"Subject: soft-then-ok" in m]
        self.assertEqual(len(got), 1)
        ok.stop()
        self.peers.remove(ok)

    def test_hard_failure_bounces_to_sender(self):
        self.peer(Sink(BOUNCE_ADDR, self.port, "-f", "RCPT", "-B", "550 5.1.1 No such user"))
        self.submit(["nobody@bounce.test"], "hard-fail")
        _, r = self.wait_state("nobody@bounce.test", ["bounced"])
        self.assertIn("550", r["last_error"])
        b = self.wait_bounce("hard-fail")
        self.assertEqual(len(b), 1)
        status = self.status_of(b[0])
        self.assertIn("Final-Recipient: rfc822; nobody@bounce.test", status)
        self.assertIn("Status: 5.1.1", status)
        self.assertIn("Action: failed", status)

    def test_dropped_mid_data_is_retried_without_duplicate(self):
        dropper = PyPeer(DROP_ADDR, self.port, drop_mid_data)
        try:
            self.submit(["x@drop.test"], "drop-mid-data", body="line\r\n" * 20000)
            _, r = self.wait_state("x@drop.test", ["deferred"], min_attempts=1)
            self.assertRegex(r["last_error"], "closed|reset")
        finally:
            dropper.stop()
        sink = self.peer(Sink(DROP_ADDR, self.port))
        self.wait_state("x@drop.test", ["delivered"])
        got = [m for m in sink.messages() if b"Subject: drop-mid-data" in m]
        self.assertEqual(len(got), 1)
        self.assertEqual(len(re.findall(rb"^line\r?$", got[0], re.M)), 20000)

    def test_mx_pointing_to_ourselves_bounces(self):
        self.submit(["x@loop.test"], "loop-by-name")
        _, r = self.wait_state("x@loop.test", ["bounced"])
        self.assertIn("loops back to myself", r["last_error"])
        self.submit(["x@loop2.test"], "loop-by-address")
        _, r = self.wait_state("x@loop2.test", ["bounced"])
        self.assertIn("loops back to myself", r["last_error"])
        self.assertIn("Status: 5.4.6", self.status_of(self.wait_bounce("loop-by-address")[0]))

    def test_ten_megabyte_banner_is_a_temporary_failure(self):
        self.peer(PyPeer(BANNER_ADDR, self.port, huge_banner))
        self.submit(["x@banner.test"], "huge-banner")
        _, r = self.wait_state("x@banner.test", ["deferred"], min_attempts=1)
        self.assertIn("reply line too long", r["last_error"])
        self.assertTrue(self.a.proc.poll() is None, "the sender survives")

    def test_invalid_reply_code_is_a_temporary_failure(self):
        self.peer(PyPeer(BADCODE_ADDR, self.port, bad_codes))
        self.submit(["x@badcode.test"], "bad-code")
        _, r = self.wait_state("x@badcode.test", ["deferred"], min_attempts=1)
        self.assertIn("invalid reply code 999", r["last_error"])

    def test_no_mx_and_no_address_bounces(self):
        self.submit(["x@nothing.test"], "no-such-domain")
        _, r = self.wait_state("x@nothing.test", ["bounced"])
        self.assertIn("no MX and no address", r["last_error"])
        self.assertIn("Status: 5.1.2", self.status_of(self.wait_bounce("no-such-domain")[0]))

    def test_null_mx_bounces(self):
        self.submit(["x@nullmx.test"], "null-mx")
        _, r = self.wait_state("x@nullmx.test", ["bounced"])
        self.assertIn("null MX", r["last_error"])
        self.assertIn("Status: 5.1.10", self.status_of(self.wait_bounce("null-mx")[0]))

    def test_report_about_forwarded_mail_belongs_to_the_forwarding_domain(self):
        # A stranger writes to a local mailbox that forwards out; the forward fails for good,
        # so a bounce goes back out to the stranger. Both queue entries are sent for a.test:
        # whoever may see the forward in the queue API sees its bounce too.
        self.forward_out("fwd@a.test", "gone@nothing.test", "forwarded-then-bounced",
                         "stranger@elsewhere.test")
        fwd, _ = self.wait_state("gone@nothing.test", ["bounced"])
        self.assertEqual(fwd["domain"], "a.test")
        report, _ = self.wait_state("stranger@elsewhere.test",
                                    ["queued", "sending", "deferred", "bounced"])
        self.assertEqual(report["sender"], "")
        self.assertEqual(report["domain"], "a.test")

    def test_implicit_mx_from_address_record(self):
        sink = self.peer(Sink(RETRY_ADDR, self.port))
        self.submit(["x@implicit.test"], "implicit-mx")
        self.wait_state("x@implicit.test", ["delivered"])
        self.assertEqual(len([m for m in sink.messages() if b"Subject: implicit-mx" in m]), 1)
        sink.stop()
        self.peers.remove(sink)

    def test_512_received_headers_bounce_as_a_loop(self):
        hops = "".join(f"Received: from hop{i}.test by hop{i + 1}.test; "
                       "Mon, 1 Jan 2024 00:00:00 +0000\r\n" for i in range(512))
        self.submit(["bob@b.test"], "hop-loop", headers=hops)
        _, r = self.wait_state("bob@b.test", ["bounced"])
        self.assertIn("Received headers", r["last_error"])
        self.assertIn("Status: 5.4.6", self.status_of(self.wait_bounce("hop-loop")[0]))

    def test_smtputf8_needed_and_missing_bounces(self):
        # smtp-sink does not offer SMTPUTF8.
        self.peer(Sink(UTF8_ADDR, self.port))
        self.submit(["x@utf8.test"], "needs-utf8", mail_options=["SMTPUTF8"])
        _, r = self.wait_state("x@utf8.test", ["bounced"])
        self.assertIn("SMTPUTF8", r["last_error"])
        self.assertIn("Status: 5.6.7", self.status_of(self.wait_bounce("needs-utf8")[0]))

    def test_kill_9_with_full_queue_loses_nothing_and_duplicates_nothing(self):
        hung = PyPeer(HANG_ADDR, self.port, hang)
        subjects = [f"crash-{i}" for i in range(12)]
        for s in subjects:
            self.submit([f"{s}@hang.test"], s)
        # Every recipient is claimed (sending) or waiting: the queue is full when A dies.
        wait_for(lambda: hung.connections >= 3, lambda: f"3 connections to the hung peer, "
                 f"{hung.connections} so far")
        self.a.kill()
        hung.stop()  # no longer listening when it returns: the sink binds the address next
        sink = self.peer(Sink(HANG_ADDR, self.port))
        self.a.start()
        for s in subjects:
            self.wait_state(f"{s}@hang.test", ["delivered"])
        got = sink.messages()
        for s in subjects:
            n = len([m for m in got if re.search(rb"Subject: " + s.encode() + rb"\r?\n", m)])
            self.assertEqual(n, 1, s)


if __name__ == "__main__":
    unittest.main()
