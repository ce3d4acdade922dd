"""`posthouse backup DIR` while `serve` runs, `posthouse restore DIR --data NEW`, then a server on
the restored data dir serves the same mail byte-identical (imaplib and poplib); a corrupted or
incomplete backup is refused with a clear error and nothing is restored."""
import imaplib
import json
import os
import re
import shutil
import smtplib
import tempfile
import threading
import unittest

from harness import WAIT, run_cli, start_server
from mailfixture import CTX, Fixture, pop_messages

USER, PASSWORD = "bob@example.test", "bob-password-1"


def imap_messages(server):
    """{uid: bytes} of INBOX via IMAPS, plus (uidvalidity, uidnext)."""
    m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=CTX, timeout=WAIT)
    try:
        m.login(USER, PASSWORD)
        m.select("INBOX", readonly=True)
        _, data = m.status("INBOX", "(UIDVALIDITY UIDNEXT)")
        status = data[0].decode()
        out = {}
        _, uids = m.uid("SEARCH", None, "ALL")
        for uid in uids[0].split():
            _, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
            out[int(uid)] = d[0][1]
        return out, status
    finally:
        m.logout()


def message(i, size):
    body = "".join(f"line {i}-{n} " + "y" * 60 + "\r\n" for n in range(size // 70 + 1))
    return f"From: a@remote.test\r\nTo: {USER}\r\nSubject: backup {i}\r\n\r\n{body}"


class BackupRestore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = start_server(cls, listeners=["smtp", "imaps", "pop3s", "http"])
        fx = Fixture(cls.src)
        fx.domain("example.test")
        fx.mailbox(USER, PASSWORD)
        cls.tmp = tempfile.mkdtemp(prefix="posthouse-backup-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        # Small (inline in mail.db) and large (body files) messages, one body delivered twice.
        with smtplib.SMTP("127.0.0.1", cls.src.ports["smtp"], timeout=WAIT) as s:
            for i, size in enumerate([300, 200_000, 1_000, 400_000, 200_000]):
                s.sendmail("a@remote.test", [USER], message(i if i != 4 else 1, size))
        # Delivery continues while the backup runs: the snapshot must still be consistent.
        cls.stop = threading.Event()
        cls.during = 0

        def deliver():
            with smtplib.SMTP("127.0.0.1", cls.src.ports["smtp"], timeout=WAIT) as s:
                n = 100
                while not cls.stop.is_set() and n < 130:
                    s.sendmail("a@remote.test", [USER], message(n, 150_000))
                    n += 1
                    cls.during += 1

        t = threading.Thread(target=deliver)
        t.start()
        cls.backup_dir = os.path.join(cls.tmp, "b1")
        try:
            cls.backup = run_cli("backup", cls.backup_dir, data=cls.src.data)
        finally:
            cls.stop.set()
            t.join()

    def copy_backup(self, name):
        d = os.path.join(self.tmp, name)
        shutil.copytree(self.backup_dir, d)
        return d

    def test_backup_reports_progress_and_writes_a_manifest(self):
        self.assertIn("backup of", self.backup.stdout)
        self.assertIn("mail.db", self.backup.stderr)
        self.assertIn("blobs", self.backup.stderr)
        self.assertIn("100%", self.backup.stderr)
        with open(os.path.join(self.backup_dir, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["format"], "posthouse-backup-1")
        paths = {e["path"] for e in manifest["files"]}
        self.assertTrue({"mail.db", "posthouse.db", "posthouse.toml", "tls/key.pem"} <= paths)
        self.assertTrue(any(p.startswith("blobs/") for p in paths))

    def test_restore_serves_the_same_mail_byte_identical(self):
        before, src_status = imap_messages(self.src)
        target = start_server(self, start=False, listeners=["imaps", "pop3s", "http"],
                              init=False)
        r = run_cli("restore", self.backup_dir, "--data", target.data)
        self.assertIn("store is consistent", r.stdout)
        check = run_cli("check", data=target.data)
        self.assertIn("store is consistent", check.stdout)
        target.set_listen()
        target.start()
        after, status = imap_messages(target)
        # Everything acknowledged before the backup started is there, identical; messages
        # delivered during the backup are there or not, but never partial.
        self.assertGreaterEqual(len(after), 5)
        for uid, body in after.items():
            self.assertEqual(body, before[uid], f"UID {uid} differs after restore")
        for uid in sorted(before)[:5]:
            self.assertIn(uid, after)
        popped = pop_messages(target, USER, PASSWORD)
        self.assertEqual(sorted(popped), sorted(after.values()))
        uidvalidity = lambda st: st.split("UIDVALIDITY ")[1].split()[0].rstrip(")")
        self.assertEqual(uidvalidity(status), uidvalidity(src_status))

    def test_restore_refuses_a_non_empty_target(self):
        target = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(target, "keep"), "w") as f:
            f.write("x")
        r = run_cli("restore", self.backup_dir, "--data", target, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists and is not empty", r.stderr)
        self.assertEqual(os.listdir(target), ["keep"])

    def test_backup_refuses_a_non_empty_target(self):
        r = run_cli("backup", self.backup_dir, data=self.src.data, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists and is not empty", r.stderr)

    def assert_refused(self, backup, expect):
        target = os.path.join(self.tmp, "refused-" + os.path.basename(backup))
        r = run_cli("restore", backup, "--data", target, check=False)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn(expect, r.stderr)
        self.assertFalse(os.path.exists(target), "a refused restore wrote files")

    def test_a_corrupted_body_file_is_refused(self):
        b = self.copy_backup("bad-blob")
        blobs = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(b, "blobs"))
                 for f in fs]
        victim = blobs[0]
        with open(victim, "r+b") as f:
            f.seek(100)
            f.write(b"Z")
        self.assert_refused(b, "does not match its SHA-256 in the manifest")

    def test_a_truncated_database_is_refused(self):
        b = self.copy_backup("bad-db")
        with open(os.path.join(b, "mail.db"), "r+b") as f:
            f.truncate(4096)
        self.assert_refused(b, "backup is corrupt: mail.db has 4096 bytes")

    def test_a_missing_body_file_is_refused(self):
        b = self.copy_backup("missing-blob")
        for dp, _, fs in os.walk(os.path.join(b, "blobs")):
            for f in fs:
                os.unlink(os.path.join(dp, f))
                break
        self.assert_refused(b, "is missing")

    def test_an_incomplete_backup_without_manifest_is_refused(self):
        b = self.copy_backup("no-manifest")
        os.unlink(os.path.join(b, "manifest.json"))
        self.assert_refused(b, "has no manifest.json")

    def test_a_tampered_manifest_is_refused(self):
        b = self.copy_backup("bad-manifest")
        with open(os.path.join(b, "manifest.json"), "w") as f:
            f.write('{"format": "posthouse-backup-1", "files": [{"path": "../etc/passwd"}]}')
        self.assert_refused(b, "malformed file entry")


class BackupDuringExpunge(unittest.TestCase):
    """`posthouse backup` while an IMAP client expunges body files as fast as it can: whichever
    way the race falls (the summary says how many mail.db snapshots it took), the backup
    verifies, restores, and serves every message that was never expunged, byte-identical, and
    no partial or unknown one. (src/store/backup_test.cc forces the race deterministically.)"""

    def test_backup_stays_consistent_while_bodies_are_expunged(self):
        src = start_server(self, listeners=["smtp", "imaps", "http"])
        tmp = tempfile.mkdtemp(prefix="posthouse-backup-race-")
        self.addCleanup(shutil.rmtree, tmp, True)
        fx = Fixture(src)
        fx.domain("example.test")
        fx.mailbox(USER, PASSWORD)
        with smtplib.SMTP("127.0.0.1", src.ports["smtp"], timeout=WAIT) as s:
            for i in range(120):
                s.sendmail("a@remote.test", [USER], message(i, 140_000))  # body files
        before, _ = imap_messages(src)
        self.assertEqual(len(before), 120)
        odd = [uid for uid in sorted(before) if uid % 2]  # expunged; even UIDs stay
        stop = threading.Event()
        expunged = []

        def expunge():
            m = imaplib.IMAP4_SSL("127.0.0.1", src.ports["imaps"], ssl_context=CTX,
                                  timeout=WAIT)
            m.login(USER, PASSWORD)
            m.select("INBOX")
            for i in range(0, len(odd), 3):
                if stop.is_set():
                    break
                batch = ",".join(str(u) for u in odd[i:i + 3])
                m.uid("STORE", batch, "+FLAGS.SILENT", r"(\Deleted)")
                typ, _ = m.uid("EXPUNGE", batch)
                if typ == "OK":
                    expunged.extend(odd[i:i + 3])
            m.logout()

        t = threading.Thread(target=expunge)
        t.start()
        bdir = os.path.join(tmp, "b")
        try:
            r = run_cli("backup", bdir, data=src.data)
        finally:
            stop.set()
            t.join()
        snapshots = int(re.search(r"(\d+) mail.db snapshot", r.stdout).group(1))
        print(f"backup during expunge: {len(expunged)} expunged, {snapshots} snapshot(s)")

        target = start_server(self, start=False, listeners=["imaps", "http"], init=False)
        rr = run_cli("restore", bdir, "--data", target.data)
        self.assertIn("store is consistent", rr.stdout)
        target.set_listen()
        target.start()
        after, _ = imap_messages(target)
        for uid, body in after.items():
            self.assertEqual(body, before[uid], f"UID {uid} differs after restore")
        for uid in before:
            if uid % 2 == 0:
                self.assertIn(uid, after, f"UID {uid} was never expunged but is missing")


if __name__ == "__main__":
    unittest.main()
