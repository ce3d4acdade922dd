"""Greylisting on the MX, end to end (docs/antispam.md, delivery/greylist.h): smtplib sends
from chosen loopback addresses (127.0.0.0/24 is one client network, 127.0.1.0/24 another), a
local DNS server (dnsmasq) answers SPF, and the test clock ([testing] clock_file) stands in for
the five minutes a real sender waits.

What must hold:
- for a domain whose spam policy turns greylisting on, the first message of an unknown
  (network, sender, recipient) is refused for now with 451 4.7.1 and a clear text; a retry
  before the delay is refused again; a retry after it, from any address of the same network,
  is delivered once; then that network is let through for the sender's domain;
- another network, another sender domain: greylisted again; a sender domain SPF verified
  that passed before is let through from anywhere;
- a domain without greylisting gets its mail at once, and a message to both kinds of
  recipients is deferred whole (nothing delivered twice, nothing lost);
- authenticated submission and clients on a DNS allow list are never greylisted;
- the policy switch goes through the CLI and the REST API, as the postmaster.
"""
import re
import smtplib
import unittest

from harness import WAIT, wait_for
from mailfixture import DnsMxCase, pop_messages

BOB, BOB_PW = "bob@example.test", "bob-password-1"
DAN, DAN_PW = "dan@open.test", "dan-password-1"
PM = ("postmaster@example.test", "postmaster-pass-1")
DELAY = 300  # [antispam] greylist_delay_seconds, the default

DNS_RECORDS = [
    "--local=/127.in-addr.arpa/",
    "--txt-record=verified.test,v=spf1 ip4:127.0.0.0/16 -all",
    "--address=/8.5.0.127.wl.test/127.0.10.2",  # 127.0.5.8 is on the allow list
]
ALLOW_LIST = '\n[[antispam.dnsbl]]\nzone = "wl.test"\nlist = "allow"\n'



def message(sender, to, subject):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@test>\r\n\r\nbody of {subject}\r\n").encode()


