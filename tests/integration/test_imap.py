"""IMAP: IMAP4rev1/rev2 and the extensions of docs/imap.md with Python imaplib (a real client),
raw sockets for bad input and IDLE, and mbsync syncing both ways. Mail arrives by SMTP."""
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Server, ServerTestCase
from imapraw import RawImap
from mailfixture import Fixture

CTX = ssl._create_unverified_context()
imaplib.Commands["ENABLE"] = ("AUTH", "SELECTED")
for _name in ("ID", "IDLE", "NAMESPACE", "UNSELECT", "MOVE", "GETQUOTAROOT", "SORT",
              "THREAD", "ESEARCH", "STATUS"):
    imaplib.Commands.setdefault(_name, ("AUTH", "SELECTED"))

USER, PASS = "bob@example.test", "bob-password-1"
USER2, PASS2 = "carol@example.test", "carol-password-1"


def message(subject, body="Hello there\r\n", frm="alice@remote.test", to=USER, extra=""):
    return (f"From: Alice <{frm}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@remote.test>\r\n"
            f"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n{extra}\r\n{body}")


class ImapBase(ServerTestCase):
    listeners = ["imap", "imaps", "smtp", "http"]
    extra_config = ""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = Fixture(cls.server)
        cls.fx.domain("example.test")
        cls.fx.mailbox(USER, PASS)
        cls.fx.mailbox(USER2, PASS2)

    def imap(self, user=USER, password=PASS):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX, timeout=30)
        m.login(user, password)
        self.addCleanup(self._logout, m)
        return m

    @staticmethod
    def _logout(m):
        try:
            m.logout()
        except Exception:
            pass

    def deliver(self, raw, to=USER):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=30) as s:
            s.sendmail("alice@remote.test", [to], raw.encode())

    def raw(self, login=True):
        r = RawImap(self.server.ports["imaps"])
        self.addCleanup(r.close)
        if login:
            r.login(USER, PASS)
        return r


class ImapAuth(ImapBase):
    """STARTTLS, LOGINDISABLED before TLS, AUTHENTICATE PLAIN, commands before LOGIN."""

    def test_plain_port_requires_starttls_before_login(self):
        r = RawImap(self.server.ports["imap"], tls=False)
        self.addCleanup(r.close)
        self.assertIn("STARTTLS", r.greeting)
        self.assertIn("LOGINDISABLED", r.greeting)
        self.assertNotIn("AUTH=PLAIN", r.greeting)
        out = r.cmd("a", f'LOGIN "{USER}" "{PASS}"')
        self.assertTrue(out[-1].startswith("a NO [PRIVACYREQUIRED]"), out)
        out = r.cmd("b", "AUTHENTICATE PLAIN AGJvYgBib2I=")
        self.assertTrue(out[-1].startswith("b NO [PRIVACYREQUIRED]"), out)

    def test_starttls_then_login_with_imaplib(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=30)
        m.starttls(ssl_context=CTX)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        self.assertNotIn("STARTTLS", m.capabilities)
        typ, _ = m.login(USER, PASS)
        self.assertEqual(typ, "OK")
        m.logout()

    def test_starttls_drops_pipelined_plaintext(self):
        s = socket.create_connection(("127.0.0.1", self.server.ports["imap"]), timeout=10)
        self.addCleanup(s.close)
        s.recv(4096)
        s.sendall(b"a STARTTLS\r\nb LOGIN x y\r\n")
        data = b""
        while b"a OK" not in data:
            data += s.recv(4096)
        t = CTX.wrap_socket(s)
        t.sendall(b"c NOOP\r\n")
        reply = t.recv(4096)
        self.assertTrue(reply.startswith(b"c OK"), reply)

    def test_authenticate_plain_with_and_without_initial_response(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX)
        typ, _ = m.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASS}".encode())
        self.assertEqual(typ, "OK")
        m.logout()
        import base64
        r = self.raw(login=False)
        cred = base64.b64encode(f"\0{USER}\0{PASS}".encode()).decode()
        out = r.cmd("a", f"AUTHENTICATE PLAIN {cred}")
        self.assertTrue(out[-1].startswith("a OK"), out)

    def test_wrong_password_is_refused(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX)
        with self.assertRaisesRegex(imaplib.IMAP4.error, "AUTHENTICATIONFAILED"):
            m.login(USER, "wrong-password")
        m.logout()

    def test_commands_before_login_are_refused(self):
        r = self.raw(login=False)
        for cmd in ("SELECT INBOX", "LIST \"\" *", "FETCH 1 FLAGS", "APPEND INBOX {1+}\r\nx",
                    "IDLE", "ENABLE IMAP4rev2"):
            out = r.cmd("t", cmd)
            self.assertRegex(out[-1], r"^t BAD .*(LOGIN first|Not authenticated)", cmd)
        self.assertTrue(r.cmd("n", "NOOP")[-1].startswith("n OK"))

    def test_login_twice_is_bad(self):
        r = self.raw()
        out = r.cmd("a", f'LOGIN "{USER}" "{PASS}"')
        self.assertTrue(out[-1].startswith("a BAD"), out)


