"""The admin REST API through real HTTP (http.client): the authorization matrix of the
directory for every role (with a session and with a token), the OpenAPI document, bad input.
Flows are in test_api_flows.py, sessions, tokens and throttling in test_api_sessions.py."""
import unittest
from urllib.parse import quote

from api_base import (ACME_ADMINS, ADMIN, A_ADMINS, ALICE, BOSS, HR, OPS, PM, ROLES, SALES,
                      ApiTestBase)

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



if __name__ == "__main__":
    unittest.main()
