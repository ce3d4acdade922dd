"""Shared fixtures of the IMAP tests (test_imap*.py): a server with IMAP, IMAPS, SMTP and HTTP,
two mailboxes, imaplib with the extension commands registered, a raw line client, delivery by
SMTP, and the server's count of open IMAPS connections (/metrics)."""
import imaplib
import smtplib
import ssl

from harness import WAIT, ServerTestCase
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
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.ports["imaps"], ssl_context=CTX,
                              timeout=WAIT)
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
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
            s.sendmail("alice@remote.test", [to], raw.encode())

    def raw(self, login=True):
        r = RawImap(self.server.ports["imaps"])
        self.addCleanup(r.close)
        if login:
            r.login(USER, PASS)
        return r

    def active_imaps(self):
        """Open IMAPS connections, as the server counts them."""
        return self.server.metric("posthouse_connections_active", "imaps")
