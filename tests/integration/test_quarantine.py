"""The quarantine and the spam thresholds, end to end (docs/antispam.md, "Quarantine"): real
rspamd and clamd from daemons.py, domain policies and mailbox settings set through the CLI
and the REST API, smtplib sending, imaplib reading INBOX, Junk and the notices.

What must hold:
- a domain's quarantine threshold holds GTUBE (rspamd scores it at its reject score, 15) instead of refusing it when
  its reject threshold is higher; nothing reaches INBOX or Junk; the user gets one notice,
  white-labelled with the customer's branding, whose link shows and releases that message
  into INBOX, once (a used link is not found), without a login; the release is audited;
- a second held message within the notice interval gets no second notice;
- a domain's virus_action = quarantine holds EICAR; the postmaster lists the domain's held
  mail and deletes it; a user of another domain and another domain's postmaster see it as
  "not found"; a user lists and releases their own through the API;
- a user tightens a threshold (a clean message goes to Junk) but may not loosen the domain's
  (422); a user's block list refuses a sender at RCPT (550 5.7.1);
- an allow entry does not let an unverified sender's spam through (no SPF/DKIM here);
- bad input: scores that are not numbers, out of range or out of order are refused (422)
  and change nothing.
"""
import re
import smtplib
import unittest

from api_base import Client
from daemons import GTUBE
from harness import WAIT, wait_for
from test_antispam_daemons import ScannedCase, eicar_message, message

BOB, BOB_PW = "bob@example.test", "bob-password-1"
CAROL, CAROL_PW = "carol@example.test", "carol-password-1"
DAVE, DAVE_PW = "dave@other.test", "dave-password-1"
PM, PM_PW = "postmaster@example.test", "postmaster-pass-1"
OTHER_PM = "postmaster@other.test"
LINK = "https://panel.example.test"


