"""IMAP bad input (huge, negative, malformed and unterminated literals, deep nesting, long
lines, sequence sets, garbage) and mbsync syncing both ways against the server."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

from harness import WAIT, wait_for
from imap_base import CTX, PASS, USER, ImapBase, message

class ImapBadInput(ImapBase):
    extra_config = "[imap]\nappend_limit = 100000\n"

    def count(self):
        m = self.imap()
        return int(m.status("INBOX", "(MESSAGES)")[1][0].split()[-1].strip(b")"))

    def test_huge_literal_announced(self):
        r = self.raw()
        out = r.cmd("a", "APPEND INBOX {2147483648}")
        self.assertRegex(out[-1], r"^a (BAD|NO) \[TOOBIG\]")
        self.assertTrue(r.cmd("n", "NOOP")[-1].startswith("n OK"))
        r.send("b APPEND INBOX {2147483648+}\r\n")
        self.assertRegex(r.line(), r"^b BAD \[TOOBIG\]")
        self.assertRegex(r.line(), r"^\* BYE")

    def test_negative_and_malformed_literals(self):
        r = self.raw()
        out = r.cmd("a", "APPEND INBOX {-1}")
        self.assertTrue(out[-1].startswith("a BAD"), out)
        out = r.cmd("b", "APPEND INBOX {12x}")
        self.assertTrue(out[-1].startswith("b BAD"), out)
        self.assertTrue(r.cmd("n", "NOOP")[-1].startswith("n OK"))

    def test_unterminated_literal_appends_nothing(self):
        before = self.count()  # its session stays open until the test ends: 1 connection
        r = self.raw()
        r.send("a APPEND INBOX {50}\r\n")
        self.assertTrue(r.line().startswith("+"))
        r.send("only part of it")
        r.close()
        # Once the server has ended that session (only count()'s connection is left), the
        # half-sent APPEND can no longer store anything: now the count is final.
        wait_for(lambda: self.active_imaps() == 1,
                 lambda: f"the server to end the APPEND's session "
                         f"({self.active_imaps()} IMAPS connections open)")
        self.assertEqual(self.count(), before)

    def test_deep_nesting(self):
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        out = r.cmd("a", "SEARCH " + "(" * 200 + "ALL" + ")" * 200)
        self.assertTrue(out[-1].startswith("a BAD"), out)
        self.assertTrue(r.cmd("n", "NOOP")[-1].startswith("n OK"))

    def test_long_line_gets_bye_then_a_tls_close_never_a_reset(self):
        """A line over 64 KiB ends the session with * BYE, then close_notify: the client reads
        the BYE and a clean end of the TLS stream, not an EOF without close_notify
        (SSLEOFError with ragged EOFs reported) and not a reset, even though the rest of its
        line was still on its way when the server stopped reading commands."""
        s = socket.create_connection(("127.0.0.1", self.server.ports["imaps"]), timeout=WAIT)
        t = CTX.wrap_socket(s, suppress_ragged_eofs=False)
        self.addCleanup(t.close)
        got = t.recv(65536)
        self.assertTrue(got.startswith(b"* OK"), got)
        t.sendall(b"a NOOP " + b"x" * 300000 + b"\r\n")
        data = b""
        while True:
            try:
                chunk = t.recv(65536)
            except ssl.SSLEOFError:
                self.fail(f"TCP closed without close_notify after {data!r}")
            except ConnectionResetError:
                self.fail(f"connection reset after {data!r}")
            if not chunk:
                break  # close_notify received
            data += chunk
        self.assertRegex(data.decode(), r"^\* BYE .*line too long")

    def test_sequence_sets(self):
        m = self.imap()
        m.create("Seq")
        for i in range(5):
            m.append("Seq", None, None, message(f"s{i}").encode())
        r = self.raw()
        r.cmd("s", "SELECT Seq")
        for bad in ("0", "1:0x", "4294967296", "1:4294967296", "1,,2", "a"):
            out = r.cmd("f", f"FETCH {bad} (FLAGS)")
            self.assertTrue(out[-1].startswith("f BAD"), (bad, out))
            out = r.cmd("u", f"UID FETCH {bad} (FLAGS)")
            self.assertTrue(out[-1].startswith("u BAD"), (bad, out))
        out = r.cmd("f", "FETCH 9 (FLAGS)")
        self.assertTrue(out[-1].startswith("f BAD"), out)
        out = r.cmd("g", "FETCH *:1 (FLAGS)")
        self.assertEqual(len([l for l in out if "FETCH" in l and l.startswith("*")]), 5)
        out = r.cmd("h", "FETCH 5:3 (FLAGS)")
        self.assertEqual([l.split()[1] for l in out if l.startswith("* ")], ["3", "4", "5"])
        out = r.cmd("i", "UID FETCH 4000000000:* (FLAGS)")  # * is the largest UID: one message
        self.assertEqual(len([l for l in out if l.startswith("* ")]), 1)
        out = r.cmd("j", "UID FETCH 3000000000 (FLAGS)")
        self.assertEqual(out, ["j OK FETCH completed"])

    def test_garbage_commands(self):
        r = self.raw()
        for cmd in ("a", "a FOO", "a SELECT", "a FETCH 1 (BODY[", "+ x", "* OK"):
            r.send(cmd + "\r\n")
            self.assertRegex(r.line(), r"BAD", cmd)
        self.assertTrue(r.cmd("n", "NOOP")[-1].startswith("n OK"))


@unittest.skipUnless(shutil.which("mbsync"), "mbsync (isync) not installed")
class ImapMbsync(ImapBase):
    def run_mbsync(self, home, *args):
        return subprocess.run(["mbsync", "-c", os.path.join(home, "mbsyncrc"), *args],
                              capture_output=True, text=True, timeout=4 * WAIT,
                              env={**os.environ, "HOME": home})

    def test_sync_both_ways_and_resync(self):
        for i in range(3):
            self.deliver(message(f"sync {i}"))
        home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, home, True)
        maildir = os.path.join(home, "Mail")
        os.makedirs(maildir)
        with open(os.path.join(home, "mbsyncrc"), "w") as f:
            f.write(f"""IMAPAccount test
