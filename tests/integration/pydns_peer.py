"""dnspython's default resolver (what pyspf, dkimpy and authheaders ask) pointed at a test DNS
server (peers.Dns) for one test class, and put back by a class cleanup. A missing dnspython is
an error, never a skip (scripts/install-deps installs python3-dnspython)."""
import sys

from harness import WAIT

try:
    import dns.resolver
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import dns.resolver


def point_dnspython_at(test_class, port):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = WAIT
    test_class.addClassCleanup(setattr, dns.resolver, "default_resolver",
                               dns.resolver.default_resolver)
    dns.resolver.default_resolver = resolver
