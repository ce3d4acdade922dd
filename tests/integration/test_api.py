"""The admin REST API through real HTTP (http.client): sessions, tokens, the authorization
matrix of the directory for every role (with a session and with a token), bad input."""
import http.client
import json
import time
import unittest
from urllib.parse import quote

from harness import Server

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
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
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
        cls.server = Server(listeners=["http"]).start()
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

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

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
MATRIX = [
    ("GET", "/api/v1/customers/acme", None, ACME_ADMINS | {OPS}, False),
    ("GET", "/api/v1/customers/globex", None, {ADMIN}, True),
    ("GET", "/api/v1/customers/acme/usage", None, ACME_ADMINS | {OPS}, False),
    ("PUT", "/api/v1/customers/acme/limits", {}, {ADMIN}, False),
    ("PUT", "/api/v1/customers/acme/branding", {"product_name": "Acme Mail"}, {ADMIN, BOSS},
     False),
    ("GET", "/api/v1/domains/a.example", None, A_ADMINS | {HR}, False),
    ("GET", "/api/v1/domains/a.example/usage", None, A_ADMINS | {HR}, False),
    ("GET", "/api/v1/domains/b.example", None, ACME_ADMINS, False),
    ("GET", "/api/v1/domains/g.example", None, {ADMIN}, True),
    ("GET", "/api/v1/domains/g.example/usage", None, {ADMIN}, True),
    ("PUT", "/api/v1/domains/a.example/limits", {"max_mailboxes": 50},
     ACME_ADMINS | {OPS}, False),
    ("PUT", "/api/v1/domains/g.example/limits", {"max_mailboxes": 50}, {ADMIN}, True),
    ("GET", "/api/v1/mailboxes/bob@a.example", None, A_ADMINS | {HR}, False),
    ("GET", "/api/v1/mailboxes/alice@a.example", None, A_ADMINS | {HR, ALICE}, False),
    ("GET", "/api/v1/mailboxes/carol@b.example", None, ACME_ADMINS, False),
    ("GET", "/api/v1/mailboxes/gina@g.example", None, {ADMIN}, True),
    ("GET", "/api/v1/mailboxes?domain=b.example", None, ACME_ADMINS, False),
    ("GET", "/api/v1/mailboxes?domain=g.example", None, {ADMIN}, True),
    ("PUT", "/api/v1/mailboxes/bob@a.example/password", {"password": "bob-password-1"},
     A_ADMINS | {HR}, False),
    ("PUT", "/api/v1/mailboxes/gina@g.example/password", {"password": "gina-password"},
     {ADMIN}, True),
    ("PATCH", "/api/v1/mailboxes/bob@a.example", {"display_name": "Bob"}, A_ADMINS, False),
    ("PUT", "/api/v1/mailboxes/alice@a.example/forward",
     {"targets": [], "keep_copy": True}, A_ADMINS | {ALICE}, False),
    ("PUT", "/api/v1/mailboxes/alice@a.example/autoresponder",
     {"enabled": False, "subject": "Away", "body": "Later"}, A_ADMINS | {ALICE}, False),
    ("GET", "/api/v1/mailboxes/alice@a.example/autoresponder", None, A_ADMINS | {HR, ALICE},
     False),
    ("PUT", "/api/v1/aliases/sales@a.example", {"targets": ["bob@a.example"]}, A_ADMINS, False),
    ("PUT", "/api/v1/aliases/sales@g.example", {"targets": ["gina@g.example"]}, {ADMIN}, True),
    ("GET", "/api/v1/aliases?domain=a.example", None, A_ADMINS, False),
    ("GET", "/api/v1/managers/ops@partner.test", None, {ADMIN, BOSS, SALES, OPS}, False),
    ("PUT", "/api/v1/managers/ops@partner.test/limits", {}, {ADMIN, BOSS}, False),
    ("GET", "/api/v1/templates/staff/versions/1?customer=acme", None, ACME_ADMINS | {OPS},
     False),
    ("GET", "/api/v1/me", None, set(ROLES), False),
    # Platform limits: the platform admin alone ({} clears them: idempotent).
    ("GET", "/api/v1/platform/limits", None, {ADMIN}, False),
    ("PUT", "/api/v1/platform/limits", {}, {ADMIN}, False),
    ("GET", "/api/v1/domains/a.example/aliases", None, A_ADMINS | {HR}, False),
]


