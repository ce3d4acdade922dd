"""The IMAP extensions current clients use, each through a real client: MULTIAPPEND (RFC 3502),
REPLACE (RFC 8508), SAVEDATE (RFC 8514), PREVIEW (RFC 8970), the EMAILID/THREADID search keys
(RFC 8474), UIDONLY (RFC 9586) with Python imaplib or a raw line client, and COMPRESS=DEFLATE
(RFC 4978) with zlib on the client side. Every test names the exact replies."""
import datetime
import imaplib
import re
import socket
import ssl
import zlib

from harness import WAIT
from imap_base import CTX, PASS, USER, ImapBase, message

for _name in ("REPLACE", "UID"):
    imaplib.Commands.setdefault(_name, ("SELECTED",))


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%d-%b-%Y")


def lit(text):
    """A non-synchronising literal (LITERAL+) of `text`."""
    data = text.encode()
    return b"{%d+}\r\n" % len(data) + data


class ImapAppendReplace(ImapBase):
    def test_multiappend_appends_all_in_one_command_or_none(self):
        r = self.raw()
        r.cmd("e", "ENABLE IMAP4rev2")
        r.cmd("c", "CREATE multi")
        a, b, c = (message(f"multi {i}") for i in range(3))
        r.send(b"m1 APPEND multi (\\Seen) " + lit(a) + b' (\\Flagged) "01-Feb-2020 10:00:00 +0000" '
               + lit(b) + b" " + lit(c) + b"\r\n")
        tagged = r.until_tagged("m1")[-1]
        m = re.match(r"m1 OK \[APPENDUID (\d+) 1:3\] APPEND completed", tagged)
        self.assertIsNotNone(m, tagged)
        lines = r.cmd("s", "STATUS multi (MESSAGES)")
        self.assertIn("* STATUS multi (MESSAGES 3)", lines)
        r.cmd("x", "EXAMINE multi")
        got = r.cmd("f", "FETCH 1:3 (FLAGS INTERNALDATE)")
        self.assertRegex(got[0], r'^\* 1 FETCH \(FLAGS \(\\Seen\) INTERNALDATE')
        self.assertIn('* 2 FETCH (FLAGS (\\Flagged) INTERNALDATE "01-Feb-2020 10:00:00 +0000")',
                      got)
        # A bad flag on the second message: BAD, and the first is not appended either.
        r.send(b"m2 APPEND multi " + lit(a) + b" (\\Bogus) " + lit(b) + b"\r\n")
        self.assertRegex(r.until_tagged("m2")[-1], r"^m2 BAD ")
        # A folder that does not exist: NO [TRYCREATE], nothing appended anywhere.
        r.send(b"m3 APPEND nowhere " + lit(a) + b" " + lit(b) + b"\r\n")
        self.assertEqual(r.until_tagged("m3")[-1], "m3 NO [TRYCREATE] Mailbox does not exist")
        self.assertIn("* STATUS multi (MESSAGES 3)", r.cmd("s2", "STATUS multi (MESSAGES)"))

    def test_replace_swaps_a_draft_atomically(self):
        m = self.imap()
        m.create("repl")
        m.append("repl", "(\\Draft)", None, message("draft v1").encode())
        m.append("repl", None, None, message("other").encode())
        r = self.raw()
        r.cmd("e", "ENABLE IMAP4rev2")
        r.cmd("s", "SELECT repl")
        v2 = message("draft v2", body="second version\r\n")
        r.send(b"r1 UID REPLACE 1 repl (\\Draft) " + lit(v2) + b"\r\n")
        lines = r.until_tagged("r1")
        self.assertRegex(lines[0], r"^\* OK \[APPENDUID \d+ 3\] Replacement message ready$")
        self.assertIn("* 1 EXPUNGE", lines)
        self.assertIn("* 2 EXISTS", lines)
        self.assertEqual(lines[-1], "r1 OK REPLACE completed")
        got = r.cmd("f", "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        text = "\n".join(got)
        self.assertNotIn("draft v1", text)
        self.assertIn("Subject: draft v2", text)
        self.assertRegex(text, r"UID 3 FLAGS \(\\Draft\)")
        # REPLACE by sequence number into another folder.
        r.send(b"r2 REPLACE 1 INBOX " + lit(message("moved by replace")) + b"\r\n")
        lines = r.until_tagged("r2")
        self.assertIn("* 1 EXPUNGE", lines)
        self.assertEqual(lines[-1], "r2 OK REPLACE completed")
        # Failures change nothing: no such folder, no such UID, past the last sequence number.
        r.send(b"r3 UID REPLACE 3 nowhere " + lit(v2) + b"\r\n")
        self.assertEqual(r.until_tagged("r3")[-1], "r3 NO [TRYCREATE] Mailbox does not exist")
        r.send(b"r4 UID REPLACE 99 repl " + lit(v2) + b"\r\n")
        self.assertEqual(r.until_tagged("r4")[-1],
                         "r4 NO [NONEXISTENT] The message to replace does not exist")
        r.send(b"r5 REPLACE 9 repl " + lit(v2) + b"\r\n")
        self.assertEqual(r.until_tagged("r5")[-1], "r5 BAD Invalid message sequence number")
        self.assertIn('* ESEARCH (TAG "u") UID ALL 3', r.cmd("u", "UID SEARCH ALL"))
        r.cmd("e", "EXAMINE repl")
        r.send(b"r6 UID REPLACE 3 repl " + lit(v2) + b"\r\n")
        self.assertEqual(r.until_tagged("r6")[-1], "r6 NO [READ-ONLY] Mailbox is read-only")


class ImapMessageData(ImapBase):
    def test_savedate_is_when_saved_not_the_appended_date(self):
        m = self.imap()
        m.create("saved")
        old = imaplib.Time2Internaldate(datetime.datetime(2001, 3, 4, 5, 6, 7,
                                                          tzinfo=datetime.timezone.utc))
        m.append("saved", None, old, message("old mail").encode())
        m.select("saved")
        typ, data = m.uid("FETCH", "1", "(INTERNALDATE SAVEDATE)")
        self.assertEqual(typ, "OK")
        line = data[0].decode()
        self.assertIn('INTERNALDATE "04-Mar-2001 05:06:07 +0000"', line)
        self.assertRegex(line, r'SAVEDATE "%s \d\d:\d\d:\d\d \+0000"' % re.escape(today()))
        self.assertEqual(m.uid("SEARCH", "SAVEDON", today())[1], [b"1"])
        self.assertEqual(m.uid("SEARCH", "SAVEDBEFORE", "1-Jan-2002")[1], [b""])
        self.assertEqual(m.uid("SEARCH", "BEFORE", "1-Jan-2002")[1], [b"1"])
        self.assertEqual(m.uid("SEARCH", "SAVEDATESUPPORTED")[1], [b"1"])
        # COPY saves it again in the destination: a new save date there, the same INTERNALDATE.
        m.create("saved2")
        m.uid("COPY", "1", "saved2")
        m.select("saved2")
        line = m.uid("FETCH", "1:*", "(INTERNALDATE SAVEDATE)")[1][0].decode()
        self.assertIn('INTERNALDATE "04-Mar-2001 05:06:07 +0000"', line)
        self.assertRegex(line, r'SAVEDATE "%s' % re.escape(today()))

    def test_preview_of_text_html_and_no_text(self):
        alt = ("From: a@remote.test\r\nSubject: pv\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
               "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
               "Hi Bob,\r\n\r\n> quoted history\r\nLunch at caf=C3=A9 on Friday?\r\n"
               "--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--b--\r\n")
        html = ("From: a@remote.test\r\nSubject: pv2\r\nContent-Type: text/html\r\n\r\n"
                "<html><head><style>p{color:red}</style></head><body><script>x()</script>"
                "<p>Fish &amp; chips</p></body></html>\r\n")
        image = ("From: a@remote.test\r\nSubject: pv3\r\nContent-Type: image/png\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n")
        long_text = message("pv4", body="word " * 100 + "\r\n")
        m = self.imap()
        m.create("pv")
        for raw in (alt, html, image, long_text):
            m.append("pv", None, None, raw.encode())
        r = self.raw()
        r.cmd("e", "ENABLE UTF8=ACCEPT")
        r.cmd("s", "EXAMINE pv")
        got = r.cmd("f", "FETCH 1:4 (PREVIEW)")
        self.assertEqual(got[0], '* 1 FETCH (PREVIEW "Hi Bob, Lunch at caf\u00e9 on Friday?")')
        self.assertEqual(got[1], '* 2 FETCH (PREVIEW "Fish & chips")')
        self.assertEqual(got[2], '* 3 FETCH (PREVIEW "")')
        four = re.match(r'^\* 4 FETCH \(PREVIEW "(.*)"\)$', got[3])
        self.assertIsNotNone(four, got[3])
        self.assertEqual(four.group(1), ("word " * 40).strip())  # 199 characters, no end space
        self.assertEqual(r.cmd("g", "FETCH 2 (PREVIEW (LAZY))")[0],
                         '* 2 FETCH (PREVIEW "Fish & chips")')
        self.assertRegex(r.cmd("h", "FETCH 2 (PREVIEW (SLOW))")[-1], r"^h BAD ")

    def test_emailid_and_threadid_search_keys(self):
        m = self.imap()
        m.create("ids")
        m.append("ids", None, None, message("ids one").encode())
        m.append("ids", None, None, message("ids two").encode())
        m.select("ids")
        line = m.uid("FETCH", "2", "(EMAILID)")[1][0].decode()
        emailid = re.search(r"EMAILID \((M[0-9a-f]+)\)", line).group(1)
        self.assertEqual(m.uid("SEARCH", "EMAILID", emailid)[1], [b"2"])
        self.assertEqual(m.uid("SEARCH", "EMAILID", "Mffffffffffff")[1], [b""])
        self.assertEqual(m.uid("SEARCH", "THREADID", "T1")[1], [b""])
        with self.assertRaises(imaplib.IMAP4.error):
            m.uid("SEARCH", "EMAILID", "not.an.id")


class ImapUidOnly(ImapBase):
    def test_uidonly_session_speaks_uids_only(self):
        m = self.imap()
        m.create("uo")
        for i in range(3):
            m.append("uo", None, None, message(f"uo {i}").encode())
        caps = m.capability()[1][0].decode()
        self.assertIn(" UIDONLY", caps)
        r = self.raw()
        self.assertEqual(r.cmd("e", "ENABLE IMAP4rev2 UIDONLY")[0], "* ENABLED IMAP4rev2 UIDONLY")
        r.cmd("s", "SELECT uo")
        self.assertEqual(r.cmd("f", "FETCH 1 (FLAGS)")[-1],
                         "f BAD [UIDREQUIRED] Message sequence numbers are off (UIDONLY)")
        self.assertEqual(r.cmd("g", "UID SEARCH 1:2")[-1],
                         "g BAD [UIDREQUIRED] Message sequence numbers are off (UIDONLY)")
        self.assertRegex(r.cmd("c", "COPY 1 INBOX")[-1], r"^c BAD \[UIDREQUIRED\]")
        got = r.cmd("u", "UID FETCH 2:3 (FLAGS)")
        self.assertEqual(got[:2], ["* 2 UIDFETCH (FLAGS ())", "* 3 UIDFETCH (FLAGS ())"])
        got = r.cmd("t", "UID STORE 3 +FLAGS (\\Deleted)")
        self.assertEqual(got[0], "* 3 UIDFETCH (FLAGS (\\Deleted))")
        got = r.cmd("x", "UID EXPUNGE 3")
        self.assertEqual(got[0], "* VANISHED 3")
        # Changes by another session arrive as UIDFETCH and VANISHED too.
        m.select("uo")
        m.uid("STORE", "2", "+FLAGS", "(\\Flagged)")
        m.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
        m.expunge()
        got = r.cmd("n", "NOOP")
        self.assertIn("* VANISHED 1", got)
        self.assertIn("* 2 UIDFETCH (FLAGS (\\Flagged))", got)
        self.assertFalse(any(re.match(r"^\* \d+ (FETCH|EXPUNGE)", l) for l in got), got)


class DeflateImap:
    """A raw IMAP client that turns on COMPRESS=DEFLATE and then speaks through zlib."""

    def __init__(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock = CTX.wrap_socket(s)
        self.buf = b""
        self.z_in = None
        self.z_out = None
        self.wire_in = 0
        self.line()

    def send(self, data):
        if self.z_out:
            data = self.z_out.compress(data) + self.z_out.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError(self.buf)
        self.wire_in += len(data)
        self.buf += self.z_in.decompress(data) if self.z_in else data

    def line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def cmd(self, tag, text):
        self.send(f"{tag} {text}\r\n".encode())
        out = []
        while True:
            l = self.line()
            m = re.search(rb"\{(\d+)\}$", l)
            if m:
                l += b"\r\n" + self.read_exact(int(m.group(1)))
            out.append(l)
            if l.startswith(tag.encode() + b" "):
                return out

    def compress(self):
        r = self.cmd("z", "COMPRESS DEFLATE")
        if r[-1] == b"z OK DEFLATE active":
            self.z_in = zlib.decompressobj(-15)
            self.z_out = zlib.compressobj(6, zlib.DEFLATED, -15)
        return r


class ImapCompress(ImapBase):
    def test_compress_deflate_both_ways(self):
        body = "".join(f"line {i} of a long and very repetitive message body\r\n"
                       for i in range(20000))
        raw = message("big compressible", body=body)
        m = self.imap()
        m.create("zz")
        m.append("zz", None, None, raw.encode())
        c = DeflateImap(self.server.ports["imaps"])
        self.addCleanup(c.sock.close)
        self.assertIn(b" COMPRESS=DEFLATE", c.cmd("c", "CAPABILITY")[0])
        self.assertEqual(c.cmd("l", f'LOGIN "{USER}" "{PASS}"')[-1][:5], b"l OK ")
        self.assertEqual(c.compress(), [b"z OK DEFLATE active"])
        self.assertNotIn(b"COMPRESS=DEFLATE", c.cmd("c2", "CAPABILITY")[0])
        self.assertEqual(c.cmd("z2", "COMPRESS DEFLATE")[-1],
                         b"z2 NO [COMPRESSIONACTIVE] Compression is already active")
        c.cmd("s", "EXAMINE zz")
        before = c.wire_in
        got = c.cmd("f", "FETCH 1 BODY.PEEK[]")
        self.assertEqual(got[-1], b"f OK FETCH completed")
        self.assertIn(raw.encode(), got[0])
        # The message crossed the wire compressed: far fewer bytes than it has.
        self.assertLess(c.wire_in - before, len(raw) // 5)
        # APPEND through the compressed stream arrives byte for byte.
        small = message("sent compressed", body="x" * 3000 + "\r\n").encode()
        c.send(b"a APPEND zz {%d+}\r\n" % len(small) + small + b"\r\n")
        while not (l := c.line()).startswith(b"a "):
            pass
        self.assertRegex(l, rb"^a OK \[APPENDUID \d+ 2\]")
        self.assertEqual(m.select("zz")[0], "OK")
        self.assertEqual(m.fetch("2", "(BODY.PEEK[])")[1][0][1], small)
        self.assertEqual(c.cmd("o", "LOGOUT")[-1], b"o OK LOGOUT completed")

    def test_compressed_bomb_is_bounded_like_plain_input(self):
        """A few KiB of DEFLATE that expand to 100 MiB without a line end: the server treats
        it as the over-long line it is (BYE), it does not buffer it."""
        c = DeflateImap(self.server.ports["imaps"])
        self.addCleanup(c.sock.close)
        c.cmd("l", f'LOGIN "{USER}" "{PASS}"')
        self.assertEqual(c.compress(), [b"z OK DEFLATE active"])
        chunk = b"A" * (1 << 20)
        try:
            for _ in range(100):
                c.send(chunk)
        except OSError:
            pass  # the server closed after its BYE
        self.assertRegex(c.line(), rb"^\* BYE .*line too long")

    def test_bad_mechanism(self):
        r = self.raw()
        self.assertEqual(r.cmd("z", "COMPRESS LZMA")[-1], "z BAD Unknown compression mechanism")
        self.assertEqual(r.cmd("n", "NOOP")[-1], "n OK NOOP completed")
