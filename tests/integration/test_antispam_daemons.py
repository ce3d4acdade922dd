"""clamd and rspamd on the MX, end to end (docs/antispam.md, "Content scanning"): real daemons
from daemons.py, a Posthouse server with [antispam] clamd and rspamd pointing at them, smtplib
sending and imaplib reading INBOX and Junk.

What must hold:
- EICAR is refused after DATA with 550 5.7.1 naming the signature; nothing is delivered;
- GTUBE is refused with 550 5.7.1 as spam; a clean message lands in INBOX with
  X-Spam-Status: No and X-Spam-Action: no action below Authentication-Results;
- clamd down: with fail_open the message is delivered (and the failure counted in /metrics),
  without it the answer is 451 4.7.1 and nothing is delivered;
- serve refuses to start when [smtp] max_message_bytes exceeds clamd's StreamMaxLength;
- a user's IMAP MOVE or COPY into Junk trains rspamd as spam, out of Junk as ham, out of Junk
  into Trash not at all (rspamd itself says what it learnt: learning the same copy again
  through its controller is "already learned").
"""
import base64
import imaplib
import os
import smtplib
import subprocess
import tempfile
import unittest

from daemons import EICAR, GTUBE, Clamd, Rspamd
from harness import BIN, WAIT, check_no_sanitizer_report, start_server, wait_for
from mailfixture import CTX, ProvisionedCase
from test_spam_scan import spam_scan

BOB, BOB_PW = "bob@example.test", "bob-password-1"
LIMIT = "[smtp]\nmax_message_bytes = 524288\n"


def message(subject, body="Shall we meet at noon?\r\n", extra=""):
    return (f"From: <alice@sender.test>\r\nTo: <{BOB}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@sender.test>\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n"
            f"{extra}\r\n{body}")


def eicar_message(subject):
    return message(subject, extra='MIME-Version: 1.0\r\nContent-Type: multipart/mixed; '
                   'boundary="b1"\r\n',
                   body="--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                        "--b1\r\nContent-Type: application/octet-stream\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n" +
                        base64.b64encode(EICAR).decode() + "\r\n--b1--\r\n")


def antispam(clamd="", rspamd="", fail_open=True, controller=None):
    learn = ""
    if controller:
        learn = (f'rspamd_controller = "{controller.controller_url}"\n'
                 f'rspamd_password_file = "{controller.password_file}"\n')
    return (LIMIT + f'[antispam]\nclamd = "{clamd}"\nrspamd = "{rspamd}"\n'
            f"fail_open = {'true' if fail_open else 'false'}\ndaemon_timeout_ms = 5000\n"
            + learn)


class MxCase(ProvisionedCase):
    listeners = ["smtp", "imaps", "http"]
    mailboxes = {BOB: BOB_PW}

    def send(self, raw):
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=4 * WAIT) as s:
            s.ehlo("helo.sender.test")
            return s.sendmail("alice@sender.test", [BOB], raw.encode())

    def refused(self, raw):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(raw)
        return cm.exception.smtp_code, cm.exception.smtp_error.decode()

    def fetch(self, subject, folder="INBOX", user=BOB, password=BOB_PW):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
        try:
            m.login(user, password)
            typ, _ = m.select(folder, readonly=True)
            if typ != "OK":
                return []  # no Junk folder yet: nothing went there
            typ, data = m.search(None, "SUBJECT", f'"{subject}"')
            out = []
            for n in data[0].split():
                typ, parts = m.fetch(n, "(BODY.PEEK[])")
                out.append(parts[0][1].decode())
            return out
        finally:
            m.logout()

    def assert_nothing_delivered(self, subject):
        self.assertEqual(self.fetch(subject), [])
        self.assertEqual(self.fetch(subject, "Junk"), [])

    def header(self, raw):
        return raw.split("\r\n\r\n", 1)[0]


class ScannedCase(MxCase):
    """A server whose MX asks a clamd and an rspamd of its own (started for the class), with
    `antispam_extra` appended to [antispam]."""
    antispam_extra = ""

    @classmethod
    def setUpClass(cls):
        cls.clamd = Clamd()
        cls.addClassCleanup(cls.clamd.stop)
        cls.rspamd = Rspamd()
        cls.addClassCleanup(cls.rspamd.stop)
        cls.extra_config = antispam(cls.clamd.unix, cls.rspamd.url, controller=cls.rspamd) + \
            cls.antispam_extra
        super().setUpClass()