class ApiMatrix(ApiTestBase):
    def test_authorization_matrix_over_http_with_sessions_and_tokens(self):
        count = 0
        for role in ROLES:
            for kind in ("session", "token"):
                c = self.session(role) if kind == "session" else self.token(role)[0]
                for method, path, body, allowed, foreign in MATRIX:
                    st, js, _ = c.request(method, path, body)
                    what = f"{role} {kind} {method} {path}: {st} {js}"
                    if role in allowed:
                        self.assertIn(st, (200, 201, 204), what)
                    elif foreign:
                        # Another customer's objects: exactly like nonexistent ones.
                        self.assertEqual(st, 404, what)
                        self.assertEqual(js["error"]["code"], "not_found", what)
                    else:
                        self.assertIn(st, (403, 404), what)
                    count += 1
        # The same checks through a read-only token: every write refused, reads as above.
        for role in ROLES:
            c, _ = self.token(role, read_only=True)
            for method, path, body, allowed, foreign in MATRIX:
                st, js, _ = c.request(method, path, body)
                ok = role in allowed and method == "GET"
                what = f"{role} read-only {method} {path}: {st} {js}"
                if ok:
                    self.assertEqual(st, 200, what)
                else:
                    self.assertIn(st, (403, 404), what)
                count += 1
        print(f"\n[ api matrix ] {count} HTTP authorization assertions")
        self.assertGreater(count, 600)

    def test_out_of_scope_is_word_for_word_nonexistent(self):
        c = self.session(PM)
        st1, js1, _ = c.request("GET", "/api/v1/mailboxes/gina@g.example")
        st2, js2, _ = c.request("GET", "/api/v1/mailboxes/nobody@g.example")
        self.assertEqual((st1, st2), (404, 404))
        self.assertEqual(js1["error"]["message"].replace("gina", "X"),
                         js2["error"]["message"].replace("nobody", "X"))


