"""Shared fixtures of the REST API tests (test_api*.py, test_outbound_queue.py): an HTTP client
(bearer token or cookie session with its CSRF token) and a server provisioned through the CLI
with two customers, their domains, managers, mailboxes and a delegation."""
import http.client
import json
import unittest

from harness import WAIT, start_server

PW = {
    "admin": None,  # filled from init
    "boss@acme.test": "customer-pw-1",
    "ceo@globex.test": "customer-pw-2",
    "sales@acme.test": "manager-pw-1",
    "ops@partner.test": "manager-pw-2",
    "postmaster@a.example": "postmaster-pw-1",
    "alice@a.example": "alice-password",
    "hr@a.example": "hr-password-1",
}


class Client:
    """One HTTP client: a bearer token or a cookie session (with its CSRF token)."""

    def __init__(self, port, token=None):
        self.port = port
        self.token = token
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw=None, csrf=True):
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.cookie:
            h["Cookie"] = f"ph_session={self.cookie}"
            if csrf and self.csrf and method not in ("GET", "HEAD"):
                h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            text = r.read().decode()
            js = json.loads(text) if text else None
            return r.status, js, r
        finally:
            c.close()

    def login(self, address, password, presented=None):
        headers = {"Cookie": f"ph_session={presented}"} if presented else {}
        st, js, r = self.request("POST", "/api/v1/session",
                                 {"address": address, "password": password}, headers=headers)
        if st == 201:
            cookie = r.getheader("Set-Cookie")
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
            self.set_cookie = cookie
            self.csrf = js["csrf_token"]
        return st, js


class ApiTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, listeners=["http"])
        PW["admin"] = cls.server.admin_password
        cls.port = cls.server.ports["http"]
        cli = cls.server.cli
        cli("customer", "create", "acme", "--login", "boss@acme.test", "--password",
            PW["boss@acme.test"])
        cli("customer", "create", "globex", "--login", "ceo@globex.test", "--password",
            PW["ceo@globex.test"])
        cli("domain", "create", "a.example", "--customer", "acme", "--password",
            PW["postmaster@a.example"])
        cli("domain", "create", "b.example", "--customer", "acme")
        cli("domain", "create", "g.example", "--customer", "globex")
        cli("template", "create", "staff", "--customer", "acme", "--quota", "100M",
            "--services", "tokens")
        cli("template", "create", "exec", "--customer", "acme", "--quota", "200M")
        cli("template", "create", "gstaff", "--customer", "globex", "--quota", "100M")
        cli("manager", "create", "sales@acme.test", "--customer", "acme", "--full",
            "--password", PW["sales@acme.test"])
        cli("manager", "create", "ops@partner.test", "--customer", "acme", "--domain",
            "a.example", "--password", PW["ops@partner.test"])
        for addr, pw in (("alice@a.example", PW["alice@a.example"]),
                         ("hr@a.example", PW["hr@a.example"]),
                         ("bob@a.example", "bob-password-1"),
                         ("carol@b.example", "carol-password")):
            cli("mailbox", "create", addr, "--template", "staff", "--password", pw)
        cli("mailbox", "create", "gina@g.example", "--template", "gstaff")
        cli("alias", "set", "sales@a.example", "bob@a.example")
        cli("--as", "boss@acme.test", "delegation", "create", "hr@a.example", "--verbs",
            "mailbox.create,mailbox.delete,mailbox.password", "--domain", "a.example",
            "--template", "staff", "--days", "365")

    def client(self, token=None):
        return Client(self.port, token)

    def session(self, login):
        c = self.client()
        st, js = c.login(login, PW[login])
        self.assertEqual(st, 201, js)
        return c

    def token(self, login, **scope):
        c = self.session(login)
        st, js, _ = c.request("POST", "/api/v1/tokens", {"name": "t", **scope})
        self.assertEqual(st, 201, js)
        return self.client(js["secret"]), js


ROLES = ["admin", "boss@acme.test", "sales@acme.test", "ops@partner.test",
         "postmaster@a.example", "alice@a.example", "hr@a.example"]
ADMIN, BOSS, SALES, OPS, PM, ALICE, HR = ROLES
ACME_ADMINS = {ADMIN, BOSS, SALES}
A_ADMINS = ACME_ADMINS | {OPS, PM}

# (method, path, body, roles allowed, out_of_scope_for_acme). Idempotent, so the order and
# repetition (session and token for each role) do not change the outcome.
