"""Integration-test harness: starts the real `posthouse` binary on free ephemeral ports with a
temporary data dir, waits until every listener accepts, and tears it down.

Used by every protocol test. Builds nothing: the binary comes from $POSTHOUSE_BIN.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("POSTHOUSE_BIN", "build/asan/posthouse")
LISTENERS = ["smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "http"]
# Listeners the server implements so far; tests name what they need.
DEFAULT_LISTENERS = ["http"]


# When run.py runs modules in parallel, each worker owns a block of ports below the kernel's
# ephemeral range (POSTHOUSE_PORT_BASE .. +PORT_SPAN): a port the kernel hands out with bind(0)
# and that is closed again may be handed to another worker's server before ours binds it, and
# wait_ready would then greet the wrong server.
PORT_SPAN = 1000
_next_port = None


def free_port():
    global _next_port
    base = os.environ.get("POSTHOUSE_PORT_BASE")
    if base:
        base = int(base)
        if _next_port is None:
            _next_port = base
        while _next_port < base + PORT_SPAN:
            port = _next_port
            _next_port += 1
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
        _next_port = base  # wrapped: ports of stopped servers are free again
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, data=None, check=True, input=None, env=None):
    """Runs `posthouse [--data DIR] args...`; returns CompletedProcess (text)."""
    cmd = [BIN]
    if data:
        cmd += ["--data", data]
    cmd += list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=120, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}: {p.stdout}\n{p.stderr}")
    return p


FAST_HASH = "[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 8192\n"
# Hermetic: the queue runner asks a resolver that is not there (temporary failures, no bounces),
# never the machine's DNS. Outbound tests start their own DNS server and replace this.
HERMETIC_OUTBOUND = '[outbound]\nresolver = "127.0.0.1:9"\n'



def merge_toml(text, extra):
    """Merges `extra` (simple `[section]` / `key = value` lines) into config text: keys of a
    section that already exists replace that section's keys; new sections are appended."""
    section = None
    for line in extra.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = re.match(r"^\[([\w.]+)\]$", stripped)
        if m:
            section = m.group(1)
            if f"[{section}]" not in text:
                text = text.rstrip("\n") + f"\n\n[{section}]\n"
            continue
        key = stripped.split("=", 1)[0].strip()
        head = text.index(f"[{section}]")
        body_start = text.index("\n", head) + 1
        nxt = text.find("\n[", body_start)
        body_end = len(text) if nxt < 0 else nxt + 1
        body = re.sub(rf"(?m)^{re.escape(key)}\s*=.*\n?", "", text[body_start:body_end])
        text = text[:body_start] + stripped + "\n" + body + text[body_end:]
    return text


class Server:
    """A running posthouse instance. `ports[name]` gives each listener's port."""

    def __init__(self, extra_config="", listeners=None, hostname="mail.test", init=True):
        self.dir = tempfile.mkdtemp(prefix="posthouse-it-")
        self.data = os.path.join(self.dir, "data")
        self.listeners = listeners or DEFAULT_LISTENERS
        self.ports = {name: free_port() for name in self.listeners}
        self.proc = None
        self.admin_password = None
        self.log_path = os.path.join(self.dir, "server.log")
        if init:
            p = run_cli("init", "--data", self.data, "--hostname", hostname)
            m = re.search(r"password: (\S+)", p.stdout)
            self.admin_password = m.group(1) if m else None
            # Cheaper argon2id for the many logins of the tests; the default cost is unit-tested.
            self.set_listen(FAST_HASH + HERMETIC_OUTBOUND + extra_config)

    @property
    def config_path(self):
        return os.path.join(self.data, "posthouse.toml")

    def set_listen(self, extra_config=""):
        """Rewrites the [listen] section to this instance's ephemeral ports."""
        with open(self.config_path) as f:
            text = f.read()
        lines = [f'{name} = "127.0.0.1:{port}"' for name, port in self.ports.items()]
        for name in LISTENERS:
            if name not in self.ports:
                lines.append(f'{name} = ""')
        text = re.sub(r"\[listen\][^\[]*", "[listen]\n" + "\n".join(lines) + "\n\n", text)
        text = merge_toml(text, extra_config)
        with open(self.config_path, "w") as f:
            f.write(text)

    def start(self, wait=True, args=()):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "serve", "--data", self.data, *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        pending = dict(self.ports)
        while pending and time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"posthouse exited {self.proc.returncode}:\n{self.read_log()}")
            for name, port in list(pending.items()):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        del pending[name]
                except OSError:
                    pass
            time.sleep(0.05)
        if pending:
            raise AssertionError(f"listeners not ready: {pending}\n{self.read_log()}")

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the server; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self.log.close()
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def cli(self, *args, check=True, input=None):
        return run_cli(*args, data=self.data, check=check, input=input)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """One server per test class (started in setUpClass) unless a test makes its own."""
    extra_config = ""
    listeners = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_config=cls.extra_config, listeners=cls.listeners).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
