"""SPF (src/antispam/spf_check.h) against an independent implementation: Debian's python3-spf
(pyspf) and `posthouse spf-check` evaluate the same cases against the same DNS server (dnsmasq,
started by the test, serving one zone of policies that exercise every mechanism, modifiers,
macros, the lookup and void-lookup limits and the errors), and must reach the same result for
both identities (HELO and MAIL FROM) of every case.

The unit tests run the openspf.org suite against the evaluator with DNS answers from its YAML;
this test adds real DNS (c-ares against dnsmasq) and a second opinion on cases of our own.
A missing pyspf is an error here, never a skip (scripts/install-deps installs python3-spf).
"""
import itertools
import os
import subprocess
import sys
import tempfile
import unittest

from harness import BIN, WAIT, check_no_sanitizer_report
from peers import Dns
from pydns_peer import point_dnspython_at

try:
    import spf
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import spf

# name -> SPF policy (a list: several TXT records at one name).
POLICIES = {
    "pass-ip4.test": ["v=spf1 ip4:192.0.2.0/24 -all"],
    "softfail.test": ["v=spf1 ip4:192.0.2.1 ~all"],
    "neutral.test": ["v=spf1 ?all"],
    "plus-all.test": ["v=spf1 +all"],
    "a-mech.test": ["v=spf1 a -all"],
    "a-cidr.test": ["v=spf1 a/24 -all"],
    "a-other.test": ["v=spf1 a:host.a-mech.test ~all"],
    "mx-mech.test": ["v=spf1 mx -all"],
    "mx-cidr.test": ["v=spf1 mx:mx-mech.test/28 -all"],
    "include.test": ["v=spf1 include:pass-ip4.test -all"],
    "include-softfail.test": ["v=spf1 include:softfail.test ?all"],
    "include-none.test": ["v=spf1 include:nospf.test -all"],
    "not-include.test": ["v=spf1 -include:pass-ip4.test +all"],
    "redirect.test": ["v=spf1 redirect=pass-ip4.test"],
    "redirect-none.test": ["v=spf1 redirect=nospf.test"],
    "exists.test": ["v=spf1 exists:%{ir}.list.exists.test -all"],
    "macro-l.test": ["v=spf1 exists:%{l}.users.macro-l.test -all"],
    "macro-d.test": ["v=spf1 exists:%{d2}.%{h}.ok.macro-d.test ~all"],
    "ip6.test": ["v=spf1 ip6:2001:db8::/32 -all"],
    "ip6-and-4.test": ["v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::1 -all"],
    "syntax.test": ["v=spf1 ip4:999.1.1.1 -all"],
    "unknown-mech.test": ["v=spf1 foo:bar -all"],
    "unknown-mod.test": ["v=spf1 ip4:192.0.2.1 whatever=x -all"],
    "two-records.test": ["v=spf1 -all", "v=spf1 +all"],
    "nospf.test": ["some other text"],
    "case.test": ["V=SPF1 IP4:192.0.2.0/24 -ALL"],
    "ptr.test": ["v=spf1 ptr -all"],
    "exp.test": ["v=spf1 -all exp=explain.exp.test"],
    "void.test": ["v=spf1 a:v1.void.test a:v2.void.test a:v3.void.test -all"],
    "toomany.test": ["v=spf1 " + " ".join(f"a:x{i}.many.test" for i in range(1, 12)) + " -all"],
    "ten.test": ["v=spf1 " + " ".join(f"a:x{i}.many.test" for i in range(1, 11)) + " -all"],
    "loop.test": ["v=spf1 include:loop.test -all"],
    # A name outside the test zone: dnsmasq (no upstream) refuses it, a DNS error.
    "temperror.test": ["v=spf1 a:host.elsewhere.example -all"],
    "mail.helo.test": ["v=spf1 ip4:192.0.2.0/24 -all"],
}
HOSTS = [  # dnsmasq --host-record: A/AAAA, and the PTR of each address
    "a-mech.test,192.0.2.10",
    "a-cidr.test,192.0.2.20",
    "host.a-mech.test,198.51.100.7",
    "mail.mx-mech.test,192.0.2.40",
    "1.2.0.192.list.exists.test,127.0.0.2",
    "alice.users.macro-l.test,127.0.0.2",
    "ptr-host.ptr.test,192.0.2.50",
    "mail.helo.test,192.0.2.1",
] + [f"x{i}.many.test,10.0.0.{i}" for i in range(1, 12)]
IPS = ["192.0.2.1", "192.0.2.30", "192.0.2.40", "192.0.2.50", "198.51.100.7", "203.0.113.9",
       "2001:db8::1", "2001:db9::1"]


