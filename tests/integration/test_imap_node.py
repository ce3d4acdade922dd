"""IMAP with a real Node client: imapflow (tests/node, installed by scripts/install-deps) in
IDLE while a message arrives by SMTP."""
import os
import shutil
import subprocess
import unittest

from harness import WAIT
from imap_base import PASS, USER, ImapBase, message

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node")


class ImapNodeClient(ImapBase):
    def test_imapflow_idle_sees_smtp_delivery(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is missing: run scripts/install-deps")
        self.assertTrue(os.path.isdir(os.path.join(NODE_DIR, "node_modules", "imapflow")),
                        "tests/node/node_modules is missing: run scripts/install-deps")
        env = dict(os.environ, IMAP_PORT=str(self.server.ports["imaps"]), IMAP_USER=USER,
                   IMAP_PASS=PASS)
        p = subprocess.Popen([node, os.path.join(NODE_DIR, "idle.mjs")], cwd=NODE_DIR, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        ready = p.stdout.readline().strip()
        self.assertEqual(ready, "READY 0", ready + p.stderr.read() if not ready else ready)
        self.deliver(message("seen by imapflow"))
        out, err = p.communicate(timeout=3 * WAIT)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertRegex(out, r"(?m)^NEW 1 seen by imapflow$")


if __name__ == "__main__":
    unittest.main()
