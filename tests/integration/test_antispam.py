"""Sender checks on the MX, end to end (docs/antispam.md): a local authoritative DNS server
(dnsmasq) serves SPF, DKIM and DMARC records; Debian's dkimpy signs; smtplib sends; imaplib
reads what arrived and where (INBOX or Junk); the domain spam policy is set through the CLI and
the REST API (a signed-in session), as the postmaster and as others.

What must hold:
- every message from outside gets one Authentication-Results field with the server's id (spf,
  dkim, dmarc), right after its Received field; fields that claim that id on arrival are gone,
  others stay;
- DMARC p=reject fails are refused with 550 5.7.1 naming the domain, p=quarantine fails land in
  Junk, both only while the recipient domain enforces DMARC; a mixed message is accepted and
  the enforcing domain's copy is held in the quarantine (one reply covers the message);
- a blocked sender is refused at RCPT for that domain only;
- authenticated submission is not checked, but forged fields are removed there too;
- spam.policy is the postmaster's (and the customer's), not a user's, and is audited;
- DMARC aggregate report data is recorded per author domain (rua, policy, source, alignment,
  disposition) and shown by `posthouse dmarc-report` to the platform admin only.
"""
import json
import smtplib
import unittest

from dkimpy_peer import dkim, rsa_key, txt
from harness import WAIT
from mailfixture import DnsMxCase

RSA_PEM, RSA_RECORD = rsa_key()


DNS_RECORDS = [
    "--local=/127.in-addr.arpa/",
    txt("signed.test", "v=spf1 ip4:127.0.0.1 -all"),
    txt("sel._domainkey.signed.test", RSA_RECORD),
    txt("_dmarc.signed.test", "v=DMARC1; p=reject"),
    txt("strict.test", "v=spf1 ip4:192.0.2.1 -all"),
    txt("_dmarc.strict.test", "v=DMARC1; p=reject; rua=mailto:agg@strict.test"),
    txt("soft.test", "v=spf1 ip4:192.0.2.1 -all"),
    txt("_dmarc.soft.test", "v=DMARC1; p=quarantine"),
    txt("spammer.test", "v=spf1 ip4:127.0.0.1 -all"),
    # RFC 9091: np= for subdomains that do not exist; www.np.test exists (an A record).
    txt("_dmarc.np.test", "v=DMARC1; p=none; sp=none; np=reject"),
    "--host-record=www.np.test,192.0.2.80",
]

BOB, BOB_PW = "bob@example.test", "bob-password-1"
CAROL, CAROL_PW = "carol@lenient.test", "carol-password-1"


def message(sender, subject, extra=""):
    return (f"From: <{sender}>\r\nTo: <{BOB}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@test>\r\n{extra}\r\nbody of {subject}\r\n")


def signed(raw):
    sig = dkim.sign(raw.encode(), b"sel", b"signed.test", RSA_PEM,
                    include_headers=[b"from", b"to", b"subject", b"message-id"])
    return sig.decode() + raw


