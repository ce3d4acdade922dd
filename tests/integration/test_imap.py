"""IMAP: IMAP4rev1/rev2 and the extensions of docs/imap.md with Python imaplib (a real client)
and raw sockets: authentication, folders, FETCH, STORE, SEARCH, COPY/MOVE/APPEND/EXPUNGE. Mail
arrives by SMTP. Sessions and IDLE are in test_imap_sessions.py, bad input and mbsync in
test_imap_input.py, limits in test_imap_limits.py."""
import base64
import imaplib
import re
import socket
import time
import unittest

from imap_base import CTX, PASS, PASS2, USER, USER2, ImapBase, message
from imapraw import RawImap
from harness import WAIT

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
        m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=WAIT)
        m.starttls(ssl_context=CTX)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        self.assertNotIn("STARTTLS", m.capabilities)
        typ, _ = m.login(USER, PASS)
        self.assertEqual(typ, "OK")
        m.logout()

    def test_starttls_drops_pipelined_plaintext(self):
        s = socket.create_connection(("127.0.0.1", self.server.ports["imap"]), timeout=WAIT)
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
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
        typ, _ = m.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASS}".encode())
        self.assertEqual(typ, "OK")
        m.logout()
        r = self.raw(login=False)
        cred = base64.b64encode(f"\0{USER}\0{PASS}".encode()).decode()
        out = r.cmd("a", f"AUTHENTICATE PLAIN {cred}")
        self.assertTrue(out[-1].startswith("a OK"), out)

    def test_wrong_password_is_refused(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
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
                  "BINARY", "UTF8=ACCEPT", "SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT",
                  "WITHIN"):
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

    def test_objectid_mailboxid_emailid_threadid(self):
        """RFC 8474: MAILBOXID from CREATE, SELECT and STATUS, kept by RENAME and never given to
        another folder; EMAILID kept by COPY and MOVE, different for different messages;
        THREADID NIL."""
        m = self.imap()
        self.assertIn("OBJECTID", m.capabilities)
        typ, data = m.create("Obj1")
        created = re.search(r"\[MAILBOXID \(([A-Za-z0-9_-]+)\)\]", m.untagged_responses.get(
            "OK", [b""])[-1].decode() + str(data))
        self.assertIsNotNone(created, (typ, data))
        mid = created.group(1)
        typ, data = m.status("Obj1", "(MAILBOXID)")
        self.assertEqual(data[0].decode(), f"Obj1 (MAILBOXID ({mid}))")
        m.rename("Obj1", "Obj2")
        self.assertEqual(m.status("Obj2", "(MAILBOXID)")[1][0].decode(),
                         f"Obj2 (MAILBOXID ({mid}))")
        m.create("Obj3")
        other = m.status("Obj3", "(MAILBOXID)")[1][0].decode()
        self.assertNotIn(mid, other)
        for subject in ("first object", "second object"):
            m.append("Obj2", None, None, message(subject).encode())
        typ, data = m.select("Obj2")
        self.assertIn(f"[MAILBOXID ({mid})]", " ".join(
            x.decode() for x in m.untagged_responses.get("OK", [])))
        typ, data = m.fetch("1:2", "(EMAILID THREADID)")
        ids = [re.search(rb"EMAILID \(([A-Za-z0-9_-]+)\)", d).group(1) for d in data]
        self.assertTrue(all(b"THREADID NIL" in d for d in data), data)
        self.assertNotEqual(ids[0], ids[1])
        m.copy("1", "Obj3")
        m.uid("MOVE", m.fetch("2", "(UID)")[1][0].split()[-1].rstrip(b")").decode(), "Obj3")
        m.select("Obj3")
        typ, data = m.fetch("1:2", "(EMAILID)")
        self.assertEqual([re.search(rb"EMAILID \(([A-Za-z0-9_-]+)\)", d).group(1)
                          for d in data], ids)

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


if __name__ == "__main__":
    unittest.main()