class ImapMail(ImapBase):
    """Folders, FETCH, STORE, SEARCH, COPY/MOVE/APPEND/EXPUNGE with imaplib."""

    def test_capabilities(self):
        m = self.imap()
        typ, data = m.capability()
        caps = data[0].decode().split()
        for c in ("IMAP4rev1", "IMAP4rev2", "IDLE", "UIDPLUS", "MOVE", "LITERAL+", "SPECIAL-USE",
                  "NAMESPACE", "ID", "ENABLE", "UNSELECT", "CHILDREN", "LIST-EXTENDED",
                  "LIST-STATUS", "ESEARCH", "SEARCHRES", "QUOTA", "CONDSTORE", "QRESYNC",
                  "BINARY", "UTF8=ACCEPT", "SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT"):
            self.assertIn(c, caps)
        self.assertTrue(any(c.startswith("APPENDLIMIT=") for c in caps))

    def test_list_lsub_special_use_and_list_status(self):
        m = self.imap()
        typ, data = m.list()
        text = b"\n".join(data).decode()
        for name, use in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                          ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertRegex(text, rf'\(.*{re.escape(use)}.*\) "/" {name}')
        self.assertIn('"/" INBOX', text)
        typ, data = m.lsub()
        self.assertIn(b"INBOX", b"".join(data))
        typ, data = m._simple_command("LIST", '(SPECIAL-USE) "" "*"')
        lines = m._untagged_response(typ, data, "LIST")[1]
        self.assertEqual(len(lines), 5, lines)
        typ, data = m._simple_command("LIST", '"" "*" RETURN (STATUS (MESSAGES UIDNEXT))')
        self.assertEqual(typ, "OK")
        st = m._untagged_response(typ, data, "STATUS")[1]
        self.assertTrue(any(b"INBOX" in l and b"MESSAGES" in l for l in st), st)
        typ, data = m.list('""', "%")
        self.assertEqual(typ, "OK")
        typ, data = m.list('""', '""')
        self.assertIn(b"\\Noselect", data[0])

    def test_folder_lifecycle_with_children_and_utf7(self):
        m = self.imap()
        self.assertEqual(m.create("Projects/2026/Q1")[0], "OK")
        typ, data = m.list('""', "Projects*")
        text = b"\n".join(data).decode()
        self.assertRegex(text, r'\\HasChildren.*"/" Projects\n')
        self.assertEqual(m.create("Projects")[0], "NO")
        self.assertIn("ALREADYEXISTS", m.create("Projects")[1][0].decode())
        self.assertEqual(m.rename("Projects", "Work")[0], "OK")
        typ, data = m.list('""', "Work/*")
        self.assertIn(b"Work/2026/Q1", b"\n".join(data))
        self.assertEqual(m.subscribe("Work/2026")[0], "OK")
        self.assertIn(b"Work/2026", b"".join(m.lsub('""', "Work*")[1]))
        self.assertEqual(m.unsubscribe("Work/2026")[0], "OK")
        self.assertEqual(m.delete("Work/2026/Q1")[0], "OK")
        typ, data = m.status("Work", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        self.assertRegex(data[0].decode(), r"MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0")
        # Modified UTF-7 round trip: "Entwürfe"
        self.assertEqual(m.create("Entw&APw-rfe")[0], "OK")
        self.assertIn(b"Entw&APw-rfe", b"\n".join(m.list('""', "Entw*")[1]))
        typ, data = m.delete("NoSuchFolder")
        self.assertEqual(typ, "NO")
        self.assertIn(b"NONEXISTENT", data[0])
        self.assertEqual(m.delete("INBOX")[0], "NO")

    def test_bad_folder_names(self):
        r = self.raw()
        for name in ('"a/../b"', '"../x"', '"/x"', '"a//b"', '".."', '"&Jjo"', '"&AGE-"',
                     '"a&"'):
            out = r.cmd("c", f"CREATE {name}")
            self.assertRegex(out[-1], r"^c (NO|BAD)", name)
        out = r.cmd("n", "CREATE {3+}\r\na\x00b")
        self.assertRegex(out[-1], r"^n (NO|BAD)")
        out = r.cmd("l", 'LIST "" "*"')
        self.assertFalse(any(".." in l or "\x00" in l for l in out), out)
        self.assertTrue(r.cmd("z", "NOOP")[-1].startswith("z OK"))

    def test_fetch_every_item(self):
        self.deliver(message("fetch me", body="line one\r\nline two\r\n"), to=USER2)
        mp = ("From: a@remote.test\r\nTo: carol@example.test\r\nSubject: parts\r\n"
              "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
              "--XX\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
              "--XX\r\nContent-Type: application/octet-stream\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\nAAECaGk=\r\n--XX--\r\n")
        self.deliver(mp, to=USER2)
        m = self.imap(USER2, PASS2)
        typ, data = m.select("INBOX")
        self.assertEqual(data[0], b"2")
        typ, data = m.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE UID)")
        text = data[0].decode() if isinstance(data[0], bytes) else data[0][0].decode()
        self.assertIn('ENVELOPE ("Mon, 2 Nov 2026 10:00:00 +0000" "fetch me"', text)
        self.assertIn('BODYSTRUCTURE ("text" "plain"', text.lower().replace("bodystructure", "BODYSTRUCTURE"))
        self.assertRegex(text, r'INTERNALDATE "\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d \+0000"')
        # Unread mail, new to this first session: only \Recent.
        self.assertIn("FLAGS (\\Recent)", text)
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: fetch me\r\n\r\n")
        typ, data = m.fetch("1", "(BODY.PEEK[TEXT]<5.3>)")
        self.assertIn(b"BODY[TEXT]<5>", data[0][0])
        self.assertEqual(data[0][1], b"one")
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertIn(b"FLAGS (\\Recent)", data[0])  # PEEK did not set \Seen
        typ, data = m.fetch("1", "(BODY[])")
        self.assertTrue(data[0][1].endswith(b"line one\r\nline two\r\n"))
        self.assertIn(b"\\Seen", b"".join(x if isinstance(x, bytes) else x[0] for x in data))
        typ, data = m.fetch("1", "(RFC822.HEADER)")
        self.assertTrue(data[0][1].endswith(b"\r\n\r\n"))
        typ, data = m.fetch("2", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BINARY.PEEK[2] BINARY.SIZE[2] BODY)")
        parts = [x for x in data if isinstance(x, tuple)]
        self.assertEqual(parts[0][1], b"first part")
        self.assertIn(b"application/octet-stream", parts[1][1])
        self.assertEqual(parts[2][1], b"\x00\x01\x02hi")
        self.assertIn(b"BINARY.SIZE[2] 5", b"".join(x if isinstance(x, bytes) else x[0] for x in data))
        typ, data = m.fetch("2", "(BODY.PEEK[5])")
        self.assertEqual(typ, "OK")
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        self.assertEqual(len(data), 2)

    def test_append_store_search_expunge(self):
        m = self.imap()
        m.create("Box1")
        raw = message("appended", body="needle in haystack\r\n").encode()
        typ, data = m.append("Box1", "(\\Flagged $Work)", imaplib.Time2Internaldate(time.time()), raw)
        self.assertEqual(typ, "OK")
        uidvalidity, uid = m.response("APPENDUID")[1][0].split()
        m.append("Box1", None, None, message("second", frm="zed@other.test").encode())
        m.append("Box1", "(\\Seen)", None, message("third").encode())
        typ, data = m.select("Box1")
        self.assertEqual(data[0], b"3")
        typ, data = m.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[])")
        self.assertIn(b"\\Flagged", data[0][0])
        self.assertIn(b"$Work", data[0][0])
        self.assertEqual(data[0][1], raw)
        typ, data = m.search(None, "UNSEEN")
        self.assertEqual(data[0], b"1 2")
        self.assertEqual(m.search(None, "FROM", "zed")[1][0], b"2")
        self.assertEqual(m.search(None, "SUBJECT", "THIRD")[1][0], b"3")
        self.assertEqual(m.search(None, "BODY", "needle")[1][0], b"1")
        self.assertEqual(m.search(None, "TEXT", "appended")[1][0], b"1")
        self.assertEqual(m.search(None, "HEADER", "Message-ID", "second")[1][0], b"2")
        self.assertEqual(m.search(None, "KEYWORD", "$Work")[1][0], b"1")
        self.assertEqual(m.search(None, "OR", "FLAGGED", "SEEN")[1][0], b"1 3")
        self.assertEqual(m.search(None, "NOT", "SEEN", "NOT", "FLAGGED")[1][0], b"2")
        self.assertEqual(m.search(None, "LARGER", "1", "SMALLER", "100000")[1][0], b"1 2 3")
        self.assertEqual(m.search(None, "SENTON", "2-Nov-2026")[1][0], b"1 2 3")
        self.assertEqual(m.search(None, "SINCE", "1-Jan-2000", "2:3")[1][0], b"2 3")
        self.assertEqual(m.search("UTF-8", "ALL")[1][0], b"1 2 3")
        typ, data = m.search("KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"BADCHARSET", data[0])
        typ, data = m.uid("SEARCH", None, "ALL")
        self.assertEqual(len(data[0].split()), 3)
        # STORE
        typ, data = m.store("2", "+FLAGS", "(\\Deleted \\Answered)")
        self.assertIn(b"\\Deleted", data[0])
        typ, data = m.store("2", "-FLAGS", "(\\Answered)")
        self.assertNotIn(b"\\Answered", data[0])
        typ, data = m.store("3", "+FLAGS.SILENT", "(\\Draft)")
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [None])
        self.assertEqual(m.search(None, "DRAFT")[1][0], b"3")
        with self.assertRaisesRegex(imaplib.IMAP4.error, "Invalid system flag"):
            m.store("1", "FLAGS", "(\\Bogus)")
        typ, data = m.expunge()
        self.assertEqual(data[0], b"2")
        self.assertEqual(m.select("Box1")[1][0], b"2")
        # UID EXPUNGE removes only the named UIDs
        m.store("1:2", "+FLAGS", "\\Deleted")
        typ, data = m.fetch("2", "(UID)")
        last_uid = re.search(rb"UID (\d+)", data[0]).group(1).decode()
        typ, data = m.uid("EXPUNGE", last_uid)
        self.assertEqual(typ, "OK")
        self.assertEqual(m.response("EXPUNGE")[1], [b"2"])
        self.assertEqual(m.select("Box1")[1][0], b"1")
        typ, data = m.close()
        self.assertEqual(typ, "OK")
        self.assertEqual(m.status("Box1", "(MESSAGES)")[1][0], b"Box1 (MESSAGES 0)")

    def test_esearch_searchres_sort_thread(self):
        m = self.imap()
        m.create("Threads")
        m.append("Threads", None, None, message("Topic A").encode())
        m.append("Threads", None, None, (
            "From: Zed <zed@remote.test>\r\nSubject: Re: Topic A\r\nMessage-ID: <r1@remote.test>\r\n"
            "In-Reply-To: <Topic.A@remote.test>\r\nReferences: <Topic.A@remote.test>\r\n"
            "Date: Tue, 3 Nov 2026 10:00:00 +0000\r\n\r\nreply\r\n").encode())
        m.append("Threads", None, None, message("Another").encode())
        m.select("Threads")
        typ, data = m._simple_command("SEARCH", "RETURN (MIN MAX COUNT ALL) ALL")
        es = m._untagged_response(typ, data, "ESEARCH")[1][0].decode()
        self.assertRegex(es, r'\(TAG "\w+"\) MIN 1 MAX 3 COUNT 3 ALL 1:3')
        typ, data = m._simple_command("UID", "SEARCH", "RETURN (SAVE) SUBJECT Topic")
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(len(data), 2)
        typ, data = m._simple_command("SORT", "(REVERSE DATE) UTF-8 ALL")
        srt = m._untagged_response(typ, data, "SORT")[1][0]
        self.assertEqual(srt.split()[0], b"2")
        typ, data = m._simple_command("SORT", "(FROM) UTF-8 ALL")
        self.assertEqual(m._untagged_response(typ, data, "SORT")[1][0], b"1 3 2")
        typ, data = m._simple_command("THREAD", "REFERENCES UTF-8 ALL")
        self.assertEqual(m._untagged_response(typ, data, "THREAD")[1][0], b"(1 2)(3)")
        typ, data = m._simple_command("THREAD", "ORDEREDSUBJECT UTF-8 ALL")
        self.assertEqual(m._untagged_response(typ, data, "THREAD")[1][0], b"(1 2)(3)")

    def test_copy_and_move_with_uidplus(self):
        m = self.imap()
        m.create("Src")
        m.create("Dst")
        for i in range(3):
            m.append("Src", None, None, message(f"move {i}").encode())
        m.select("Src")
        typ, data = m.copy("1:2", "Dst")
        self.assertEqual(typ, "OK")
        self.assertRegex(m.response("COPYUID")[1][0].decode(), r"^\d+ \d+:\d+ 1:2$")
        typ, data = m._simple_command("MOVE", "1", "Dst")
        self.assertEqual(typ, "OK")
        self.assertIn(b"1", m.response("EXPUNGE")[1])
        self.assertEqual(m.status("Src", "(MESSAGES)")[1][0], b"Src (MESSAGES 2)")
        self.assertEqual(m.status("Dst", "(MESSAGES)")[1][0], b"Dst (MESSAGES 3)")
        typ, data = m.copy("1", "Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        typ, data = m.uid("MOVE", "1:*", "Dst")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.status("Dst", "(MESSAGES)")[1][0], b"Dst (MESSAGES 5)")

    def test_misc_commands(self):
        m = self.imap()
        typ, data = m._simple_command("ID", '("name" "test")')
        self.assertIn(b"Posthouse", m._untagged_response(typ, data, "ID")[1][0])
        typ, data = m._simple_command("NAMESPACE")
        self.assertEqual(m._untagged_response(typ, data, "NAMESPACE")[1][0], b'(("" "/")) NIL NIL')
        m.select("INBOX", readonly=True)
        self.assertEqual(m.check()[0], "OK")
        self.assertEqual(m.noop()[0], "OK")
        typ, data = m._simple_command("UNSELECT")
        self.assertEqual(typ, "OK")
        typ, data = m._simple_command("GETQUOTAROOT", "INBOX")
        self.assertEqual(typ, "OK")
        self.assertIn(b'"" (', m._untagged_response(typ, data, "QUOTA")[1][0])
        typ, data = m._simple_command("ENABLE", "IMAP4rev2 UTF8=ACCEPT")
        self.assertIn(b"IMAP4rev2", m._untagged_response(typ, data, "ENABLED")[1][0])
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK")
        self.assertNotIn("RECENT", m.untagged_responses)

    def test_readonly_examine_refuses_changes(self):
        m = self.imap()
        m.append("INBOX", None, None, message("ro").encode())
        m.select("INBOX", readonly=True)
        typ, data = m.store("1", "+FLAGS", "\\Seen")
        self.assertEqual(typ, "NO")
        typ, data = m.fetch("1", "(BODY[])")
        self.assertEqual(m.fetch("1", "(FLAGS)")[1][0].count(b"\\Seen"), 0)


class ImapConcurrency(ImapBase):
    """Two sessions on one mailbox; CONDSTORE/QRESYNC resync; IDLE woken by SMTP."""

    def test_second_session_sees_exists_flags_and_expunge(self):
        a, b = self.imap(), self.imap()
        a.create("Shared")
        a.append("Shared", None, None, message("one").encode())
        a.append("Shared", None, None, message("two").encode())
        a.select("Shared")
        b.select("Shared")
        b.store("1", "+FLAGS", "\\Flagged")
        b.append("Shared", None, None, message("three").encode())
        typ, _ = a.noop()
        self.assertEqual(a.response("EXISTS")[1][-1], b"3")
        fetches = a.response("FETCH")[1]
        self.assertTrue(any(b"\\Flagged" in f for f in fetches), fetches)
        b.store("2", "+FLAGS", "\\Deleted")
        b.expunge()
        # No EXPUNGE during FETCH (RFC 3501 7.4.1): sequence numbers stay as the client knows.
        typ, data = a.fetch("3", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertIsNone(a.response("EXPUNGE")[1][0])
        typ, _ = a.noop()
        self.assertEqual(a.response("EXPUNGE")[1], [b"2"])
        self.assertEqual(a.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1],
                         b"Subject: three\r\n\r\n")

    def test_condstore_unchangedsince_and_changedsince(self):
        m = self.imap()
        m.create("CS")
        m.append("CS", None, None, message("c1").encode())
        m.append("CS", None, None, message("c2").encode())
        typ, data = m._simple_command("SELECT", "CS (CONDSTORE)")
        m.state = "SELECTED"
        hms = int(m.response("HIGHESTMODSEQ")[1][0])
        typ, data = m.fetch("1", "(MODSEQ)")
        ms1 = int(re.search(rb"MODSEQ \((\d+)\)", data[0]).group(1))
        typ, data = m.store("1", "+FLAGS", "(\\Seen)")
        self.assertIn(b"MODSEQ", data[0])
        typ, data = m._simple_command("STORE", "1", f"(UNCHANGEDSINCE {ms1})", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"MODIFIED 1", data[0])
        typ, data = m.fetch("1:*", f"(FLAGS) (CHANGEDSINCE {hms})")
        self.assertEqual(len(data), 1)
        self.assertIn(b"MODSEQ", data[0])
        typ, data = m.search(None, "MODSEQ", str(hms + 1))
        self.assertTrue(data[0].startswith(b"1"), data)

    def test_qresync_resync_after_changes_from_second_session(self):
        a, b = self.imap(), self.imap()
        a.create("QR")
        for i in range(4):
            a.append("QR", None, None, message(f"q{i}").encode())
        a._simple_command("ENABLE", "QRESYNC")
        a.select("QR")
        uidvalidity = int(a.response("UIDVALIDITY")[1][0])
        modseq = int(a.response("HIGHESTMODSEQ")[1][0])
        typ, data = a.fetch("1:*", "(UID)")
        uids = [int(re.search(rb"UID (\d+)", d).group(1)) for d in data]
        a._simple_command("UNSELECT")
        b.select("QR")
        b.store("1", "+FLAGS", "\\Answered")
        b.store("2", "+FLAGS", "\\Deleted")
        b.expunge()
        typ, data = a._simple_command(
            "SELECT", f"QR (QRESYNC ({uidvalidity} {modseq} {uids[0]}:{uids[-1]}))")
        self.assertEqual(typ, "OK")
        vanished = a._untagged_response(typ, data, "VANISHED")[1]
        self.assertEqual(vanished, [f"(EARLIER) {uids[1]}".encode()])
        fetches = a._untagged_response(typ, data, "FETCH")[1]
        self.assertTrue(any(b"\\Answered" in f and f"UID {uids[0]}".encode() in f
                            for f in fetches), fetches)
        # VANISHED on UID FETCH CHANGEDSINCE
        typ, data = a._simple_command("UID", "FETCH", "1:*", "(FLAGS)",
                                      f"(CHANGEDSINCE {modseq} VANISHED)")
        self.assertEqual(typ, "OK")
        self.assertEqual(a._untagged_response(typ, data, "VANISHED")[1],
                         [f"(EARLIER) {uids[1]}".encode()])

    def test_idle_wakes_on_smtp_delivery(self):
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        self.assertTrue(r.line().startswith("+"))
        self.deliver(message("wake up"))
        line = r.line(timeout=5)
        self.assertRegex(line, r"^\* \d+ EXISTS$")
        r.send("DONE\r\n")
        out = r.until_tagged("i")
        self.assertTrue(out[-1].startswith("i OK"), out)

    def test_append_over_quota(self):
        self.server.cli("mailbox", "create", "tiny@example.test", "--template", self.fx.template,
                        "--password", "tiny-password-1", "--quota", "2K")
        m = self.imap("tiny@example.test", "tiny-password-1")
        typ, data = m._simple_command("GETQUOTAROOT", "INBOX")
        quota = m._untagged_response(typ, data, "QUOTA")[1][0]
        self.assertIn(b"STORAGE 0 2", quota)
        typ, data = m.append("INBOX", None, None, message("big", body="x" * 4000 + "\r\n").encode())
        self.assertEqual(typ, "NO")
        self.assertIn(b"OVERQUOTA", data[0])
        self.assertEqual(m.status("INBOX", "(MESSAGES)")[1][0], b"INBOX (MESSAGES 0)")


class ImapRecent(ImapBase):
    """\\Recent (IMAP4rev1): exactly one session is told a message is new."""

    def test_recent_goes_to_one_session_and_examine_keeps_it(self):
        a, b, c = self.imap(), self.imap(), self.imap()
        c.create("Rec")
        c.append("Rec", None, None, message("r1").encode())
        c.append("Rec", None, None, message("r2").encode())
        typ, data = c.status("Rec", "(MESSAGES RECENT)")
        self.assertIn(b"RECENT 2", data[0])
        # EXAMINE shows them as recent without taking them.
        typ, _ = b.select("Rec", readonly=True)
        self.assertEqual(b.response("RECENT")[1][-1], b"2")
        b.close()
        # The first SELECT takes them: \Recent in FLAGS, the RECENT/NEW/OLD search keys.
        a.select("Rec")
        self.assertEqual(a.response("RECENT")[1][-1], b"2")
        typ, data = a.fetch("1:*", "(FLAGS)")
        self.assertTrue(all(b"\\Recent" in d for d in data), data)
        self.assertEqual(a.search(None, "RECENT")[1], [b"1 2"])
        a.store("1", "+FLAGS", "(\\Seen)")
        self.assertEqual(a.search(None, "NEW")[1], [b"2"])
        self.assertEqual(a.search(None, "OLD")[1], [b""])
        # STORE cannot set or clear \Recent; it is still reported.
        typ, data = a.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Recent", data[0])
        self.assertIn(b"\\Seen", data[0])
        # A second SELECT: nothing is recent any more.
        b.select("Rec")
        self.assertEqual(b.response("RECENT")[1][-1], b"0")
        typ, data = b.fetch("1:*", "(FLAGS)")
        self.assertFalse(any(b"\\Recent" in d for d in data), data)
        self.assertEqual(b.search(None, "OLD")[1], [b"1 2"])
        typ, data = c.status("Rec", "(RECENT)")
        self.assertIn(b"RECENT 0", data[0])
        # New mail goes to the first session that learns of it.
        c.append("Rec", None, None, message("r3").encode())
        a.noop()
        self.assertEqual(a.response("EXISTS")[1][-1], b"3")
        self.assertEqual(a.response("RECENT")[1][-1], b"3")
        b.noop()
        self.assertEqual(b.response("EXISTS")[1][-1], b"3")
        self.assertEqual(b.response("RECENT")[1][-1], b"0")
        self.assertEqual(a.search(None, "RECENT")[1], [b"1 2 3"])
        self.assertEqual(b.search(None, "RECENT")[1], [b""])

    def test_no_recent_in_imap4rev2(self):
        m = self.imap()
        m.create("Rec2")
        m.append("Rec2", None, None, message("v2").encode())
        typ, _ = m._simple_command("ENABLE", "IMAP4rev2")
        self.assertEqual(typ, "OK")
        m.select("Rec2")
        self.assertIsNone(m.response("RECENT")[1][0])
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Recent", data[0])


class ImapIdleLimit(ImapBase):
    extra_config = "[imap]\nmax_idle_connections = 2\n"

    def test_excess_idle_refused_others_served(self):
        clients = [self.raw() for _ in range(3)]
        for c in clients:
            c.cmd("s", "SELECT INBOX")
        for c in clients[:2]:
            c.send("i IDLE\r\n")
            self.assertTrue(c.line().startswith("+"))
        out = clients[2].cmd("i", "IDLE")
        self.assertTrue(out[-1].startswith("i NO [LIMIT]"), out)
        self.assertTrue(clients[2].cmd("n", "NOOP")[-1].startswith("n OK"))
        self.deliver(message("for idlers"))
        for c in clients[:2]:
            self.assertRegex(c.line(timeout=5), r"EXISTS")
            c.send("DONE\r\n")
            self.assertTrue(c.until_tagged("i")[-1].startswith("i OK"))
        # Slots are free again.
        clients[2].send("j IDLE\r\n")
        self.assertTrue(clients[2].line().startswith("+"))
        clients[2].send("DONE\r\n")
        self.assertTrue(clients[2].until_tagged("j")[-1].startswith("j OK"))


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
        before = self.count()
        r = self.raw()
        r.send("a APPEND INBOX {50}\r\n")
        self.assertTrue(r.line().startswith("+"))
        r.send("only part of it")
        r.close()
        time.sleep(0.5)
        self.assertEqual(self.count(), before)

    def test_deep_nesting(self):
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        out = r.cmd("a", "SEARCH " + "(" * 200 + "ALL" + ")" * 200)
        self.assertTrue(out[-1].startswith("a BAD"), out)
        self.assertTrue(r.cmd("n", "NOOP")[-1].startswith("n OK"))

    def test_long_line(self):
        r = self.raw()
        r.send("a NOOP " + "x" * 70000 + "\r\n")
        line = r.line()
        self.assertRegex(line, r"^(a BAD|\* BYE)")

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
                              capture_output=True, text=True, timeout=120,
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
