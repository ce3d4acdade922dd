"""The rspamd and clamd clients (src/antispam/rspamd_client.h, clamd_client.h) against the real
daemons (tests/integration/daemons.py), through `posthouse spam-scan`: EICAR found by name, a
clean message, clamd's StreamMaxLength (per message and the start-up check), GTUBE rejected by
rspamd, a normal message with no action, Bayes learning through the controller, and the
failures a server must survive: a daemon down and a daemon that accepts and never answers, each
a clear error within the timeout, not a hang.

No Posthouse server: the CLI command is the entry point under test.
"""
import base64
import json
import os
import subprocess
import tempfile
import unittest

from daemons import EICAR, GTUBE, Clamd, Rspamd
from harness import BIN, WAIT, check_no_sanitizer_report, free_port
from peers import LineReader, PyPeer

EICAR_MAIL = (b"From: a@example.org\r\nTo: b@example.net\r\nSubject: attachment\r\n"
              b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
              b"--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
              b"--b1\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Disposition: attachment; filename=\"eicar.com\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(EICAR) +
              b"\r\n--b1--\r\n")
CLEAN_MAIL = (b"From: a@example.org\r\nTo: b@example.net\r\nSubject: lunch\r\n"
              b"Message-ID: <lunch.1@example.org>\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n\r\n"
              b"Shall we meet at noon?\r\n")
GTUBE_MAIL = ("From: a@example.org\r\nTo: b@example.net\r\nSubject: test\r\n\r\n" + GTUBE +
              "\r\n").encode()


def spam_scan(*args, timeout=None):
    """(exit code, [JSON lines], stderr) of `posthouse spam-scan ARGS`."""
    p = subprocess.run([BIN, "spam-scan", *args], capture_output=True, text=True,
                       timeout=timeout or 4 * WAIT)
    check_no_sanitizer_report("spam-scan", p.stderr)
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines()], p.stderr


