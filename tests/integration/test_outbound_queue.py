"""The outbound queue over the REST API (real HTTP) and `posthouse queue --as`, scoped by role,
and the DNS records the API publishes for a domain (MX, DKIM)."""
import json
import os
import smtplib
import unittest

from api_base import BOSS, PM, ApiTestBase, Client
from harness import WAIT, start_server, wait_for
from mailfixture import CTX

class DomainDnsApi(ApiTestBase):
    def test_dns_records_under_the_domain_read_policy(self):
        st, js, _ = self.session(BOSS).request("GET", "/api/v1/domains/a.example/dns")
        self.assertEqual(st, 200, js)
        self.assertIn({"name": "a.example.", "type": "MX", "value": "10 mail.test."}, js)
        dkim = [r for r in js if r["name"].endswith("._domainkey.a.example.")]
        self.assertEqual(len(dkim), 2)
        self.assertTrue(all(r["value"].startswith("v=DKIM1; k=") for r in dkim))
        self.assertFalse(any("PRIVATE" in r["value"] for r in js))
        # The same records as the CLI prints.
        cli = json.loads(self.server.cli("domain", "dns", "a.example", "--json").stdout)
        self.assertEqual(cli, js)
        # Outside the actor's scope: exactly like a domain that does not exist.
        pm = self.session(PM)
        st1, js1, _ = pm.request("GET", "/api/v1/domains/g.example/dns")
        st2, js2, _ = pm.request("GET", "/api/v1/domains/none.example/dns")
        self.assertEqual((st1, st2), (404, 404))
        self.assertEqual(js1["error"]["message"].replace("g.example", "X"),
                         js2["error"]["message"].replace("none.example", "X"))


QPW = {"admin": None, "boss@acme.test": "customer-pw-1", "ceo@globex.test": "customer-pw-2",
       "ops@partner.test": "manager-pw-2", "postmaster@a.test": "postmaster-pw-1",
       "alice@a.test": "alice-password-1", "al2@a2.test": "al2-password-1",
       "gus@g.test": "gus-password-1"}


