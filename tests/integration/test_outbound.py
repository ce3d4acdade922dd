"""Outbound delivery: instance A sends through MX records served by a local dnsmasq to real
peers on loopback addresses (127.0.0.x, all on one port, A's `outbound.mx_port`): a second
Posthouse (B), Postfix's smtp-sink (4xx then 2xx, 5xx), and small hostile Python peers (a
connection dropped mid-DATA, a 10 MB banner, invalid reply codes, a peer that never answers).
Bounces come back to the sender's mailbox and are read with POP3.
"""
import email
import glob
import json
import os
import re
import shutil
import socket
import smtplib
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Server, free_port
from mailfixture import CTX, Fixture, pop_messages

WAIT = 60  # seconds: an upper bound for the runner to act, never a timing assertion

B_ADDR = "127.0.0.2"       # Posthouse B, MX of b.test
RETRY_ADDR = "127.0.0.3"   # smtp-sink: 4xx then 2xx
BOUNCE_ADDR = "127.0.0.4"  # smtp-sink: 5xx to RCPT
SELF_ADDR = "127.0.0.5"    # A itself listens here too: an MX pointing to A
DROP_ADDR = "127.0.0.6"    # drops the connection mid-DATA, then smtp-sink
BANNER_ADDR = "127.0.0.7"  # 10 MB banner
BADCODE_ADDR = "127.0.0.8"  # invalid reply codes
HANG_ADDR = "127.0.0.9"    # accepts and never answers, then smtp-sink (kill -9 test)
UTF8_ADDR = "127.0.0.10"   # smtp-sink without SMTPUTF8