class Quarantine(ScannedCase):
    domains = ("example.test", "other.test")
    mailboxes = {BOB: BOB_PW, CAROL: CAROL_PW, DAVE: DAVE_PW}

    antispam_extra = f'quarantine_link = "{LINK}/"\nquarantine_notice_hours = 24\n'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("customer", "branding", "acme", "--product-name", "AcmeMail",
                       "--sender-address", "noreply@acme.test")

    def send_to(self, rcpt, raw, sender="alice@sender.test"):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=4 * WAIT) as s:
            s.ehlo("helo.sender.test")
            return s.sendmail(sender, [rcpt], raw.encode())

    def mails(self, user, password, folder="INBOX", subject=None):
        return self.fetch(subject, folder, user=user, password=password)

    def notices(self, user, password):
        return [n for n in self.mails(user, password, subject="held for you in quarantine")]

    def client(self, login, password):
        c = Client(self.server.ports["http"])
        st, js = c.login(login, password)
        self.assertEqual(st, 201, js)
        return c

    def held(self, c, **query):
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        st, js, _ = c.request("GET", f"/api/v1/quarantine?{qs}")
        self.assertEqual(st, 200, js)
        return js["items"]

    def set_domain(self, *flags, domain="example.test"):
        self.server.cli("domain", "spam-policy", domain, *flags)

    def test_spam_over_the_quarantine_threshold_is_held_and_released_by_the_notice_link(self):
        self.set_domain("--reject-score", "5000", "--quarantine-score", "10")
        self.addCleanup(self.set_domain, "--reject-score", "none", "--quarantine-score", "none")
        self.send_to(BOB, message("held-1", GTUBE + "\r\n"))
        self.assertEqual(self.mails(BOB, BOB_PW, subject="held-1"), [])
        self.assertEqual(self.mails(BOB, BOB_PW, "Junk", subject="held-1"), [])
        notices = self.notices(BOB, BOB_PW)
        self.assertEqual(len(notices), 1, notices)
        n = notices[0]
        self.assertIn('From: "AcmeMail" <noreply@acme.test>', n)
        self.assertIn("Subject: [AcmeMail] 1 message held for you in quarantine", n)
        self.assertIn("Auto-Submitted: auto-generated", n)
        self.assertIn("Subject: held-1", n)
        self.assertRegex(n, r"spam score \d+\.\d\d")
        links = re.findall(re.escape(LINK) + r"/release\?token=([A-Za-z0-9_-]+)", n)
        self.assertEqual(len(links), 1, n)
        token = links[0]

        # The held message as its user sees it.
        bob = self.client(BOB, BOB_PW)
        items = self.held(bob, mailbox=BOB)
        self.assertEqual([i["subject"] for i in items], ["held-1"])
        self.assertEqual(items[0]["sender"], "alice@sender.test")

        # The link: no login; shows, then releases once.
        anon = Client(self.server.ports["http"])
        st, js, _ = anon.request("GET", f"/api/v1/quarantine-links/{token}")
        self.assertEqual((st, js["subject"], js["mailbox"]), (200, "held-1", BOB), js)
        st, js, _ = anon.request("GET", "/api/v1/quarantine-links/" + "A" * 43)
        self.assertEqual(st, 404, js)
        st, js, _ = anon.request("POST", f"/api/v1/quarantine-links/{token}/release")
        self.assertEqual((st, js["released"]), (200, True), js)
        got = self.mails(BOB, BOB_PW, subject="held-1")
        self.assertEqual(len(got), 1)
        self.assertIn("X-Spam-Status: Yes", got[0])
        st, js, _ = anon.request("POST", f"/api/v1/quarantine-links/{token}/release")
        self.assertEqual(st, 404, "a used link is not found")
        self.assertEqual(self.held(bob, mailbox=BOB), [])
        audit = self.server.cli("audit", "list", "--json").stdout
        self.assertIn('"quarantine.release"', audit)
        self.assertIn('"release-link"', audit)

        # A second held message inside the notice interval: held, no second notice.
        self.send_to(BOB, message("held-2", GTUBE + "\r\n"))
        self.assertEqual([i["subject"] for i in self.held(bob, mailbox=BOB)], ["held-2"])
        self.assertEqual(len(self.notices(BOB, BOB_PW)), 1)
        # Released by its user through the API.
        hid = self.held(bob, mailbox=BOB)[0]["id"]
        st, js, _ = bob.request("POST", f"/api/v1/quarantine/{hid}/release")
        self.assertEqual(st, 204, js)
        self.assertEqual(len(self.mails(BOB, BOB_PW, subject="held-2")), 1)

    def test_a_virus_held_by_the_domain_policy_is_seen_only_in_scope(self):
        self.set_domain("--virus-action", "quarantine")
        self.addCleanup(self.set_domain, "--virus-action", "default")
        self.send_to(CAROL, eicar_message("virus-1"))
        pm = self.client(PM, PM_PW)
        items = self.held(pm, domain="example.test")
        mine = [i for i in items if i["subject"] == "virus-1"]
        self.assertEqual(len(mine), 1, items)
        self.assertRegex(mine[0]["reason"], r"^virus Eicar-Test-Signature")
        hid = mine[0]["id"]
        st, js, _ = pm.request("GET", f"/api/v1/quarantine/{hid}")
        self.assertEqual(st, 200, js)
        self.assertIn("Subject: virus-1", js["message"])
        # Out of scope: exactly like an unknown id.
        for login, pw in ((DAVE, DAVE_PW), (OTHER_PM, "postmaster-pass-1"), (BOB, BOB_PW)):
            c = self.client(login, pw)
            st_unknown, unknown, _ = c.request("GET", "/api/v1/quarantine/999999")
            st, js, _ = c.request("GET", f"/api/v1/quarantine/{hid}")
            self.assertEqual((st, js), (st_unknown, unknown), login)
            self.assertEqual(st, 404)
            st, _, _ = c.request("POST", f"/api/v1/quarantine/{hid}/release")
            self.assertEqual(st, 404, login)
        st, _, _ = self.client(DAVE, DAVE_PW).request("GET", "/api/v1/quarantine?domain=example.test")
        self.assertEqual(st, 404)
        st, js, _ = pm.request("DELETE", f"/api/v1/quarantine/{hid}")
        self.assertEqual(st, 204, js)
        self.assertEqual([i for i in self.held(pm, domain="example.test") if i["id"] == hid], [])
        self.assertEqual(self.mails(CAROL, CAROL_PW, subject="virus-1"), [])

    def test_a_user_tightens_but_never_loosens(self):
        dave = self.client(DAVE, DAVE_PW)
        st, js, _ = dave.request("PUT", f"/api/v1/mailboxes/{DAVE}/spam-settings",
                                 {"junk_score": -500})
        self.assertEqual(st, 200, js)
        self.send_to(DAVE, message("tight-1"))
        self.assertEqual(len(self.mails(DAVE, DAVE_PW, "Junk", subject="tight-1")), 1)
        self.assertEqual(self.mails(DAVE, DAVE_PW, subject="tight-1"), [])
        # The domain sets a threshold: the user may stay under it, never above.
        self.set_domain("--junk-score", "-600", domain="other.test")
        self.addCleanup(self.set_domain, "--junk-score", "none", domain="other.test")
        st, js, _ = dave.request("PUT", f"/api/v1/mailboxes/{DAVE}/spam-settings",
                                 {"junk_score": -550})
        self.assertEqual((st, js["error"]["field"]), (422, "junk_score"), js)
        self.assertIn("may only be tightened", js["error"]["message"])
        st, js, _ = dave.request("GET", f"/api/v1/mailboxes/{DAVE}/spam-settings")
        self.assertEqual(js["junk_score"], -500, "unchanged")
        st, js, _ = dave.request("PUT", f"/api/v1/mailboxes/{DAVE}/spam-settings",
                                 {"junk_score": None, "block": ["pest.test"]})
        self.assertEqual(st, 200, js)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            self.send_to(DAVE, message("blocked-1"), sender="x@mail.pest.test")
        code, text = cm.exception.recipients[DAVE]
        self.assertEqual(code, 550)
        self.assertIn(b"blocked", text)
        # Another user does not: delivered.
        self.send_to(CAROL, message("blocked-2"), sender="x@mail.pest.test")
        self.assertEqual(len(self.mails(CAROL, CAROL_PW, subject="blocked-2")), 1)

    def test_an_allow_entry_needs_a_verified_sender(self):
        self.set_domain("--allow", "sender.test")
        self.addCleanup(self.set_domain, "--no-allow")
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send_to(BOB, message("allowed-gtube", GTUBE + "\r\n"))
        self.assertEqual(cm.exception.smtp_code, 550, "no SPF or DKIM verified sender.test")

    def test_bad_scores_are_refused_and_change_nothing(self):
        pm = self.client(PM, PM_PW)
        path = "/api/v1/domains/example.test/spam-policy"
        st, before, _ = pm.request("GET", path)
        for body, field in (({"junk_score": "high"}, "junk_score"),
                            ({"reject_score": 1e9}, "reject_score"),
                            ({"junk_score": 10, "quarantine_score": 5}, "quarantine_score"),
                            ({"virus_action": "junk"}, "virus_action"),
                            ({"allow": ["not an address@"]}, "allow")):
            st, js, _ = pm.request("PUT", path, body)
            self.assertEqual((st, js["error"]["field"]), (422, field), (body, js))
        st, after, _ = pm.request("GET", path)
        self.assertEqual(after, before)
        bob = self.client(BOB, BOB_PW)
        st, js, _ = bob.request("PUT", path, {"junk_score": 1})
        self.assertEqual(st, 404, "a user sees no domain: spam.policy is not a user's")
        st, after, _ = pm.request("GET", path)
        self.assertEqual(after, before)


if __name__ == "__main__":
    unittest.main()
