"""Debian's python3-dkim (dkimpy) as the independent peer of the DKIM and ARC differential
tests (test_dkim_verify.py, test_arc.py): keys made with openssl, the key records as the
`--dns FILE` of the hidden CLI commands and as dkimpy's dnsfunc, and the CLI run over many
message files at once. A missing dkimpy or authres is an error, never a skip
(scripts/install-deps installs python3-dkim and python3-authres).
"""
import base64
import os
import subprocess
import sys

from harness import BIN, WAIT, check_no_sanitizer_report

try:
    import authres  # noqa: F401  (dkimpy's arc_sign needs it)
    import dkim
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import authres  # noqa: F401
    import dkim  # noqa: F401


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True, check=True,
                          timeout=WAIT).stdout


def txt(name, text):
    """A dnsmasq TXT record (peers.Dns); long texts as several character-strings (at most 255
    bytes each, separated by commas: the texts given have none)."""
    assert "," not in text
    chunks = [text[i:i + 200] for i in range(0, len(text), 200)]
    return f"--txt-record={name}," + ",".join(chunks)


def rsa_key():
    """(private PEM, DNS record) of a fresh RSA-2048 key."""
    pem = openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    pub = openssl("pkey", "-pubout", "-outform", "DER", input=pem)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode()


def make_message(rng, n, domain):
    """A CRLF message with the usual fields, one of them folded, and a body with trailing
    whitespace, blank lines and (sometimes) no final line end or no body at all."""
    words = ["alpha", "beta", "gamma", "delta", "tee\tab", "x"]
    subject = " ".join(rng.choice(words) for _ in range(8))
    headers = [
        f"From: Sender {n} <s{n}@{domain}>",
        f"To: r{n}@other.example,\r\n\tsecond{n}@other.example",
        f"Subject: {subject[:20]}\r\n {subject[20:]}",
        "Date: Mon, 3 Jun 2024 10:00:00 +0000",
        f"Message-ID: <{n}.diff@{domain}>",
        "MIME-Version: 1.0",
        rng.choice(["X-Trailing: spaces   ", "x-lower: case", "X-Empty:"]),
    ]
    kind = n % 4
    if kind == 0:
        body = ""
    else:
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 9))) +
                 rng.choice(["", " ", "\t "]) for _ in range(rng.randint(1, 12))]
        body = "\r\n".join(lines) + "\r\n" + "\r\n" * rng.randint(0, 3)
        if kind == 3:
            # No final line end. Not its trailing WSP too: on such a last line dkimpy keeps
            # one SP in the relaxed form and we (like the signer) drop it, as "WSP at the end
            # of lines" reads; SMTP always ends the body with CRLF, so it never meets mail.
            body = body.rstrip("\r\n").rstrip(" \t")
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


class Keys:
    """Key records by name ("sel._domainkey.example.", with the dot), written for the CLI."""

    def __init__(self, tmp, dns):
        self.dns = dns
        self.file = os.path.join(tmp, "dns.txt")
        with open(self.file, "w") as f:
            for name, txt in dns.items():
                f.write(f"{name} {txt}\n")

    def dnsfunc(self, name, timeout=5):
        return self.dns.get(name.decode(), "").encode()


def run_cli(test, command, keys, paths):
    """`posthouse COMMAND --dns FILE PATHS...` → {path: [result text, ...]}, checked for a
    clean exit and no sanitizer report."""
    p = subprocess.run([BIN, command, "--dns", keys.file, *paths], capture_output=True,
                       text=True, timeout=8 * WAIT)
    check_no_sanitizer_report(command, p.stderr)
    test.assertEqual(p.returncode, 0, p.stderr)
    results = {}
    for line in p.stdout.splitlines():
        path, _, text = line.partition(": ")
        results.setdefault(path, []).append(text)
    return results


def check_missing_file(test, command, keys, tmp):
    p = subprocess.run([BIN, command, "--dns", keys.file, os.path.join(tmp, "missing.eml")],
                       capture_output=True, text=True, timeout=WAIT)
    test.assertEqual(p.returncode, 1)
    test.assertIn("cannot read", p.stderr)