def tool(name):
    for d in ("/usr/sbin", "/usr/bin", "/sbin"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return shutil.which(name)


class Dns:
    """dnsmasq on a loopback port, authoritative for *.test, answering only what it is told."""

    def __init__(self, records):
        self.port = free_port()
        args = [tool("dnsmasq"), "--no-daemon", "--conf-file=/dev/null", "--pid-file=",
                f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--local=/test/", "--user=root", "--group=root",
                "--log-facility=-"] + records
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dnsmasq exited: {self.proc.stderr.read().decode()}")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                # A query for an unknown name: any answer means dnsmasq is up.
                s.settimeout(0.2)
                q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04ping\x04test\x00\x00\x01\x00\x01"
                try:
                    s.sendto(q, ("127.0.0.1", self.port))
                    s.recvfrom(512)
                    return
                except OSError:
                    time.sleep(0.1)
        raise AssertionError("dnsmasq did not answer")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Sink:
    """Postfix's smtp-sink on addr:port, one file per received message in `self.dir`."""

    def __init__(self, addr, port, *flags):
        self.dir = tempfile.mkdtemp(prefix="ph-sink-")
        os.chmod(self.dir, 0o777)
        self.proc = subprocess.Popen(
            [tool("smtp-sink"), "-u", "nobody", "-h", "sink.test", "-d",
             os.path.join(self.dir, "m."), *flags, f"{addr}:{port}", "64"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(addr, port, self.proc)

    def messages(self):
        out = []
        for p in glob.glob(os.path.join(self.dir, "m.*")):
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def wait_listening(addr, port, proc=None):
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"peer exited: {proc.stderr.read().decode()}")
        try:
            with socket.create_connection((addr, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {addr}:{port}")


class PyPeer:
    """A tiny hostile SMTP peer: `script(conn)` runs per connection in a thread."""

    def __init__(self, addr, port, script):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(16)
        self.script = script
        self.connections = 0
        self.stopped = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.run_one, args=(conn,), daemon=True).start()

    def run_one(self, conn):
        try:
            self.script(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopped = True
        self.sock.close()


def read_line(conn):
    buf = b""
    while not buf.endswith(b"\n"):
        c = conn.recv(1)
        if not c:
            raise OSError("closed")
        buf += c
    return buf


def drop_mid_data(conn):
    conn.sendall(b"220 dropper.test ESMTP\r\n")
    while True:
        line = read_line(conn).upper()
        if line.startswith(b"EHLO") or line.startswith(b"HELO"):
            conn.sendall(b"250 dropper.test\r\n")
        elif line.startswith(b"DATA"):
            conn.sendall(b"354 go ahead\r\n")
            conn.recv(10)  # a little of the message, then the connection drops
            return
        else:
            conn.sendall(b"250 2.0.0 ok\r\n")


def huge_banner(conn):
    chunk = b"220-" + b"x" * 65536
    try:
        for _ in range(160):  # 10 MB, never a line end
            conn.sendall(chunk)
    except OSError:
        pass


def bad_codes(conn):
    conn.sendall(b"220 badcode.test ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"999 what is this\r\n")
    try:
        read_line(conn)
    except OSError:
        pass


def hang(conn):
    try:
        conn.recv(1)  # never greets; waits until the client goes away
    except OSError:
        pass


class OutboundBase(unittest.TestCase):
    """Helpers for a sender `self.a` (alice@a.test) and peers in `self.peers`."""

    def peer(self, p):
        self.peers.append(p)
        return p

    # -- helpers ------------------------------------------------------------------------

    def submit(self, rcpts, subject, body="hello\r\n", headers="", mail_options=()):
        msg = (f"From: alice@a.test\r\nTo: {', '.join(rcpts)}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject}@a.test>\r\n{headers}\r\n{body}")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=30) as s:
            s.starttls(context=CTX)
            s.login("alice@a.test", "alice-password-1")
            refused = s.sendmail("alice@a.test", rcpts, msg.encode(), mail_options=mail_options)
            self.assertEqual(refused, {})

    def queue(self, server=None):
        return json.loads((server or self.a).cli("queue", "list", "--json").stdout)

    def recipients_of(self, address, server=None):
        return [(m, r) for m in self.queue(server) for r in m["recipients"]
                if r["address"] == address]

    def wait_state(self, address, states, min_attempts=0, server=None):
        deadline = time.time() + WAIT
        seen = None
        while time.time() < deadline:
            rs = self.recipients_of(address, server)
            if rs:
                seen = rs[-1][1]
                if seen["state"] in states and seen["attempts"] >= min_attempts:
                    return rs[-1]
            time.sleep(0.2)
        self.fail(f"{address}: wanted {states} (attempts >= {min_attempts}), last seen {seen}\n"
                  + self.a.read_log()[-3000:])

    def bounces(self, subject):
        out = []
        for raw in pop_messages(self.a, "alice@a.test", "alice-password-1"):
            m = email.message_from_bytes(raw)
            if m.get_content_type() == "multipart/report" and subject.encode() in raw:
                out.append(m)
        return out

    def wait_bounce(self, subject):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            b = self.bounces(subject)
            if b:
                return b
            time.sleep(0.2)
        self.fail(f"no bounce for {subject}")

    def status_of(self, bounce):
        for part in bounce.walk():
            if part.get_content_type() == "message/delivery-status":
                return part.as_string()
        return ""


class Outbound(OutboundBase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.dns = Dns([
            "--mx-host=b.test,mx.b.test,10", f"--host-record=mx.b.test,{B_ADDR}",
            "--mx-host=retry.test,mx.retry.test,10", f"--host-record=mx.retry.test,{RETRY_ADDR}",
            "--mx-host=bounce.test,mx.bounce.test,10",
            f"--host-record=mx.bounce.test,{BOUNCE_ADDR}",
            "--mx-host=loop.test,mail-a.test,10", f"--host-record=mail-a.test,{SELF_ADDR}",
            "--mx-host=loop2.test,other-name.test,10",
            f"--host-record=other-name.test,{SELF_ADDR}",
            "--mx-host=drop.test,mx.drop.test,10", f"--host-record=mx.drop.test,{DROP_ADDR}",
            "--mx-host=banner.test,mx.banner.test,10",
            f"--host-record=mx.banner.test,{BANNER_ADDR}",
            "--mx-host=badcode.test,mx.badcode.test,10",
            f"--host-record=mx.badcode.test,{BADCODE_ADDR}",
            "--mx-host=hang.test,mx.hang.test,10", f"--host-record=mx.hang.test,{HANG_ADDR}",
            "--mx-host=utf8.test,mx.utf8.test,10", f"--host-record=mx.utf8.test,{UTF8_ADDR}",
            # No MX, an A record: the domain itself is the MX (RFC 5321 5.1).
            f"--host-record=implicit.test,{RETRY_ADDR}",
            # Null MX (RFC 7505): preference 0, exchange "." (root).
            "--dns-rr=nullmx.test,15,000000",
            # nothing.test: no record at all (NXDOMAIN under --local=/test/).
        ])
        outbound = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\nmx_port = {cls.port}\n'
                    "poll_interval_seconds = 1\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
                    "connect_timeout_seconds = 5\ncommand_timeout_seconds = 20\n")
        cls.b = Server(listeners=["smtp", "pop3s"], hostname="mx.b.test",
                       extra_config=outbound)
        cls.add_smtp_listener(cls.b, B_ADDR)
        cls.b.start()
        cls.a = Server(listeners=["smtp", "submission", "pop3s"], hostname="mail-a.test",
                       extra_config=outbound)
        cls.add_smtp_listener(cls.a, SELF_ADDR)
        cls.a.start()
        fa = Fixture(cls.a)
        fa.domain("a.test")
        fa.mailbox("alice@a.test", "alice-password-1")
        fb = Fixture(cls.b)
        fb.domain("b.test")
        fb.mailbox("bob@b.test", "bob-password-1")
        fb.mailbox("carol@b.test", "carol-password-1")
        cls.peers = []

    @classmethod
    def add_smtp_listener(cls, server, addr):
        with open(server.config_path) as f:
            text = f.read()
        own = f'smtp = "127.0.0.1:{server.ports["smtp"]}"'
        text = text.replace(own, f'smtp = ["127.0.0.1:{server.ports["smtp"]}", '
                                 f'"{addr}:{cls.port}"]')
        with open(server.config_path, "w") as f:
            f.write(text)

    @classmethod
    def tearDownClass(cls):
        for p in cls.peers:
            p.stop()
        cls.a.cleanup()
        cls.b.cleanup()
        cls.dns.stop()

    # -- tests --------------------------------------------------------------------------

    def test_delivers_to_second_instance_through_mx(self):
        self.submit(["bob@b.test", "carol@b.test"], "to-b")
        self.wait_state("bob@b.test", ["delivered"])
        self.wait_state("carol@b.test", ["delivered"])
        for user, pw in (("bob@b.test", "bob-password-1"), ("carol@b.test", "carol-password-1")):
            msgs = [m for m in pop_messages(self.b, user, pw) if b"Subject: to-b" in m]
            self.assertEqual(len(msgs), 1, user)
            self.assertIn(b"Return-Path: <alice@a.test>", msgs[0])
        # One transaction carried both recipients.
        m, _ = self.recipients_of("carol@b.test")[-1]
        self.assertEqual(sorted(r["address"] for r in m["recipients"]),
                         ["bob@b.test", "carol@b.test"])

    def test_dkim_signatures_verify_with_dkimpy(self):
        try:
            import dkim  # Debian's python3-dkim: an independent verifier
        except ImportError:
            import sys
            sys.path.append("/usr/lib/python3/dist-packages")
            import dkim
        records = json.loads(self.a.cli("domain", "dns", "a.test", "--json").stdout)
        txt = {r["name"]: r["value"] for r in records if r["type"] == "TXT"}
        self.assertIn("ph1r._domainkey.a.test.", txt)
        self.assertIn("ph1e._domainkey.a.test.", txt)
        self.assertIn({"name": "a.test.", "type": "MX", "value": "10 mail-a.test."}, records)
        self.assertIn("_dmarc.a.test.", txt)

        def dnsfunc(name, timeout=5):
            return txt.get(name.decode().rstrip(".") + ".", "").encode()

        self.submit(["bob@b.test"], "dkim-signed")
        self.wait_state("bob@b.test", ["delivered"])
        msgs = [m for m in pop_messages(self.b, "bob@b.test", "bob-password-1")
                if b"Subject: dkim-signed" in m]
        self.assertEqual(len(msgs), 1)
        msg = msgs[0]
        self.assertEqual(msg.count(b"DKIM-Signature:"), 2)
        d = dkim.DKIM(msg)
        self.assertTrue(d.verify(idx=0, dnsfunc=dnsfunc), "rsa-sha256")
        d = dkim.DKIM(msg)
        self.assertTrue(d.verify(idx=1, dnsfunc=dnsfunc), "ed25519-sha256")
        # A changed body no longer verifies.
        bad = msg.replace(b"hello", b"jello")
        try:
            ok = dkim.DKIM(bad).verify(idx=0, dnsfunc=dnsfunc)
        except dkim.ValidationError as e:
            ok = False
            self.assertIn("body hash mismatch", str(e))
        self.assertFalse(ok)
        # The private key is nowhere in the log.
        self.assertNotIn("PRIVATE KEY", self.a.read_log())

    def test_queue_retry_and_delete_commands(self):
        self.submit(["q@nothing-yet.test"], "queue-cli")
        m, _ = self.wait_state("q@nothing-yet.test", ["bounced"])
        p = self.a.cli("queue", "retry", m["id"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nothing to retry", p.stderr)
        self.assertIn(m["id"], self.a.cli("queue", "delete", m["id"]).stdout)
        self.assertEqual(self.recipients_of("q@nothing-yet.test"), [])
        p = self.a.cli("queue", "delete", m["id"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not found", p.stderr)

    def test_soft_failure_is_retried_then_delivered_once(self):
        soft = Sink(RETRY_ADDR, self.port, "-r", "RCPT")
        try:
            self.submit(["someone@retry.test"], "soft-then-ok")
            _, r = self.wait_state("someone@retry.test", ["deferred"], min_attempts=1)
            self.assertIn("450", r["last_error"])
        finally:
            soft.stop()
        ok = self.peer(Sink(RETRY_ADDR, self.port))
        self.wait_state("someone@retry.test", ["delivered"])
        got = [m for m in ok.messages() if b"Subject: soft-then-ok" in m]
        self.assertEqual(len(got), 1)
        ok.stop()
        self.peers.remove(ok)

    def test_hard_failure_bounces_to_sender(self):
        self.peer(Sink(BOUNCE_ADDR, self.port, "-f", "RCPT", "-B", "550 5.1.1 No such user"))
        self.submit(["nobody@bounce.test"], "hard-fail")
        _, r = self.wait_state("nobody@bounce.test", ["bounced"])
        self.assertIn("550", r["last_error"])
        b = self.wait_bounce("hard-fail")
        self.assertEqual(len(b), 1)
        status = self.status_of(b[0])
        self.assertIn("Final-Recipient: rfc822; nobody@bounce.test", status)
        self.assertIn("Status: 5.1.1", status)
        self.assertIn("Action: failed", status)

    def test_dropped_mid_data_is_retried_without_duplicate(self):
        dropper = PyPeer(DROP_ADDR, self.port, drop_mid_data)
        try:
            self.submit(["x@drop.test"], "drop-mid-data", body="line\r\n" * 20000)
            _, r = self.wait_state("x@drop.test", ["deferred"], min_attempts=1)
            self.assertRegex(r["last_error"], "closed|reset")
        finally:
            dropper.stop()
        sink = self.peer(Sink(DROP_ADDR, self.port))
        self.wait_state("x@drop.test", ["delivered"])
        got = [m for m in sink.messages() if b"Subject: drop-mid-data" in m]
        self.assertEqual(len(got), 1)
        self.assertEqual(len(re.findall(rb"^line\r?$", got[0], re.M)), 20000)

    def test_mx_pointing_to_ourselves_bounces(self):
        self.submit(["x@loop.test"], "loop-by-name")
        _, r = self.wait_state("x@loop.test", ["bounced"])
        self.assertIn("loops back to myself", r["last_error"])
        self.submit(["x@loop2.test"], "loop-by-address")
        _, r = self.wait_state("x@loop2.test", ["bounced"])
        self.assertIn("loops back to myself", r["last_error"])
        self.assertIn("Status: 5.4.6", self.status_of(self.wait_bounce("loop-by-address")[0]))

    def test_ten_megabyte_banner_is_a_temporary_failure(self):
        self.peer(PyPeer(BANNER_ADDR, self.port, huge_banner))
        self.submit(["x@banner.test"], "huge-banner")
        _, r = self.wait_state("x@banner.test", ["deferred"], min_attempts=1)
        self.assertIn("reply line too long", r["last_error"])
        self.assertTrue(self.a.proc.poll() is None, "the sender survives")

    def test_invalid_reply_code_is_a_temporary_failure(self):
        self.peer(PyPeer(BADCODE_ADDR, self.port, bad_codes))
        self.submit(["x@badcode.test"], "bad-code")
        _, r = self.wait_state("x@badcode.test", ["deferred"], min_attempts=1)
        self.assertIn("invalid reply code 999", r["last_error"])

    def test_no_mx_and_no_address_bounces(self):
        self.submit(["x@nothing.test"], "no-such-domain")
        _, r = self.wait_state("x@nothing.test", ["bounced"])
        self.assertIn("no MX and no address", r["last_error"])
        self.assertIn("Status: 5.1.2", self.status_of(self.wait_bounce("no-such-domain")[0]))

    def test_null_mx_bounces(self):
        self.submit(["x@nullmx.test"], "null-mx")
        _, r = self.wait_state("x@nullmx.test", ["bounced"])
        self.assertIn("null MX", r["last_error"])
        self.assertIn("Status: 5.1.10", self.status_of(self.wait_bounce("null-mx")[0]))

    def test_report_about_forwarded_mail_belongs_to_the_forwarding_domain(self):
        # A stranger writes to a local mailbox that forwards out; the forward fails for good,
        # so a bounce goes back out to the stranger. Both queue entries are sent for a.test:
        # whoever may see the forward in the queue API sees its bounce too.
        self.a.cli("mailbox", "create", "fwd@a.test", "--template", "staff", "--password",
                   "fwd-password-1")
        self.a.cli("forward", "set", "fwd@a.test", "gone@nothing.test", "--no-keep-copy")
        with smtplib.SMTP("127.0.0.1", self.a.ports["smtp"], timeout=30) as s:
            s.sendmail("stranger@elsewhere.test", ["fwd@a.test"],
                       b"From: stranger@elsewhere.test\r\nTo: fwd@a.test\r\n"
                       b"Subject: forwarded-then-bounced\r\n\r\nhi\r\n")
        fwd, _ = self.wait_state("gone@nothing.test", ["bounced"])
        self.assertEqual(fwd["domain"], "a.test")
        report, _ = self.wait_state("stranger@elsewhere.test",
                                    ["queued", "sending", "deferred", "bounced"])
        self.assertEqual(report["sender"], "")
        self.assertEqual(report["domain"], "a.test")

    def test_implicit_mx_from_address_record(self):
        sink = self.peer(Sink(RETRY_ADDR, self.port))
        self.submit(["x@implicit.test"], "implicit-mx")
        self.wait_state("x@implicit.test", ["delivered"])
        self.assertEqual(len([m for m in sink.messages() if b"Subject: implicit-mx" in m]), 1)
        sink.stop()
        self.peers.remove(sink)

    def test_512_received_headers_bounce_as_a_loop(self):
        hops = "".join(f"Received: from hop{i}.test by hop{i + 1}.test; "
                       "Mon, 1 Jan 2024 00:00:00 +0000\r\n" for i in range(512))
        self.submit(["bob@b.test"], "hop-loop", headers=hops)
        _, r = self.wait_state("bob@b.test", ["bounced"])
        self.assertIn("Received headers", r["last_error"])
        self.assertIn("Status: 5.4.6", self.status_of(self.wait_bounce("hop-loop")[0]))

    def test_smtputf8_needed_and_missing_bounces(self):
        # smtp-sink does not offer SMTPUTF8.
        self.peer(Sink(UTF8_ADDR, self.port))
        self.submit(["x@utf8.test"], "needs-utf8", mail_options=["SMTPUTF8"])
        _, r = self.wait_state("x@utf8.test", ["bounced"])
        self.assertIn("SMTPUTF8", r["last_error"])
        self.assertIn("Status: 5.6.7", self.status_of(self.wait_bounce("needs-utf8")[0]))

    def test_kill_9_with_full_queue_loses_nothing_and_duplicates_nothing(self):
        hung = PyPeer(HANG_ADDR, self.port, hang)
        subjects = [f"crash-{i}" for i in range(12)]
        for s in subjects:
            self.submit([f"{s}@hang.test"], s)
        # Every recipient is claimed (sending) or waiting: the queue is full when A dies.
        deadline = time.time() + WAIT
        while time.time() < deadline and hung.connections < 3:
            time.sleep(0.1)
        self.a.kill()
        hung.stop()
        sink = self.peer(Sink(HANG_ADDR, self.port))
        self.a.start()
        for s in subjects:
            self.wait_state(f"{s}@hang.test", ["delivered"])
        got = sink.messages()
        for s in subjects:
            n = len([m for m in got if re.search(rb"Subject: " + s.encode() + rb"\r?\n", m)])
            self.assertEqual(n, 1, s)



from test_api import ApiTestBase, BOSS, PM, Client  # noqa: E402


class DomainDnsApi(ApiTestBase):
    def test_dns_records_under_the_domain_read_policy(self):
        st, js, _ = self.session(BOSS).request("GET", "/api/v1/domains/a.example/dns")
        self.assertEqual(st, 200, js)
        self.assertIn({"name": "a.example.", "type": "MX", "value": "10 mail.test."}, js)
        dkim = [r for r in js if r["name"].endswith("._domainkey.a.example.")]
        self.assertEqual(len(dkim), 2)
        self.assertTrue(all(r["value"].startswith("v=DKIM1; k=") for r in dkim))
        self.assertFalse(any("PRIVATE" in r["value"] for r in js))
        # The same records as the CLI prints.
        cli = json.loads(self.server.cli("domain", "dns", "a.example", "--json").stdout)
        self.assertEqual(cli, js)
        # Outside the actor's scope: exactly like a domain that does not exist.
        pm = self.session(PM)
        st1, js1, _ = pm.request("GET", "/api/v1/domains/g.example/dns")
        st2, js2, _ = pm.request("GET", "/api/v1/domains/none.example/dns")
        self.assertEqual((st1, st2), (404, 404))
        self.assertEqual(js1["error"]["message"].replace("g.example", "X"),
                         js2["error"]["message"].replace("none.example", "X"))


QPW = {"admin": None, "boss@acme.test": "customer-pw-1", "ceo@globex.test": "customer-pw-2",
       "ops@partner.test": "manager-pw-2", "postmaster@a.test": "postmaster-pw-1",
       "alice@a.test": "alice-password-1", "al2@a2.test": "al2-password-1",
       "gus@g.test": "gus-password-1"}


class QueueAccess(unittest.TestCase):
    """The outbound queue over the REST API (real HTTP) and `posthouse queue --as`: each role
    sees and manages only the entries of its own domains. Remote delivery fails temporarily
    (the hermetic resolver answers nothing), so entries wait `deferred` for an hour."""

    @classmethod
    def setUpClass(cls):
        cls.a = Server(listeners=["submission", "http"], extra_config=(
            "[outbound]\npoll_interval_seconds = 1\nretry_initial_seconds = 3600\n"
            "retry_max_seconds = 7200\n")).start()
        QPW["admin"] = cls.a.admin_password
        cli = cls.a.cli
        cli("customer", "create", "acme", "--login", "boss@acme.test", "--password",
            QPW["boss@acme.test"])
        cli("customer", "create", "globex", "--login", "ceo@globex.test", "--password",
            QPW["ceo@globex.test"])
        cli("domain", "create", "a.test", "--customer", "acme", "--password",
            QPW["postmaster@a.test"])
        cli("domain", "create", "a2.test", "--customer", "acme")
        cli("domain", "create", "g.test", "--customer", "globex")
        cli("template", "create", "staff", "--customer", "acme")
        cli("template", "create", "gstaff", "--customer", "globex")
        cli("manager", "create", "ops@partner.test", "--customer", "acme", "--domain", "a2.test",
            "--password", QPW["ops@partner.test"])
        for addr, tpl in (("alice@a.test", "staff"), ("al2@a2.test", "staff"),
                          ("gus@g.test", "gstaff")):
            cli("mailbox", "create", addr, "--template", tpl, "--password", QPW[addr])

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()

    def api(self, login):
        c = Client(self.a.ports["http"])
        st, js = c.login(login, QPW[login])
        self.assertEqual(st, 201, js)
        return c

    def send(self, user, rcpt):
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=30) as s:
            s.starttls(context=CTX)
            s.login(user, QPW[user])
            s.sendmail(user, [rcpt], f"From: {user}\r\nTo: {rcpt}\r\nSubject: q\r\n\r\nhi\r\n")

    def entry_of(self, rcpt, states=("deferred",)):
        """The queue entry for `rcpt` once its recipient is in one of `states` (admin view)."""
        admin = self.api("admin")
        deadline = time.time() + WAIT
        while time.time() < deadline:
            st, js, _ = admin.request("GET", "/api/v1/queue?limit=1000")
            self.assertEqual(st, 200, js)
            for e in js["items"]:
                if any(r["address"] == rcpt and r["state"] in states for r in e["recipients"]):
                    return e
            time.sleep(0.2)
        self.fail(f"no {states} entry for {rcpt}\n" + self.a.read_log()[-2000:])

    def ids(self, login, query=""):
        st, js, _ = self.api(login).request("GET", "/api/v1/queue" + query)
        self.assertEqual(st, 200, js)
        return {e["id"] for e in js["items"]}

    def test_each_role_sees_only_its_domains(self):
        self.send("alice@a.test", "r1@remote.test")
        self.send("al2@a2.test", "r2@remote.test")
        self.send("gus@g.test", "r3@remote.test")
        ea, e2, eg = (self.entry_of(f"r{i}@remote.test") for i in (1, 2, 3))
        self.assertEqual((ea["domain"], e2["domain"], eg["domain"]), ("a.test", "a2.test", "g.test"))
        mine = {ea["id"], e2["id"], eg["id"]}
        self.assertEqual(self.ids("admin") & mine, mine)
        self.assertEqual(self.ids("boss@acme.test") & mine, {ea["id"], e2["id"]})
        self.assertEqual(self.ids("ceo@globex.test") & mine, {eg["id"]})
        self.assertEqual(self.ids("ops@partner.test") & mine, {e2["id"]})  # scoped to a2.test
        self.assertEqual(self.ids("postmaster@a.test"), set())
        self.assertEqual(self.ids("alice@a.test"), set())
        # One entry in detail: per-recipient state, attempts, last error, next attempt.
        st, js, _ = self.api("boss@acme.test").request("GET", f"/api/v1/queue/{ea['id']}")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["sender"], "alice@a.test")
        self.assertEqual(js["state"], "deferred")
        (r,) = js["recipients"]
        self.assertEqual((r["address"], r["state"]), ("r1@remote.test", "deferred"))
        self.assertGreaterEqual(r["attempts"], 1)
        self.assertTrue(r["last_error"])
        self.assertGreater(r["next_attempt_at"], time.time() + 600)
        # Filters.
        self.assertEqual(self.ids("admin", "?domain=a.test&state=deferred") & mine, {ea["id"]})
        self.assertEqual(self.ids("admin", "?state=delivered") & mine, set())
        self.assertEqual(self.ids("boss@acme.test", "?domain=a2.test") & mine, {e2["id"]})
        # Pages: limit and next_cursor walk every entry once.
        seen, cursor = [], None
        admin = self.api("admin")
        while True:
            st, js, _ = admin.request("GET", "/api/v1/queue?limit=1" +
                                      (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(st, 200, js)
            seen += [e["id"] for e in js["items"]]
            cursor = js["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue(mine <= set(seen))

    def test_out_of_scope_is_not_found_and_unchanged(self):
        self.send("alice@a.test", "r4@remote.test")
        ea = self.entry_of("r4@remote.test")
        ceo = self.api("ceo@globex.test")
        missing = "Q00000000000000ff"
        for method, suffix in (("GET", ""), ("POST", "/retry"), ("DELETE", "")):
            st1, js1, _ = ceo.request(method, f"/api/v1/queue/{ea['id']}{suffix}")
            st2, js2, _ = ceo.request(method, f"/api/v1/queue/{missing}{suffix}")
            self.assertEqual((st1, st2), (404, 404), (js1, js2))
            self.assertEqual(js1["error"]["message"].replace(ea["id"], "X"),
                             js2["error"]["message"].replace(missing, "X"))
        # The scoped manager of a2.test cannot reach a.test's entry either.
        st, _, _ = self.api("ops@partner.test").request("POST", f"/api/v1/queue/{ea['id']}/retry")
        self.assertEqual(st, 404)
        st, js, _ = self.api("admin").request("GET", f"/api/v1/queue/{ea['id']}")
        self.assertEqual((st, js["recipients"][0]["state"]), (200, "deferred"))
        self.assertEqual(js["recipients"][0]["attempts"], ea["recipients"][0]["attempts"])

    def test_retry_moves_deferred_to_queued_and_is_audited(self):
        self.send("alice@a.test", "r5@remote.test")
        ea = self.entry_of("r5@remote.test")
        before = ea["recipients"][0]["attempts"]
        boss = self.api("boss@acme.test")
        st, js, _ = boss.request("POST", f"/api/v1/queue/{ea['id']}/retry")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["recipients"][0]["state"], "queued")
        self.assertLessEqual(js["recipients"][0]["next_attempt_at"], time.time() + 1)
        # The runner takes it at once: one more attempt, deferred again for an hour.
        deadline = time.time() + WAIT
        while time.time() < deadline:
            e = self.entry_of("r5@remote.test", ("deferred", "queued", "sending"))
            if e["recipients"][0]["attempts"] > before and e["state"] == "deferred":
                break
            time.sleep(0.2)
        else:
            self.fail("the retried entry was not attempted again")
        st, js, _ = boss.request("GET", "/api/v1/audit?limit=50")
        recs = [r for r in js["items"] if r["verb"] == "queue.retry"
                and r["target"] == f"queue:{ea['id']}"]
        self.assertEqual(len(recs), 1, js)
        self.assertEqual(recs[0]["actor"], "boss@acme.test")
        # A read-only token may look but not retry.
        st, tok, _ = boss.request("POST", "/api/v1/tokens", {"name": "ro", "read_only": True})
        self.assertEqual(st, 201, tok)
        ro = Client(self.a.ports["http"], tok["secret"])
        self.assertEqual(ro.request("GET", f"/api/v1/queue/{ea['id']}")[0], 200)
        st, js, _ = ro.request("POST", f"/api/v1/queue/{ea['id']}/retry")
        self.assertEqual((st, js["error"]["code"]), (403, "forbidden"))

    def test_delete_removes_and_is_audited(self):
        self.send("al2@a2.test", "r6@remote.test")
        e = self.entry_of("r6@remote.test")
        ops = self.api("ops@partner.test")
        st, _, _ = ops.request("DELETE", f"/api/v1/queue/{e['id']}")
        self.assertEqual(st, 204)
        self.assertEqual(ops.request("GET", f"/api/v1/queue/{e['id']}")[0], 404)
        self.assertEqual(ops.request("DELETE", f"/api/v1/queue/{e['id']}")[0], 404)
        self.assertNotIn(e["id"], self.ids("admin"))
        st, js, _ = self.api("boss@acme.test").request("GET", "/api/v1/audit?domain=a2.test")
        recs = [r for r in js["items"] if r["verb"] == "queue.delete"]
        self.assertEqual([r["target"] for r in recs], [f"queue:{e['id']}"])
        self.assertEqual(recs[0]["actor"], "ops@partner.test")
        self.assertEqual(recs[0]["before"]["recipients"][0]["address"], "r6@remote.test")

    def test_bad_ids_and_filters(self):
        self.send("gus@g.test", "r7@remote.test")
        e = self.entry_of("r7@remote.test")
        admin = self.api("admin")
        for query, field in (("?state=stuck", "state"), ("?limit=0", "limit"),
                             ("?limit=x", "limit"), ("?cursor=-3", "cursor"),
                             ("?recipient_domain=bad..name", "recipient_domain")):
            st, js, _ = admin.request("GET", "/api/v1/queue" + query)
            self.assertEqual((st, js["error"]["code"], js["error"].get("field")),
                             (422, "invalid", field), query)
            self.assertTrue(js["error"]["message"])
        for bad in ("nope", "Q123", "q00000000000000ff", "Q00000000000000FG"):
            for method, suffix in (("GET", ""), ("POST", "/retry"), ("DELETE", "")):
                st, js, _ = admin.request(method, f"/api/v1/queue/{bad}{suffix}")
                self.assertEqual((st, js["error"]["field"]), (422, "id"), (bad, js))
        # A domain filter outside one's scope answers like an unknown domain.
        st, js, _ = self.api("boss@acme.test").request("GET", "/api/v1/queue?domain=g.test")
        self.assertEqual((st, js["error"]["message"]), (404, "domain 'g.test' not found"))
        # Nothing changed.
        st, js, _ = admin.request("GET", f"/api/v1/queue/{e['id']}")
        self.assertEqual((st, js["recipients"][0]["state"]), (200, "deferred"))

    def test_cli_as_runs_through_the_same_policy(self):
        self.send("alice@a.test", "r8@remote.test")
        self.send("gus@g.test", "r9@remote.test")
        ea = self.entry_of("r8@remote.test")
        eg = self.entry_of("r9@remote.test")
        cli = self.a.cli
        listed = {e["id"] for e in json.loads(
            cli("--as", "boss@acme.test", "queue", "list", "--json").stdout)}
        self.assertIn(ea["id"], listed)
        self.assertNotIn(eg["id"], listed)
        self.assertEqual(json.loads(cli("--as", "postmaster@a.test", "queue", "list",
                                        "--json").stdout), [])
        for verb in ("show", "retry", "delete"):
            p = cli("--as", "ceo@globex.test", "queue", verb, ea["id"], check=False)
            self.assertEqual(p.returncode, 1, verb)
            self.assertIn(f"queue entry '{ea['id']}' not found", p.stderr)
        self.assertEqual(json.loads(cli("queue", "show", ea["id"], "--json").stdout)["state"],
                         "deferred")
        p = cli("--as", "boss@acme.test", "queue", "retry", ea["id"])
        self.assertIn("due now", p.stdout)
        p = cli("--as", "ceo@globex.test", "queue", "delete", eg["id"])
        self.assertIn("deleted", p.stdout)
        audit = json.loads(cli("audit", "list", "--json").stdout)
        by = {(r["verb"], r["target"]): r for r in audit}
        self.assertEqual(by[("queue.retry", f"queue:{ea['id']}")]["actor"], "boss@acme.test")
        self.assertEqual(by[("queue.delete", f"queue:{eg['id']}")]["source"], "cli")
        p = cli("queue", "list", "--state", "stuck", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("state must be one of", p.stderr)

    def test_domain_created_over_the_api_has_dkim_keys_at_once(self):
        import sqlite3
        st, js, _ = self.api("boss@acme.test").request(
            "POST", "/api/v1/domains", {"name": "fresh.test"})
        self.assertEqual(st, 201, js)
        db = sqlite3.connect(os.path.join(self.a.data, "posthouse.db"))
        try:
            rows = db.execute("SELECT algorithm, selector FROM dkim_keys WHERE domain = ? "
                              "ORDER BY algorithm", ("fresh.test",)).fetchall()
        finally:
            db.close()
        self.assertEqual(rows, [("ed25519-sha256", "ph1e"), ("rsa-sha256", "ph1r")])
# -- connection reuse, verified TLS, delay warnings ------------------------------------------

REUSE_ADDR = "127.0.0.21"      # counts sessions and transactions
DROPREUSE_ADDR = "127.0.0.22"  # drops the second transaction of its first session
GOOD_TLS_ADDR = "127.0.0.23"   # certificate for mx.tlsgood.test from the test CA
WRONG_TLS_ADDR = "127.0.0.24"  # certificate for wrong.test from the test CA
UNTRUSTED_ADDR = "127.0.0.25"  # self-signed certificate for mx.untrusted.test
OPP_ADDR = "127.0.0.26"        # self-signed certificate, opportunistic TLS
RELAY_ADDR = "127.0.0.27"      # smarthost relay.tls.test (required TLS, verified)
SLOW_ADDR = "127.0.0.28"       # 451 to every RCPT: delay warnings


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d):
    """A test CA, certificates it signs for a name, and a self-signed certificate."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
            "-days", "2", "-subj", "/CN=Posthouse Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(name, signed=True):
        key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
        ext = os.path.join(d, name + ".ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=DNS:{name}\nextendedKeyUsage=serverAuth\n")
        if signed:
            csr = os.path.join(d, name + ".csr")
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", f"/CN={name}")
            openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
        else:
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}")
        return crt, key

    return ca_crt, leaf


class LineReader:
    def __init__(self, conn):
        self.conn = conn
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            c = self.conn.recv(65536)
            if not c:
                raise OSError("closed")
            self.buf += c
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"


class SmtpPeer(PyPeer):
    """A small SMTP server: STARTTLS with the given certificate, PIPELINING, records every
    message it accepted (with its session number) and the RSETs it saw."""

    def __init__(self, addr, port, cert=None, rcpt_reply=None, drop_transaction=None):
        self.ctx = None
        if cert:
            import ssl
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*cert)
        self.rcpt_reply = rcpt_reply
        # (session, transaction): drop the connection in the middle of that DATA.
        self.drop_transaction = drop_transaction
        self.lock = threading.Lock()
        self.messages = []   # (session number, bytes)
        self.rsets = 0
        self.tls_sessions = 0
        super().__init__(addr, port, self.session)

    def session(self, conn):
        with self.lock:
            number = self.connections
        rd = LineReader(conn)

        def send(b):
            conn.sendall(b)

        send(b"220 peer.test ESMTP\r\n")
        tls = False
        transactions = 0
        rcpts = 0
        while True:
            line = rd.line()
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                ext = [b"PIPELINING", b"8BITMIME", b"SIZE 10000000"]
                if self.ctx and not tls:
                    ext.append(b"STARTTLS")
                send(b"250-peer.test\r\n" + b"".join(b"250-" + e + b"\r\n" for e in ext[:-1])
                     + b"250 " + ext[-1] + b"\r\n")
            elif cmd == b"STAR" and self.ctx and not tls:
                send(b"220 2.0.0 go ahead\r\n")
                conn = self.ctx.wrap_socket(conn, server_side=True)
                rd = LineReader(conn)
                tls = True
                with self.lock:
                    self.tls_sessions += 1
            elif cmd == b"MAIL":
                rcpts = 0
                send(b"250 2.0.0 ok\r\n")
            elif cmd == b"RCPT" and self.rcpt_reply:
                send(self.rcpt_reply + b"\r\n")
            elif cmd == b"RCPT":
                rcpts += 1
                send(b"250 2.0.0 ok\r\n")
            elif cmd == b"DATA" and not rcpts:
                send(b"554 5.5.1 no valid recipients\r\n")
            elif cmd == b"DATA":
                transactions += 1
                send(b"354 go ahead\r\n")
                if self.drop_transaction == (number, transactions):
                    rd.line()
                    return  # the connection drops mid-DATA
                data = b""
                while True:
                    line = rd.line()
                    if line == b".\r\n":
                        break
                    data += line
                with self.lock:
                    self.messages.append((number, data))
                send(b"250 2.0.0 queued\r\n")
            elif cmd == b"RSET":
                with self.lock:
                    self.rsets += 1
                send(b"250 2.0.0 ok\r\n")
            elif cmd == b"QUIT":
                send(b"221 2.0.0 bye\r\n")
                return
            else:
                send(b"250 2.0.0 ok\r\n")

    def with_subject(self, subject):
        pat = re.compile(rb"^Subject: " + re.escape(subject.encode()) + rb"\r?$", re.M)
        with self.lock:
            return [(n, m) for n, m in self.messages if pat.search(m)]


class OutboundSessions(OutboundBase):
    """Session reuse, certificate verification on required-TLS routes, delay warnings."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.pki = tempfile.mkdtemp(prefix="ph-pki-")
        ca, leaf = make_pki(cls.pki)
        cls.good = leaf("mx.tlsgood.test")
        cls.wrong = leaf("wrong.test")
        cls.relay_cert = leaf("relay.tls.test")
        cls.untrusted = leaf("mx.untrusted.test", signed=False)
        names = {"reuse": REUSE_ADDR, "dropreuse": DROPREUSE_ADDR, "tlsgood": GOOD_TLS_ADDR,
                 "tlswrong": WRONG_TLS_ADDR, "untrusted": UNTRUSTED_ADDR, "tlsopp": OPP_ADDR,
                 "slow": SLOW_ADDR}
        records = []
        for d, addr in names.items():
            records += [f"--mx-host={d}.test,mx.{d}.test,10", f"--host-record=mx.{d}.test,{addr}"]
        records.append(f"--host-record=relay.tls.test,{RELAY_ADDR}")
        cls.dns = Dns(records)
        outbound = (f'[outbound]\nresolver = "127.0.0.1:{cls.dns.port}"\nmx_port = {cls.port}\n'
                    "poll_interval_seconds = 1\nretry_initial_seconds = 1\nretry_max_seconds = 2\n"
                    "connect_timeout_seconds = 5\ncommand_timeout_seconds = 20\n"
                    "concurrency_per_domain = 1\nmax_messages_per_connection = 4\n"
                    "connection_idle_seconds = 120\ndelay_warning_seconds = 3\n"
                    f'tls_ca_file = "{ca}"\n'
                    'require_tls_domains = ["tlsgood.test", "tlswrong.test", "untrusted.test"]\n'
                    'smarthost_tls = "required"\n'
                    f'smarthost_domains = ["relayed.test=relay.tls.test:{cls.port}"]\n')
        cls.a = Server(listeners=["smtp", "submission", "pop3s"], hostname="mail-s.test",
                       extra_config=outbound)
        cls.a.start()
        fa = Fixture(cls.a)
        fa.domain("a.test")
        fa.mailbox("alice@a.test", "alice-password-1")
        fa.domain("relayed.test")
        fa.mailbox("rita@relayed.test", "rita-password-1")
        cls.peers = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.peers:
            p.stop()
        cls.a.cleanup()
        cls.dns.stop()
        shutil.rmtree(cls.pki, ignore_errors=True)

    def warnings_for(self, subject):
        return [b for b in self.bounces(subject) if "Action: delayed" in self.status_of(b)]

    def test_one_session_carries_several_messages_up_to_the_limit(self):
        peer = self.peer(SmtpPeer(REUSE_ADDR, self.port))
        subjects = [f"reuse-{i}" for i in range(10)]
        for s in subjects:
            self.submit([f"{s}@reuse.test"], s)
        for s in subjects:
            self.wait_state(f"{s}@reuse.test", ["delivered"])
        for s in subjects:
            self.assertEqual(len(peer.with_subject(s)), 1, s)
        # 10 messages, at most 4 per session (max_messages_per_connection): 3 sessions, one
        # transaction each after RSET on a reused one.
        self.assertEqual(peer.connections, 3)
        self.assertEqual(peer.rsets, 7)
        sessions = sorted(n for n, _ in peer.messages)
        self.assertEqual([sessions.count(n) for n in sorted(set(sessions))], [4, 4, 2])

    def test_a_reused_session_dropped_mid_data_defers_only_that_message(self):
        peer = self.peer(SmtpPeer(DROPREUSE_ADDR, self.port, drop_transaction=(1, 2)))
        subjects = [f"dropreuse-{i}" for i in range(4)]
        for s in subjects:
            self.submit([f"{s}@dropreuse.test"], s)
        for s in subjects:
            self.wait_state(f"{s}@dropreuse.test", ["delivered"])
        for s in subjects:
            self.assertEqual(len(peer.with_subject(s)), 1, s)
        # One message was lost with session 1 and retried: it had one failed attempt.
        attempts = sorted(self.recipients_of(f"{s}@dropreuse.test")[-1][1]["attempts"]
                          for s in subjects)
        self.assertEqual(attempts, [1, 1, 1, 2])
        self.assertGreaterEqual(peer.connections, 2)
        self.assertEqual(len(peer.messages), 4)

    def test_required_tls_with_a_valid_certificate_delivers(self):
        peer = self.peer(SmtpPeer(GOOD_TLS_ADDR, self.port, cert=self.good))
        self.submit(["x@tlsgood.test"], "tls-good")
        self.wait_state("x@tlsgood.test", ["delivered"])
        self.assertEqual(len(peer.with_subject("tls-good")), 1)
        self.assertGreaterEqual(peer.tls_sessions, 1)

    def test_required_tls_with_a_wrong_name_defers(self):
        peer = self.peer(SmtpPeer(WRONG_TLS_ADDR, self.port, cert=self.wrong))
        self.submit(["x@tlswrong.test"], "tls-wrong-name")
        _, r = self.wait_state("x@tlswrong.test", ["deferred"], min_attempts=2)
        self.assertIn("4.7.5 TLS certificate verification failed for mx.tlswrong.test",
                      r["last_error"])
        self.assertIn("hostname mismatch", r["last_error"].lower())
        self.assertEqual(peer.messages, [])

    def test_required_tls_with_an_untrusted_certificate_defers(self):
        peer = self.peer(SmtpPeer(UNTRUSTED_ADDR, self.port, cert=self.untrusted))
        self.submit(["x@untrusted.test"], "tls-untrusted")
        _, r = self.wait_state("x@untrusted.test", ["deferred"], min_attempts=2)
        self.assertIn("4.7.5 TLS certificate verification failed for mx.untrusted.test",
                      r["last_error"])
        self.assertRegex(r["last_error"], "self.signed")
        self.assertEqual(peer.messages, [])

    def test_opportunistic_tls_does_not_verify(self):
        peer = self.peer(SmtpPeer(OPP_ADDR, self.port, cert=self.untrusted))
        self.submit(["x@tlsopp.test"], "tls-opportunistic")
        self.wait_state("x@tlsopp.test", ["delivered"])
        self.assertEqual(len(peer.with_subject("tls-opportunistic")), 1)
        self.assertEqual(peer.tls_sessions, 1)

    def test_smarthost_with_required_tls_verifies_its_name(self):
        peer = self.peer(SmtpPeer(RELAY_ADDR, self.port, cert=self.relay_cert))
        msg = ("From: rita@relayed.test\r\nTo: x@anywhere.test\r\nSubject: via-relay\r\n"
               "Message-ID: <via-relay@relayed.test>\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=30) as s:
            s.starttls(context=CTX)
            s.login("rita@relayed.test", "rita-password-1")
            s.sendmail("rita@relayed.test", ["x@anywhere.test"], msg.encode())
        self.wait_state("x@anywhere.test", ["delivered"])
        self.assertEqual(len(peer.with_subject("via-relay")), 1)
        self.assertEqual(peer.tls_sessions, 1)

    def test_delay_warning_is_sent_once_even_across_a_restart(self):
        self.peer(SmtpPeer(SLOW_ADDR, self.port, rcpt_reply=b"451 4.3.0 try again later"))
        self.submit(["x@slow.test"], "slow-warned")
        self.submit(["y@slow.test"], "slow-no-delay-notify")
        with smtplib.SMTP("127.0.0.1", self.a.ports["submission"], timeout=30) as s:
            s.starttls(context=CTX)
            s.login("alice@a.test", "alice-password-1")
            s.sendmail("alice@a.test", ["z@slow.test"],
                       b"From: alice@a.test\r\nSubject: slow-notify-failure\r\n\r\nhi\r\n",
                       rcpt_options=["NOTIFY=FAILURE"])
        deadline = time.time() + WAIT
        while time.time() < deadline and not self.warnings_for("slow-warned"):
            time.sleep(0.3)
        w = self.warnings_for("slow-warned")
        self.assertEqual(len(w), 1, self.a.read_log()[-3000:])
        status = self.status_of(w[0])
        self.assertIn("Final-Recipient: rfc822; x@slow.test", status)
        self.assertIn("Status: 4.3.0", status)
        self.assertIn("Will-Retry-Until:", status)
        self.assertEqual(w[0]["Subject"], "Delayed Mail (still being retried)")
        # Still being retried; more attempts, a restart, more attempts: no second warning.
        _, r = self.wait_state("x@slow.test", ["deferred"])
        self.a.stop()
        self.a.start()
        self.wait_state("x@slow.test", ["deferred"], min_attempts=r["attempts"] + 3)
        _, z = self.wait_state("z@slow.test", ["deferred"], min_attempts=3)
        self.assertEqual(len(self.warnings_for("slow-warned")), 1)
        # y asked for nothing: it is warned too (the default); z asked for failures only.
        self.assertEqual(len(self.warnings_for("slow-no-delay-notify")), 1)
        self.assertEqual(self.warnings_for("slow-notify-failure"), [])


if __name__ == "__main__":
    unittest.main()
