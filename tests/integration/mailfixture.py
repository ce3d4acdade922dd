"""Shared helpers for mail tests: provisioning through the real CLI, reading mail back with
poplib, and a raw SMTP conversation for bad-input tests."""
import poplib
import socket
import ssl
import time

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


def pop_messages(server, user, password):
    """Every message in the mailbox, as bytes with CRLF line ends, via POP3S."""
    p = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], context=CTX, timeout=30)
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


def raw_smtp(port, chunks, gather=1.0, host="127.0.0.1"):
    """Sends each chunk and collects the reply lines that follow; returns all lines."""
    s = socket.create_connection((host, port), timeout=10)
    lines = []
    buf = b""

    def drain(wait):
        nonlocal buf
        s.settimeout(wait)
        end = time.time() + wait
        while time.time() < end:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                return False
            if not data:
                return False
            buf += data
        return True

    alive = drain(1.0)
    for i, c in enumerate(chunks):
        if not alive:
            break
        try:
            s.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            break
        alive = drain(gather if i == len(chunks) - 1 else 0.3)
    s.close()
    for line in buf.split(b"\r\n"):
        if line:
            lines.append(line)
    return lines
