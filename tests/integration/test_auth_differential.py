"""The MX's Authentication-Results (SPF, DKIM, DMARC with alignment and the organizational
domain) against an independent implementation: Debian's python3-authheaders, which builds the
same field from pyspf, dkimpy and its own DMARC code. Each case is a message sent by smtplib to
the real server (sender checks on, DMARC not enforced for the recipient domain, so every
message is delivered with its field); authheaders authenticates the same message with the
same client address, MAIL FROM and HELO against the same DNS server (dnsmasq); the results of
each method must agree.

One known difference is not compared: authheaders reports a message without any signature as
dkim=fail, where RFC 8601 2.7.1 says none (Posthouse's answer); unsigned cases compare SPF and
DMARC only. A missing authheaders is an error, never a skip (scripts/install-deps installs
python3-authheaders and python3-spf).
"""
import smtplib
import sys
import unittest

from dkimpy_peer import dkim, rsa_key, txt
from harness import WAIT
from mailfixture import DnsMxCase
from pydns_peer import point_dnspython_at

try:
    import authheaders
    import authres
    import spf  # noqa: F401  (authheaders' SPF check)
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import authheaders
    import authres
    import spf  # noqa: F401

KEY_PEM, KEY_RECORD = rsa_key()
HELO = "mx.client.org"
PASS_SPF = "v=spf1 ip4:127.0.0.1 -all"
DNS_RECORDS = [
    "--local=/127.in-addr.arpa/",
    # Sender domains under a TLD the Public Suffix List names: authheaders takes "test" itself
    # for the organizational domain of x.test (the PSL's default rule makes it x.test, as
    # libpsl does), which would compare its PSL reading, not DMARC. dnsmasq answers all of
    # .org here; nothing leaves the machine.
    "--local=/org/",
    txt(HELO, PASS_SPF),
    txt("a.org", PASS_SPF), txt("sel._domainkey.a.org", KEY_RECORD),
    txt("_dmarc.a.org", "v=DMARC1; p=reject"),
    txt("other.org", "v=spf1 -all"), txt("sel._domainkey.other.org", KEY_RECORD),
    txt("bounce.relaxed.org", PASS_SPF), txt("_dmarc.relaxed.org", "v=DMARC1; p=none"),
    txt("bounce.strictspf.org", PASS_SPF),
    txt("_dmarc.strictspf.org", "v=DMARC1; p=reject; aspf=s"),
    txt("sel._domainkey.sub.strictdkim.org", KEY_RECORD),
    txt("_dmarc.strictdkim.org", "v=DMARC1; p=reject; adkim=s"),
    txt("sel._domainkey.sub.relaxdkim.org", KEY_RECORD),
    txt("_dmarc.relaxdkim.org", "v=DMARC1; p=quarantine"),
    txt("nodmarc.org", PASS_SPF),
    txt("_dmarc.sp.org", "v=DMARC1; p=none; sp=reject"),
    txt("softspf.org", "v=spf1 ~all"), txt("_dmarc.softspf.org", "v=DMARC1; p=quarantine"),
]
RCPT, RCPT_PW = "carol@lenient.test", "carol-password-1"

# (name, From domain, MAIL FROM, signing domain or None, change the body after signing)
CASES = [
    ("aligned-both", "a.org", "news@a.org", "a.org", False),
    ("aligned-spf-only", "a.org", "news@a.org", None, False),
    ("spf-fail-unaligned", "a.org", "x@other.org", None, False),
    ("dkim-pass-unaligned", "a.org", "x@other.org", "other.org", False),
    ("relaxed-spf-subdomain", "relaxed.org", "b@bounce.relaxed.org", None, False),
    ("strict-spf-subdomain", "strictspf.org", "b@bounce.strictspf.org", None, False),
    ("strict-dkim-subdomain", "strictdkim.org", "x@other.org", "sub.strictdkim.org", False),
    ("relaxed-dkim-subdomain", "relaxdkim.org", "x@other.org", "sub.relaxdkim.org", False),
    ("no-dmarc-record", "nodmarc.org", "x@nodmarc.org", None, False),
    ("org-domain-policy", "news.sp.org", "x@other.org", None, False),
    ("dkim-broken-spf-aligned", "a.org", "news@a.org", "a.org", True),
    ("dkim-broken-nothing-aligned", "a.org", "x@other.org", "a.org", True),
    ("softfail", "softspf.org", "x@softspf.org", None, False),
    ("null-sender-helo", "a.org", "", None, False),
]