class Scanned(ScannedCase):

    def test_eicar_is_refused_naming_the_signature(self):
        code, text = self.refused(eicar_message("eicar-1"))
        self.assertEqual(code, 550)
        # clamd names a signature from a local .hdb file NAME.UNOFFICIAL
        self.assertRegex(text, r"^5\.7\.1 Message refused: virus Eicar-Test-Signature\S* found$")
        self.assert_nothing_delivered("eicar-1")

    def test_swaks_with_eicar_attached_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "eicar.com")
            with open(path, "wb") as f:
                f.write(EICAR)
            p = subprocess.run(["swaks", "--server", "127.0.0.1",
                                "--port", str(self.server.ports["smtp"]), "--to", BOB,
                                "--from", "sender@remote.test", "--header", "Subject: swaks-eicar",
                                "--body", "see attachment", "--attach", path],
                               capture_output=True, text=True, timeout=4 * WAIT)
        # swaks exits 25 when the server refuses the message after DATA.
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertRegex(p.stdout, r"<\*\* +550 5\.7\.1 Message refused: virus "
                                   r"Eicar-Test-Signature\S* found")
        self.assert_nothing_delivered("swaks-eicar")

    def test_gtube_is_refused_as_spam(self):
        code, text = self.refused(message("gtube-1", GTUBE + "\r\n"))
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith("5.7.1 Message refused as spam (score "), text)
        self.assert_nothing_delivered("gtube-1")

    def test_clean_message_is_delivered_with_the_spam_status(self):
        # A verdict the sender wrote itself is removed: only ours stays.
        self.send(message("clean-1", extra="X-Spam-Status: No, score=-100.00 required=15.00\r\n"
                          "X-Spam-Action: no action\r\nX-Spam-Flag: NO\r\n"))
        got = self.fetch("clean-1")
        self.assertEqual(len(got), 1)
        self.assertEqual(self.fetch("clean-1", "Junk"), [])
        lines = self.header(got[0]).split("\r\n")
        status = [l for l in lines if l.startswith("X-Spam-Status: ")]
        self.assertEqual(len(status), 1, lines)
        self.assertRegex(status[0], r"^X-Spam-Status: No, score=-?\d+\.\d\d required=15\.00$")
        self.assertEqual([l for l in lines if l.startswith("X-Spam-Action")],
                         ["X-Spam-Action: no action"])
        self.assertIn("X-Spam-Flag: NO", lines, "other X-Spam fields are not ours: kept")
        # Right below our Authentication-Results, which is right below our Received.
        names = [l.split(":", 1)[0] for l in lines if l and not l[0].isspace()]
        ar = names.index("Authentication-Results")
        self.assertEqual(names[ar - 1:ar + 3],
                         ["Received", "Authentication-Results", "X-Spam-Status", "X-Spam-Action"])
        self.assertEqual(self.server.metric("posthouse_content_scan_failures_total", "smtp"), 0)

    # -- learning from IMAP moves ----------------------------------------------------------

    def learnt(self, line, count):
        """Waits until the server logged `line` `count` times in all."""
        wait_for(lambda: self.server.read_log().count(line) >= count,
                 lambda: f"{count} x {line!r} in the log\n{self.server.read_log()[-3000:]}")
        self.assertEqual(self.server.read_log().count(line), count)

    def relearn(self, raw, kind):
        """What rspamd's controller says when asked to learn this exact copy as `kind`."""
        path = os.path.join(self.server.dir, f"relearn-{kind}.eml")
        with open(path, "wb") as f:
            f.write(raw)
        _, lines, _ = spam_scan("--rspamd-controller", self.rspamd.controller_url,
                                   "--rspamd-password-file", self.rspamd.password_file,
                                   "--learn", kind, path)
        return lines[0]["learn"]

    def test_moves_into_and_out_of_junk_train_rspamd(self):
        self.send(message("learn-1", "Cheap replica watches, limited offer, click now\r\n"))
        self.send(message("learn-2", "Minutes of the board meeting are attached\r\n"))
        spam_line = f"rspamd learnt 1 message(s) of {BOB} as spam (0 already learnt)"
        ham_line = f"rspamd learnt 1 message(s) of {BOB} as ham (0 already learnt)"
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
        self.addCleanup(m.logout)
        m.login(BOB, BOB_PW)

        def uid_of(subject):
            typ, data = m.uid("SEARCH", "SUBJECT", f'"{subject}"')
            self.assertEqual(typ, "OK")
            self.assertEqual(len(data[0].split()), 1, subject)
            return data[0].split()[0].decode()

        def stored(subject):
            typ, parts = m.uid("FETCH", uid_of(subject), "(BODY.PEEK[])")
            return parts[0][1]

        m.select("INBOX")
        typ, _ = m.uid("MOVE", uid_of("learn-1"), "Junk")
        self.assertEqual(typ, "OK")
        self.learnt(spam_line, 1)
        m.select("Junk")
        again = self.relearn(stored("learn-1"), "spam")
        self.assertEqual(again["result"], "error")
        self.assertIn("already learned as spam", again["error"])
        # Out of Junk to INBOX: ham.
        typ, _ = m.uid("MOVE", uid_of("learn-1"), "INBOX")
        self.assertEqual(typ, "OK")
        self.learnt(ham_line, 1)
        m.select("INBOX")
        again = self.relearn(stored("learn-1"), "ham")
        self.assertIn("already learned as ham", again.get("error", ""), again)
        # A COPY into Junk trains as well; deleting from Junk (to Trash) does not.
        typ, _ = m.uid("COPY", uid_of("learn-2"), "Junk")
        self.assertEqual(typ, "OK")
        self.learnt(spam_line, 2)
        m.select("Junk")
        typ, _ = m.uid("MOVE", uid_of("learn-2"), "Trash")
        self.assertEqual(typ, "OK")
        # The learner keeps order: once a later move is learnt, an earlier one would have been.
        m.select("INBOX")
        typ, _ = m.uid("MOVE", uid_of("learn-1"), "Junk")
        self.assertEqual(typ, "OK")
        self.learnt(f"rspamd learnt 1 message(s) of {BOB} as spam", 3)
        self.assertEqual(self.server.read_log().count(f"of {BOB} as ham"), 1,
                         "the move to Trash trained nothing")


