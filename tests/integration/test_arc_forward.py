"""ARC in the MX path, end to end (docs/antispam.md "ARC"): mail from outside reaches
fwd@a.test, an alias of Posthouse A that points to a remote address; A's queue delivers the
copy to a small SMTP peer (the MX of remote.test, from a local dnsmasq) that records it as
received. Debian's dkimpy is the independent judge of the seal A added, with A's published
key records (`posthouse domain dns --json`).

What must hold:
- a message with no chain gets ARC set i=1, cv=none, whose ARC-Authentication-Results carry
  A's own results (spf, dkim, dmarc), and dkimpy validates the chain;
- a message sealed before by a list (dkimpy's arc_sign) shows arc=pass in A's
  Authentication-Results and leaves A with set i=2, cv=pass, which dkimpy validates;
- a message whose chain was broken on the way shows arc=fail and is sealed cv=fail (RFC 8617
  5.1.2: sealed over the new set alone), which dkimpy reports as a failed chain;
The `[antispam] arc_seal` switch and the greylisting settings reach the gateway through
app::gateway_options() (its unit test, src/app/options_test.cc).
"""
import json
import smtplib
import unittest

from dkimpy_peer import dkim, rsa_key, txt
from harness import WAIT, free_port, start_server, wait_for
from mailfixture import Fixture
from peers import Dns, SmtpPeer

PEER_ADDR = "127.0.0.2"
SIGNED_PEM, SIGNED_RECORD = rsa_key()
LIST_PEM, LIST_RECORD = rsa_key()


