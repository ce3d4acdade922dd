"""Shared helpers for mail tests: provisioning through the real CLI, reading mail back with
poplib, and a raw SMTP conversation for bad-input tests."""
import imaplib
import poplib
import re
import socket
import ssl

from harness import WAIT, ServerTestCase
from peers import Dns

CTX = ssl._create_unverified_context()


class Fixture:
    """Creates a customer, template and domains through `posthouse` CLI commands."""

    def __init__(self, server, customer="acme", template="staff"):
        self.server = server
        self.customer = customer
        self.template = template
        self._made_customer = False

    def _ensure_customer(self):
        if self._made_customer:
            return
        self.server.cli("customer", "create", self.customer)
        self.server.cli("template", "create", self.template, "--customer", self.customer)
        self._made_customer = True

    def domain(self, name, postmaster_password="postmaster-pass-1"):
        self._ensure_customer()
        self.server.cli("domain", "create", name, "--customer", self.customer,
                        "--password", postmaster_password)

    def mailbox(self, address, password, template=None):
        self.server.cli("mailbox", "create", address, "--template", template or self.template,
                        "--password", password)

    def alias(self, address, targets):
        self.server.cli("alias", "set", address, *targets)



class ProvisionedCase(ServerTestCase):
    """One server per class with `domains` and `mailboxes` (address: password) made through the
    CLI, in that order; `cls.fx` makes more."""
    domains = ("example.test",)
    mailboxes = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.server)
        for name in cls.domains:
            cls.fx.domain(name)
        for address, password in cls.mailboxes.items():
            cls.fx.mailbox(address, password)

    def api(self, method, path, login, password, body=None):
        """(status, JSON) of one REST API request made by `login` after signing in."""
        from api_base import Client
        c = Client(self.server.ports["http"])
        st, js = c.login(login, password)
        if st != 201:
            return st, js
        st, js, _ = c.request(method, path, body)
        return st, js


class MailReader:
    """Reads what arrived, for a test case with `self.server` (imaps listener on)."""

    def fetch(self, user, password, subject, folder="INBOX"):
        """The messages in `folder` with this subject, as bytes."""
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
        try:
            m.login(user, password)
            typ, _ = m.select(folder, readonly=True)
            self.assertEqual(typ, "OK", folder)
            typ, data = m.search(None, "SUBJECT", f'"{subject}"')
            out = []
            for n in data[0].split():
                typ, parts = m.fetch(n, "(BODY.PEEK[])")
                out.append(parts[0][1])
            return out
        finally:
            m.logout()

    def only_one(self, user, password, subject, folder="INBOX", absent="Junk"):
        got = self.fetch(user, password, subject, folder)
        self.assertEqual(len(got), 1, f"{subject} in {folder}")
        self.assertEqual(self.fetch(user, password, subject, absent), [],
                         f"{subject} also in {absent}")
        return got[0].decode()

    def auth_results(self, raw):
        """The Authentication-Results fields, unfolded, top first."""
        header = raw.split("\r\n\r\n", 1)[0]
        fields, cur = [], None
        for line in header.split("\r\n"):
            if line[:1] in (" ", "\t") and cur is not None:
                cur += " " + line.strip()
                continue
            if cur is not None:
                fields.append(cur)
            cur = line
        fields.append(cur)
        return [f for f in fields if f.lower().startswith("authentication-results:")], fields


class DnsMxCase(ProvisionedCase, MailReader):
    """A server whose sender checks resolve through dnsmasq serving `dns_records` (peers.Dns),
    with plaintext AUTH allowed (submission tests) and `antispam` appended to [antispam]."""
    dns_records = []
    antispam = ""

    @classmethod
    def setUpClass(cls):
        cls.dns = Dns(cls.dns_records)
        cls.addClassCleanup(cls.dns.stop)
        cls.extra_config = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\n'
                            "[smtp]\nallow_plaintext_auth = true\n"
                            "[antispam]\ndns_timeout_ms = 10000\n" + cls.antispam)
        super().setUpClass()


def connect(port, src):
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT, source_address=(src, 0))
    return s, s.makefile("rb")


def hangup(s, f):
    # The makefile() reader holds the descriptor too: close both, or the connection stays open.
    f.close()
    s.close()


def pop3_login(port, src, user, password):
    """The reply line to PASS on a plain POP3 connection from source address `src`."""
    s, f = connect(port, src)
    try:
        f.readline()
        s.sendall(f"USER {user}\r\n".encode())
        f.readline()
        s.sendall(f"PASS {password}\r\n".encode())
        return f.readline()
    finally:
        hangup(s, f)


def pop_messages(server, user, password):
    """Every message in the mailbox, as bytes with CRLF line ends, via POP3S."""
    p = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], context=CTX, timeout=WAIT)
    try:
        p.user(user)
        p.pass_(password)
        count, _ = p.stat()
        out = []
        for i in range(1, count + 1):
            _, lines, _ = p.retr(i)
            out.append(b"".join(l + b"\r\n" for l in lines))
        return out
    finally:
        p.quit()


FINAL_REPLY = re.compile(rb"^\d{3}(?: |$)")


def _replies_expected(chunk, in_data):
    """How many final SMTP replies the server owes for `chunk` (sent after the replies to
    everything before it), and whether the chunk leaves the session in DATA: one per command
    line, one for a BDAT chunk, one for a message's terminating CRLF.CRLF."""
    n = 0
    rest = chunk
    while rest:
        if in_data:
            end = rest.find(b"\r\n.\r\n")
            if end < 0:
                return n, True
            n += 1
            rest = rest[end + 5:]
            in_data = False
            continue
        line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        n += 1
        word = line[:4].upper()
        if word == b"DATA" and len(line) == 4:
            in_data = True  # 354 now, one more reply after the terminator
            continue
        if word == b"BDAT":
            size = int(line.split()[1])
            rest = rest[size:]
    return n, in_data


def raw_smtp(port, chunks, host="127.0.0.1"):
    """A raw SMTP conversation for bad-input tests: sends each chunk once the server has
    answered everything before it (every command line, BDAT chunk and message end gets one
    final reply), then reads until the server closes the connection (the last chunk is QUIT, or
    the server ends the session). Returns every reply line. Waits are bounded by harness.WAIT;
    a server that stops answering fails the test instead of being read as silence."""
    s = socket.create_connection((host, port), timeout=WAIT)
    buf = b""
    finals = 0
    closed = False

    def read_until(target):
        nonlocal buf, finals, closed
        while not closed and (target is None or finals < target):
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            except socket.timeout:
                raise AssertionError(f"SMTP server silent for {WAIT:.0f} s; replies so far: "
                                     f"{buf[-2000:]!r}")
            if not data:
                closed = True
                break
            buf += data
            finals = sum(1 for l in buf.split(b"\r\n")[:-1] if FINAL_REPLY.match(l))

    try:
        read_until(1)  # the greeting
        want, in_data = 1, False
        for c in chunks:
            if closed:
                break
            try:
                s.sendall(c)
            except (BrokenPipeError, ConnectionResetError):
                break
            n, in_data = _replies_expected(c, in_data)
            want += n
            read_until(want)
        read_until(None)
    finally:
        s.close()
    return [line for line in buf.split(b"\r\n") if line]
