"""The spam and virus daemons the antispam tests talk to, started for real (Debian's rspamd and
clamav-daemon, installed by scripts/install-deps), like peers.Dns:

- each runs in the foreground, as the current user (rspamd needs --insecure to run as root),
  from a private temp dir holding the minimal config the test writes, on free loopback ports;
  nothing of the system's configuration, services, databases or sockets is used;
- readiness is an event, never a sleep: clamd answers zPING with PONG, rspamd's workers answer
  GET /ping with 200 pong; a daemon that exits first raises PeerStartError with its stderr;
- stop() ends the daemon's process group (rspamd forks workers) and removes the temp dir.

A missing daemon binary is a skip on a developer machine and a failure under CI=true
(missing_daemon()), the rule of run.py.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import WAIT, free_port, wait_for
from peers import PeerStartError, assert_nothing_listens, tool

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# The EICAR file by its MD5 and size (clamd's .hdb format): no downloaded database needed.
EICAR_HDB = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
# rspamd loads its Lua libraries and language data at start: seconds, more on a busy machine.
RSPAMD_START = 4 * WAIT


def ci():
    return os.environ.get("CI", "").lower() == "true"


def missing_daemon(name, package):
    """For a daemon binary that is not installed: a skip, or under CI a failure."""
    why = f"{name} is not installed (Debian package {package}; scripts/install-deps installs it)"
    if ci():
        raise AssertionError(why)
    raise unittest.SkipTest(why)


class _Daemon:
    """A process in its own process group with its stderr in a file of its temp dir."""

    name = "daemon"

    def _spawn(self, args):
        self.errlog = open(os.path.join(self.dir, "stderr.log"), "w+b")
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self.errlog, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise PeerStartError(f"{self.name} exited {self.proc.returncode} instead of "
                                 f"listening: {self.output()[-4000:]}")

    def output(self):
        self.errlog.flush()
        self.errlog.seek(0)
        return self.errlog.read().decode("utf-8", "replace").strip()

    def _end(self):
        """Ends the process group, keeping the temp dir."""
        if getattr(self, "proc", None) and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if getattr(self, "errlog", None):
            self.errlog.close()

    def stop(self):
        self._end()
        shutil.rmtree(self.dir, ignore_errors=True)


class Clamd(_Daemon):
    """clamd with a database of one signature (EICAR, by hash), on a unix socket (`unix`) and a
    loopback TCP port (`tcp`), refusing streams over `stream_max` bytes."""

    name = "clamd"

    def __init__(self, stream_max=1 << 20):
        binary = tool("clamd")
        if not binary:
            missing_daemon("clamd", "clamav-daemon")
        self.dir = tempfile.mkdtemp(prefix="ph-clamd-")
        self.stream_max = stream_max
        self.socket_path = os.path.join(self.dir, "clamd.sock")
        self.port = free_port()
        try:
            assert_nothing_listens("127.0.0.1", self.port)
            os.mkdir(os.path.join(self.dir, "db"))
            with open(os.path.join(self.dir, "db", "eicar.hdb"), "w") as f:
                f.write(EICAR_HDB)
            conf = os.path.join(self.dir, "clamd.conf")
            with open(conf, "w") as f:
                f.write(f"Foreground yes\n"
                        f"DatabaseDirectory {self.dir}/db\n"
                        f"LocalSocket {self.socket_path}\n"
                        f"LocalSocketMode 600\n"
                        f"TCPSocket {self.port}\n"
                        f"TCPAddr 127.0.0.1\n"
                        f"StreamMaxLength {stream_max}\n"
                        f"TemporaryDirectory {self.dir}\n"
                        f"SelfCheck 0\n")
            self._spawn([binary, "--config-file", conf])
            wait_for(self._pongs, f"clamd to answer PING on {self.socket_path}")
            wait_for(self._pongs_tcp, f"clamd to answer PING on 127.0.0.1:{self.port}")
        except BaseException:
            self.stop()
            raise

    @property
    def unix(self):
        return "unix:" + self.socket_path

    @property
    def tcp(self):
        return f"127.0.0.1:{self.port}"

    def _ping(self, family, address):
        self._check_alive()
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(WAIT)
                s.connect(address)
                s.sendall(b"zPING\0")
                return s.recv(16) == b"PONG\0"
        except OSError:
            return False

    def _pongs(self):
        return self._ping(socket.AF_UNIX, self.socket_path)

    def _pongs_tcp(self):
        return self._ping(socket.AF_INET, ("127.0.0.1", self.port))


class Redis(_Daemon):
    """redis-server on a loopback port, in memory only (no snapshot, no append-only file): the
    store production rspamd keeps its Bayes statistics in (bench/spam.py)."""

    name = "redis"

    def __init__(self):
        binary = tool("redis-server")
        if not binary:
            missing_daemon("redis-server", "redis-server")
        self.dir = tempfile.mkdtemp(prefix="ph-redis-")
        self.port = free_port()
        try:
            assert_nothing_listens("127.0.0.1", self.port)
            self._spawn([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                         "--dir", self.dir, "--save", "", "--appendonly", "no",
                         "--daemonize", "no"])
            wait_for(self._pongs, f"redis to answer PING on 127.0.0.1:{self.port}")
        except BaseException:
            self.stop()
            raise

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _pongs(self):
        self._check_alive()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=WAIT) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16) == b"+PONG\r\n"
        except OSError:
            return False


class Rspamd(_Daemon):
    """rspamd with a normal worker (`url`) and a controller (`controller_url`, password in
    `password_file`) on loopback ports; no Lua rules or modules (GTUBE is in rspamd's core),
    Bayes on the sqlite3 backend with its learn cache in the temp dir (no Redis), DNS pointed
    at a closed port.

    Every rspamd process opens the Bayes databases at start, and the first one to find them
    empty writes the tokenizer settings in an exclusive transaction that the others wait for
    only 100 ms; on a busy machine a worker gives up and keeps no Bayes backend for its life
    (the controller then answers a learn with "cannot find statfile backend"). So rspamd is
    started twice: first with the controller alone, which creates the databases, then with
    both workers, which only read the settings."""

    name = "rspamd"
    PASSWORD = "test-controller-secret"
    # What a subclass may change (bench/spam.py: a DNS server, more workers, modules): the DNS
    # server rspamd asks, the normal worker's process count, and _extra_options/_extra_config.
    nameserver = "127.0.0.1:1"
    workers = 1
    # The Bayes statistics: sqlite3 files in the temp dir, checked after the first start. A
    # subclass with a Redis (the backend production rspamd uses) sets `redis` instead.
    redis = None

    def __init__(self):
        binary = tool("rspamd")
        if not binary:
            missing_daemon("rspamd", "rspamd")
        self.dir = tempfile.mkdtemp(prefix="ph-rspamd-")
        self.port, self.controller_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.controller_url = f"http://127.0.0.1:{self.controller_port}"
        self.password_file = os.path.join(self.dir, "password")
        # rspamd compiles its URL and TLD matchers into Hyperscan databases at start (about
        # 90 MB, 15 s on a busy 2-core machine): a cache, not state, so it is kept per user
        # across runs (2.5 s starts) instead of in the temp dir, and never in /var/lib/rspamd.
        self.hs_cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                     os.path.expanduser("~/.cache"), "posthouse-tests", "rspamd")
        os.makedirs(self.hs_cache, exist_ok=True)
        try:
            for port in (self.port, self.controller_port):
                assert_nothing_listens("127.0.0.1", port)
            with open(self.password_file, "w") as f:
                f.write(self.PASSWORD + "\n")
            os.mkdir(os.path.join(self.dir, "db"))
            self.started = time.monotonic()
            self._run(binary, normal_worker=False)
            for statfile in () if self.redis else ("bayes.ham.sqlite", "bayes.spam.sqlite"):
                if not os.path.exists(os.path.join(self.dir, "db", statfile)):
                    raise PeerStartError(f"rspamd created no {statfile}: {self.output()}")
            self._end()
            self._run(binary, normal_worker=True)
            self.startup_seconds = time.monotonic() - self.started
        except BaseException:
            self.stop()
            raise

    def _run(self, binary, normal_worker):
        conf = os.path.join(self.dir, "rspamd.conf")
        with open(conf, "w") as f:
            f.write(self._config(normal_worker))
        args = [binary, "-f", "-c", conf]
        if os.getuid() == 0:
            args.append("--insecure")  # rspamd refuses root otherwise
        self._spawn(args)
        ports = (self.port, self.controller_port) if normal_worker else (self.controller_port,)
        for port in ports:
            wait_for(lambda: self._pong(port), f"rspamd to answer /ping on port {port}",
                     timeout=RSPAMD_START)

    def _config(self, normal_worker):
        d = self.dir
        normal = f"""
worker "normal" {{
  bind_socket = "127.0.0.1:{self.port}";
  count = {self.workers};
  task_timeout = 8s;
}}{self._extra_config()}""" if normal_worker else ""
        return f"""
options {{
  pidfile = "{d}/rspamd.pid";
  hs_cache_dir = "{self.hs_cache}";
  dns {{ nameserver = ["{self.nameserver}"]; timeout = 1s; retransmits = 1; }}{self._extra_options()}
}}
logging {{ type = "console"; level = "warning"; }}
actions {{ reject = 15; add_header = 6; greylist = 4; }}{normal}
worker "controller" {{
  bind_socket = "127.0.0.1:{self.controller_port}";
  count = 1;
  password = "{self.PASSWORD}";
  enable_password = "{self.PASSWORD}";
  static_dir = "{d}";
}}
{self._classifier()}
"""

    def _classifier(self):
        """The Bayes classifier: on the sqlite3 backend in the temp dir, or on `redis`."""
        if self.redis:
            return f"""classifier "bayes" {{
  backend = "redis";
  servers = "{self.redis.address}";
  tokenizer {{ name = "osb"; }}
  min_learns = 1;
  statfile {{ symbol = "BAYES_HAM"; spam = false; }}
  statfile {{ symbol = "BAYES_SPAM"; spam = true; }}
}}"""
        d = self.dir
        return f"""classifier "bayes" {{
  backend = "sqlite3";
  tokenizer {{ name = "osb"; }}
  min_learns = 1;
  cache {{ type = "sqlite3"; path = "{d}/db/learn_cache.sqlite"; }}
  statfile {{ symbol = "BAYES_HAM"; path = "{d}/db/bayes.ham.sqlite"; spam = false; }}
  statfile {{ symbol = "BAYES_SPAM"; path = "{d}/db/bayes.spam.sqlite"; spam = true; }}
}}"""

    def _extra_options(self):
        """More lines of the `options` section."""
        return ""

    def _extra_config(self):
        """More top-level configuration (workers, modules), for the start with the workers."""
        return ""

    def _pong(self, port):
        self._check_alive()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
                s.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
                return (reply.startswith(b"HTTP/1.1 200") and
                        reply.partition(b"\r\n\r\n")[2].strip() == b"pong")
        except OSError:
            return False
