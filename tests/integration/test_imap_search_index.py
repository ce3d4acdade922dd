"""SEARCH SUBJECT/BODY/TEXT through the full-text index gives the answers of a scan: the same
random mailbox is appended to a server with the index and to one with `search_index = false`,
and every query must answer the same on both. Then the index is emptied behind the server's
back: the indexed server now misses (proof that it answered from the index, not by scanning),
and `posthouse check --repair` rebuilds it."""
import imaplib
import random
import sqlite3

from harness import WAIT, start_server
from imap_base import CTX, PASS, USER, ImapBase
from mailfixture import Fixture

WORDS = ["budget", "Budget", "lunch", "report", "quarterly", "caf\u00e9", "na\u00efve", "zebra",
         "100%", "a_b", "sale", "SALE", "draft", "meeting", "tomorrow"]


def random_message(rnd, i):
    words = [rnd.choice(WORDS) for _ in range(rnd.randrange(3, 12))]
    text = " ".join(words)
    subject = " ".join(rnd.choice(WORDS) for _ in range(2)).encode("ascii", "replace").decode()
    kind = rnd.randrange(5)
    head = f"From: s{i}@remote.test\r\nTo: {USER}\r\nSubject: {subject}\r\nX-Seq: hdr{i}\r\n"
    if kind == 0:
        body = text.encode("utf-8")
        head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
    elif kind == 1:
        import base64
        body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
        head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
    elif kind == 2:
        import quopri
        body = quopri.encodestring(text.encode("latin-1", "replace"))
        head += ("Content-Type: text/plain; charset=iso-8859-1\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n")
    elif kind == 3:
        import base64
        attach = base64.encodebytes(b"zebra zebra secret payload").decode().replace("\n", "\r\n")
        body = (f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{text}</p>\r\n"
                f"--b\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n{attach}--b--\r\n").encode("utf-8")
        head += "Content-Type: multipart/mixed; boundary=b\r\n"
    else:
        body = text.encode("ascii", "replace")
    return head.encode() + b"\r\n" + body + b"\r\n"


QUERIES = [("BODY", "budget"), ("BODY", "BUDGET"), ("TEXT", "lunch"), ("SUBJECT", "report"),
           ("BODY", "secret"), ("BODY", "emVicm"), ("BODY", "100%"), ("BODY", "a_b"),
           ("BODY", "ab"), ("TEXT", "hdr1"), ("TEXT", "remote.test"), ("BODY", "et sa"),
           ("SUBJECT", "sale"), ("BODY", "caf\u00e9"), ("BODY", "na\u00efve"),
           ("BODY", "CAF\u00c9"), ("BODY", "nothing-like-this"), ("BODY", "zebra")]


class SearchIndex(ImapBase):
    def scan_server(self):
        s = start_server(self, extra_config="[imap]\nsearch_index = false\n",
                         listeners=["imaps"])
        fx = Fixture(s)
        fx.domain("example.test")
        fx.mailbox(USER, PASS)
        return s

    def login(self, server):
        m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=CTX, timeout=WAIT)
        m.login(USER, PASS)
        self.addCleanup(self._logout, m)
        return m

    def ask(self, m, key, needle, extra=()):
        m.literal = needle.encode("utf-8")
        typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", *extra, key)
        self.assertEqual(typ, "OK", data)
        return sorted(int(x) for x in data[0].split())

    def test_index_and_scan_agree_and_repair_rebuilds(self):
        scan_srv = self.scan_server()
        rnd = random.Random(7)
        msgs = [random_message(rnd, i) for i in range(80)]
        ix, sc = self.imap(), self.login(scan_srv)
        for m in (ix, sc):
            m.create("Diff")
            for raw in msgs:
                self.assertEqual(m.append("Diff", None, None, raw)[0], "OK")
            m.select("Diff")
        answers = {}
        for key, needle in QUERIES:
            a, b = self.ask(ix, key, needle), self.ask(sc, key, needle)
            self.assertEqual(a, b, f"{key} {needle!r}")
            answers[(key, needle)] = a
        # Combinations go through the same keys.
        for extra in (("NOT",), ("OR", "SUBJECT", "lunch")):
            self.assertEqual(self.ask(ix, "BODY", "budget", extra),
                             self.ask(sc, "BODY", "budget", extra), extra)
        # The test means something: decoded text is found, encodings and attachments are not.
        self.assertTrue(answers[("BODY", "budget")])
        self.assertTrue(answers[("BODY", "na\u00efve")])
        self.assertEqual(answers[("BODY", "secret")], [])
        self.assertEqual(answers[("BODY", "emVicm")], [])
        self.assertTrue(answers[("TEXT", "hdr1")])
        self.assertEqual(answers[("BODY", "nothing-like-this")], [])

        # Empty the index behind the server's back: the indexed server misses what it finds no
        # more, the scanning one does not. Then --repair rebuilds it.
        ix.logout()
        self.server.stop()
        with sqlite3.connect(f"{self.server.data}/mail.db") as db:
            db.execute("DELETE FROM mail_search")
        self.server.start()
        ix = self.imap()
        ix.select("Diff")
        self.assertEqual(self.ask(ix, "BODY", "budget"), [])
        self.assertEqual(self.ask(sc, "BODY", "bu"), self.ask(ix, "BODY", "bu"))  # short: scan
        self.server.stop()
        out = self.server.cli("check", check=False).stdout
        self.assertIn("search index:", out)
        self.assertIn("bodies not indexed", out)
        self.server.cli("check", "--repair")
        self.assertIn("store is consistent", self.server.cli("check").stdout)
        self.server.start()
        ix = self.imap()
        ix.select("Diff")
        self.assertEqual(self.ask(ix, "BODY", "budget"), answers[("BODY", "budget")])

        # `check` on the server without an index follows its config: consistent, no index made.
        sc.logout()
        scan_srv.stop()
        self.assertIn("store is consistent", scan_srv.cli("check").stdout)
        with sqlite3.connect(f"{scan_srv.data}/mail.db") as db:
            self.assertEqual(db.execute("SELECT count(*) FROM mail_search").fetchone()[0], 0)