class QueueAccess(unittest.TestCase):
    """The outbound queue over the REST API (real HTTP) and `posthouse queue --as`: each role
    sees and manages only the entries of its own domains. Remote delivery fails temporarily
    (the hermetic resolver answers nothing), so entries wait `deferred` for an hour."""

    @classmethod
    def setUpClass(cls):
        cls.a = start_server(cls, listeners=["submission", "http"], extra_config=(
            "[outbound]\npoll_interval_seconds = 1\nretry_initial_seconds = 3600\n"
            "retry_max_seconds = 7200\n"))
        QPW["admin"] = cls.a.admin_password
        cli = cls.a.cli
        cli("customer", "create", "acme", "--login", "boss@acme.test", "--password",
            QPW["boss@acme.test"])
        cli("customer", "create", "globex", "--login", "ceo@globex.test", "--password",
            QPW["ceo@globex.test"])
        cli("domain", "create", "a.test", "--customer", "acme", "--password",
            QPW["postmaster@a.test"])
        cli("domain", "create", "a2.test", "--customer", "acme")
        cli("domain", "create", "g.test", "--customer", "globex")
        cli("template", "create", "staff", "--customer", "acme")
        cli("template", "create", "gstaff", "--customer", "globex")
        cli("manager", "create", "ops@partner.test", "--customer", "acme", "--domain", "a2.test",
            "--password", QPW["ops@partner.test"])
        for addr, tpl in (("alice@a.test", "staff"), ("al2@a2.test", "staff"),
                          ("gus@g.test", "gstaff")):
            cli("mailbox", "create", addr, "--template", tpl, "--password", QPW[addr])

    def api(self, login):
        c = Client(self.a.ports["http"])
        st, js = c.login(login, QPW[login])
        self.assertEqual(st, 201, js)
        return c

    def send(self, user, rcpt):
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=WAIT) as s:
            s.starttls(context=CTX)
            s.login(user, QPW[user])
            s.sendmail(user, [rcpt], f"From: {user}\r\nTo: {rcpt}\r\nSubject: q\r\n\r\nhi\r\n")

    def entry_of(self, rcpt, states=("deferred",)):
        """The queue entry for `rcpt` once its recipient is in one of `states` (admin view)."""
        admin = self.api("admin")

        def found():
            st, js, _ = admin.request("GET", "/api/v1/queue?limit=1000")
            self.assertEqual(st, 200, js)
            for e in js["items"]:
                if any(r["address"] == rcpt and r["state"] in states for r in e["recipients"]):
                    return e
            return None

        return wait_for(found, lambda: f"a {states} entry for {rcpt}\n" +
                        self.a.read_log()[-2000:], interval=0.2)

    def ids(self, login, query=""):
        st, js, _ = self.api(login).request("GET", "/api/v1/queue" + query)
        self.assertEqual(st, 200, js)
        return {e["id"] for e in js["items"]}

    def test_each_role_sees_only_its_domains(self):
        self.send("alice@a.test", "r1@remote.test")
        self.send("al2@a2.test", "r2@remote.test")
        self.send("gus@g.test", "r3@remote.test")
        ea, e2, eg = (self.entry_of(f"r{i}@remote.test") for i in (1, 2, 3))
        self.assertEqual((ea["domain"], e2["domain"], eg["domain"]), ("a.test", "a2.test", "g.test"))
        mine = {ea["id"], e2["id"], eg["id"]}
        self.assertEqual(self.ids("admin") & mine, mine)
        self.assertEqual(self.ids("boss@acme.test") & mine, {ea["id"], e2["id"]})
        self.assertEqual(self.ids("ceo@globex.test") & mine, {eg["id"]})
        self.assertEqual(self.ids("ops@partner.test") & mine, {e2["id"]})  # scoped to a2.test
        self.assertEqual(self.ids("postmaster@a.test"), set())
        self.assertEqual(self.ids("alice@a.test"), set())
        # One entry in detail: per-recipient state, attempts, last error, next attempt.
        st, js, _ = self.api("boss@acme.test").request("GET", f"/api/v1/queue/{ea['id']}")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["sender"], "alice@a.test")
        self.assertEqual(js["state"], "deferred")
        (r,) = js["recipients"]
        self.assertEqual((r["address"], r["state"]), ("r1@remote.test", "deferred"))
        self.assertGreaterEqual(r["attempts"], 1)
        self.assertTrue(r["last_error"])
        self.assertGreater(r["next_attempt_at"], self.a.now() + 600)
        # Filters.
        self.assertEqual(self.ids("admin", "?domain=a.test&state=deferred") & mine, {ea["id"]})
        self.assertEqual(self.ids("admin", "?state=delivered") & mine, set())
        self.assertEqual(self.ids("boss@acme.test", "?domain=a2.test") & mine, {e2["id"]})
        # Pages: limit and next_cursor walk every entry once.
        seen, cursor = [], None
        admin = self.api("admin")
        while True:
            st, js, _ = admin.request("GET", "/api/v1/queue?limit=1" +
                                      (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(st, 200, js)
            seen += [e["id"] for e in js["items"]]
            cursor = js["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue(mine <= set(seen))

    def test_out_of_scope_is_not_found_and_unchanged(self):
        self.send("alice@a.test", "r4@remote.test")
        ea = self.entry_of("r4@remote.test")
        ceo = self.api("ceo@globex.test")
        missing = "Q00000000000000ff"
        for method, suffix in (("GET", ""), ("POST", "/retry"), ("DELETE", "")):
            st1, js1, _ = ceo.request(method, f"/api/v1/queue/{ea['id']}{suffix}")
            st2, js2, _ = ceo.request(method, f"/api/v1/queue/{missing}{suffix}")
            self.assertEqual((st1, st2), (404, 404), (js1, js2))
            self.assertEqual(js1["error"]["message"].replace(ea["id"], "X"),
                             js2["error"]["message"].replace(missing, "X"))
        # The scoped manager of a2.test cannot reach a.test's entry either.
        st, _, _ = self.api("ops@partner.test").request("POST", f"/api/v1/queue/{ea['id']}/retry")
        self.assertEqual(st, 404)
        st, js, _ = self.api("admin").request("GET", f"/api/v1/queue/{ea['id']}")
        self.assertEqual((st, js["recipients"][0]["state"]), (200, "deferred"))
        self.assertEqual(js["recipients"][0]["attempts"], ea["recipients"][0]["attempts"])

    def test_retry_moves_deferred_to_queued_and_is_audited(self):
        self.send("alice@a.test", "r5@remote.test")
        ea = self.entry_of("r5@remote.test")
        before = ea["recipients"][0]["attempts"]
        boss = self.api("boss@acme.test")
        st, js, _ = boss.request("POST", f"/api/v1/queue/{ea['id']}/retry")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["recipients"][0]["state"], "queued")
        self.assertLessEqual(js["recipients"][0]["next_attempt_at"], self.a.now() + 1)
        # The runner takes it at once: one more attempt, deferred again for an hour.
        def attempted_again():
            e = self.entry_of("r5@remote.test", ("deferred", "queued", "sending"))
            return e["recipients"][0]["attempts"] > before and e["state"] == "deferred"

        wait_for(attempted_again, "the retried entry to be attempted again", interval=0.2)
        st, js, _ = boss.request("GET", "/api/v1/audit?limit=50")
        recs = [r for r in js["items"] if r["verb"] == "queue.retry"
                and r["target"] == f"queue:{ea['id']}"]
        self.assertEqual(len(recs), 1, js)
        self.assertEqual(recs[0]["actor"], "boss@acme.test")
        # A read-only token may look but not retry.
        st, tok, _ = boss.request("POST", "/api/v1/tokens", {"name": "ro", "read_only": True})
        self.assertEqual(st, 201, tok)
        ro = Client(self.a.ports["http"], tok["secret"])
        self.assertEqual(ro.request("GET", f"/api/v1/queue/{ea['id']}")[0], 200)
        st, js, _ = ro.request("POST", f"/api/v1/queue/{ea['id']}/retry")
        self.assertEqual((st, js["error"]["code"]), (403, "forbidden"))

    def test_delete_removes_and_is_audited(self):
        self.send("al2@a2.test", "r6@remote.test")
        e = self.entry_of("r6@remote.test")
        ops = self.api("ops@partner.test")
        st, _, _ = ops.request("DELETE", f"/api/v1/queue/{e['id']}")
        self.assertEqual(st, 204)
        self.assertEqual(ops.request("GET", f"/api/v1/queue/{e['id']}")[0], 404)
        self.assertEqual(ops.request("DELETE", f"/api/v1/queue/{e['id']}")[0], 404)
        self.assertNotIn(e["id"], self.ids("admin"))
        st, js, _ = self.api("boss@acme.test").request("GET", "/api/v1/audit?domain=a2.test")
        recs = [r for r in js["items"] if r["verb"] == "queue.delete"]
        self.assertEqual([r["target"] for r in recs], [f"queue:{e['id']}"])
        self.assertEqual(recs[0]["actor"], "ops@partner.test")
        self.assertEqual(recs[0]["before"]["recipients"][0]["address"], "r6@remote.test")

    def test_bad_ids_and_filters(self):
        self.send("gus@g.test", "r7@remote.test")
        e = self.entry_of("r7@remote.test")
        admin = self.api("admin")
        for query, field in (("?state=stuck", "state"), ("?limit=0", "limit"),
                             ("?limit=x", "limit"), ("?cursor=-3", "cursor"),
                             ("?recipient_domain=bad..name", "recipient_domain")):
            st, js, _ = admin.request("GET", "/api/v1/queue" + query)
            self.assertEqual((st, js["error"]["code"], js["error"].get("field")),
                             (422, "invalid", field), query)
            self.assertTrue(js["error"]["message"])
        for bad in ("nope", "Q123", "q00000000000000ff", "Q00000000000000FG"):
            for method, suffix in (("GET", ""), ("POST", "/retry"), ("DELETE", "")):
                st, js, _ = admin.request(method, f"/api/v1/queue/{bad}{suffix}")
                self.assertEqual((st, js["error"]["field"]), (422, "id"), (bad, js))
        # A domain filter outside one's scope answers like an unknown domain.
        st, js, _ = self.api("boss@acme.test").request("GET", "/api/v1/queue?domain=g.test")
        self.assertEqual((st, js["error"]["message"]), (404, "domain 'g.test' not found"))
        # Nothing changed.
        st, js, _ = admin.request("GET", f"/api/v1/queue/{e['id']}")
        self.assertEqual((st, js["recipients"][0]["state"]), (200, "deferred"))

    def test_cli_as_runs_through_the_same_policy(self):
        self.send("alice@a.test", "r8@remote.test")
        self.send("gus@g.test", "r9@remote.test")
        ea = self.entry_of("r8@remote.test")
        eg = self.entry_of("r9@remote.test")
        cli = self.a.cli
        listed = {e["id"] for e in json.loads(
            cli("--as", "boss@acme.test", "queue", "list", "--json").stdout)}
        self.assertIn(ea["id"], listed)
        self.assertNotIn(eg["id"], listed)
        self.assertEqual(json.loads(cli("--as", "postmaster@a.test", "queue", "list",
                                        "--json").stdout), [])
        for verb in ("show", "retry", "delete"):
            p = cli("--as", "ceo@globex.test", "queue", verb, ea["id"], check=False)
            self.assertEqual(p.returncode, 1, verb)
            self.assertIn(f"queue entry '{ea['id']}' not found", p.stderr)
        self.assertEqual(json.loads(cli("queue", "show", ea["id"], "--json").stdout)["state"],
                         "deferred")
        p = cli("--as", "boss@acme.test", "queue", "retry", ea["id"])
        self.assertIn("due now", p.stdout)
        p = cli("--as", "ceo@globex.test", "queue", "delete", eg["id"])
        self.assertIn("deleted", p.stdout)
        audit = json.loads(cli("audit", "list", "--json").stdout)
        by = {(r["verb"], r["target"]): r for r in audit}
        self.assertEqual(by[("queue.retry", f"queue:{ea['id']}")]["actor"], "boss@acme.test")
        self.assertEqual(by[("queue.delete", f"queue:{eg['id']}")]["source"], "cli")
        p = cli("queue", "list", "--state", "stuck", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("state must be one of", p.stderr)

    def test_domain_created_over_the_api_has_dkim_keys_at_once(self):
        import sqlite3
        st, js, _ = self.api("boss@acme.test").request(
            "POST", "/api/v1/domains", {"name": "fresh.test"})
        self.assertEqual(st, 201, js)
        db = sqlite3.connect(os.path.join(self.a.data, "posthouse.db"))
        try:
            rows = db.execute("SELECT algorithm, selector FROM dkim_keys WHERE domain = ? "
                              "ORDER BY algorithm", ("fresh.test",)).fetchall()
        finally:
            db.close()
        self.assertEqual(rows, [("ed25519-sha256", "ph1e"), ("rsa-sha256", "ph1r")])


if __name__ == "__main__":
    unittest.main()
