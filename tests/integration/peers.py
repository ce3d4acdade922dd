"""Network peers the outbound tests start: dnsmasq (DNS), Postfix's smtp-sink, and small Python
SMTP peers (hostile scripts, a recording SMTP server with STARTTLS).

One rule for all of them (issue 28): a peer is confirmed listening before the test goes on, and
a peer that cannot listen is a test error that says why (address in use, permission), never a
later timeout of whatever was meant to reach it.
- Python peers bind with listen_socket(): SO_REUSEADDR (an address a previous peer of the test
  just released, its connections still in TIME_WAIT, binds again at once); once listen()
  returned, the kernel accepts connections, so there is nothing to wait for.
- Process peers (smtp-sink, dnsmasq) first check that nothing answers on their address (a
  stale listener would otherwise take the connections meant for them), then wait until they
  answer as themselves (smtp-sink's banner names it, dnsmasq answers a query), failing with
  the process's own error output if it exits.
- PyPeer.stop() really stops: the listening socket is shut down (which wakes the thread
  blocked in accept(); close() alone leaves the socket listening until accept returns) and
  the accept thread joined, and every connection it accepted is closed.
"""
import errno
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading

from harness import WAIT, free_port, wait_for


class PeerStartError(Exception):
    """A peer could not start listening: a test error, with the reason."""


def tool(name):
    for d in ("/usr/sbin", "/usr/bin", "/sbin"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return shutil.which(name)


def listen_socket(addr, port, backlog=64):
    """A TCP socket listening on addr:port (SO_REUSEADDR), or PeerStartError naming why not."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, port))
        s.listen(backlog)
    except OSError as e:
        s.close()
        raise PeerStartError(f"cannot listen on {addr}:{port}: {e.strerror} "
                             f"({errno.errorcode.get(e.errno, e.errno)})") from e
    return s


def assert_nothing_listens(addr, port):
    """PeerStartError when something already accepts on addr:port (a peer not stopped)."""
    try:
        with socket.create_connection((addr, port), timeout=WAIT):
            pass
    except ConnectionRefusedError:
        return
    except OSError as e:
        raise PeerStartError(f"cannot probe {addr}:{port}: {e}") from e
    raise PeerStartError(f"something still listens on {addr}:{port}: a peer was not stopped")


def _exited(proc, what):
    err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
    return PeerStartError(f"{what} exited {proc.returncode} instead of listening: {err}")


class Dns:
    """dnsmasq on a loopback port, authoritative for *.test, answering only what it is told.
    A UDP port taken by someone else is retried with a fresh one (free_port checks TCP)."""

    QUERY = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04ping\x04test\x00"
             b"\x00\x01\x00\x01")  # an unknown name: any answer means dnsmasq is up

    def __init__(self, records, tcp_clients=False):
        """`tcp_clients`: for clients that hold TCP connections open (rspamd does, one per
        nameserver): with --no-daemon dnsmasq serves a TCP connection inline and answers
        nothing else until it closes; --keep-in-foreground forks a child per connection."""
        mode = "--keep-in-foreground" if tcp_clients else "--no-daemon"
        for attempt in range(3):
            self.port = free_port()
            args = [tool("dnsmasq"), mode, "--conf-file=/dev/null", "--pid-file=",
                    f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--local=/test/", "--user=root",
                    "--group=root", "--log-facility=-"] + records
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                wait_for(self._answers, f"dnsmasq to answer on 127.0.0.1:{self.port}")
                return
            except PeerStartError as e:
                if "in use" not in str(e) or attempt == 2:
                    raise
            except AssertionError:
                self.stop()
                raise

    def _answers(self):
        if self.proc.poll() is not None:
            raise _exited(self.proc, "dnsmasq")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(self.QUERY, ("127.0.0.1", self.port))
                s.recvfrom(512)
                return True
            except OSError:
                return False

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Sink:
    """Postfix's smtp-sink on addr:port, one file per received message in `self.dir`."""

    BANNER = b"220 sink.test"

    def __init__(self, addr, port, *flags):
        assert_nothing_listens(addr, port)
        self.dir = tempfile.mkdtemp(prefix="ph-sink-")
        os.chmod(self.dir, 0o777)
        self.addr, self.port = addr, port
        self.proc = subprocess.Popen(
            [tool("smtp-sink"), "-u", "nobody", "-h", "sink.test", "-d",
             os.path.join(self.dir, "m."), *flags, f"{addr}:{port}", "64"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(self._greets, f"smtp-sink to greet on {addr}:{port}")
        except BaseException:
            self.stop()
            raise

    def _greets(self):
        if self.proc.poll() is not None:
            raise _exited(self.proc, f"smtp-sink on {self.addr}:{self.port}")
        try:
            with socket.create_connection((self.addr, self.port), timeout=WAIT) as s:
                s.sendall(b"QUIT\r\n")
                return s.recv(len(self.BANNER)).startswith(self.BANNER)
        except OSError:
            return False

    def messages(self):
        out = []
        for p in glob.glob(os.path.join(self.dir, "m.*")):
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class PyPeer:
    """A tiny SMTP peer: `script(conn)` runs per connection in a thread. Listening when the
    constructor returns."""

    def __init__(self, addr, port, script):
        self.sock = listen_socket(addr, port)
        self.addr, self.port = addr, port
        self.script = script
        self.connections = 0
        self.stopped = False
        self.live = set()
        self.live_lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.stopped:
                conn.close()
                return
            self.connections += 1
            with self.live_lock:
                self.live.add(conn)
            threading.Thread(target=self.run_one, args=(conn,), daemon=True).start()

    def run_one(self, conn):
        try:
            self.script(conn)
        except OSError:
            pass
        finally:
            with self.live_lock:
                self.live.discard(conn)
            conn.close()

    def stop(self):
        """Stops listening (confirmed: the accept thread has ended) and drops every open
        connection."""
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        except OSError:
            pass
        self.sock.close()
        self.thread.join(WAIT)
        if self.thread.is_alive():
            raise PeerStartError(f"the peer on {self.addr}:{self.port} did not stop listening")
        with self.live_lock:
            for conn in list(self.live):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def read_line(conn):
    buf = b""
    while not buf.endswith(b"\n"):
        c = conn.recv(1)
        if not c:
            raise OSError("closed")
        buf += c
    return buf


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
    """A small SMTP server: STARTTLS with the given certificate, PIPELINING, DSN when `dsn`,
    records every message it accepted (with its session number), the MAIL and RCPT lines of
    each (`envelopes`: (MAIL line, [RCPT lines]) as received, without CRLF) and the RSETs it
    saw."""

    def __init__(self, addr, port, cert=None, rcpt_reply=None, drop_transaction=None, dsn=False):
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
        self.envelopes = []  # (MAIL line, [RCPT lines]) of each accepted message
        self.dsn = dsn
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
                ext = [b"PIPELINING", b"8BITMIME", b"SIZE 10000000"] + ([b"DSN"] if self.dsn else [])
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
                envelope = (line.rstrip(b"\r\n").decode(), [])
                send(b"250 2.0.0 ok\r\n")
            elif cmd == b"RCPT" and self.rcpt_reply:
                send(self.rcpt_reply + b"\r\n")
            elif cmd == b"RCPT":
                rcpts += 1
                envelope[1].append(line.rstrip(b"\r\n").decode())
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
                    self.envelopes.append(envelope)
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
