"""Outbound sessions: connection reuse (several transactions per SMTP session, a reused session
dropped mid-DATA), certificate verification on required-TLS routes and a smarthost, and delay
warnings (once, also across a restart; on the test clock). Peers are Python SMTP servers with
certificates from a test CA (peers.SmtpPeer)."""
import os
import shutil
import smtplib
import subprocess
import tempfile
import unittest

from harness import WAIT, free_port, start_server, wait_for
from mailfixture import CTX, Fixture
from outbound_base import OutboundBase
from peers import Dns, SmtpPeer

REUSE_ADDR = "127.0.0.21"      # counts sessions and transactions
DROPREUSE_ADDR = "127.0.0.22"  # drops the second transaction of its first session
GOOD_TLS_ADDR = "127.0.0.23"   # certificate for mx.tlsgood.test from the test CA
WRONG_TLS_ADDR = "127.0.0.24"  # certificate for wrong.test from the test CA
UNTRUSTED_ADDR = "127.0.0.25"  # self-signed certificate for mx.untrusted.test
OPP_ADDR = "127.0.0.26"        # self-signed certificate, opportunistic TLS
RELAY_ADDR = "127.0.0.27"      # smarthost relay.tls.test (required TLS, verified)
SLOW_ADDR = "127.0.0.28"       # 451 to every RCPT: delay warnings

