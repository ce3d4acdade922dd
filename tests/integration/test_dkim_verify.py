"""DKIM verification (src/antispam/dkim_verifier.h) against an independent implementation:
Debian's python3-dkim (dkimpy) signs generated messages (rsa-sha256 and ed25519-sha256, every
c= combination, with and without l=, several header sets, folded fields, trailing blank lines),
some are then changed, and `posthouse dkim-verify` must reach dkimpy's verdict on every one:
pass for the untouched and whitespace-only (relaxed) changes, fail for changed bodies and
headers. The other direction (the outbound signer verified by dkimpy) is
test_outbound.test_dkim_signatures_verify_with_dkimpy.

No server: the hidden CLI command reads the message files and the keys from a file.
A missing dkimpy is an error here, never a skip (scripts/install-deps installs python3-dkim).
"""
import base64
import itertools
import os
import random
import re
import tempfile
import unittest

from dkimpy_peer import Keys, check_missing_file, dkim, make_message, openssl, rsa_key, run_cli

DOMAIN = "diff.example"


def make_keys(tmp):
    """(rsa private PEM, rsa DNS record, ed25519 seed base64, ed25519 DNS record)."""
    rsa_pem, rsa_txt = rsa_key()
    ed_pem = openssl("genpkey", "-algorithm", "ed25519")
    ed_der = openssl("pkey", "-outform", "DER", input=ed_pem)
    ed_pub = openssl("pkey", "-pubout", "-outform", "DER", input=ed_pem)
    # PKCS#8 and SPKI DER of Ed25519 end in the 32-byte seed and public key (RFC 8410).
    return (rsa_pem, rsa_txt, base64.b64encode(ed_der[-32:]),
            "v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_pub[-32:]).decode())


HEADER_SETS = [
    None,  # dkimpy's default set, over-signing what it freezes
    [b"from"],
    [b"from", b"to", b"subject", b"reply-to", b"from", b"x-trailing", b"x-lower", b"x-empty"],
]


def mutations(msg, canon, length, hset):
    """(name, changed message, whether a verifier must pass it: True, False, or None where
    only agreement with dkimpy is asked)."""
    head, _, body = msg.partition(b"\r\n\r\n")
    minimal = HEADER_SETS[hset] == [b"from"]  # Subject not signed
    out = [("as signed", msg, True)]
    out.append(("subject changed", msg.replace(b"Subject: ", b"Subject: Re: ", 1), minimal))
    # A second From makes the message invalid (RFC 5322 3.6): a verifier must fail it even where
    # the signed, lower From is untouched (RFC 6376 8.15).
    out.append(("from added on top", b"From: evil@attacker.example\r\n" + msg, False))
    if b"gamma" in body or b"alpha" in body:
        word = b"gamma" if b"gamma" in body else b"alpha"
        out.append(("body changed", head + b"\r\n\r\n" + body.replace(word, word.upper(), 1),
                    False))
    out.append(("blank lines appended", msg + b"\r\n\r\n", True))
    if canon[1] == b"relaxed" and re.search(rb"[a-z] [a-z]", body):
        spaced = re.sub(rb"([a-z]) ([a-z])", rb"\1 \t \2", body, count=1)
        out.append(("body whitespace (relaxed)", head + b"\r\n\r\n" + spaced, True))
    if canon[0] == b"relaxed":
        out.append(("header whitespace (relaxed)",
                    msg.replace(b"MIME-Version: 1.0", b"MIME-Version:\t 1.0", 1), True))
    if length:
        # Passes where the signed body ended in a line end (the text then follows it).
        out.append(("text after l=", msg + b"Appended, not signed.\r\n", None))
    return out


class DkimpyDifferential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ph_dkimdiff_")
        rsa_pem, rsa_txt, ed_seed, ed_txt = make_keys(cls.tmp.name)
        cls.keys = {b"rsa-sha256": (b"rsa", rsa_pem), b"ed25519-sha256": (b"ed", ed_seed)}
        cls.dns = Keys(cls.tmp.name, {f"rsa._domainkey.{DOMAIN}.": rsa_txt,
                                      f"ed._domainkey.{DOMAIN}.": ed_txt})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def dkimpy_verdict(self, msg):
        try:
            return dkim.verify(msg, dnsfunc=self.dns.dnsfunc)
        except dkim.DKIMException:
            return False

    def posthouse(self, paths):
        return run_cli(self, "dkim-verify", self.dns, paths)

    def test_verdicts_agree_with_dkimpy(self):
        rng = random.Random(6376)
        cases = []  # (path, description, expected pass, dkimpy verdict, l= used)
        n = 0
        for alg, canon, length, hset in itertools.product(
                self.keys, itertools.product([b"simple", b"relaxed"], repeat=2), [False, True],
                range(len(HEADER_SETS))):
            selector, key = self.keys[alg]
            msg = make_message(rng, n, DOMAIN)
            sig = dkim.sign(msg, selector, DOMAIN.encode(), key, canonicalize=canon,
                            signature_algorithm=alg, include_headers=HEADER_SETS[hset],
                            length=length)
            signed = sig + msg
            for what, changed, should_pass in mutations(signed, canon, length, hset):
                path = os.path.join(self.tmp.name, f"m{n}-{len(cases)}.eml")
                with open(path, "wb") as f:
                    f.write(changed)
                desc = (f"{alg.decode()} c={canon[0].decode()}/{canon[1].decode()} "
                        f"l={length} h-set={hset} body-kind={n % 4}: {what}")
                cases.append((path, desc, should_pass, self.dkimpy_verdict(changed), length))
            n += 1
        self.assertGreater(len(cases), 200)
        results = self.posthouse([c[0] for c in cases])
        passed = failed = partial = 0
        for path, desc, should_pass, theirs, length in cases:
            with self.subTest(desc):
                if should_pass is not None:
                    self.assertEqual(theirs, should_pass, f"dkimpy: {desc}")
                ours = results.get(path, [])
                self.assertEqual(len(ours), 1, f"{desc}: {ours}")
                self.assertEqual(ours[0].startswith("dkim=pass "), theirs, f"{desc}: {ours[0]}")
                if not theirs:
                    self.assertTrue(ours[0].startswith("dkim=fail "), f"{desc}: {ours[0]}")
                if theirs and "text after l=" in desc:
                    self.assertIn("(l= leaves ", ours[0])
                    partial += 1
                passed += theirs
                failed += not theirs
        self.assertGreater(passed, 100)
        self.assertGreater(failed, 100)
        self.assertGreater(partial, 10)

    def test_cli_reports_unsigned_and_unknown_keys(self):
        plain = os.path.join(self.tmp.name, "plain.eml")
        with open(plain, "wb") as f:
            f.write(b"From: a@b.example\r\n\r\nhi\r\n")
        selector, key = self.keys[b"ed25519-sha256"]
        msg = b"From: a@elsewhere.example\r\nSubject: x\r\n\r\nhi\r\n"
        sig = dkim.sign(msg, selector, b"elsewhere.example", key,
                        signature_algorithm=b"ed25519-sha256")
        nokey = os.path.join(self.tmp.name, "nokey.eml")
        with open(nokey, "wb") as f:
            f.write(sig + msg)
        results = self.posthouse([plain, nokey])
        self.assertEqual(results[plain], ["dkim=none"])
        self.assertEqual(len(results[nokey]), 1)
        self.assertTrue(results[nokey][0].startswith(
            "dkim=permerror (no key record at ed._domainkey.elsewhere.example) "
            "header.d=elsewhere.example header.s=ed header.a=ed25519-sha256"), results[nokey])
        check_missing_file(self, "dkim-verify", self.dns, self.tmp.name)

if __name__ == "__main__":
    unittest.main()