def head_fields(raw):
    """The header's field names, top first, lower case."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].lower().decode() for line in head.split(b"\r\n")
            if line and line[:1] not in (b" ", b"\t")]


def unfolded(raw, name):
    """Every `name` field, unfolded, top first."""
    out, cur = [], None
    for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and cur is not None:
            cur += b" " + line.strip()
            continue
        if cur is not None:
            out.append(cur)
        cur = line
    out.append(cur)
    prefix = name.lower().encode() + b":"
    return [f.decode() for f in out if f.lower().startswith(prefix)]


class ArcForward(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.peer = SmtpPeer(PEER_ADDR, cls.port)
        cls.addClassCleanup(cls.peer.stop)
        cls.dns = Dns([
            "--local=/127.in-addr.arpa/",
            "--mx-host=remote.test,mx.remote.test,10",
            f"--host-record=mx.remote.test,{PEER_ADDR}",
            txt("signed.test", "v=spf1 ip4:127.0.0.1 -all"),
            txt("sel._domainkey.signed.test", SIGNED_RECORD),
            txt("_dmarc.signed.test", "v=DMARC1; p=none"),
            txt("arc._domainkey.list.test", LIST_RECORD),
        ])
        cls.addClassCleanup(cls.dns.stop)
        config = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\nmx_port = {cls.port}\n'
                  "poll_interval_seconds = 1\n[antispam]\ndns_timeout_ms = 10000\n")
        cls.a = start_server(cls, listeners=["smtp"], hostname="mail-a.test",
                             extra_config=config)
        fx = Fixture(cls.a)
        fx.domain("a.test")
        fx.alias("fwd@a.test", ["x@remote.test"])
        records = json.loads(cls.a.cli("domain", "dns", "a.test", "--json").stdout)
        cls.keys = {r["name"]: r["value"] for r in records if r["type"] == "TXT"}
        cls.keys["sel._domainkey.signed.test."] = SIGNED_RECORD
        cls.keys["arc._domainkey.list.test."] = LIST_RECORD

    def dnsfunc(self, name, timeout=5):
        return self.keys.get(name.decode().rstrip(".") + ".", "").encode()

    def forwarded(self, raw, subject, sender="news@signed.test"):
        """Sends `raw` to fwd@a.test through A's MX; the copy the remote MX received."""
        with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=WAIT) as s:
            s.ehlo("mail.signed.test")
            self.assertEqual(s.sendmail(sender, ["fwd@a.test"], raw), {})
        tag = f"Subject: {subject}\r\n".encode()

        def arrived():
            with self.peer.lock:
                got = [m for _, m in self.peer.messages if tag in m]
            return got[0] if got else None

        return wait_for(arrived, lambda: f"{subject} at the remote MX\n"
                        + self.a.read_log()[-3000:], interval=0.1)

    @staticmethod
    def message(subject, extra=b""):
        return (b"From: News <news@signed.test>\r\nTo: fwd@a.test\r\nSubject: "
                + subject.encode() + b"\r\nMessage-ID: <" + subject.encode() + b"@signed.test>\r\n"
                + extra + b"\r\nThe news of the day.\r\n")

    def signed(self, subject):
        raw = self.message(subject)
        return dkim.sign(raw, b"sel", b"signed.test", SIGNED_PEM,
                         include_headers=[b"from", b"to", b"subject", b"message-id"]) + raw

    def list_sealed(self, subject):
        """The message as a list (list.test) passed it on: its Authentication-Results and its
        ARC set i=1 (dkimpy)."""
        raw = (b"Authentication-Results: lists.list.test; spf=pass smtp.mailfrom=signed.test\r\n"
               + self.signed(subject))
        sig = dkim.arc_sign(raw, b"arc", b"list.test", LIST_PEM, b"lists.list.test")
        self.assertEqual(len(sig), 3, "dkimpy did not seal")
        return b"".join(sig) + raw

    def test_message_without_a_chain_is_sealed_cv_none_and_dkimpy_validates_it(self):
        got = self.forwarded(self.signed("arc-first"), "arc-first")
        fields = head_fields(got)
        self.assertEqual(fields[:3], ["arc-seal", "arc-message-signature",
                                      "arc-authentication-results"], fields)
        seal = unfolded(got, "ARC-Seal")[0]
        self.assertIn("i=1", seal)
        self.assertIn("cv=none", seal)
        self.assertIn("d=a.test", seal)
        aar = unfolded(got, "ARC-Authentication-Results")[0]
        self.assertTrue(aar.startswith("ARC-Authentication-Results: i=1; mail-a.test;"), aar)
        for result in ("spf=pass smtp.mailfrom=news@signed.test", "dkim=pass header.d=signed.test",
                       "dmarc=pass"):
            self.assertIn(result, aar)
        self.assertNotRegex(unfolded(got, "Authentication-Results")[0], r"[;\s]arc=",
                            "no chain on arrival")
        cv, _, why = dkim.arc_verify(got, dnsfunc=self.dnsfunc)
        self.assertEqual(cv, dkim.CV_Pass, why)

    def test_list_sealed_message_shows_arc_pass_and_leaves_with_set_two(self):
        got = self.forwarded(self.list_sealed("arc-list"), "arc-list")
        ar = unfolded(got, "Authentication-Results")
        ours = [f for f in ar if f.startswith("Authentication-Results: mail-a.test;")]
        self.assertEqual(len(ours), 1, ar)
        self.assertIn("arc=pass (i=1 d=list.test) header.oldest-pass=0 smtp.remote-ip=127.0.0.1",
                      ours[0])
        seals = unfolded(got, "ARC-Seal")
        self.assertEqual(len(seals), 2)
        self.assertIn("i=2", seals[0])
        self.assertIn("cv=pass", seals[0])
        self.assertIn("arc=pass", unfolded(got, "ARC-Authentication-Results")[0])
        cv, _, why = dkim.arc_verify(got, dnsfunc=self.dnsfunc)
        self.assertEqual(cv, dkim.CV_Pass, why)

    def test_broken_chain_shows_arc_fail_and_is_sealed_cv_fail(self):
        sealed = self.list_sealed("arc-broken")
        tampered = sealed.replace(b"The news of the day.", b"The news of the night.")
        got = self.forwarded(tampered, "arc-broken")
        ours = [f for f in unfolded(got, "Authentication-Results")
                if f.startswith("Authentication-Results: mail-a.test;")]
        self.assertIn("arc=fail", ours[0])
        seal = unfolded(got, "ARC-Seal")[0]
        self.assertIn("i=2", seal)
        self.assertIn("cv=fail", seal)
        # dkimpy answers a chain that ends in cv=fail with no cv at all, and says why.
        cv, _, why = dkim.arc_verify(got, dnsfunc=self.dnsfunc)
        self.assertIn(cv, (None, dkim.CV_Fail), why)
        self.assertIn("ARC-Seal[2] reported failure", why)


if __name__ == "__main__":
    unittest.main()
