"""DNS lists on the MX, end to end (docs/antispam.md, "DNS lists"): dnsmasq serves the lists'
answers; smtplib connects from chosen loopback addresses (any 127/8 address is ours on Linux),
so one client is listed and another is not; imaplib reads what arrived.

What must hold:
- a client on a block list gets 550 5.7.1 at RCPT naming its address, the zone and the code,
  while postmaster is still accepted (RFC 5321 4.5.1);
- an unlisted client's mail is delivered;
- a list that answers 127.255.255.254 (Spamhaus: "query refused") never refuses: the mail is
  delivered, the server logs a temperror naming the zone and counts it in /metrics;
- a HELO name or MAIL FROM domain on a domain list (RHSBL) is refused the same way;
- a client on an allow list gets dnswl=pass (RFC 8904) in Authentication-Results;
- an authenticated submission client is never looked up, listed or not;
- the lists' answers are cached ([antispam] dns_cache_entries): a client seen before is
  answered from the cache (dnsmasq's NXDOMAIN carries no SOA: kept the default 5 minutes),
  counted in /metrics.
"""
import smtplib
import unittest

from harness import WAIT, wait_for
from mailfixture import DnsMxCase

LISTED, REFUSING, ALLOWED, UNLISTED = "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.9"

DNS_RECORDS = [
    "--local=/127.in-addr.arpa/",
    "--address=/5.0.0.127.zen.test/127.0.0.2",
    "--address=/6.0.0.127.zen.test/127.255.255.254",
    "--address=/7.0.0.127.wl.test/127.0.10.2",
    "--address=/spam.test.dbl.test/127.0.1.2",
    "--address=/badhelo.test.dbl.test/127.0.1.3",
]

LISTS = """
[[antispam.dnsbl]]
zone = "zen.test"

[[antispam.dnsbl]]
zone = "dbl.test"
type = "domain"
codes = ["127.0.1.2-127.0.1.99"]

[[antispam.dnsbl]]
zone = "wl.test"
list = "allow"
"""

BOB, BOB_PW = "bob@example.test", "bob-password-1"
CAROL, CAROL_PW = "carol@example.test", "carol-password-1"
POSTMASTER = "postmaster@example.test"  # an alias of carol


def message(subject):
    return (f"From: <alice@sender.test>\r\nTo: <{BOB}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@sender.test>\r\n\r\nbody of {subject}\r\n")


class DnsLists(DnsMxCase):
    listeners = ["smtp", "submission", "imaps", "http"]
    mailboxes = {BOB: BOB_PW, CAROL: CAROL_PW}
    dns_records = DNS_RECORDS
    antispam = LISTS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx.alias(POSTMASTER, [CAROL])

    def send(self, source, subject, rcpts=(BOB,), sender="alice@sender.test",
             helo="client.sender.test"):
        """Sends from `source`; returns smtplib's refused recipients (all refused: raises)."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT,
                          source_address=(source, 0)) as s:
            s.ehlo(helo)
            return s.sendmail(sender, list(rcpts), message(subject).encode())

    def refused_all(self, source, subject, **kwargs):
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            self.send(source, subject, **kwargs)
        return {r: (code, text.decode()) for r, (code, text) in cm.exception.recipients.items()}

    def test_listed_client_is_refused_but_postmaster_accepted(self):
        refused = self.send(LISTED, "bl-listed", rcpts=(BOB, POSTMASTER))
        self.assertEqual(refused, {BOB: (550, b"5.7.1 Client host [127.0.0.5] is listed by "
                                             b"zen.test (127.0.0.2)")})
        self.assertEqual(self.fetch(BOB, BOB_PW, "bl-listed"), [])
        self.only_one(CAROL, CAROL_PW, "bl-listed")

    def test_unlisted_client_is_delivered(self):
        self.assertEqual(self.send(UNLISTED, "bl-unlisted"), {})
        raw = self.only_one(BOB, BOB_PW, "bl-unlisted")
        ours = self.auth_results(raw)[0][0]
        self.assertNotIn("dnswl", ours)

    def test_refused_query_is_a_temperror_never_a_rejection(self):
        before = self.server.metric("posthouse_dnsbl_temperrors_total")
        self.assertEqual(self.send(REFUSING, "bl-refusing"), {})
        self.only_one(BOB, BOB_PW, "bl-refusing")
        line = ("DNS list zen.test temperror for Client host 127.0.0.6: the list refused the "
                "query (127.255.255.254)")
        wait_for(lambda: line in self.server.read_log(), "the temperror in the server log")
        self.assertEqual(self.server.metric("posthouse_dnsbl_temperrors_total"), before + 1)

    def test_a_client_seen_before_is_answered_from_the_cache(self):
        self.assertEqual(self.send(UNLISTED, "bl-cache-1"), {})
        self.only_one(BOB, BOB_PW, "bl-cache-1")
        hits = self.server.metric("posthouse_dns_cache_hits_total")
        misses = self.server.metric("posthouse_dns_cache_misses_total")
        self.assertEqual(self.send(UNLISTED, "bl-cache-2"), {})
        self.only_one(BOB, BOB_PW, "bl-cache-2")
        # 9.0.0.127 in zen.test and wl.test again: both from the cache, no new query.
        self.assertGreaterEqual(self.server.metric("posthouse_dns_cache_hits_total"), hits + 2)
        self.assertEqual(self.server.metric("posthouse_dns_cache_misses_total"), misses)

    def test_listed_sender_domain_is_refused(self):
        refused = self.refused_all(UNLISTED, "bl-sender", sender="news@spam.test")
        self.assertEqual(refused, {BOB: (550, "5.7.1 Sender domain spam.test is listed by "
                                              "dbl.test (127.0.1.2)")})

    def test_listed_helo_name_is_refused(self):
        refused = self.refused_all(UNLISTED, "bl-helo", helo="badhelo.test")
        self.assertEqual(refused, {BOB: (550, "5.7.1 HELO name badhelo.test is listed by "
                                              "dbl.test (127.0.1.3)")})
        self.assertEqual(self.fetch(BOB, BOB_PW, "bl-helo"), [])

    def test_allow_listed_client_gets_dnswl_pass(self):
        self.assertEqual(self.send(ALLOWED, "bl-allowed"), {})
        ours = self.auth_results(self.only_one(BOB, BOB_PW, "bl-allowed"))[0][0]
        self.assertIn("dnswl=pass dns.zone=wl.test policy.ip=127.0.10.2", ours)

    def test_authenticated_submission_is_never_checked(self):
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=WAIT,
                          source_address=(LISTED, 0)) as s:
            s.ehlo("badhelo.test")
            s.login(BOB, BOB_PW)
            self.assertEqual(s.sendmail(BOB, [BOB], message("bl-submission").encode()), {})
        self.only_one(BOB, BOB_PW, "bl-submission")


if __name__ == "__main__":
    unittest.main()