Host 127.0.0.1
Port {self.server.ports['imaps']}
User {USER}
Pass {PASS}
SSLType IMAPS
CertificateFile {self.server.data}/tls/cert.pem
SystemCertificates no

IMAPStore remote
Account test

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")
        r = self.run_mbsync(home, "-V", "sync")
        if r.returncode != 0 and "certificate" in r.stderr.lower():
            self.skipTest("mbsync refused the self-signed certificate: " + r.stderr[-300:])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        inbox_new = os.listdir(os.path.join(maildir, "INBOX", "new")) + \
            os.listdir(os.path.join(maildir, "INBOX", "cur"))
        m = self.imap()
        n = int(m.status("INBOX", "(MESSAGES)")[1][0].split()[-1].strip(b")"))
        self.assertEqual(len(inbox_new), n)
        self.assertTrue(os.path.isdir(os.path.join(maildir, "Sent")))
        # A local message goes up.
        with open(os.path.join(maildir, "INBOX", "new", "1.local:2,"), "wb") as f:
            f.write(message("from maildir").encode())
        r = self.run_mbsync(home, "sync")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m.select("INBOX")
        self.assertEqual(m.search(None, "SUBJECT", '"from maildir"')[1][0].count(b" ") + 1, 1)
        # Flags go down: mark one \Seen on the server.
        m.store("1", "+FLAGS", "\\Seen")
        r = self.run_mbsync(home, "sync")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        cur = os.listdir(os.path.join(maildir, "INBOX", "cur"))
        self.assertTrue(any(name.endswith("S") or ",S" in name for name in cur), cur)
        # Re-sync with no changes: nothing moves.
        r = self.run_mbsync(home, "-V", "sync")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout, r"(?i)(pushing|propagating) [1-9]")
        total = len(os.listdir(os.path.join(maildir, "INBOX", "cur"))) + \
            len(os.listdir(os.path.join(maildir, "INBOX", "new")))
        self.assertEqual(total, n + 1)


if __name__ == "__main__":
    unittest.main()