DELAY_WARNING = 4 * 3600  # outbound.delay_warning_seconds (the default): reached by the clock


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d):
    """A test CA, certificates it signs for a name, and a self-signed certificate."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
            "-days", "2", "-subj", "/CN=Posthouse Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(name, signed=True):
        key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
        ext = os.path.join(d, name + ".ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=DNS:{name}\nextendedKeyUsage=serverAuth\n")
        if signed:
            csr = os.path.join(d, name + ".csr")
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", f"/CN={name}")
            openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
        else:
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}")
        return crt, key

    return ca_crt, leaf


class OutboundSessions(OutboundBase):
    """Session reuse, certificate verification on required-TLS routes, delay warnings."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.pki = tempfile.mkdtemp(prefix="ph-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki, True)
        ca, leaf = make_pki(cls.pki)
        cls.good = leaf("mx.tlsgood.test")
        cls.wrong = leaf("wrong.test")
        cls.relay_cert = leaf("relay.tls.test")
        cls.untrusted = leaf("mx.untrusted.test", signed=False)
        names = {"reuse": REUSE_ADDR, "dropreuse": DROPREUSE_ADDR, "tlsgood": GOOD_TLS_ADDR,
                 "tlswrong": WRONG_TLS_ADDR, "untrusted": UNTRUSTED_ADDR, "tlsopp": OPP_ADDR,
                 "slow": SLOW_ADDR}
        records = []
        for d, addr in names.items():
            records += [f"--mx-host={d}.test,mx.{d}.test,10", f"--host-record=mx.{d}.test,{addr}"]
        records.append(f"--host-record=relay.tls.test,{RELAY_ADDR}")
        cls.peers = []
        cls.addClassCleanup(cls.stop_peers)
        cls.dns = Dns(records)
        cls.addClassCleanup(cls.dns.stop)
        outbound = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\nmx_port = {cls.port}\n'
                    "poll_interval_seconds = 1\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
                    "connect_timeout_seconds = 5\ncommand_timeout_seconds = 20\n"
                    "concurrency_per_domain = 1\nmax_messages_per_connection = 4\n"
                    f"connection_idle_seconds = 120\ndelay_warning_seconds = {DELAY_WARNING}\n"
                    f'tls_ca_file = "{ca}"\n'
                    'require_tls_domains = ["tlsgood.test", "tlswrong.test", "untrusted.test"]\n'
                    'smarthost_tls = "required"\n'
                    f'smarthost_domains = ["relayed.test=relay.tls.test:{cls.port}"]\n')
        cls.a = start_server(cls, listeners=["smtp", "submission", "pop3s"],
                             hostname="mail-s.test", extra_config=outbound)
        fa = Fixture(cls.a)
        fa.domain("a.test")
        fa.mailbox("alice@a.test", "alice-password-1")
        fa.domain("relayed.test")
        fa.mailbox("rita@relayed.test", "rita-password-1")

    def warnings_for(self, subject):
        return [b for b in self.bounces(subject) if "Action: delayed" in self.status_of(b)]

    def test_one_session_carries_several_messages_up_to_the_limit(self):
        peer = self.peer(SmtpPeer(REUSE_ADDR, self.port))
        subjects = [f"reuse-{i}" for i in range(10)]
        for s in subjects:
            self.submit([f"{s}@reuse.test"], s)
        for s in subjects:
            self.wait_state(f"{s}@reuse.test", ["delivered"])
        for s in subjects:
            self.assertEqual(len(peer.with_subject(s)), 1, s)
        # 10 messages, at most 4 per session (max_messages_per_connection): 3 sessions, one
        # transaction each after RSET on a reused one.
        self.assertEqual(peer.connections, 3)
        self.assertEqual(peer.rsets, 7)
        sessions = sorted(n for n, _ in peer.messages)
        self.assertEqual([sessions.count(n) for n in sorted(set(sessions))], [4, 4, 2])

    def test_a_reused_session_dropped_mid_data_defers_only_that_message(self):
        peer = self.peer(SmtpPeer(DROPREUSE_ADDR, self.port, drop_transaction=(1, 2)))
        subjects = [f"dropreuse-{i}" for i in range(4)]
        for s in subjects:
            self.submit([f"{s}@dropreuse.test"], s)
        for s in subjects:
            self.wait_state(f"{s}@dropreuse.test", ["delivered"])
        for s in subjects:
            self.assertEqual(len(peer.with_subject(s)), 1, s)
        # One message was lost with session 1 and retried: it had one failed attempt.
        attempts = sorted(self.recipients_of(f"{s}@dropreuse.test")[-1][1]["attempts"]
                          for s in subjects)
        self.assertEqual(attempts, [1, 1, 1, 2])
        self.assertGreaterEqual(peer.connections, 2)
        self.assertEqual(len(peer.messages), 4)

    def test_required_tls_with_a_valid_certificate_delivers(self):
        peer = self.peer(SmtpPeer(GOOD_TLS_ADDR, self.port, cert=self.good))
        self.submit(["x@tlsgood.test"], "tls-good")
        self.wait_state("x@tlsgood.test", ["delivered"])
        self.assertEqual(len(peer.with_subject("tls-good")), 1)
        self.assertGreaterEqual(peer.tls_sessions, 1)

    def test_required_tls_with_a_wrong_name_defers(self):
        peer = self.peer(SmtpPeer(WRONG_TLS_ADDR, self.port, cert=self.wrong))
        self.submit(["x@tlswrong.test"], "tls-wrong-name")
        _, r = self.wait_state("x@tlswrong.test", ["deferred"], min_attempts=2)
        self.assertIn("4.7.5 TLS certificate verification failed for mx.tlswrong.test",
                      r["last_error"])
        self.assertIn("hostname mismatch", r["last_error"].lower())
        self.assertEqual(peer.messages, [])

    def test_required_tls_with_an_untrusted_certificate_defers(self):
        peer = self.peer(SmtpPeer(UNTRUSTED_ADDR, self.port, cert=self.untrusted))
        self.submit(["x@untrusted.test"], "tls-untrusted")
        _, r = self.wait_state("x@untrusted.test", ["deferred"], min_attempts=2)
        self.assertIn("4.7.5 TLS certificate verification failed for mx.untrusted.test",
                      r["last_error"])
        self.assertRegex(r["last_error"], "self.signed")
        self.assertEqual(peer.messages, [])

    def test_opportunistic_tls_does_not_verify(self):
        peer = self.peer(SmtpPeer(OPP_ADDR, self.port, cert=self.untrusted))
        self.submit(["x@tlsopp.test"], "tls-opportunistic")
        self.wait_state("x@tlsopp.test", ["delivered"])
        self.assertEqual(len(peer.with_subject("tls-opportunistic")), 1)
        self.assertEqual(peer.tls_sessions, 1)

    def test_smarthost_with_required_tls_verifies_its_name(self):
        peer = self.peer(SmtpPeer(RELAY_ADDR, self.port, cert=self.relay_cert))
        msg = ("From: rita@relayed.test\r\nTo: x@anywhere.test\r\nSubject: via-relay\r\n"
               "Message-ID: <via-relay@relayed.test>\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=WAIT) as s:
            s.starttls(context=CTX)
            s.login("rita@relayed.test", "rita-password-1")
            s.sendmail("rita@relayed.test", ["x@anywhere.test"], msg.encode())
        self.wait_state("x@anywhere.test", ["delivered"])
        self.assertEqual(len(peer.with_subject("via-relay")), 1)
        self.assertEqual(peer.tls_sessions, 1)

    def test_delay_warning_is_sent_once_even_across_a_restart(self):
        self.peer(SmtpPeer(SLOW_ADDR, self.port, rcpt_reply=b"451 4.3.0 try again later"))
        self.submit(["x@slow.test"], "slow-warned")
        self.submit(["y@slow.test"], "slow-no-delay-notify")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=WAIT) as s:
            s.starttls(context=CTX)
            s.login("alice@a.test", "alice-password-1")
            s.sendmail("alice@a.test", ["z@slow.test"],
                       b"From: alice@a.test\r\nSubject: slow-notify-failure\r\n\r\nhi\r\n",
                       rcpt_options=["NOTIFY=FAILURE"])
        # Deferred, and no warning yet: the three have not waited delay_warning_seconds.
        for r in ("x", "y", "z"):
            self.wait_state(f"{r}@slow.test", ["deferred"], min_attempts=1)
        self.assertEqual(self.warnings_for("slow-warned"), [])
        # The runner's clock moves past the warning delay: the next attempt sends the warning.
        self.a.advance_clock(DELAY_WARNING + 1)
        wait_for(lambda: self.warnings_for("slow-warned"), "a delay warning for slow-warned",
                 interval=0.3)
        w = self.warnings_for("slow-warned")
        self.assertEqual(len(w), 1, self.a.read_log()[-3000:])
        status = self.status_of(w[0])
        self.assertIn("Final-Recipient: rfc822; x@slow.test", status)
        self.assertIn("Status: 4.3.0", status)
        self.assertIn("Will-Retry-Until:", status)
        self.assertEqual(w[0]["Subject"], "Delayed Mail (still being retried)")
        # Still being retried; more attempts, a restart, more attempts: no second warning.
        _, r = self.wait_state("x@slow.test", ["deferred"])
        self.a.stop()
        self.a.start()
        self.wait_state("x@slow.test", ["deferred"], min_attempts=r["attempts"] + 3)
        _, z = self.wait_state("z@slow.test", ["deferred"], min_attempts=3)
        self.assertEqual(len(self.warnings_for("slow-warned")), 1)
        # y asked for nothing: it is warned too (the default); z asked for failures only.
        self.assertEqual(len(self.warnings_for("slow-no-delay-notify")), 1)
        self.assertEqual(self.warnings_for("slow-notify-failure"), [])


if __name__ == "__main__":
    unittest.main()
