"""ARC chain validation (src/antispam/arc_verifier.h) against an independent implementation:
Debian's python3-dkim (dkimpy) seals generated messages over 1 to 3 hops (each hop adds its
Authentication-Results with the arc= result dkimpy found, then dkimpy's arc_sign), some are
changed on the way or afterwards, and `posthouse arc-verify` must reach dkimpy's verdict on
every one: pass for untouched chains and for changes relaxed canonicalization ignores or that
no signature covers, fail for changed bodies, signed fields, ARC fields and removed sets, none
without ARC fields. dkimpy's "chain ended" (None, a seal with cv=fail) is RFC 8617's fail.

No server: the hidden CLI command reads the message files and the keys from a file (the
peer and the keys: dkimpy_peer.py).
"""
import os
import random
import tempfile
import unittest

from dkimpy_peer import Keys, check_missing_file, dkim, make_message, rsa_key, run_cli

HOPS = ["origin.example", "lists.example", "forward.example"]
AUTHOR = "diff.example"


class DkimpyArcDifferential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ph_arcdiff_")
        cls.keys, records = {}, {}
        for domain in HOPS:
            cls.keys[domain], records[f"arc._domainkey.{domain}."] = rsa_key()
        cls.dns = Keys(cls.tmp.name, records)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def dkimpy_cv(self, msg):
        cv, _, _ = dkim.arc_verify(msg, dnsfunc=self.dns.dnsfunc)
        return "fail" if cv is None else cv.decode()

    def seal(self, msg, hop):
        """The message after hop `hop` (0-based) validated it and sealed it with dkimpy."""
        domain = HOPS[hop]
        srv_id = f"mx.{domain}"
        cv = self.dkimpy_cv(msg) if hop else "none"
        ar = (f"Authentication-Results: {srv_id}; arc={cv};\r\n"
              f"  spf=pass smtp.mailfrom=diff.example\r\n").encode()
        msg = ar + msg
        sig = dkim.arc_sign(msg, b"arc", domain.encode(), self.keys[domain], srv_id.encode(),
                            timestamp=1700000000 + hop)
        self.assertEqual(len(sig), 3, f"dkimpy did not seal at hop {hop}")
        return b"".join(sig) + msg

    def posthouse(self, paths):
        return {path: texts[0] for path, texts in run_cli(self, "arc-verify", self.dns,
                                                          paths).items()}

    def mutations(self, sealed, hops):
        """(name, message, verdict RFC 8617 asks for or None where only agreement counts)."""
        head, _, body = sealed.partition(b"\r\n\r\n")
        out = [("as sealed", sealed, "pass")]
        out.append(("field added on top", b"X-Spam-Score: 1\r\n" + sealed, "pass"))
        out.append(("header whitespace (relaxed)",
                    sealed.replace(b"MIME-Version: 1.0", b"MIME-Version:\t 1.0", 1), "pass"))
        if b"alpha" in body or b"beta" in body:
            word = b"alpha" if b"alpha" in body else b"beta"
            out.append(("body changed", head + b"\r\n\r\n" + body.replace(word, b"omega", 1),
                        "fail"))
        out.append(("footer appended", sealed + b"-- \r\nlist footer\r\n", "fail"))
        out.append(("subject changed", sealed.replace(b"Subject: ", b"Subject: [x] ", 1),
                    "fail"))
        out.append(("top AAR changed",
                    sealed.replace(b"smtp.mailfrom=diff.example", b"smtp.mailfrom=evil.example",
                                   1), "fail"))
        top_seal_end = sealed.index(b"ARC-Message-Signature:")
        out.append(("top seal removed", sealed[top_seal_end:], "fail" if hops > 1 else None))
        out.append(("seal cv forged", sealed.replace(b"cv=none", b"cv=pass", 1), "fail"))
        return out

    def test_verdicts_agree_with_dkimpy(self):
        rng = random.Random(8617)
        cases = []  # (path, description, expected or None, dkimpy's cv)
        for n in range(12):
            hops = 1 + n % 3
            msg = make_message(rng, n, AUTHOR)
            broken_on_the_way = n % 4 == 3 and hops > 1
            for hop in range(hops):
                if broken_on_the_way and hop == hops - 1:
                    msg += b"-- \r\nfooter added by a list before it sealed\r\n"
                msg = self.seal(msg, hop)
            variants = ([("changed before the last seal", msg, "fail")] if broken_on_the_way
                        else self.mutations(msg, hops))
            for what, changed, expected in variants:
                path = os.path.join(self.tmp.name, f"m{n}-{len(cases)}.eml")
                with open(path, "wb") as f:
                    f.write(changed)
                cases.append((path, f"message {n}, {hops} hop(s): {what}", expected,
                              self.dkimpy_cv(changed)))
        plain, unsealed = os.path.join(self.tmp.name, "plain.eml"), make_message(rng, 99, AUTHOR)
        with open(plain, "wb") as f:
            f.write(unsealed)
        cases.append((plain, "no ARC fields", "none", self.dkimpy_cv(unsealed)))
        self.assertGreater(len(cases), 60)
        results = self.posthouse([c[0] for c in cases])
        counts = {}
        for path, desc, expected, theirs in cases:
            with self.subTest(desc):
                if expected is not None:
                    self.assertEqual(theirs, expected, f"dkimpy: {desc}")
                ours = results.get(path, "")
                self.assertTrue(ours.startswith(f"arc={theirs}"), f"{desc}: {ours}")
                counts[theirs] = counts.get(theirs, 0) + 1
        self.assertGreater(counts.get("pass", 0), 15)
        self.assertGreater(counts.get("fail", 0), 30)

    def test_cli_reports_oldest_pass_and_unknown_keys(self):
        msg = self.seal(self.seal(make_message(random.Random(1), 1, AUTHOR), 0), 1)
        ok = os.path.join(self.tmp.name, "ok.eml")
        with open(ok, "wb") as f:
            f.write(msg)
        nokey = os.path.join(self.tmp.name, "nokey.eml")
        with open(nokey, "wb") as f:
            f.write(msg.replace(b"d=lists.example", b"d=nokey.example"))
        results = self.posthouse([ok, nokey])
        self.assertEqual(results[ok], "arc=pass (i=2 d=lists.example) header.oldest-pass=0")
        self.assertTrue(results[nokey].startswith("arc=fail (ARC-"), results[nokey])
        check_missing_file(self, "arc-verify", self.dns, self.tmp.name)

if __name__ == "__main__":
    unittest.main()