class ApiFlows(ApiTestBase):
    def test_new_mailbox_reports_zero_usage(self):
        c = self.session(ALICE)
        st, me, _ = c.request("GET", "/api/v1/me")
        self.assertEqual(st, 200, me)
        self.assertIsInstance(me["mailbox"]["usage"]["used_bytes"], int)
        self.assertIsInstance(me["mailbox"]["usage"]["messages"], int)

    def test_delegations_name_their_grantee(self):
        boss = self.session(BOSS)
        st, js, _ = boss.request("GET", "/api/v1/delegations?domain=a.example")
        self.assertEqual(st, 200, js)
        self.assertIn(HR, [d["grantee"] for d in js["items"]])
        st, js, _ = boss.request("POST", "/api/v1/delegations", {
            "grantee": "sales@acme.test", "verbs": ["mailbox.password"], "domains": ["b.example"]})
        self.assertEqual(st, 201, js)
        self.assertEqual(js["grantee"], "sales@acme.test")
        st, _, _ = boss.request("DELETE", f"/api/v1/delegations/{js['id']}")
        self.assertEqual(st, 204)

    def test_hr_user_manager_flow(self):
        hr = self.session(HR)
        st, me, _ = hr.request("GET", "/api/v1/me")
        self.assertEqual(st, 200)
        self.assertEqual(me["role"], "user")
        self.assertEqual(len(me["delegations"]), 1)
        st, js, _ = hr.request("POST", "/api/v1/mailboxes", {
            "address": "new.hire@a.example", "template": "staff", "display_name": "New Hire",
            "password": "first-password-1"})
        self.assertEqual(st, 201, js)
        self.assertEqual(js["address"], "new.hire@a.example")
        self.assertNotIn("first-password-1", json.dumps(js))
        self.assertNotIn("password_hash", json.dumps(js))
        st, js, _ = hr.request("PUT", "/api/v1/mailboxes/new.hire@a.example/password",
                               {"password": "second-password-1"})
        self.assertEqual(st, 204, js)
        st, js, _ = hr.request("POST", "/api/v1/mailboxes", {
            "address": "ceo2@a.example", "template": "exec"})
        self.assertEqual(st, 403, js)
        self.assertEqual(js["error"]["message"], "not allowed: mailbox.create")
        st, js, _ = hr.request("PUT", "/api/v1/aliases/all@a.example",
                               {"targets": ["hr@a.example"]})
        self.assertIn(st, (403, 404), js)
        st, js, _ = hr.request("POST", "/api/v1/delegations", {
            "grantee": "bob@a.example", "verbs": ["mailbox.delete"], "domains": ["a.example"]})
        self.assertIn(st, (403, 404), js)
        st, js, _ = hr.request("DELETE", "/api/v1/mailboxes/new.hire@a.example")
        self.assertEqual(st, 204, js)
        boss = self.session(BOSS)
        st, js, _ = boss.request("GET", "/api/v1/deleted?domain=a.example")
        self.assertEqual(st, 200)
        self.assertIn("new.hire@a.example", [m["address"] for m in js["mailboxes"]])
        st, js, _ = boss.request("POST", "/api/v1/mailboxes/new.hire@a.example/restore")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["status"], "active")
        # Every mutation is audited with the actor, the source and the IP.
        st, js, _ = boss.request("GET", "/api/v1/audit?domain=a.example&limit=5")
        self.assertEqual(st, 200)
        rec = js["items"][0]
        self.assertEqual(rec["verb"], "mailbox.restore")
        self.assertEqual(rec["actor"], BOSS)
        self.assertEqual(rec["ip"], "127.0.0.1")
        verbs = [r["verb"] for r in js["items"]]
        self.assertIn("mailbox.delete", verbs)
        self.assertNotIn("second-password-1", json.dumps(js))

    def test_token_one_domain_read_only_and_audit_names_token(self):
        boss = self.session(BOSS)
        st, tok, _ = boss.request("POST", "/api/v1/tokens", {
            "name": "monitoring", "domains": ["a.example"], "read_only": True})
        self.assertEqual(st, 201, tok)
        self.assertTrue(tok["secret"].startswith(tok["prefix"]))
        t = self.client(tok["secret"])
        self.assertEqual(t.request("GET", "/api/v1/domains/a.example")[0], 200)
        st, js, _ = t.request("GET", "/api/v1/mailboxes?domain=a.example")
        self.assertEqual(st, 200)
        self.assertIn("bob@a.example", [m["address"] for m in js["items"]])
        self.assertEqual(t.request("GET", "/api/v1/domains/b.example")[0], 404)
        self.assertEqual(t.request("GET", "/api/v1/mailboxes/carol@b.example")[0], 404)
        st, js, _ = t.request("PUT", "/api/v1/mailboxes/bob@a.example/password",
                              {"password": "changed-password"})
        self.assertEqual(st, 403, js)
        # The list shows name, prefix, scope, last use; never the secret.
        st, js, _ = boss.request("GET", "/api/v1/tokens")
        mine = [x for x in js["items"] if x["id"] == tok["id"]][0]
        self.assertNotIn("secret", mine)
        self.assertEqual(mine["scope"]["domains"], ["a.example"])
        self.assertTrue(mine["scope"]["read_only"])
        self.assertEqual(mine["last_used_ip"], "127.0.0.1")
        # A write token's mutation is audited with its id.
        st, w, _ = boss.request("POST", "/api/v1/tokens", {"name": "writer"})
        wt = self.client(w["secret"])
        st, js, _ = wt.request("PATCH", "/api/v1/mailboxes/bob@a.example",
                               {"display_name": "Bob B"})
        self.assertEqual(st, 200, js)
        st, js, _ = boss.request("GET", "/api/v1/audit?limit=1")
        self.assertEqual(js["items"][0]["token_id"], w["id"])
        self.assertEqual(js["items"][0]["source"], "api")

    def test_token_revoked_expired_and_disallowed_ip(self):
        boss = self.session(BOSS)
        st, tok, _ = boss.request("POST", "/api/v1/tokens", {"name": "short"})
        t = self.client(tok["secret"])
        self.assertEqual(t.request("GET", "/api/v1/me")[0], 200)
        self.assertEqual(boss.request("DELETE", f"/api/v1/tokens/{tok['id']}")[0], 204)
        st, js, r = t.request("GET", "/api/v1/me")
        self.assertEqual(st, 401)
        self.assertEqual(js["error"]["code"], "unauthenticated")
        self.assertIn("Bearer", r.getheader("WWW-Authenticate"))
        st, tok, _ = boss.request("POST", "/api/v1/tokens",
                                  {"name": "exp", "expires_at": int(time.time()) + 2})
        self.assertEqual(st, 201, tok)
        t = self.client(tok["secret"])
        self.assertEqual(t.request("GET", "/api/v1/me")[0], 200)
        time.sleep(3)
        self.assertEqual(t.request("GET", "/api/v1/me")[0], 401)
        st, tok, _ = boss.request("POST", "/api/v1/tokens",
                                  {"name": "lan", "ip_allow": ["10.0.0.0/8"]})
        self.assertEqual(self.client(tok["secret"]).request("GET", "/api/v1/me")[0], 401)
        st, tok, _ = boss.request("POST", "/api/v1/tokens",
                                  {"name": "lo", "ip_allow": ["127.0.0.0/8", "::1"]})
        self.assertEqual(self.client(tok["secret"]).request("GET", "/api/v1/me")[0], 200)
        st, js, _ = boss.request("POST", "/api/v1/tokens", {"name": "x", "ip_allow": ["bad"]})
        self.assertEqual((st, js["error"]["field"]), (422, "ip_allow"))
        self.assertEqual(self.client("pht_forged").request("GET", "/api/v1/me")[0], 401)
        # Tokens cannot mint tokens.
        st, js, _ = self.client(tok["secret"]).request("POST", "/api/v1/tokens", {"name": "y"})
        self.assertEqual(st, 403, js)

    def test_token_of_demoted_or_deleted_principal_dies(self):
        self.server.cli("manager", "create", "temp@partner.test", "--customer", "acme",
                        "--domain", "a.example", "--password", "temp-password-1")
        PW["temp@partner.test"] = "temp-password-1"
        t, _ = self.token("temp@partner.test")
        self.assertEqual(t.request("GET", "/api/v1/domains/a.example")[0], 200)
        boss = self.session(BOSS)
        st, js, _ = boss.request("PUT", "/api/v1/managers/temp@partner.test/domains",
                                 {"domains": ["b.example"]})
        self.assertEqual(st, 200, js)
        self.assertEqual(t.request("GET", "/api/v1/domains/a.example")[0], 404)
        self.assertEqual(t.request("GET", "/api/v1/domains/b.example")[0], 200)
        self.assertEqual(boss.request("DELETE", "/api/v1/managers/temp@partner.test")[0], 204)
        self.assertEqual(t.request("GET", "/api/v1/me")[0], 401)

    def test_cookie_session_csrf_fixation_logout(self):
        c = self.client()
        st, js = c.login(ALICE, PW[ALICE], presented="attacker-chosen-id")
        self.assertEqual(st, 201, js)
        self.assertNotEqual(c.cookie, "attacker-chosen-id")
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/api/"):
            self.assertIn(attr, c.set_cookie)
        self.assertNotIn("Secure", c.set_cookie)  # plain HTTP listener here
        fixated = self.client()
        fixated.cookie = "attacker-chosen-id"
        self.assertEqual(fixated.request("GET", "/api/v1/me")[0], 401)
        # Logging in again presenting the current id rotates it: the old one dies.
        old = c.cookie
        st, _ = c.login(ALICE, PW[ALICE], presented=old)
        self.assertNotEqual(c.cookie, old)
        stale = self.client()
        stale.cookie = old
        self.assertEqual(stale.request("GET", "/api/v1/me")[0], 401)
        # CSRF: a state-changing cookie request without the header is refused, nothing changes.
        body = {"enabled": True, "subject": "Away", "body": "Back soon"}
        st, js, _ = c.request("PUT", "/api/v1/me/autoresponder", body, csrf=False)
        self.assertEqual(st, 403, js)
        self.assertEqual(js["error"]["field"], "X-CSRF-Token")
        st, js, _ = c.request("PUT", "/api/v1/me/autoresponder", body,
                              headers={"X-CSRF-Token": "wrong"}, csrf=False)
        self.assertEqual(st, 403)
        st, js, _ = c.request("GET", "/api/v1/me/autoresponder")
        self.assertFalse(js["enabled"])
        st, js, _ = c.request("PUT", "/api/v1/me/autoresponder", body)
        self.assertEqual(st, 200, js)
        st, me, _ = c.request("GET", "/api/v1/me")
        self.assertEqual(me["mailbox"]["settings"]["autoresponder"]["subject"], "Away")
        self.assertEqual(me["mailbox"]["usage"]["quota_bytes"], 100 << 20)
        self.assertIn("last_login", me["mailbox"])
        # Logout ends the session.
        self.assertEqual(c.request("DELETE", "/api/v1/session")[0], 204)
        self.assertEqual(c.request("GET", "/api/v1/me")[0], 401)

    def test_login_failures_are_identical(self):
        c = self.client()
        st1, js1 = c.login("nobody@a.example", "whatever-password")
        st2, js2 = c.login("bob@a.example", "wrong-password")
        self.assertEqual((st1, st2), (401, 401))
        self.assertEqual(js1, js2)

    def test_self_service_password_and_forward(self):
        self.server.cli("mailbox", "create", "dora@a.example", "--template", "staff",
                        "--password", "dora-password-1")
        c = self.client()
        self.assertEqual(c.login("dora@a.example", "dora-password-1")[0], 201)
        st, js, _ = c.request("PUT", "/api/v1/me/forward",
                              {"targets": ["dora@home.example"], "keep_copy": False})
        self.assertEqual(st, 200, js)
        self.assertEqual(js["forward"]["to"], ["dora@home.example"])
        st, js, _ = c.request("PUT", "/api/v1/me/password", {"password": "dora-password-2"})
        self.assertEqual(st, 204, js)
        # A password change ends the login's sessions; the new password works.
        self.assertEqual(c.request("GET", "/api/v1/me")[0], 401)
        self.assertEqual(self.client().login("dora@a.example", "dora-password-1")[0], 401)
        self.assertEqual(self.client().login("dora@a.example", "dora-password-2")[0], 201)

    def test_pagination_is_stable(self):
        admin = self.session(ADMIN)
        seen = []
        cursor = None
        while True:
            q = "/api/v1/mailboxes?limit=2" + (f"&cursor={cursor}" if cursor else "")
            st, js, _ = admin.request("GET", q)
            self.assertEqual(st, 200)
            self.assertLessEqual(len(js["items"]), 2)
            seen += [m["id"] for m in js["items"]]
            cursor = js["next_cursor"]
            if not cursor:
                break
        st, js, _ = admin.request("GET", "/api/v1/mailboxes?limit=1000")
        self.assertEqual(seen, [m["id"] for m in js["items"]])
        self.assertEqual(seen, sorted(seen))
        self.assertGreater(len(seen), 4)
        self.assertEqual(admin.request("GET", "/api/v1/mailboxes?limit=0")[0], 422)
        self.assertEqual(admin.request("GET", "/api/v1/mailboxes?cursor=x")[0], 422)


