"""End-to-end tests of the directory CLI: the real binary on a temp data dir, acting as the
platform admin and, with --as, as other roles through the same policy."""
import json
import os
import shutil
import tempfile
import unittest

from harness import run_cli


class DirectoryCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="posthouse-dir-")
        self.data = os.path.join(self.dir, "data")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, check=True, input=None):
        return run_cli(*args, data=self.data, check=check, input=input)

    def js(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)

    def fails(self, *args, code=1):
        p = self.cli(*args, check=False)
        self.assertEqual(p.returncode, code, f"{args}: {p.stdout} {p.stderr}")
        lines = p.stderr.strip().splitlines()
        if code == 1:
            self.assertEqual(len(lines), 1, p.stderr)  # one clear line
        return p.stderr.strip()

    def world(self):
        self.cli("customer", "create", "acme", "--login", "boss@acme.test",
                 "--password", "customer-pw-1")
        self.cli("customer", "create", "globex", "--login", "ceo@globex.test")
        self.cli("domain", "create", "a.example", "--customer", "acme",
                 "--password", "postmaster-pw-1", "--max-mailboxes", "3")
        self.cli("domain", "create", "b.example", "--customer", "acme")
        self.cli("domain", "create", "g.example", "--customer", "globex")
        self.cli("template", "create", "staff", "--customer", "acme", "--quota", "100M")
        self.cli("template", "create", "exec", "--customer", "acme", "--quota", "200M")

    def test_database_is_created_and_migrated_on_first_use(self):
        self.assertEqual(self.js("customer", "list"), [])
        self.assertTrue(os.path.exists(os.path.join(self.data, "posthouse.db")))

    def test_admin_builds_a_customer_and_json_is_stable(self):
        self.world()
        m = self.js("mailbox", "create", "Alice@A.Example", "--template", "staff",
                    "--name", "Alice", "--password", "alice-password")
        self.assertEqual(m["address"], "alice@a.example")
        self.assertEqual(m["quota_bytes"], 100 << 20)
        self.assertEqual(m["template"]["version"], 1)
        self.assertTrue(m["has_password"])
        self.assertNotIn("password_hash", json.dumps(m))
        d = self.js("domain", "show", "a.example")
        self.assertEqual(d["usage"]["mailboxes"], 1)
        self.assertEqual(d["limits"]["max_mailboxes"], 3)
        names = [x["name"] for x in self.js("domain", "list")]
        self.assertEqual(names, ["a.example", "b.example", "g.example"])
        self.assertEqual(self.cli("password", "check", "alice@a.example",
                                  "--password", "alice-password").stdout.strip(), "ok (user)")
        self.fails("password", "check", "alice@a.example", "--password", "wrong-password")

    def test_roles_through_as(self):
        self.world()
        self.cli("manager", "create", "hr-boss@elsewhere.test", "--customer", "acme",
                 "--domain", "a.example", "--password", "manager-pw-1")
        self.cli("mailbox", "create", "hr@a.example", "--template", "staff")
        self.cli("delegation", "create", "hr@a.example", "--verbs",
                 "mailbox.create,mailbox.delete,mailbox.password", "--domain", "a.example",
                 "--template", "staff", "--days", "30")
        # The HR delegate creates with the allowed template only, and only in its domain.
        self.cli("--as", "hr@a.example", "mailbox", "create", "new@a.example",
                 "--template", "staff")
        err = self.fails("--as", "hr@a.example", "mailbox", "create", "x@a.example",
                         "--template", "exec")
        self.assertEqual(err, "error: not allowed: mailbox.create")
        err = self.fails("--as", "hr@a.example", "mailbox", "create", "x@b.example",
                         "--template", "staff")
        self.assertEqual(err, "error: domain 'b.example' not found")
        # Out of scope answers like nonexistent.
        e1 = self.fails("--as", "postmaster@a.example", "domain", "show", "g.example")
        e2 = self.fails("--as", "postmaster@a.example", "domain", "show", "zz.example")
        self.assertEqual(e1.replace("g.example", "X"), e2.replace("zz.example", "X"))
        # A postmaster cannot raise its own limit; the scoped manager cannot widen itself.
        self.fails("--as", "postmaster@a.example", "domain", "limits", "a.example",
                   "--max-mailboxes", "100")
        self.fails("--as", "hr-boss@elsewhere.test", "manager", "domains",
                   "hr-boss@elsewhere.test", "a.example", "b.example")
        self.assertEqual(self.js("domain", "show", "a.example")["limits"]["max_mailboxes"], 3)
        # The limit of 3 mailboxes holds (hr, new + one more).
        self.cli("mailbox", "create", "third@a.example", "--template", "staff")
        err = self.fails("mailbox", "create", "fourth@a.example", "--template", "staff")
        self.assertIn("limit of 3 mailboxes", err)
        # Audit: the delegate's action is recorded, without secrets, and scoped.
        recs = self.js("--as", "postmaster@a.example", "audit", "list")
        self.assertTrue(any(r["actor"] == "hr@a.example" and r["verb"] == "mailbox.create"
                            for r in recs))
        self.assertFalse(any("g.example" in r["target"] for r in recs))
        self.assertEqual(self.js("--as", "ceo@globex.test", "audit", "list")[0]["target"],
                         "domain:g.example")

    def test_restorable_delete_and_purge(self):
        self.world()
        self.cli("mailbox", "create", "bob@a.example", "--template", "staff")
        self.cli("mailbox", "delete", "bob@a.example")
        err = self.fails("mailbox", "create", "bob@a.example", "--template", "staff")
        self.assertIn("reserved until purged", err)
        self.cli("mailbox", "restore", "bob@a.example")
        self.assertEqual(self.js("mailbox", "show", "bob@a.example")["status"], "active")
        self.fails("mailbox", "purge", "bob@a.example")
        self.cli("mailbox", "delete", "bob@a.example")
        self.cli("mailbox", "purge", "bob@a.example")
        self.fails("mailbox", "show", "bob@a.example")
        verbs = [r["verb"] for r in self.js("audit", "list", "--limit", "5")]
        self.assertEqual(verbs[:4], ["mailbox.purge", "mailbox.delete", "mailbox.restore",
                                     "mailbox.delete"])

    def test_aliases_forwards_templates(self):
        self.world()
        self.cli("mailbox", "create", "bob@a.example", "--template", "staff")
        a = self.js("alias", "set", "sales@a.example", "bob@a.example", "x@partner.test")
        self.assertEqual(a["targets"], ["bob@a.example", "x@partner.test"])
        f = self.js("forward", "set", "bob@a.example", "bob@home.test", "--no-keep-copy")
        self.assertEqual(f["forward"], {"to": ["bob@home.test"], "keep_copy": False})
        t = self.js("template", "edit", "staff", "--customer", "acme", "--quota", "1G",
                    "--services", "-pop3")
        self.assertEqual(t["version"], 2)
        self.assertFalse(t["settings"]["services"]["pop3"])
        m = self.js("mailbox", "create", "v2@a.example", "--template", "staff",
                    "--quota", "50M")
        self.assertEqual(m["template"]["version"], 2)
        self.assertFalse(m["services"]["pop3"])

    def test_bad_input_and_usage_errors(self):
        self.world()
        err = self.fails("mailbox", "create", "not-an-address", "--template", "staff")
        self.assertEqual(err, "error: address must look like name@domain")
        err = self.fails("domain", "create", "bad_name.example", "--customer", "acme")
        self.assertEqual(err, "error: domain 'bad_name.example' has an invalid character")
        err = self.fails("domain", "create", "A.EXAMPLE", "--customer", "acme")
        self.assertEqual(err, "error: domain 'a.example' already exists")
        p = self.cli("mailbox", "create", "x@a.example", "--template", "staff", "--json",
                     "--password", "short", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stderr)["error"]["field"], "password")
        self.assertNotIn("short", p.stderr)
        self.fails("mailbox", "frobnicate", code=2)
        self.fails("mailbox", "create", "x@a.example", code=2)  # --template is required
        self.fails("--as", "nobody@nowhere.test", "customer", "list")

    def test_csv_import_reports_rejected_rows(self):
        self.world()
        path = os.path.join(self.dir, "users.csv")
        with open(path, "w") as f:
            f.write("address,name,template,quota\n"
                    "u1@b.example,\"User, One\",staff\n"
                    "broken row without commas\n"
                    "u2@b.example,Two,staff,20M\n"
                    "u3@b.example,Three,nosuch\n"
                    "u4@b.example,\"open quote,staff\n")
        p = self.cli("mailbox", "import", path, "--json", check=False)
        self.assertEqual(p.returncode, 1)  # some rows were rejected
        r = json.loads(p.stdout)
        self.assertEqual(r["imported"], 2)
        self.assertEqual([x["line"] for x in r["rejected"]], [3, 5, 6])
        self.assertIn("template 'nosuch' not found", r["rejected"][1]["reason"])
        names = [m["address"] for m in self.js("mailbox", "list", "b.example")]
        self.assertEqual(names, ["u1@b.example", "u2@b.example"])

    def test_bootstrap_admin_and_passwords(self):
        p = self.cli("password", "bootstrap-admin", "admin", "--password-stdin",
                     input="admin-password-1\n")
        self.assertIn("created", p.stdout)
        self.assertNotIn("admin-password-1", p.stdout + p.stderr)
        self.assertEqual(self.cli("password", "check", "admin", "--password",
                                  "admin-password-1").stdout.strip(), "ok (admin)")
        self.fails("password", "bootstrap-admin", "admin", "--password", "another-pw-1")
        self.world()
        self.cli("password", "set", "postmaster@a.example", "--password", "new-pm-password")
        self.cli("password", "check", "postmaster@a.example", "--password", "new-pm-password")
        self.fails("password", "check", "postmaster@b.example", "--password", "")


if __name__ == "__main__":
    unittest.main()
