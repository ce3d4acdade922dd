"""SMTP and DSN correctness (issue 19): what the MX learns and checks when a client connects, and
delivery status notifications beyond failures.

- Early talkers: a client that sends before the 220 greeting gets
  `554 5.5.1 Protocol error: data before greeting` on the MX and is disconnected (raw sockets),
  while smtplib, which waits for the greeting, goes through; submission has no such test.
- The Received header: the HELO name, the client's forward-confirmed reverse DNS name (answers
  from a dnsmasq the test starts; `unknown` without one, and when DNS does not answer), the TLS
  version and cipher.
- DSN (RFC 3461): NOTIFY=SUCCESS gives a "delivered" report for a local mailbox, "expanded" for
  an alias of several destinations, "relayed" when the message goes to a next hop without DSN;
  a next hop that offers DSN is given RET, ENVID, NOTIFY and ORCPT and we send no report; no
  report ever goes to the null sender. Reports are read back with POP3; the next hops are
  Python SMTP peers (peers.SmtpPeer) found through dnsmasq MX records."""
import json
import re
import smtplib
import socket
import unittest

from harness import WAIT, free_port, start_server, wait_for
from mailfixture import CTX, Fixture, ProvisionedCase, pop_messages
from outbound_base import OutboundBase
from peers import Dns, SmtpPeer

DATE = r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"


def received_of(message):
    """The first Received header (ours: the newest) with its folding, CRLF line ends."""
    m = re.search(rb"^Received: .*?\r\n(?:\t.*?\r\n)*", message, re.M)
    assert m, message[:300]
    return m.group(0).decode()


def report_blocks(raw):
    """The message/delivery-status part of a report: its per-message block and the list of
    per-recipient blocks, as text with CRLF line ends."""
    m = re.search(rb"Content-Type: message/delivery-status\r\n\r\n(.*?)\r\n--", raw, re.S)
    assert m, raw
    blocks = m.group(1).decode().rstrip("\r\n").split("\r\n\r\n")
    return blocks[0] + "\r\n", [b + "\r\n" for b in blocks[1:]]


def reports_about(messages, subject):
    """Reports (multipart/report) that quote a message with this subject."""
    return [m for m in messages
            if b"report-type=delivery-status" in m and f"Subject: {subject}\r\n".encode() in m]


# -- early talkers -------------------------------------------------------------------------

