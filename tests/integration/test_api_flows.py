"""The admin REST API through real HTTP: what each role does with it (the HR user manager, the
customer, tokens scoped to a domain, the self-service panel), pagination, platform limits."""
import json
import unittest
from urllib.parse import quote

from api_base import ADMIN, ALICE, BOSS, HR, OPS, PM, PW, SALES, ApiTestBase

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
        # Expiry on the server's clock: valid for a minute, then moved two minutes on.
        st, tok, _ = boss.request("POST", "/api/v1/tokens",
                                  {"name": "exp", "expires_at": self.server.now() + 60})
        self.assertEqual(st, 201, tok)
        t = self.client(tok["secret"])
        self.assertEqual(t.request("GET", "/api/v1/me")[0], 200)
        self.server.advance_clock(120)
        st, js, _ = t.request("GET", "/api/v1/me")
        self.assertEqual(st, 401, f"a token past its expires_at still works: {js}")
        self.assertEqual(js["error"]["code"], "unauthenticated")
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
        # Authorized before validated: a read-only token's write with a bad or missing body is
        # 403, never 422 or 400, and names no field of the body.
        for method, path, body, raw in (("POST", "/api/v1/domains", {"customer": "x"}, None),
                                        ("PUT", "/api/v1/platform/limits", {"max_domian": 4}, None),
                                        ("POST", "/api/v1/customers", None, "[1]")):
            st, js, _ = ro.request(method, path, body, raw=raw)
            self.assertEqual((st, js["error"]["code"]), (403, "forbidden"), f"{method} {path} {js}")
            self.assertEqual(js["error"]["message"], "not allowed: read-only token")
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



if __name__ == "__main__":
    unittest.main()