def message(name, from_domain, signer, broken):
    raw = (f"From: <author@{from_domain}>\r\nTo: <{RCPT}>\r\nSubject: {name}\r\n"
           f"Message-ID: <{name}@client.test>\r\nDate: Tue, 08 Dec 2026 01:00:00 +0000\r\n"
           f"\r\nthe body of {name}\r\n").encode()
    if signer:
        sig = dkim.sign(raw, b"sel", signer.encode(), KEY_PEM,
                        include_headers=[b"from", b"to", b"subject", b"message-id", b"date"])
        raw = sig + raw
        if broken:
            raw = raw.replace(b"the body of", b"THE body of")
    return raw


def results(field):
    """{method: result} of an Authentication-Results field (authres parses it); for spf the
    MAIL FROM identity's (a field may also hold the HELO identity's)."""
    parsed = authres.AuthenticationResultsHeader.parse(field)
    out = {}
    for r in parsed.results:
        if r.method == "spf" and "spf" in out and not getattr(r, "smtp_mailfrom", None):
            continue
        out[r.method] = r.result
    return out


class AuthDifferential(DnsMxCase):
    listeners = ["smtp", "imaps"]
    domains = ("lenient.test",)
    mailboxes = {RCPT: RCPT_PW}
    dns_records = DNS_RECORDS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("domain", "spam-policy", "lenient.test", "--dmarc-enforce", "off")
        point_dnspython_at(cls, cls.dns.port)

    def ours(self, name):
        got = self.fetch(RCPT, RCPT_PW, name) or self.fetch(RCPT, RCPT_PW, name, "Junk")
        self.assertEqual(len(got), 1, name)
        fields = self.auth_results(got[0].decode())[0]
        mine = [f for f in fields if f.startswith("Authentication-Results: mail.test;")]
        self.assertEqual(len(mine), 1, fields)
        return results(mine[0])

    def test_each_method_agrees_with_authheaders(self):
        mismatches, seen = [], set()
        for name, from_domain, mail_from, signer, broken in CASES:
            raw = message(name, from_domain, signer, broken)
            with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
                s.ehlo(HELO)
                s.sendmail(mail_from, [RCPT], raw)
            theirs = results(authheaders.authenticate_message(
                raw, "mail.test", spf=True, dkim=True, dmarc=True, ip="127.0.0.1",
                mail_from=mail_from or f"postmaster@{HELO}", helo=HELO))
            ours = self.ours(name)
            methods = ["spf", "dmarc"] + (["dkim"] if signer else [])
            for m in methods:
                seen.add((m, ours.get(m)))
                if ours.get(m) != theirs.get(m):
                    mismatches.append(f"{name}: {m}: posthouse {ours.get(m)}, "
                                      f"authheaders {theirs.get(m)}")
            if not signer:
                self.assertEqual(ours.get("dkim"), "none", name)
        self.assertEqual(mismatches, [], "\n".join(mismatches))
        # The cases reach each verdict of each method, so agreement means something.
        for want in [("spf", "pass"), ("spf", "fail"), ("spf", "softfail"), ("dkim", "pass"),
                     ("dkim", "fail"), ("dmarc", "pass"), ("dmarc", "fail"), ("dmarc", "none")]:
            self.assertIn(want, seen)


if __name__ == "__main__":
    unittest.main()