class SenderChecks(DnsMxCase):
    listeners = ["smtp", "submission", "imaps", "http"]
    domains = ("example.test", "lenient.test")
    mailboxes = {BOB: BOB_PW, CAROL: CAROL_PW}
    dns_records = DNS_RECORDS
    antispam = "dmarc_report_flush_seconds = 0\n"  # report data written at once

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("domain", "spam-policy", "lenient.test", "--dmarc-enforce", "off")

    # -- helpers -------------------------------------------------------------------------

    def send(self, sender, rcpts, raw):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.ehlo("helo.client.test")
            return s.sendmail(sender, rcpts, raw.encode())

    def refused(self, sender, rcpts, raw):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(sender, rcpts, raw)
        return cm.exception.smtp_code, cm.exception.smtp_error.decode()

    # -- the Authentication-Results field ------------------------------------------------

    def test_signed_mail_passes_everything_and_forged_claims_are_removed(self):
        forged = ("Authentication-Results: mail.test; dmarc=pass header.from=strict.test\r\n"
                  "Authentication-Results: (note)\r\n \"MAIL.TEST\"; spf=pass\r\n"
                  "Authentication-Results: relay.example; spf=fail smtp.mailfrom=x@y\r\n")
        self.send("news@signed.test", [BOB],
                  signed(message("news@signed.test", "as-pass", forged)))
        raw = self.only_one(BOB, BOB_PW, "as-pass")
        ars, fields = self.auth_results(raw)
        self.assertEqual(len(ars), 2, ars)
        ours, theirs = ars
        self.assertEqual(theirs, "Authentication-Results: relay.example; spf=fail "
                                 "smtp.mailfrom=x@y")
        self.assertTrue(ours.startswith("Authentication-Results: mail.test; "), ours)
        self.assertIn("spf=pass smtp.mailfrom=news@signed.test", ours)
        self.assertIn("dkim=pass header.d=signed.test header.s=sel header.a=rsa-sha256", ours)
        self.assertIn("dmarc=pass (p=reject dis=none) header.from=signed.test", ours)
        # The receipt first, then what was found (below the Return-Path of local delivery).
        self.assertEqual(fields[0], "Return-Path: <news@signed.test>")
        self.assertTrue(fields[1].startswith("Received: from helo.client.test"), fields[1])
        self.assertEqual(fields[2], ours)

    def test_unsigned_mail_from_an_unlisted_host_reports_its_failures(self):
        self.send("someone@nowhere.test", [CAROL], message("someone@nowhere.test", "as-none"))
        raw = self.only_one(CAROL, CAROL_PW, "as-none")
        ours = self.auth_results(raw)[0][0]
        self.assertIn("spf=none", ours)
        self.assertIn("dkim=none", ours)
        self.assertIn("dmarc=none", ours)

    # -- DMARC enforcement ---------------------------------------------------------------

    def test_np_rejects_mail_from_a_subdomain_that_does_not_exist(self):
        code, text = self.refused("x@ghost.np.test", [BOB], message("x@ghost.np.test", "as-np"))
        self.assertEqual(code, 550)
        self.assertIn("DMARC policy of ghost.np.test (reject)", text)
        # An existing subdomain gets sp=none: delivered, the failure reported.
        self.send("x@www.np.test", [BOB], message("x@www.np.test", "as-sp"))
        ours = self.auth_results(self.only_one(BOB, BOB_PW, "as-sp"))[0][0]
        self.assertIn("dmarc=fail (p=none dis=none) header.from=www.np.test", ours)

    def test_dmarc_reject_is_refused_with_the_domain_named(self):
        code, text = self.refused("ceo@strict.test", [BOB], message("ceo@strict.test", "as-rej"))
        self.assertEqual(code, 550)
        self.assertIn("5.7.1", text)
        self.assertIn("DMARC policy of strict.test", text)
        self.assertEqual(self.fetch(BOB, BOB_PW, "as-rej"), [])
        self.assertEqual(self.fetch(BOB, BOB_PW, "as-rej", "Junk"), [])

    def test_a_tampered_signature_fails_dmarc_too(self):
        raw = signed(message("news@signed.test", "as-tamper")).replace("body of", "changed")
        # SPF passes for 127.0.0.1 and aligns: DMARC passes on SPF alone. Only a sender whose
        # SPF fails depends on the signature, so send it as if from outside the SPF record.
        raw2 = raw.replace("news@signed.test", "news@strict.test")
        code, _ = self.refused("news@strict.test", [BOB], raw2)
        self.assertEqual(code, 550)
        self.send("news@signed.test", [BOB], raw)
        ours = self.auth_results(self.only_one(BOB, BOB_PW, "as-tamper"))[0][0]
        self.assertIn("dkim=fail (body hash mismatch)", ours)
        self.assertIn("dmarc=pass", ours)

    def test_dmarc_quarantine_goes_to_junk(self):
        self.send("ceo@soft.test", [BOB], message("ceo@soft.test", "as-quar"))
        raw = self.only_one(BOB, BOB_PW, "as-quar", folder="Junk", absent="INBOX")
        self.assertIn("dmarc=fail (p=quarantine dis=quarantine) header.from=soft.test", raw)

    def test_a_domain_that_does_not_enforce_gets_it_in_the_inbox(self):
        self.send("ceo@strict.test", [CAROL], message("ceo@strict.test", "as-lenient"))
        raw = self.only_one(CAROL, CAROL_PW, "as-lenient")
        self.assertIn("dmarc=fail (p=reject dis=reject) header.from=strict.test", raw)

    def test_mixed_recipients_accept_and_the_enforcing_copy_is_held(self):
        self.send("ceo@strict.test", [BOB, CAROL], message("ceo@strict.test", "as-mixed"))
        self.only_one(CAROL, CAROL_PW, "as-mixed")
        self.assertEqual(self.fetch(BOB, BOB_PW, "as-mixed"), [])
        self.assertEqual(self.fetch(BOB, BOB_PW, "as-mixed", "Junk"), [])
        status, body = self.api("GET", f"/api/v1/quarantine?mailbox={BOB}", BOB, BOB_PW)
        self.assertEqual(status, 200, body)
        held = [i for i in body["items"] if i["subject"] == "as-mixed"]
        self.assertEqual(len(held), 1, body)
        self.assertEqual(held[0]["reason"],
                         "Message refused: it fails the DMARC policy of strict.test (reject)")

    # -- DMARC aggregate report data ------------------------------------------------------

    def test_dmarc_report_rows_are_recorded_per_author_domain(self):
        self.send("news@signed.test", [BOB], signed(message("news@signed.test", "as-rep-1")))
        self.send("news@signed.test", [BOB], signed(message("news@signed.test", "as-rep-2")))
        self.refused("ceo@strict.test", [BOB], message("ceo@strict.test", "as-rep-3"))
        self.send("someone@nowhere.test", [CAROL], message("someone@nowhere.test", "as-rep-4"))
        rows = [json.loads(l) for l in
                self.server.cli("--json", "dmarc-report").stdout.splitlines() if l]
        by_domain = {}
        for r in rows:
            by_domain.setdefault(r["domain"], []).append(r)
        self.assertNotIn("nowhere.test", by_domain, "no record, no row")
        # Other tests of the class send to this server too: one row per distinct outcome.
        signed_rows = [x for x in by_domain["signed.test"] if x["dkim"] == "pass"]
        self.assertEqual(len(signed_rows), 1, by_domain["signed.test"])
        r = signed_rows[0]
        self.assertGreaterEqual(r["count"], 2)
        self.assertEqual((r["source_ip"], r["envelope_from"], r["disposition"], r["dkim"],
                          r["spf"], r["spf_result"]),
                         ("127.0.0.1", "signed.test", "none", "pass", "pass", "pass"))
        self.assertEqual(r["dkim_domains"], "d=signed.test:pass")
        self.assertEqual(r["policy"], "p=reject; sp=reject; pct=100; adkim=r; aspf=r")
        strict = [x for x in by_domain["strict.test"]
                  if x["disposition"] == "reject" and x["dkim_domains"] == ""]
        self.assertEqual(len(strict), 1, by_domain["strict.test"])
        self.assertEqual((strict[0]["dkim"], strict[0]["spf"], strict[0]["rua"]),
                         ("fail", "fail", "mailto:agg@strict.test"))
        # Not for a customer's or a postmaster's eyes.
        denied = self.server.cli("--as", "postmaster@example.test", "dmarc-report", check=False)
        self.assertEqual(denied.returncode, 1, denied.stdout)
        self.assertEqual(denied.stdout, "")

    # -- blocked senders -----------------------------------------------------------------

    def test_blocked_sender_is_refused_at_rcpt_for_that_domain_only(self):
        self.server.cli("domain", "spam-policy", "example.test", "--block", "spammer.test")
        self.addCleanup(self.server.cli, "domain", "spam-policy", "example.test", "--no-block")
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            self.send("x@mail.spammer.test", [BOB], message("x@mail.spammer.test", "as-blk"))
        code, text = cm.exception.recipients[BOB]
        self.assertEqual(code, 550)
        self.assertIn(b"5.7.1 Sender blocked by the recipient domain's policy", text)
        # Another domain's recipient in the same transaction still gets it.
        refused = self.send("x@spammer.test", [BOB, CAROL], message("x@spammer.test", "as-blk2"))
        self.assertEqual(list(refused), [BOB])
        self.only_one(CAROL, CAROL_PW, "as-blk2")

    # -- submission ----------------------------------------------------------------------

    def test_submission_is_not_checked_but_forged_claims_are_removed(self):
        forged = "Authentication-Results: mail.test; dkim=pass header.d=bank.test\r\n"
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=WAIT) as s:
            s.login(CAROL, CAROL_PW)
            s.sendmail(CAROL, [BOB], message(CAROL, "as-sub", forged).encode())
        raw = self.only_one(BOB, BOB_PW, "as-sub")
        self.assertEqual(self.auth_results(raw)[0], [])

    # -- the policy, administered --------------------------------------------------------

    def test_postmaster_sets_the_policy_a_user_cannot(self):
        pm = ("postmaster@example.test", "postmaster-pass-1")
        status, body = self.api("GET", "/api/v1/domains/example.test/spam-policy", *pm)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["dmarc_enforce"], True)
        status, body = self.api("PUT", "/api/v1/domains/example.test/spam-policy", *pm,
                                {"block": ["Someone@Spammer.TEST", "@bulk.test"]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"dmarc_enforce": True, "greylist": False,
                                "block": ["someone@spammer.test", "bulk.test"], "allow": [],
                                "junk_score": None, "quarantine_score": None,
                                "reject_score": None, "virus_action": ""})
        self.addCleanup(self.server.cli, "domain", "spam-policy", "example.test", "--no-block")
        status, body = self.api("PUT", "/api/v1/domains/example.test/spam-policy", *pm,
                                {"block": ["not an address@"]})
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["field"], "block")
        # A user sees no domain, another domain's postmaster sees no such domain.
        status, _ = self.api("PUT", "/api/v1/domains/example.test/spam-policy", BOB, BOB_PW,
                             {"dmarc_enforce": False})
        self.assertIn(status, (403, 404))
        status, _ = self.api("PUT", "/api/v1/domains/example.test/spam-policy",
                             "postmaster@lenient.test", "postmaster-pass-1",
                             {"dmarc_enforce": False})
        self.assertEqual(status, 404)
        self.assertIn("dmarc enforcement: on",
                      self.server.cli("domain", "spam-policy", "example.test").stdout)
        audit = self.server.cli("audit", "list", "--json").stdout
        self.assertIn("spam.policy", audit)


if __name__ == "__main__":
    unittest.main()