def early_talk(port):
    """Connects, sends EHLO at once (before any greeting) and returns everything the server
    sent until it closed the connection (a server that never closes is a socket timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        s.sendall(b"EHLO early.test\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk
            if b"\r\n250 " in data or data.startswith(b"250 "):
                return data  # a greeting and an EHLO answer: the server let it in
    finally:
        s.close()


class Pregreet(ProvisionedCase):
    listeners = ["smtp", "submission", "http", "pop3s"]
    mailboxes = {"bob@example.test": "bob-password-1"}
    # Long enough that the client's EHLO, sent right after connect, is surely in by then.
    extra_config = "[smtp]\npregreet_delay_ms = 2000\n"

    def test_client_talking_before_the_greeting_is_refused_on_the_mx(self):
        before = self.server.metric("posthouse_pregreet_refused_total", "smtp")
        self.assertEqual(early_talk(self.server.ports["smtp"]),
                         b"554 5.5.1 Protocol error: data before greeting\r\n")
        self.assertEqual(self.server.metric("posthouse_pregreet_refused_total", "smtp"),
                         before + 1)
        self.assertIn("data before the greeting, refused", self.server.read_log())

    def test_smtplib_waits_for_the_greeting_and_gets_through(self):
        before = self.server.metric("posthouse_pregreet_refused_total", "smtp")
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            refused = s.sendmail("a@remote.test", ["bob@example.test"],
                                 b"Subject: pregreet-ok\r\n\r\nhello\r\n")
            self.assertEqual(refused, {})
        got = pop_messages(self.server, "bob@example.test", "bob-password-1")
        self.assertEqual(sum(b"Subject: pregreet-ok\r\n" in m for m in got), 1)
        self.assertEqual(self.server.metric("posthouse_pregreet_refused_total", "smtp"), before)

    def test_submission_has_no_pregreet_test(self):
        before = self.server.metric("posthouse_pregreet_refused_total", "submission")
        data = early_talk(self.server.ports["submission"])
        self.assertTrue(data.startswith(b"220 mail.test ESMTP Posthouse\r\n250-mail.test"), data)
        self.assertEqual(self.server.metric("posthouse_pregreet_refused_total", "submission"),
                         before)


# -- the Received header ---------------------------------------------------------------------

# 127.0.0.1: PTR client.test, whose A is 127.0.0.1 (confirmed).
# 127.0.0.3: PTR liar.test, whose A is 127.0.0.2 (not confirmed).
# 127.0.0.4: no PTR at all (NXDOMAIN: dnsmasq answers 127.in-addr.arpa itself).
# 127.0.0.5: PTR "bad(x).test", whose A is 127.0.0.5: confirmed, but no host name (c-ares may
#            escape such a name itself; the resolver drops it whatever c-ares does).
DNS_RECORDS = ["--local=/127.in-addr.arpa/",
               "--host-record=client.test,127.0.0.1",
               "--ptr-record=3.0.0.127.in-addr.arpa,liar.test",
               "--address=/liar.test/127.0.0.2",
               "--ptr-record=5.0.0.127.in-addr.arpa,bad(x).test",
               "--address=/bad(x).test/127.0.0.5"]


class ReceivedHeader(ProvisionedCase):
    listeners = ["smtp", "pop3s"]
    mailboxes = {"bob@example.test": "bob-password-1"}

    @classmethod
    def setUpClass(cls):
        cls.dns = Dns(DNS_RECORDS)
        cls.addClassCleanup(cls.dns.stop)
        # A generous lookup deadline: dnsmasq answers at once, a loaded machine must not turn
        # a slow answer into "unknown".
        cls.extra_config = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\n'
                            "[smtp]\nrdns_timeout_ms = 30000\n")
        super().setUpClass()

    def deliver(self, subject, source, tls):
        """Sends a message from `source`; returns (the Received header bob got, TLS version,
        cipher)."""
        return deliver_from(self, subject, source, tls)

    def test_verified_name_helo_and_tls_in_received(self):
        header, version, cipher = self.deliver("rcvd-verified", "127.0.0.1", tls=True)
        self.assertEqual(version, "TLSv1.3")
        self.assertRegex(header, re.compile(
            r"^Received: from helo\.client\.test \(client\.test \[127\.0\.0\.1\]\)\r\n"
            rf"\t\(using TLSv1\.3 with cipher {re.escape(cipher)}\)\r\n"
            r"\tby mail\.test \(Posthouse\) with ESMTPS id [0-9a-zA-Z._-]+\r\n"
            r"\tfor <bob@example\.test>;\r\n"
            rf"\t{DATE}\r\n$"))

    def test_ptr_whose_address_does_not_match_is_unknown(self):
        header, _, _ = self.deliver("rcvd-liar", "127.0.0.3", tls=False)
        self.assertRegex(header, re.compile(
            r"^Received: from helo\.client\.test \(unknown \[127\.0\.0\.3\]\)\r\n"
            r"\tby mail\.test \(Posthouse\) with ESMTP id [0-9a-zA-Z._-]+\r\n"
            r"\tfor <bob@example\.test>;\r\n"
            rf"\t{DATE}\r\n$"))

    def test_no_ptr_is_unknown(self):
        header, _, _ = self.deliver("rcvd-noptr", "127.0.0.4", tls=False)
        self.assertTrue(header.startswith(
            "Received: from helo.client.test (unknown [127.0.0.4])\r\n"
            "\tby mail.test (Posthouse) with ESMTP id "), header)

    def test_ptr_name_that_is_no_host_name_is_unknown(self):
        header, _, _ = self.deliver("rcvd-badname", "127.0.0.5", tls=False)
        self.assertTrue(header.startswith(
            "Received: from helo.client.test (unknown [127.0.0.5])\r\n"), header)


def deliver_from(case, subject, source, tls, helo="helo.client.test"):
    version = cipher = None
    with smtplib.SMTP("127.0.0.1", case.server.ports["smtp"], timeout=WAIT,
                      source_address=(source, 0)) as s:
        s.ehlo(helo)
        if tls:
            s.starttls(context=CTX)
            s.ehlo(helo)
            version, cipher = s.sock.version(), s.sock.cipher()[0]
        s.sendmail("a@remote.test", ["bob@example.test"],
                   f"Subject: {subject}\r\n\r\nhello\r\n".encode())
    got = [m for m in pop_messages(case.server, "bob@example.test", "bob-password-1")
           if f"Subject: {subject}\r\n".encode() in m]
    case.assertEqual(len(got), 1)
    return received_of(got[0]), version, cipher


class ReceivedWithSilentDns(ProvisionedCase):
    """The resolver is a UDP socket that reads nothing: every lookup times out."""
    listeners = ["smtp", "pop3s"]
    mailboxes = {"bob@example.test": "bob-password-1"}

    @classmethod
    def setUpClass(cls):
        cls.silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.silent.bind(("127.0.0.1", 0))
        cls.addClassCleanup(cls.silent.close)
        port = cls.silent.getsockname()[1]
        cls.extra_config = (f'[outbound]\nresolver = "127.0.0.1:{port}"\n'
                            "[smtp]\nrdns_timeout_ms = 200\n")
        super().setUpClass()

    def test_dns_that_never_answers_gives_unknown_and_the_message_goes_through(self):
        header, _, _ = deliver_from(self, "rcvd-silent", "127.0.0.1", tls=False,
                                    helo="odd\x01helo")
        # The HELO name's control byte does not reach the header either.
        self.assertTrue(header.startswith(
            "Received: from odd?helo (unknown [127.0.0.1])\r\n"
            "\tby mail.test (Posthouse) with ESMTP id "), header)


# -- DSN: local delivery ---------------------------------------------------------------------

class DsnLocal(ProvisionedCase):
    listeners = ["smtp", "pop3s"]
    mailboxes = {"alice@example.test": "alice-password-1", "bob@example.test": "bob-password-1",
                 "carol@example.test": "carol-password-1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx.alias("team@example.test", ["bob@example.test", "carol@example.test"])
        # Outside destinations wait in the queue (the harness's resolver answers nothing).
        cls.fx.alias("outside@example.test", ["x@far.test", "y@far.test"])

    def send(self, rcpt, subject, rcpt_options, mail_options=(), sender="alice@example.test"):
        msg = f"From: alice@example.test\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\nhello\r\n"
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.ehlo("client.test")
            self.assertIn("dsn", s.esmtp_features)
            code, reply = s.mail(sender, list(mail_options))
            self.assertEqual(code, 250, reply)
            code, reply = s.rcpt(rcpt, list(rcpt_options))
            self.assertEqual((code, reply), (250, b"2.1.5 Recipient OK"))
            code, reply = s.data(msg.encode())
            self.assertEqual(code, 250, reply)
            self.assertTrue(reply.startswith(b"2.0.0 OK queued as "), reply)

    def alice_reports(self, subject):
        return reports_about(pop_messages(self.server, "alice@example.test", "alice-password-1"),
                             subject)

    def test_notify_success_local_delivery_reports_delivered(self):
        self.send("bob@example.test", "dsn-delivered",
                  ["NOTIFY=SUCCESS", "ORCPT=rfc822;Bob+2Bdsn@example.test"],
                  ["ENVID=env+2Bdelivered", "RET=FULL"])
        reports = wait_for(lambda: self.alice_reports("dsn-delivered"), "the delivered report")
        self.assertEqual(len(reports), 1)
        raw = reports[0]
        self.assertIn(b"Subject: Successful Mail Delivery Report\r\n", raw)
        self.assertIn(b"Content-Type: multipart/report; report-type=delivery-status;", raw)
        per_message, recipients = report_blocks(raw)
        self.assertRegex(per_message,
                         r"^Reporting-MTA: dns; mail\.test\r\n"
                         r"Original-Envelope-Id: env\+delivered\r\n"
                         r"Arrival-Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} [\d:]{8} \+0000\r\n$")
        self.assertEqual(recipients, ["Original-Recipient: rfc822;Bob+dsn@example.test\r\n"
                                      "Final-Recipient: rfc822; bob@example.test\r\n"
                                      "Action: delivered\r\n"
                                      "Status: 2.0.0\r\n"])
        # Only the header comes back with a success report, even with RET=FULL.
        self.assertIn(b"Content-Type: text/rfc822-headers", raw)
        self.assertNotIn(b"\r\nhello\r\n", raw)
        # And the message itself is in bob's mailbox.
        got = pop_messages(self.server, "bob@example.test", "bob-password-1")
        self.assertEqual(sum(b"Subject: dsn-delivered\r\n" in m for m in got), 1)

    def test_alias_to_several_mailboxes_reports_expanded(self):
        self.send("team@example.test", "dsn-expanded", ["NOTIFY=SUCCESS,FAILURE"])
        reports = wait_for(lambda: self.alice_reports("dsn-expanded"), "the expanded report")
        self.assertEqual(len(reports), 1)
        _, recipients = report_blocks(reports[0])
        self.assertEqual(recipients, ["Final-Recipient: rfc822; team@example.test\r\n"
                                      "Action: expanded\r\n"
                                      "Status: 2.0.0\r\n"])

    def test_alias_to_several_outside_addresses_reports_expanded(self):
        self.send("outside@example.test", "dsn-expanded-out", ["NOTIFY=SUCCESS"])
        reports = wait_for(lambda: self.alice_reports("dsn-expanded-out"),
                           "the expanded report")
        self.assertEqual(len(reports), 1)
        _, recipients = report_blocks(reports[0])
        self.assertEqual(recipients, ["Final-Recipient: rfc822; outside@example.test\r\n"
                                      "Action: expanded\r\n"
                                      "Status: 2.0.0\r\n"])

    def test_no_report_without_success_or_with_never(self):
        self.send("bob@example.test", "dsn-never", ["NOTIFY=NEVER"])
        self.send("bob@example.test", "dsn-failure-only", ["NOTIFY=FAILURE"])
        self.send("bob@example.test", "dsn-default", [])
        # The report of a later message proves that reports of the earlier ones (made before
        # their 250, like this one) would be there by now.
        self.send("bob@example.test", "dsn-later", ["NOTIFY=SUCCESS"])
        wait_for(lambda: self.alice_reports("dsn-later"), "the later report")
        for subject in ("dsn-never", "dsn-failure-only", "dsn-default"):
            self.assertEqual(self.alice_reports(subject), [], subject)

    def test_null_sender_gets_no_success_report(self):
        self.send("bob@example.test", "dsn-null-sender", ["NOTIFY=SUCCESS"],
                  ["ENVID=null"], sender="")
        got = pop_messages(self.server, "bob@example.test", "bob-password-1")
        self.assertEqual(sum(b"Subject: dsn-null-sender\r\n" in m for m in got), 1)
        # A report is made before the 250: had one been made, it would be addressed to "",
        # which is no local address, so it would wait in the queue (or fail, and be logged).
        queued = json.loads(self.server.cli("queue", "list", "--json").stdout)
        self.assertEqual([r for m in queued for r in m["recipients"] if r["address"] == ""], [])
        self.assertNotIn("delivery report", self.server.read_log())
        self.assertEqual(reports_about(got, "dsn-null-sender"), [])


# -- DSN: the next hop -----------------------------------------------------------------------

NODSN_ADDR = "127.0.0.21"  # MX of nodsn.test: no DSN in its EHLO
DSN_ADDR = "127.0.0.22"    # MX of dsn.test: offers DSN


class DsnRelay(OutboundBase):
    """alice@a.test submits to A, whose MX lookups go to dnsmasq: nodsn.test and dsn.test are
    Python peers on loopback addresses."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.peers = []
        cls.addClassCleanup(cls.stop_peers)
        cls.nodsn = SmtpPeer(NODSN_ADDR, cls.port)
        cls.peers.append(cls.nodsn)
        cls.dsn = SmtpPeer(DSN_ADDR, cls.port, dsn=True)
        cls.peers.append(cls.dsn)
        cls.dns = Dns(["--mx-host=nodsn.test,mx.nodsn.test,10",
                       f"--host-record=mx.nodsn.test,{NODSN_ADDR}",
                       "--mx-host=dsn.test,mx.dsn.test,10", f"--host-record=mx.dsn.test,{DSN_ADDR}"])
        cls.addClassCleanup(cls.dns.stop)
        outbound = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\nmx_port = {cls.port}\n'
                    "poll_interval_seconds = 1\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
                    "connect_timeout_seconds = 5\ncommand_timeout_seconds = 20\n")
        cls.a = start_server(cls, listeners=["smtp", "submission", "pop3s"],
                             hostname="mail-a.test", extra_config=outbound)
        fa = Fixture(cls.a)
        fa.domain("a.test")
        fa.mailbox("alice@a.test", "alice-password-1")

    def submit_dsn(self, rcpt, subject, rcpt_options, mail_options):
        msg = (f"From: alice@a.test\r\nTo: {rcpt}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject}@a.test>\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=WAIT) as s:
            s.starttls(context=CTX)
            s.login("alice@a.test", "alice-password-1")
            refused = s.sendmail("alice@a.test", [rcpt], msg.encode(), mail_options=mail_options,
                                 rcpt_options=rcpt_options)
            self.assertEqual(refused, {})

    def alice_reports(self, subject):
        return reports_about(pop_messages(self.a, "alice@a.test", "alice-password-1"), subject)

    def envelope_of(self, peer, subject):
        """The (MAIL line, [RCPT lines]) with which `peer` received the message."""
        (envelope,) = [e for (n, m), e in zip(peer.messages, peer.envelopes)
                       if f"Subject: {subject}\r\n".encode() in m]
        return envelope

    def test_next_hop_without_dsn_gets_plain_envelope_and_sender_gets_relayed(self):
        self.submit_dsn("x@nodsn.test", "dsn-relayed",
                        ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;X+2Borig@nodsn.test"],
                        ["RET=HDRS", "ENVID=env+2Brelayed"])
        reports = wait_for(lambda: self.alice_reports("dsn-relayed"), "the relayed report")
        self.assertEqual(len(reports), 1)
        raw = reports[0]
        self.assertIn(b"Subject: Successful Mail Delivery Report\r\n", raw)
        per_message, recipients = report_blocks(raw)
        self.assertIn("Original-Envelope-Id: env+relayed\r\n", per_message)
        self.assertEqual(len(recipients), 1)
        self.assertRegex(recipients[0],
                         r"^Original-Recipient: rfc822;X\+orig@nodsn\.test\r\n"
                         r"Final-Recipient: rfc822; x@nodsn\.test\r\n"
                         r"Action: relayed\r\n"
                         r"Status: 2\.0\.0\r\n"
                         r"Diagnostic-Code: smtp; mx\.nodsn\.test\[127\.0\.0\.21\]:\d+ said: "
                         r"250 2\.0\.0 queued\r\n$")
        # The next hop, which offers no DSN, saw no DSN parameter.
        mail, rcpts = self.envelope_of(self.nodsn, "dsn-relayed")
        self.assertRegex(mail, r"^MAIL FROM:<alice@a\.test> SIZE=\d+$")
        self.assertEqual(rcpts, ["RCPT TO:<x@nodsn.test>"])

    def test_next_hop_with_dsn_gets_parameters_and_no_report_is_sent(self):
        self.submit_dsn("y@dsn.test", "dsn-passed",
                        ["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;Y+2Borig@dsn.test"],
                        ["RET=HDRS", "ENVID=env+2Bpassed"])
        self.wait_state("y@dsn.test", ["delivered"])
        mail, rcpts = self.envelope_of(self.dsn, "dsn-passed")
        self.assertRegex(mail, r"^MAIL FROM:<alice@a\.test> SIZE=\d+ RET=HDRS ENVID=env\+2Bpassed$")
        self.assertEqual(rcpts, ["RCPT TO:<y@dsn.test> NOTIFY=SUCCESS,DELAY "
                                 "ORCPT=rfc822;Y+2Borig@dsn.test"])
        # A report would be in the mailbox before the outcome was recorded (the runner hands
        # reports on first), and the outcome is recorded: there is none.
        self.assertEqual(self.alice_reports("dsn-passed"), [])

    def test_next_hop_with_dsn_gets_ret_full_and_the_forwarded_address_as_orcpt(self):
        # A local address forwarding to one outside address carries the request on, with the
        # address it was sent to as ORCPT (RFC 3461 6.2.7).
        self.forward_out("fwd-dsn@a.test", "w@dsn.test", "dsn-forwarded",
                         "stranger@elsewhere.test", mail_options=["RET=FULL", "ENVID=fwd"],
                         rcpt_options=["NOTIFY=FAILURE"])
        self.wait_state("w@dsn.test", ["delivered"])
        mail, rcpts = self.envelope_of(self.dsn, "dsn-forwarded")
        self.assertRegex(mail, r"^MAIL FROM:<stranger@elsewhere\.test> SIZE=\d+ RET=FULL "
                               r"ENVID=fwd$")
        self.assertEqual(rcpts, ["RCPT TO:<w@dsn.test> NOTIFY=FAILURE ORCPT=rfc822;fwd-dsn@a.test"])

    def test_notify_never_relayed_without_report(self):
        self.submit_dsn("z@nodsn.test", "dsn-never-relayed", ["NOTIFY=NEVER"], [])
        self.wait_state("z@nodsn.test", ["delivered"])
        self.assertEqual(self.alice_reports("dsn-never-relayed"), [])

    def test_null_sender_relayed_without_report(self):
        # The stranger's bounce-like message (null sender) forwards to a next hop without DSN:
        # NOTIFY=SUCCESS goes with it, and no "relayed" report is made for the null sender.
        self.forward_out("fwd-null@a.test", "v@nodsn.test", "dsn-null-relayed", "",
                         rcpt_options=["NOTIFY=SUCCESS"])
        self.wait_state("v@nodsn.test", ["delivered"])
        mail, rcpts = self.envelope_of(self.nodsn, "dsn-null-relayed")
        self.assertRegex(mail, r"^MAIL FROM:<> SIZE=\d+$")
        # A report is handed on before the outcome is recorded; one to "" would be queued.
        self.assertEqual(self.recipients_of(""), [])
        log = self.a.read_log()
        (qid,) = re.findall(r"queue: (\S+) to=<v@nodsn\.test> delivered", log)
        self.assertNotIn(f"{qid}: relayed report", log)
        self.assertNotIn(f"{qid}: cannot send the relayed report", log)


if __name__ == "__main__":
    unittest.main()