class Messages:
    @classmethod
    def write_messages(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ph_spamscan_")
        cls.paths = {}
        for name, data in {"eicar": EICAR_MAIL, "clean": CLEAN_MAIL, "gtube": GTUBE_MAIL,
                           "big": b"Subject: big\r\n\r\n" + b"x" * (1 << 20)}.items():
            cls.paths[name] = os.path.join(cls.tmp.name, name + ".eml")
            with open(cls.paths[name], "wb") as f:
                f.write(data)


class ClamdScan(Messages, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.write_messages()
        cls.clamd = Clamd(stream_max=1 << 20)

    @classmethod
    def tearDownClass(cls):
        cls.clamd.stop()
        cls.tmp.cleanup()

    def test_eicar_found_with_its_name_over_unix_and_tcp(self):
        for address in (self.clamd.unix, self.clamd.tcp):
            rc, lines, err = spam_scan("--clamd", address, self.paths["eicar"])
            self.assertEqual(rc, 0, err)
            self.assertEqual(lines[0]["file"], self.paths["eicar"])
            self.assertEqual(lines[0]["clamd"]["result"], "infected")
            # A signature from a database of our own is "unofficial" to clamd.
            self.assertEqual(lines[0]["clamd"]["virus"], "Eicar-Test-Signature.UNOFFICIAL")

    def test_clean_message_is_ok_and_one_line_per_message(self):
        rc, lines, err = spam_scan("--clamd", self.clamd.unix, self.paths["clean"],
                                   self.paths["eicar"], self.paths["clean"])
        self.assertEqual(rc, 0, err)
        self.assertEqual([l["clamd"]["result"] for l in lines], ["clean", "infected", "clean"])
        self.assertNotIn("error", lines[0]["clamd"])

    def test_message_over_stream_max_length_is_a_clear_error(self):
        for address in (self.clamd.unix, self.clamd.tcp):
            rc, lines, err = spam_scan("--clamd", address, self.paths["big"], self.paths["clean"])
            self.assertEqual(rc, 1)
            self.assertEqual(lines[0]["clamd"], {
                "result": "error", "size_limit": True,
                "error": "clamd: the message exceeds clamd's StreamMaxLength"}, address)
            # The next message on a new connection is scanned as usual.
            self.assertEqual(lines[1]["clamd"]["result"], "clean")

    def test_start_up_check_of_stream_max_length(self):
        rc, lines, err = spam_scan("--clamd", self.clamd.unix, "--check-size", str(1 << 20))
        self.assertEqual((rc, lines, err), (0, [], ""))
        rc, lines, err = spam_scan("--clamd", self.clamd.tcp, "--check-size", str(2 << 20),
                                   self.paths["clean"])
        self.assertEqual(rc, 1)
        self.assertEqual(lines, [])  # nothing scanned after a failed check
        self.assertIn(f"clamd at {self.clamd.tcp} refuses messages of 2097152 bytes, the "
                      f"message size limit: raise StreamMaxLength in clamd.conf", err)


class RspamdScan(Messages, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.write_messages()
        cls.rspamd = Rspamd()

    @classmethod
    def tearDownClass(cls):
        cls.rspamd.stop()
        cls.tmp.cleanup()

    def test_gtube_is_rejected_with_the_gtube_symbol(self):
        rc, lines, err = spam_scan("--rspamd", self.rspamd.url, "--ip", "192.0.2.1", "--helo",
                                   "mx.example.org", "--from", "a@example.org", "--rcpt",
                                   "b@example.net", "--rcpt", "c@example.net",
                                   self.paths["gtube"])
        self.assertEqual(rc, 0, err)
        r = lines[0]["rspamd"]
        self.assertEqual(r["action"], "reject")
        self.assertIn("GTUBE", r["symbols"])
        self.assertEqual(r["messages"].get("smtp_message"), "Gtube pattern")

    def test_normal_message_gets_no_action(self):
        rc, lines, err = spam_scan("--rspamd", self.rspamd.url, self.paths["clean"])
        self.assertEqual(rc, 0, err)
        r = lines[0]["rspamd"]
        self.assertEqual(r["action"], "no action")
        self.assertLess(r["score"], r["required_score"])
        self.assertEqual(r["required_score"], 15.0)

    def test_learn_spam_and_ham_through_the_controller(self):
        args = ["--rspamd-controller", self.rspamd.controller_url, "--rspamd-password-file",
                self.rspamd.password_file]
        spam = os.path.join(self.tmp.name, "learn-spam.eml")
        with open(spam, "wb") as f:
            f.write(b"From: x@example.org\r\nSubject: cheap watches\r\n\r\n"
                    b"Buy cheap watches and pills now, limited offer, click here\r\n")
        rc, lines, err = spam_scan(*args, "--learn", "spam", spam)
        self.assertEqual((rc, lines[0]["learn"]), (0, {"result": "ok"}), err)
        # The same message again: rspamd says so, and it is an error of the learn, not a hang.
        rc, lines, err = spam_scan(*args, "--learn", "spam", spam)
        self.assertEqual(rc, 1)
        self.assertEqual(lines[0]["learn"]["result"], "error")
        self.assertIn("already learned as spam", lines[0]["learn"]["error"])
        # Relearning it as ham is accepted (rspamd moves it between the classes).
        rc, lines, err = spam_scan(*args, "--learn", "ham", spam)
        self.assertEqual((rc, lines[0]["learn"]), (0, {"result": "ok"}), err)
        rc, lines, err = spam_scan(*args, "--learn", "ham", self.paths["clean"])
        self.assertEqual((rc, lines[0]["learn"]), (0, {"result": "ok"}), err)

    def test_wrong_controller_password_is_refused_and_never_printed(self):
        wrong = os.path.join(self.tmp.name, "wrong-password")
        with open(wrong, "w") as f:
            f.write("not-the-password\n")
        rc, lines, err = spam_scan("--rspamd-controller", self.rspamd.controller_url,
                                   "--rspamd-password-file", wrong, "--learn", "spam",
                                   self.paths["clean"])
        self.assertEqual(rc, 1)
        self.assertEqual(lines[0]["learn"]["error"],
                         f"rspamd controller at 127.0.0.1:{self.rspamd.controller_port}: "
                         f"HTTP 401: Unauthorized")
        self.assertNotIn("not-the-password", json.dumps(lines) + err)


def hang(conn):
    """A daemon that accepts, reads whatever comes, and never answers."""
    while conn.recv(65536):
        pass


class DaemonFailures(Messages, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.write_messages()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_daemon_down_is_a_clear_error(self):
        port = free_port()  # nothing listens there
        rc, lines, err = spam_scan("--clamd", f"127.0.0.1:{port}", "--rspamd",
                                   f"http://127.0.0.1:{port}", self.paths["clean"])
        self.assertEqual(rc, 1)
        self.assertEqual(lines[0]["clamd"], {
            "result": "error",
            "error": f"clamd: connect to 127.0.0.1:{port}: Connection refused"})
        self.assertEqual(lines[0]["rspamd"], {
            "error": f"rspamd at 127.0.0.1:{port}: connect to 127.0.0.1:{port}: "
                     f"Connection refused"})
        missing = os.path.join(self.tmp.name, "no-such.sock")
        rc, lines, err = spam_scan("--clamd", "unix:" + missing, self.paths["clean"])
        self.assertEqual(lines[0]["clamd"]["error"],
                         f"clamd: connect to unix:{missing}: No such file or directory")

    def test_daemon_that_never_answers_times_out(self):
        peer = PyPeer("127.0.0.1", free_port(), hang)
        try:
            address = f"127.0.0.1:{peer.port}"
            rc, lines, err = spam_scan("--timeout", "1", "--clamd", address, "--rspamd",
                                       "http://" + address, self.paths["clean"],
                                       timeout=2 * WAIT)
            self.assertEqual(rc, 1)
            self.assertEqual(lines[0]["clamd"]["error"],
                             f"clamd: reading from {address}: timed out")
            self.assertEqual(lines[0]["rspamd"]["error"],
                             f"rspamd at {address}: reading from {address}: timed out")
            self.assertEqual(peer.connections, 2)
        finally:
            peer.stop()

    def test_envelope_reaches_rspamd_as_fields(self):
        """What rspamd receives, seen by a fake one that records the request."""
        seen = []
        reply = b'{"action":"add header","score":7.5,"required_score":15,"symbols":{}}'

        def fake_rspamd(conn):
            reader = LineReader(conn)
            head = []
            while (line := reader.line()) != b"\r\n":
                head.append(line.decode().rstrip("\r\n"))
            length = int(next(h for h in head if h.startswith("Content-Length:")).split(":")[1])
            body = reader.buf
            while len(body) < length:
                body += conn.recv(65536)
            seen.append((head, body))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(reply) + reply)

        peer = PyPeer("127.0.0.1", free_port(), fake_rspamd)
        try:
            rc, lines, err = spam_scan("--rspamd", f"http://127.0.0.1:{peer.port}", "--ip",
                                       "192.0.2.1", "--helo", "mx.example.org", "--from",
                                       "a@example.org", "--rcpt", "b@example.net", "--rcpt",
                                       "c@example.net", "--user", "alice", self.paths["clean"])
        finally:
            peer.stop()
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines[0]["rspamd"]["action"], "add header")
        head, body = seen[0]
        self.assertEqual(head[0], "POST /checkv2 HTTP/1.1")
        self.assertEqual(head[1:], [
            f"Host: 127.0.0.1:{peer.port}", "IP: 192.0.2.1", "Helo: mx.example.org",
            "From: a@example.org", "Rcpt: b@example.net", "Rcpt: c@example.net", "User: alice",
            f"Content-Length: {len(CLEAN_MAIL)}", "Connection: close"])
        self.assertEqual(body, CLEAN_MAIL)

    def test_usage_errors(self):
        for args, why in [([], "give --rspamd, --clamd or --learn"),
                          (["--learn", "spam", "x"], "--learn needs --rspamd-controller"),
                          (["--clamd", "unix:/x"], "no message files")]:
            rc, lines, err = spam_scan(*args)
            self.assertEqual((rc, lines), (2, []), args)
            self.assertIn(why, err)


if __name__ == "__main__":
    unittest.main()
