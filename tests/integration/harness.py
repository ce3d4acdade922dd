"""Integration-test harness: starts the real `posthouse` binary on free ephemeral ports with a
temporary data dir, waits until every listener accepts, and tears it down.

Used by every protocol test and by tests/reliability. Builds nothing: the binary comes from
$POSTHOUSE_BIN. See README.md for the rules it enforces (the test clock, WAIT and SLOWDOWN,
exit codes and sanitizer reports, skips).
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

# The one deadline of every polling wait (a listener to accept, a queue entry to change state, a
# log line to appear): an upper bound after which the wait fails, never a timing assertion, so
# it is generous and never tuned down. A slow machine (or valgrind, or a loaded CI runner) sets
# POSTHOUSE_TEST_SLOWDOWN to scale it.
SLOWDOWN = float(os.environ.get("POSTHOUSE_TEST_SLOWDOWN", "1"))
WAIT = 30 * SLOWDOWN

# A server log line with one of these fails the test that ran the server.
SANITIZER_REPORT = re.compile(
    r"runtime error:|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer")


def wait_for(predicate, what, timeout=None, interval=0.05):
    """Calls predicate() until it returns something truthy, and returns that; after WAIT (or
    `timeout`) seconds raises AssertionError naming `what` (a string or a callable giving one,
    for the state last seen)."""
    deadline = time.monotonic() + (WAIT if timeout is None else timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {WAIT if timeout is None else timeout:.0f} s "
                                 f"waiting for {what() if callable(what) else what}")
        time.sleep(interval)


LISTENERS = ["smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "http"]
# Listeners the server implements so far; tests name what they need.
DEFAULT_LISTENERS = ["http"]


# When run.py runs modules in parallel, each worker owns a block of ports below the kernel's
# ephemeral range (POSTHOUSE_PORT_BASE .. +PORT_SPAN): a port the kernel hands out with bind(0)
# and that is closed again may be handed to another worker's server before ours binds it, and
# wait_ready would then greet the wrong server.
PORT_SPAN = 1000
_next_port = None


def status_kib(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM, RssAnon, ...)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def uses_asan(pid):
    """Whether the process is an ASan build (libasan mapped): its freed memory is quarantined."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


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


def check_no_sanitizer_report(what, output):
    """AssertionError with the report's lines when a process's output holds one (whatever the
    test expected of its exit code)."""
    lines = [l for l in output.splitlines() if SANITIZER_REPORT.search(l)]
    if lines:
        raise AssertionError(f"{what}: sanitizer report:\n  " + "\n  ".join(lines[:40]) +
                             f"\n{output[-4000:]}")


def run_cli(*args, data=None, check=True, input=None, env=None):
    """Runs `posthouse [--data DIR] args...`; returns CompletedProcess (text)."""
    cmd = [BIN]
    if data:
        cmd += ["--data", data]
    cmd += list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=4 * WAIT,
                       env=env)
    check_no_sanitizer_report(cmd, p.stderr)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}: {p.stdout}\n{p.stderr}")
    return p


# A cheap argon2id for the many logins of the tests (below OWASP's minimum, which serve refuses
# without the [testing] switch); the default cost is unit-tested.
FAST_HASH = ("[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 8192\n"
             "[testing]\nallow_weak_password_hash = true\n")
# Hermetic: the queue runner asks a resolver that is not there (temporary failures, no bounces),
# never the machine's DNS. Outbound tests start their own DNS server and replace this.
HERMETIC_OUTBOUND = '[outbound]\nresolver = "127.0.0.1:9"\n'
# The MX's pregreet test stays on (every smtplib session shows it lets a real client through),
# with a short wait, so that hundreds of MX sessions do not each wait the default 500 ms.
SHORT_PREGREET = "[smtp]\npregreet_delay_ms = 50\n"
# Every server runs on the test clock (docs/config.md [testing] clock_file): tests move time
# forward with Server.advance_clock instead of sleeping.
CLOCK_FILE = "clock"
TEST_CLOCK = f'[testing]\nclock_file = "{CLOCK_FILE}"\n'


ARRAY_TABLE = object()  # merge_toml: the keys that follow go to the end of the text