class ApiPlatformLimits(ApiTestBase):
    def test_only_the_admin_sets_them_and_creation_over_the_limit_fails(self):
        admin = self.session(ADMIN)
        st, js, _ = admin.request("GET", "/api/v1/platform/limits")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["limits"], {"max_domains": None, "max_mailboxes": None,
                                        "max_mailbox_bytes": None, "max_total_bytes": None})
        self.assertEqual(js["usage"]["domains"], 3)
        self.assertEqual(js["over"], [])
        # Nobody else reads or sets them, with a session or a token.
        for role in (BOSS, SALES, OPS, PM, ALICE, HR):
            for c in (self.session(role), self.token(role)[0]):
                for method, body in (("GET", None), ("PUT", {"max_domains": 100})):
                    st, js, _ = c.request(method, "/api/v1/platform/limits", body)
                    self.assertIn(st, (403, 404), f"{role} {method}: {js}")
        # A read-only admin token reads but cannot set.
        ro, _ = self.token(ADMIN, read_only=True)
        self.assertEqual(ro.request("GET", "/api/v1/platform/limits")[0], 200)
        self.assertEqual(ro.request("PUT", "/api/v1/platform/limits", {"max_domains": 1})[0],
                         403)
        # Bad input names its field and changes nothing.
        for body, field in (({"max_domains": "4"}, "max_domains"),
                            ({"max_mailboxes": -1}, "max_mailboxes"),
                            ({"max_total_bytes": 1 << 60}, "max_total_bytes"),
                            ({"max_domian": 4}, "max_domian")):
            st, js, _ = admin.request("PUT", "/api/v1/platform/limits", body)
            self.assertEqual((st, js["error"]["field"]), (422, field), js)
        st, js, _ = admin.request("PUT", "/api/v1/platform/limits", raw="[1]")
        self.assertEqual(st, 400)
        st, js, _ = admin.request("GET", "/api/v1/platform/limits")
        self.assertIsNone(js["limits"]["max_domains"])
        self.assertIsNone(js["limits"]["max_mailboxes"])
        # One more domain fits, the next is refused with a clear error.
        st, js, _ = admin.request("PUT", "/api/v1/platform/limits", {"max_domains": 4})
        self.assertEqual(st, 200, js)
        self.assertEqual(js["limits"]["max_domains"], 4)
        boss = self.session(BOSS)
        st, js, _ = boss.request("POST", "/api/v1/domains", {"name": "c.example"})
        self.assertEqual(st, 201, js)
        st, js, _ = boss.request("POST", "/api/v1/domains", {"name": "d.example"})
        self.assertEqual(st, 409, js)
        self.assertEqual(js["error"]["code"], "limit_exceeded")
        self.assertIn("the platform limit of 4 domains is reached", js["error"]["message"])
        self.assertEqual(boss.request("GET", "/api/v1/domains/d.example")[0], 404)
        # Lowering below usage is allowed: nothing goes away, "over" says what is blocked.
        st, js, _ = admin.request("PUT", "/api/v1/platform/limits", {"max_domains": 2})
        self.assertEqual(st, 200, js)
        self.assertEqual(js["over"], ["max_domains"])
        self.assertEqual(js["usage"]["domains"], 4)
        self.assertEqual(boss.request("GET", "/api/v1/domains/c.example")[0], 200)
        # Audited, with the change.
        st, js, _ = admin.request("GET", "/api/v1/audit?limit=1")
        rec = js["items"][0]
        self.assertEqual((rec["verb"], rec["target"], rec["actor"]),
                         ("platform.limits", "platform", "admin"))
        # The CLI shows and sets the same stored limits.
        out = json.loads(self.server.cli("platform", "limits", "--json").stdout)
        self.assertEqual(out["limits"]["max_domains"], 2)
        self.assertEqual(out["usage"]["domains"], 4)
        p = self.server.cli("--as", BOSS, "platform", "limits", "--max-domains", "none",
                            check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not allowed", p.stderr)
        p = self.server.cli("platform", "limits", "--max-domains", "many", check=False)
        self.assertNotEqual(p.returncode, 0)
        out = json.loads(self.server.cli("platform", "limits", "--max-domains", "none",
                                         "--max-mailboxes", "100", "--json").stdout)
        self.assertIsNone(out["limits"]["max_domains"])
        self.assertEqual(out["limits"]["max_mailboxes"], 100)
        st, js, _ = boss.request("POST", "/api/v1/domains", {"name": "d.example"})
        self.assertEqual(st, 201, js)

    def test_managers_carry_their_domain_names(self):
        for role in (BOSS, SALES, OPS, ADMIN):
            st, js, _ = self.session(role).request("GET", "/api/v1/managers/ops@partner.test")
            self.assertEqual(st, 200, js)
            self.assertEqual([d["name"] for d in js["domains"]], ["a.example"], role)
            self.assertEqual([d["id"] for d in js["domains"]], js["domain_ids"])
        st, js, _ = self.session(BOSS).request("GET", "/api/v1/managers")
        ops = [m for m in js["items"] if m["login"] == "ops@partner.test"][0]
        self.assertEqual(ops["domains"][0]["name"], "a.example")

    def test_domain_aliases_by_customer_not_postmaster(self):
        boss, pm = self.session(BOSS), self.session(PM)
        st, js, _ = pm.request("PUT", "/api/v1/domains/a.example/aliases/a-alias.example")
        self.assertEqual(st, 403, js)
        st, js, _ = boss.request("PUT", "/api/v1/domains/a.example/aliases/"
                                + quote("not a domain!"))
        self.assertEqual((st, js["error"]["field"]), (422, "alias"), js)
        st, js, _ = boss.request("PUT", "/api/v1/domains/a.example/aliases/a-alias.example")
        self.assertEqual(st, 204, js)
        st, js, _ = pm.request("GET", "/api/v1/domains/a.example/aliases")
        self.assertEqual([a["name"] for a in js["items"]], ["a-alias.example"])
        st, js, _ = boss.request("PUT", "/api/v1/domains/b.example/aliases/a-alias.example")
        self.assertEqual(st, 409, js)
        self.assertEqual(pm.request("DELETE", "/api/v1/domain-aliases/a-alias.example")[0], 403)
        self.assertEqual(boss.request("DELETE", "/api/v1/domain-aliases/a-alias.example")[0],
                         204)


class ApiBadInput(ApiTestBase):
    def test_malformed_wrong_types_missing_unknown(self):
        c = self.session(ADMIN)
        st, js, _ = c.request("POST", "/api/v1/customers", raw="{not json")
        self.assertEqual((st, js["error"]["code"]), (400, "bad_request"))
        st, js, _ = c.request("POST", "/api/v1/customers", raw="[1,2]")
        self.assertEqual(st, 400)
        st, js, _ = c.request("POST", "/api/v1/customers", {"name": 5})
        self.assertEqual((st, js["error"]["field"]), (422, "name"))
        st, js, _ = c.request("POST", "/api/v1/customers", {"login": "x@y.test"})
        self.assertEqual((st, js["error"]["field"]), (422, "name"))
        st, js, _ = c.request("POST", "/api/v1/customers", {"name": "n1", "nmae": "typo"})
        self.assertEqual((st, js["error"]["field"]), (422, "nmae"))
        st, js, _ = c.request("POST", "/api/v1/customers", {"name": "n1", "max_domains": "3"})
        self.assertEqual((st, js["error"]["field"]), (422, "max_domains"))
        st, js, _ = c.request("PATCH", "/api/v1/mailboxes/bob@a.example",
                              {"services": {"imap": "yes"}})
        self.assertEqual((st, js["error"]["field"]), (422, "services"))
        # Nothing was created by any of these.
        st, js, _ = c.request("GET", "/api/v1/customers")
        self.assertNotIn("n1", [x["name"] for x in js["items"]])

    def test_ten_megabyte_body_is_413(self):
        c = self.session(ADMIN)
        try:
            st, js, _ = c.request("POST", "/api/v1/customers",
                                  raw='{"name":"' + "x" * (10 << 20) + '"}')
            self.assertEqual(st, 413)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server may close before reading the rest; it must not have created it
        st, js, _ = c.request("GET", "/api/v1/customers")
        self.assertEqual(st, 200)
        self.assertFalse([x for x in js["items"] if x["name"].startswith("xxxxxxxx")])

    def test_path_traversal_and_encoded_slashes(self):
        c = self.session(PM)
        for path in ("/api/v1/mailboxes/..%2F..%2Fcustomers%2Fglobex",
                     "/api/v1/mailboxes/%2e%2e/customers",
                     "/api/v1/domains/a.example%2F..%2Fg.example",
                     "/api/v1/mailboxes/../customers/globex",
                     "/api/v1/mailboxes/gina%40g.example",
                     "/api/v1/mailboxes/%00",
                     "/api/v1/delegations/..%2F1",
                     "/api/v1/tokens/1%2F2"):
            for method in ("GET", "DELETE"):
                st, js, _ = c.request(method, path)
                self.assertIn(st, (400, 404, 405), f"{method} {path}: {js}")
        self.assertEqual(c.request("GET", "/api/v1/mailboxes/bob@a.example")[0], 200)

    def test_sql_metacharacters_in_every_string_field(self):
        c = self.session(ADMIN)
        evil = ["x' OR '1'='1", "x\"; DROP TABLE mailboxes; --", "%_\\", "' UNION SELECT 1--"]
        for e in evil:
            for method, path, body in (
                    ("POST", "/api/v1/customers", {"name": e}),
                    ("POST", "/api/v1/customers", {"name": e + "2", "login": e}),
                    ("POST", "/api/v1/domains", {"name": e, "customer": e}),
                    ("POST", "/api/v1/mailboxes", {"address": e, "template": e,
                                                   "display_name": e}),
                    ("PUT", "/api/v1/aliases/sales@a.example", {"targets": [e]}),
                    ("POST", "/api/v1/managers", {"login": e, "customer": e,
                                                  "display_name": e}),
                    ("POST", "/api/v1/templates", {"name": e, "customer": e}),
                    ("POST", "/api/v1/delegations", {"grantee": e, "verbs": [e],
                                                     "domains": [e]}),
                    ("POST", "/api/v1/tokens", {"name": "t", "domains": [e]}),
                    ("GET", "/api/v1/mailboxes?domain=" + quote(e), None),
                    ("GET", "/api/v1/mailboxes/" + quote(e, safe=""), None)):
                st, js, _ = c.request(method, path, body)
                self.assertIn(st, (200, 201, 404, 409, 422), f"{path} {body}: {st} {js}")
        # A customer whose name is SQL is stored verbatim and harmless.
        st, js, _ = c.request("GET", "/api/v1/mailboxes?domain=a.example")
        self.assertEqual(st, 200)
        self.assertIn("bob@a.example", [m["address"] for m in js["items"]])
        st, js, _ = c.request("GET", "/api/v1/customers")
        names = [x["name"] for x in js["items"]]
        self.assertIn("acme", names)
        self.assertIn(evil[0], names)

    def test_crlf_in_names_that_reach_mail_is_422(self):
        c = self.session(ADMIN)
        cases = [
            ("PUT", "/api/v1/customers/acme/branding",
             {"sender_name": "Acme\r\nBcc: victim@x.test"}),
            ("PATCH", "/api/v1/mailboxes/bob@a.example", {"display_name": "Bob\r\nBcc: x@y"}),
            ("POST", "/api/v1/mailboxes", {"address": "crlf@a.example", "template": "staff",
                                           "display_name": "A\nB"}),
            ("PUT", "/api/v1/mailboxes/alice@a.example/autoresponder",
             {"enabled": True, "subject": "Away\r\nBcc: victim@x.test", "body": "x"}),
            ("POST", "/api/v1/managers", {"login": "m\r\n@x.test", "customer": "acme"}),
        ]
        for method, path, body in cases:
            st, js, _ = c.request(method, path, body)
            self.assertEqual(st, 422, f"{path}: {js}")
        st, js, _ = c.request("GET", "/api/v1/mailboxes/bob@a.example")
        self.assertNotIn("\n", js["display_name"])

    def test_unauthenticated_and_unknown_routes(self):
        c = self.client()
        st, js, _ = c.request("GET", "/api/v1/domains")
        self.assertEqual((st, js["error"]["code"]), (401, "unauthenticated"))
        st, js, _ = c.request("GET", "/api/v1/domains", headers={"Authorization": "Basic eDp5"})
        self.assertEqual(st, 401)
        self.assertEqual(c.request("GET", "/api/v1/nothing")[0], 404)


class ApiOpenApi(ApiTestBase):
    def test_every_documented_route_exists(self):
        c = self.client()
        st, doc, _ = c.request("GET", "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        self.assertEqual(doc["openapi"], "3.1.0")
        n = 0
        for path, ops in doc["paths"].items():
            concrete = path.replace("{", "").replace("}", "")
            for method in ops:
                st, js, _ = c.request(method.upper(), concrete,
                                      {} if method in ("post", "put", "patch") else None)
                # Unauthenticated: 401 (or 400/422 for the login body), never "no such route".
                self.assertNotIn(st, (405,), f"{method} {path}")
                if st == 404:
                    self.assertNotEqual(js["error"]["message"], "not found", f"{method} {path}")
                n += 1
        self.assertGreater(n, 50)


class ApiThrottle(unittest.TestCase):
    def test_failed_logins_are_throttled_then_locked(self):
        server = Server(listeners=["http"]).start()
        try:
            c = Client(server.ports["http"])
            statuses = [c.login("admin", "wrong-password-x")[0] for _ in range(12)]
            self.assertEqual(statuses[0], 401)
            self.assertIn(429, statuses)
            st, js, r = c.request("POST", "/api/v1/session",
                                  {"address": "admin", "password": server.admin_password})
            self.assertEqual(st, 429)
            self.assertEqual(js["error"]["code"], "throttled")
            self.assertTrue(r.getheader("Retry-After"))
        finally:
            server.cleanup()

    def test_bad_bearer_tokens_are_throttled_then_locked(self):
        server = Server(listeners=["http"]).start()
        try:
            port = server.ports["http"]
            good = Client(port)
            self.assertEqual(good.login("admin", server.admin_password)[0], 201)
            st, js, _ = good.request("POST", "/api/v1/tokens", {"name": "ci"})
            self.assertEqual(st, 201)
            secret = js["secret"]
            self.assertEqual(Client(port, token=secret).request("GET", "/api/v1/me")[0], 200)
            guess = Client(port, token="pht_" + "0" * 40)
            statuses = [guess.request("GET", "/api/v1/me")[0] for _ in range(12)]
            self.assertEqual(statuses[0], 401)
            self.assertIn(429, statuses)
            # Locked is locked for the address: the right token waits too, and says why.
            st, js, r = Client(port, token=secret).request("GET", "/api/v1/me")
            self.assertEqual(st, 429)
            self.assertEqual(js["error"]["code"], "throttled")
            self.assertTrue(int(r.getheader("Retry-After")) > 0)
            # A cookie session from the same address is not a token guess: still served.
            self.assertEqual(good.request("GET", "/api/v1/me")[0], 200)
        finally:
            server.cleanup()


class ApiSessionExpiry(unittest.TestCase):
    def test_idle_and_absolute_session_expiry(self):
        server = Server(listeners=["http"], extra_config=(
            "[http]\nsession_idle_seconds = 2\nsession_lifetime_seconds = 4\n")).start()
        try:
            port = server.ports["http"]
            c = Client(port)
            st, js = c.login("admin", server.admin_password)
            self.assertEqual(st, 201)
            self.assertEqual((js["expires_in"], js["idle_timeout"]), (4, 2))
            # Kept alive by use every second, it still ends at the absolute lifetime.
            alive = []
            for _ in range(6):
                alive.append(c.request("GET", "/api/v1/me")[0])
                time.sleep(1)
            self.assertEqual(alive[0], 200)
            self.assertEqual(alive[-1], 401)
            self.assertIn(200, alive[1:3])
            # Idle: unused for longer than the idle timeout, the session is gone.
            c2 = Client(port)
            self.assertEqual(c2.login("admin", server.admin_password)[0], 201)
            self.assertEqual(c2.request("GET", "/api/v1/me")[0], 200)
            time.sleep(3)
            st, js, r = c2.request("GET", "/api/v1/me")
            self.assertEqual(st, 401)
            self.assertEqual(js["error"]["code"], "unauthenticated")
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