def dns_records():
    out = [f"--host-record={h}" for h in HOSTS]
    out += ["--mx-host=mx-mech.test,mail.mx-mech.test,10",
            "--txt-record=explain.exp.test,%{i} is not one of %{d}'s hosts",
            "--host-record=macro-d.test.test.ok.macro-d.test,127.0.0.2",  # %{d2}.%{h}, helo "test"
            "--local=/in-addr.arpa/", "--local=/ip6.arpa/"]
    for name, texts in POLICIES.items():
        out += [f"--txt-record={name},{t}" for t in texts]
    return out


def cases():
    """(ip, mail from or '<>', helo)."""
    out = []
    for domain, ip in itertools.product(sorted(POLICIES), IPS):
        out.append((ip, f"alice@{domain}", "mail.helo.test"))
    for ip in IPS:
        out.append((ip, "<>", "mail.helo.test"))
        out.append((ip, "bob@macro-d.test", "test"))
    out.append(("192.0.2.1", "alice@no-such-domain.test", "no-such-helo.test"))
    return out


class SpfDifferential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dns(dns_records())
        cls.addClassCleanup(cls.dns.stop)
        point_dnspython_at(cls, cls.dns.port)

    def pyspf(self, ip, mail_from, helo):
        """pyspf's results for the two identities (RFC 7208 2.3 and 2.4)."""
        h, _ = spf.check2(i=ip, s=f"postmaster@{helo}", h=helo, receiver="unknown")
        m, _ = spf.check2(i=ip, s="" if mail_from == "<>" else mail_from, h=helo,
                          receiver="unknown")
        return h, m

    def test_every_case_gets_pyspfs_result(self):
        all_cases = cases()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cases")
            with open(path, "w") as f:
                f.writelines(f"{ip} {frm} {helo}\n" for ip, frm, helo in all_cases)
            p = subprocess.run([BIN, "spf-check", "--dns-server", f"127.0.0.1:{self.dns.port}",
                                path], capture_output=True, text=True, timeout=20 * WAIT)
        check_no_sanitizer_report("spf-check", p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        ours = {}
        for line in p.stdout.splitlines():
            key, _, res = line.rpartition(": ")
            fields = dict(kv.split("=") for kv in res.split())
            ours[key] = (fields["helo"], fields["mailfrom"])
        self.assertEqual(len(ours), len(all_cases))
        mismatches = []
        seen = set()
        for ip, frm, helo in all_cases:
            theirs = self.pyspf(ip, frm, helo)
            got = ours[f"{ip} {frm} {helo}"]
            seen.update(got)
            if got != theirs:
                mismatches.append(f"{ip} {frm} {helo}: posthouse helo={got[0]} "
                                  f"mailfrom={got[1]}, pyspf helo={theirs[0]} mailfrom={theirs[1]}")
        self.assertEqual(mismatches, [], f"{len(mismatches)} of {len(all_cases)} cases differ")
        # The cases reach every result, so agreement means something.
        self.assertEqual(seen, {"pass", "fail", "softfail", "neutral", "none", "permerror",
                                "temperror"})


if __name__ == "__main__":
    unittest.main()