class FailOpen(MxCase):
    @classmethod
    def setUpClass(cls):
        cls.clamd = Clamd()
        cls.addClassCleanup(cls.clamd.stop)
        cls.extra_config = antispam(cls.clamd.unix)
        super().setUpClass()

    def test_clamd_down_delivers_and_counts(self):
        self.send(message("up-1"))
        self.assertEqual(len(self.fetch("up-1")), 1)
        self.clamd.stop()
        self.send(eicar_message("down-1"))  # unscanned: delivered as fail_open says
        got = self.fetch("down-1")
        self.assertEqual(len(got), 1)
        self.assertNotIn("X-Spam-Status", self.header(got[0]))
        self.assertEqual(self.server.metric("posthouse_content_scan_failures_total", "smtp"), 1)
        self.assertIn("content scan failed (delivered without its verdict): clamd:",
                      self.server.read_log())


class FailClosed(MxCase):
    @classmethod
    def setUpClass(cls):
        cls.clamd = Clamd()
        cls.addClassCleanup(cls.clamd.stop)
        cls.extra_config = antispam(cls.clamd.unix, fail_open=False)
        super().setUpClass()

    def test_clamd_down_defers(self):
        self.send(message("before-1"))
        self.assertEqual(len(self.fetch("before-1")), 1)
        self.clamd.stop()
        code, text = self.refused(message("closed-1"))
        self.assertEqual(code, 451)
        self.assertEqual(text, "4.7.1 Content scanning unavailable, try again later")
        self.assert_nothing_delivered("closed-1")
        self.assertEqual(self.server.metric("posthouse_content_scan_failures_total", "smtp"), 1)


class StartRefused(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.clamd = Clamd(stream_max=64 * 1024)
        cls.addClassCleanup(cls.clamd.stop)
        # max_message_bytes 512 KiB > 64 KiB
        cls.server = start_server(cls, start=False, extra_config=antispam(cls.clamd.tcp))

    def test_serve_refuses_a_limit_clamd_cannot_scan(self):
        p = subprocess.run([BIN, "serve", "--data", self.server.data], capture_output=True,
                           text=True, timeout=4 * WAIT)
        check_no_sanitizer_report("serve", p.stderr)
        self.assertNotEqual(p.returncode, 0)
        out = p.stdout + p.stderr
        self.assertIn("[smtp] max_message_bytes (524288) exceeds the StreamMaxLength", out)
        self.assertIn(f'[antispam] clamd = "{self.clamd.tcp}"', out)


if __name__ == "__main__":
    unittest.main()