class Greylisting(DnsMxCase):
    listeners = ["smtp", "submission", "pop3s", "http"]
    domains = ("example.test", "open.test")
    mailboxes = {BOB: BOB_PW, DAN: DAN_PW}
    dns_records = DNS_RECORDS
    antispam = ALLOW_LIST

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        out = cls.server.cli("domain", "spam-policy", "example.test", "--greylist", "on").stdout
        assert "greylisting: on" in out, out

    # -- helpers -------------------------------------------------------------------------

    def send(self, src, sender, rcpts, subject):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT,
                          source_address=(src, 0)) as s:
            s.ehlo("client.test")
            return s.sendmail(sender, rcpts, message(sender or "mailer-daemon@x.test",
                                                     rcpts[0], subject))

    def deferred(self, src, sender, rcpts, subject):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(src, sender, rcpts, subject)
        return cm.exception.smtp_code, cm.exception.smtp_error.decode()

    def logged(self, line):
        wait_for(lambda: line in self.server.read_log(), f"the server to log {line!r}")

    def subjects(self, user, password):
        out = []
        for raw in pop_messages(self.server, user, password):
            for line in raw.split(b"\r\n"):
                if line.startswith(b"Subject: "):
                    out.append(line[9:].decode())
                    break
        return out

    # -- tests ---------------------------------------------------------------------------

    def test_first_message_is_deferred_and_a_retry_after_the_delay_delivered(self):
        code, text = self.deferred("127.0.0.2", "ann@first.test", [BOB], "gl-first")
        self.assertEqual((code, text),
                         (451, f"4.7.1 Greylisted: please try again in {DELAY} seconds"))
        self.server.advance_clock(DELAY - 60)
        # The seconds left: 60 less the real seconds the test took since the first try.
        code, text = self.deferred("127.0.0.2", "ann@first.test", [BOB], "gl-first")
        self.assertEqual(code, 451)
        left = re.fullmatch(r"4\.7\.1 Greylisted: please try again in (\d+) seconds?", text)
        self.assertIsNotNone(left, text)
        self.assertTrue(1 <= int(left.group(1)) <= 60, text)
        self.assertNotIn("gl-first", self.subjects(BOB, BOB_PW))
        self.server.advance_clock(60)
        # The retry comes from another address of the sender's pool, in the same /24.
        self.assertEqual(self.send("127.0.0.77", "Ann@First.TEST", [BOB], "gl-first"), {})
        self.assertEqual(self.subjects(BOB, BOB_PW).count("gl-first"), 1)
        # Now the network is let through for first.test, any sender and recipient...
        self.assertEqual(self.send("127.0.0.78", "other@first.test", [BOB], "gl-first-2"), {})
        # ...but not another network, nor another sender domain.
        self.assertEqual(self.deferred("127.0.1.5", "ann@first.test", [BOB], "gl-first-3")[0],
                         451)
        self.assertEqual(self.deferred("127.0.0.2", "ann@second.test", [BOB], "gl-first-4")[0],
                         451)
        self.logged("greylisting [127.0.0.77] <Ann@First.TEST>: retried after the delay")

    def test_null_sender_is_greylisted_like_anyone(self):
        self.assertEqual(self.deferred("127.0.0.3", "", [BOB], "gl-bounce")[0], 451)
        self.server.advance_clock(DELAY)
        self.assertEqual(self.send("127.0.0.3", "", [BOB], "gl-bounce"), {})
        self.assertEqual(self.subjects(BOB, BOB_PW).count("gl-bounce"), 1)

    def test_spf_verified_domain_that_passed_before_is_let_through_from_anywhere(self):
        self.assertEqual(self.deferred("127.0.0.4", "a@verified.test", [BOB], "gl-v1")[0], 451)
        self.server.advance_clock(DELAY)
        self.assertEqual(self.send("127.0.0.4", "a@verified.test", [BOB], "gl-v1"), {})
        # Another network of the sender (SPF still passes): a good history, no wait.
        self.assertEqual(self.send("127.0.2.9", "b@verified.test", [BOB], "gl-v2"), {})
        self.logged("greylisting [127.0.2.9] <b@verified.test>: verified sender domain with a "
                    "good history")
        got = self.subjects(BOB, BOB_PW)
        self.assertEqual((got.count("gl-v1"), got.count("gl-v2")), (1, 1))
        # From that network an unverified sender domain still waits.
        self.assertEqual(self.deferred("127.0.2.9", "b@unverified.test", [BOB], "gl-v3")[0],
                         451)

    def test_client_on_a_dns_allow_list_is_not_greylisted(self):
        self.assertEqual(self.send("127.0.5.8", "e@fifth.test", [BOB], "gl-dnswl"), {})
        self.assertEqual(self.subjects(BOB, BOB_PW).count("gl-dnswl"), 1)
        self.logged("greylisting [127.0.5.8] <e@fifth.test>: client on a DNS allow list")
        # Its neighbour in the same /24, not on the list, waits.
        self.assertEqual(self.deferred("127.0.5.9", "e@fifth.test", [BOB], "gl-dnswl-2")[0], 451)

    def test_domain_without_greylisting_gets_mail_at_once_and_a_mixed_message_waits_whole(self):
        self.assertEqual(self.send("127.0.0.5", "c@third.test", [DAN], "gl-open"), {})
        self.assertEqual(self.subjects(DAN, DAN_PW).count("gl-open"), 1)
        code, text = self.deferred("127.0.0.5", "c@third.test", [BOB, DAN], "gl-mixed")
        self.assertEqual((code, text),
                         (451, f"4.7.1 Greylisted: please try again in {DELAY} seconds"))
        self.assertNotIn("gl-mixed", self.subjects(DAN, DAN_PW))
        self.server.advance_clock(DELAY)
        self.assertEqual(self.send("127.0.0.5", "c@third.test", [BOB, DAN], "gl-mixed"), {})
        self.assertEqual(self.subjects(DAN, DAN_PW).count("gl-mixed"), 1)
        self.assertEqual(self.subjects(BOB, BOB_PW).count("gl-mixed"), 1)

    def test_authenticated_submission_is_never_greylisted(self):
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=WAIT,
                          source_address=("127.0.3.1", 0)) as s:
            s.ehlo("laptop.test")
            s.login(DAN, DAN_PW)
            self.assertEqual(s.sendmail(DAN, [BOB], message(DAN, BOB, "gl-auth")), {})
        self.assertEqual(self.subjects(BOB, BOB_PW).count("gl-auth"), 1)

    def test_postmaster_switches_it_through_the_api(self):
        path = "/api/v1/domains/example.test/spam-policy"
        status, body = self.api("GET", path, *PM)
        self.assertEqual((status, body["greylist"]), (200, True), body)
        status, body = self.api("PUT", path, *PM, {"greylist": False})
        self.assertEqual((status, body["greylist"]), (200, False), body)
        self.addCleanup(self.server.cli, "domain", "spam-policy", "example.test", "--greylist",
                        "on")
        self.assertEqual(self.send("127.0.4.1", "d@fourth.test", [BOB], "gl-off"), {})
        self.assertIn("greylisting: off",
                      self.server.cli("domain", "spam-policy", "example.test").stdout)
        status, body = self.api("PUT", path, *PM, {"greylist": "yes"})
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["field"], "greylist")
        status, _ = self.api("PUT", path, BOB, BOB_PW, {"greylist": False})
        self.assertIn(status, (403, 404))
        bad = self.server.cli("domain", "spam-policy", "example.test", "--greylist", "maybe",
                              check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--greylist takes on or off", bad.stderr + bad.stdout)


if __name__ == "__main__":
    unittest.main()