def merge_toml(text, extra):
    """Merges `extra` (simple `[section]` / `key = value` lines) into config text: keys of a
    section that already exists replace that section's keys; new sections are appended. An
    array table (`[[section]]`) is appended with the keys that follow it."""
    section = None
    for line in extra.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if re.match(r"^\[\[[\w.]+\]\]$", stripped):
            text = text.rstrip("\n") + f"\n\n{stripped}\n"
            section = ARRAY_TABLE
            continue
        if section is ARRAY_TABLE:
            text += stripped + "\n"  # a key of the array table just appended, at the end
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
    """A running posthouse instance. `ports[name]` gives each listener's port.

    Create it with start_server(owner, ...) inside a test (or a setUpClass), so that cleanup()
    runs whatever happens. cleanup() stops the server and fails (AssertionError) when the
    server misbehaved: a SIGTERM stop that did not exit 0, an exit nobody asked for, or a
    sanitizer report in its log. A SIGKILL (kill()) is a deliberate crash and is not checked.
    """

    def __init__(self, extra_config="", listeners=None, hostname="mail.test", init=True,
                 clock=True):
        self.dir = tempfile.mkdtemp(prefix="posthouse-it-")
        self.data = os.path.join(self.dir, "data")
        self.listeners = listeners or DEFAULT_LISTENERS
        self.ports = {name: free_port() for name in self.listeners}
        self.extra_listen = []  # (addr, port) a test added to the config: wait_ready waits too
        self.proc = None
        self.log = None
        self.admin_password = None
        self.log_path = os.path.join(self.dir, "server.log")
        self.clock = clock
        self.clock_offset = 0
        self._clock_writes = 0
        self.problems = []  # exit-code problems found by stop(); cleanup() reports them
        self._signalled = None  # the signal sent to the running process, if any
        self._cleaned = False
        if init:
            p = run_cli("init", "--data", self.data, "--hostname", hostname)
            m = re.search(r"password: (\S+)", p.stdout)
            self.admin_password = m.group(1) if m else None
            # Cheaper argon2id for the many logins of the tests; the default cost is unit-tested.
            self.set_listen(FAST_HASH + HERMETIC_OUTBOUND + SHORT_PREGREET + extra_config)

    @property
    def config_path(self):
        return os.path.join(self.data, "posthouse.toml")

    def set_listen(self, extra_config=""):
        """Rewrites the [listen] section to this instance's ephemeral ports (and turns the test
        clock on, unless the server was made with clock=False)."""
        with open(self.config_path) as f:
            text = f.read()
        lines = [f'{name} = "127.0.0.1:{port}"' for name, port in self.ports.items()]
        for name in LISTENERS:
            if name not in self.ports:
                lines.append(f'{name} = ""')
        text = re.sub(r"\[listen\][^\[]*", "[listen]\n" + "\n".join(lines) + "\n\n", text)
        text = merge_toml(text, (TEST_CLOCK if self.clock else "") + extra_config)
        with open(self.config_path, "w") as f:
            f.write(text)
        if self.clock:
            self._write_clock()

    # -- the test clock ----------------------------------------------------------------------

    def _write_clock(self):
        """Writes the offset atomically (a temporary file renamed over the clock file). The
        server re-reads the file when its size or mtime changes, so each write gets an mtime of
        its own, whole seconds apart (two writes within one timestamp tick, or on a file system
        with coarse timestamps, would otherwise look unchanged)."""
        path = os.path.join(self.data, CLOCK_FILE)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{self.clock_offset}\n")
            f.flush()
            os.fsync(f.fileno())
        self._clock_writes += 1
        stamp = int(time.time()) + self._clock_writes
        os.utime(tmp, (stamp, stamp))
        os.replace(tmp, path)

    def advance_clock(self, seconds):
        """Moves the server's wall clock and monotonic clock `seconds` forward (they add the
        total offset written here); returns the new offset."""
        assert self.clock, "this server runs without the test clock"
        assert seconds >= 0, "the test clock only moves forward"
        self.clock_offset += int(seconds)
        self._write_clock()
        return self.clock_offset

    def now(self):
        """The server's wall clock (Unix seconds): the real one plus the test offset."""
        return int(time.time()) + self.clock_offset

    # -- process ---------------------------------------------------------------------------

    def start(self, wait=True, args=()):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "serve", "--data", self.data, *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        pending = {name: ("127.0.0.1", port) for name, port in self.ports.items()}
        pending.update({f"{addr}:{port}": (addr, port) for addr, port in self.extra_listen})

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"posthouse exited {self.proc.returncode}:\n{self.read_log()}")
            for name, endpoint in list(pending.items()):
                try:
                    with socket.create_connection(endpoint, timeout=WAIT):
                        del pending[name]
                except OSError:
                    pass
            return not pending

        wait_for(ready, lambda: f"listeners {pending}\n{self.read_log()}", timeout=timeout)

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def send_signal(self, sig):
        """Signals the running server without waiting; stop() then waits for the exit (and
        checks it like its own signal)."""
        self.proc.send_signal(sig)
        self._signalled = sig

    def stop(self, sig=signal.SIGTERM, timeout=None):
        """Stops the server (signal `sig` unless send_signal() sent one already); returns its
        exit code. Records a problem for cleanup() when a SIGTERM did not end the process with
        0 in time, or when it had exited before anyone signalled it."""
        if self.proc is None:
            return None
        timeout = WAIT if timeout is None else timeout
        if self._signalled is None:
            if self.proc.poll() is not None:
                self.problems.append(f"posthouse exited {self.proc.returncode} on its own")
            else:
                self.send_signal(sig)
        sig = self._signalled
        try:
            self.proc.wait(timeout=timeout)
            if sig == signal.SIGTERM and self.proc.returncode != 0:
                self.problems.append(f"SIGTERM: posthouse exited {self.proc.returncode}, not 0")
        except subprocess.TimeoutExpired:
            self.problems.append(f"signal {sig}: posthouse still running after {timeout:.0f} s; "
                                 f"killed")
            self.proc.kill()
            self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self._signalled = None
        self.log.close()
        return code

    def kill(self):
        """SIGKILL: a deliberate crash; its exit code is expected and not checked."""
        return self.stop(signal.SIGKILL)

    def cli(self, *args, check=True, input=None):
        return run_cli(*args, data=self.data, check=check, input=input)

    def metric(self, name, listener=None):
        """One listener's value of a /metrics counter or gauge, or a server-wide one's when
        `listener` is None (the http listener must be on)."""
        import urllib.request
        url = f"http://127.0.0.1:{self.ports['http']}/metrics"
        text = urllib.request.urlopen(url, timeout=WAIT).read().decode()
        labels = "" if listener is None else f'{{listener="{listener}"}}'
        m = re.search(rf'^{re.escape(name + labels)} (\d+)$', text, re.M)
        if not m:
            raise AssertionError(f"/metrics has no {name}{labels}")
        return int(m.group(1))

    def sanitizer_reports(self):
        return [l for l in self.read_log().splitlines() if SANITIZER_REPORT.search(l)]

    def check_health(self):
        """Raises AssertionError with the evidence when the server misbehaved so far."""
        problems = list(self.problems)
        reports = self.sanitizer_reports()
        if reports:
            problems.append("sanitizer report in the server log:\n  " + "\n  ".join(reports[:40]))
        if problems:
            tail = "\n".join(self.read_log().splitlines()[-60:])
            raise AssertionError(f"server in {self.dir}: " + "\n".join(problems) +
                                 f"\n-- server log (tail) --\n{tail}")

    def cleanup(self):
        """Stops the server, removes its directory and raises AssertionError when it
        misbehaved (check_health). Runs once; later calls do nothing."""
        if self._cleaned:
            return
        self._cleaned = True
        self.stop()
        try:
            self.check_health()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_server(owner, start=True, **kwargs):
    """A Server whose cleanup is registered on `owner` before it starts: a TestCase instance
    (addCleanup) or a TestCase class in setUpClass (addClassCleanup), so the server is stopped
    and checked even when the test or setUpClass fails half-way."""
    server = Server(**kwargs)
    if isinstance(owner, type):
        owner.addClassCleanup(server.cleanup)
    else:
        owner.addCleanup(server.cleanup)
    return server.start() if start else server


class ServerTestCase(unittest.TestCase):
    """One server per test class (started in setUpClass) unless a test makes its own."""
    extra_config = ""
    listeners = None

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls, extra_config=cls.extra_config, listeners=cls.listeners)
