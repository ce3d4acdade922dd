"""A raw IMAP line client for bad-input tests and IDLE (imaplib has no IDLE before 3.14).
Every read waits at most harness.WAIT: an upper bound, never a timing assertion."""
import socket
import ssl
import time

from harness import WAIT

CTX = ssl._create_unverified_context()


class RawImap:
    def __init__(self, port, tls=True, timeout=None):
        timeout = WAIT if timeout is None else timeout
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = CTX.wrap_socket(s) if tls else s
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self, timeout=None):
        self.sock.settimeout(WAIT if timeout is None else timeout)
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def until_tagged(self, tag, timeout=None):
        """Lines up to and including the one starting with `tag `; returns all of them."""
        out = []
        end = time.monotonic() + (WAIT if timeout is None else timeout)
        while True:
            l = self.line(max(0.1, end - time.monotonic()))
            out.append(l)
            if l.startswith(tag + " "):
                return out

    def cmd(self, tag, text, timeout=None):
        self.send(f"{tag} {text}\r\n")
        return self.until_tagged(tag, timeout)

    def login(self, user, password):
        r = self.cmd("L", f'LOGIN "{user}" "{password}"')
        assert r[-1].startswith("L OK"), r
        return r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
