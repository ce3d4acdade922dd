"""Private, loopback-only instances of the servers the bench compares: Posthouse (through the
integration-test harness), Dovecot and Postfix (from their Debian packages, configured from the
templates in bench/peers/ into a temp dir). Nothing outside the temp dirs is touched.
"""
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402

MAIL_UID = 65534  # nobody: owner of the peers' Maildirs
DOMAIN = "example.test"


def free_port():
    return harness.free_port()


def argon2id_hash(password, ops, mem_kib):
    """An argon2id hash string from libsodium (the library both servers verify with)."""
    lib = ctypes.CDLL(ctypes.util.find_library("sodium"))
    if lib.sodium_init() < 0:
        raise RuntimeError("sodium_init failed")
    out = ctypes.create_string_buffer(128)
    pw = password.encode()
    rc = lib.crypto_pwhash_str(out, pw, ctypes.c_ulonglong(len(pw)), ctypes.c_ulonglong(ops),
                               ctypes.c_size_t(mem_kib * 1024))
    if rc != 0:
        raise RuntimeError("crypto_pwhash_str failed")
    return out.value.decode()


def wait_port(port, timeout=30, proc_alive=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not ready")


def tree_pids(root):
    """root and all its descendants (from /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_kib(pids):
    """(RSS, PSS) summed over pids, KiB."""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


class Posthouse:
    name = "Posthouse"

    def __init__(self, binary, hash_ops, hash_mem_kib, callgrind_out=None, extra_config=""):
        """`extra_config`: more TOML, merged over the bench's (a workload's own settings)."""
        harness.BIN = os.path.abspath(binary)
        self.callgrind_out = callgrind_out
        extra = (f"[directory]\npassword_hash_ops = {hash_ops}\n"
                 f"password_hash_memory_kib = {hash_mem_kib}\n"
                 "[testing]\nallow_weak_password_hash = true\n"
                 "[imap]\nallow_plaintext_auth = true\nmax_idle_connections = 1500\n"
                 "[pop3]\nallow_plaintext_auth = true\n"
                 # Postfix runs as plain smtpd here, without postscreen's pregreet wait.
                 "[smtp]\npregreet_delay_ms = 0\n"
                 "[limits]\nmax_connections = 5000\nmax_connections_per_ip = 5000\n"
                 + extra_config)
        self.srv = harness.Server(listeners=["smtp", "imap", "pop3", "http"], extra_config=extra)
        self.dir = self.srv.dir
        self.users = {}
        self.hash_scheme = f"argon2id t={hash_ops} m={hash_mem_kib} KiB (libsodium)"

    def start(self):
        if self.callgrind_out:
            # Profile the server only (CLI calls run natively): callgrind writes at exit.
            self.srv.log = open(self.srv.log_path, "ab")
            self.srv.proc = subprocess.Popen(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.callgrind_out}",
                 harness.BIN, "serve", "--data", self.srv.data],
                stdout=self.srv.log, stderr=subprocess.STDOUT)
            self.srv.wait_ready(timeout=120)
        else:
            self.srv.start()
        self.srv.cli("customer", "create", "bench")
        self.srv.cli("template", "create", "bench", "--customer", "bench", "--quota", "100G")
        self.srv.cli("domain", "create", DOMAIN, "--customer", "bench",
                     "--password", "postmaster-pass-1")
        return self

    @property
    def pid(self):
        return self.srv.proc.pid

    def pids(self):
        return [self.pid]

    def port(self, proto):
        return self.srv.ports[proto]

    def add_user(self, local, password):
        self.srv.cli("mailbox", "create", f"{local}@{DOMAIN}", "--template", "bench",
                     "--password", password)
        self.users[local] = password

    def stop(self):
        self.srv.cleanup()


class Dovecot:
    name = "Dovecot"

    def __init__(self, hash_ops, hash_mem_kib):
        self.dir = tempfile.mkdtemp(prefix="bench-dovecot-")
        os.chmod(self.dir, 0o755)
        self.ports = {"imap": free_port(), "pop3": free_port()}
        self.hash_ops, self.hash_mem = hash_ops, hash_mem_kib
        self.hash_scheme = f"{{ARGON2ID}} t={hash_ops} m={hash_mem_kib} KiB (libsodium)"
        os.makedirs(f"{self.dir}/mail")
        os.chown(f"{self.dir}/mail", MAIL_UID, MAIL_UID)
        with open(os.path.join(HERE, "peers", "dovecot.conf.in")) as f:
            conf = f.read()
        conf = (conf.replace("@DIR@", self.dir).replace("@IMAP_PORT@", str(self.ports["imap"]))
                .replace("@POP3_PORT@", str(self.ports["pop3"])))
        self.conf = f"{self.dir}/dovecot.conf"
        with open(self.conf, "w") as f:
            f.write(conf)
        open(f"{self.dir}/users", "w").close()
        self.users = {}
        self.master = None

    def add_user(self, local, password):
        h = argon2id_hash(password, self.hash_ops, self.hash_mem)
        addr = f"{local}@{DOMAIN}"
        with open(f"{self.dir}/users", "a") as f:
            f.write(f"{addr}:{{ARGON2ID}}{h}:{MAIL_UID}:{MAIL_UID}::{self.dir}/mail/{addr}::\n")
        self.users[local] = password

    def start(self):
        subprocess.run(["dovecot", "-c", self.conf], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pidfile = f"{self.dir}/run/master.pid"
        deadline = time.time() + 30
        while self.master is None and time.time() < deadline:
            try:
                with open(pidfile) as f:
                    self.master = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.05)
        if self.master is None:
            raise RuntimeError(f"dovecot did not start; see {self.dir}/dovecot.log")
        for port in self.ports.values():
            wait_port(port)
        return self

    def pids(self):
        return tree_pids(self.master)

    def port(self, proto):
        return self.ports[proto]

    def stop(self):
        if self.master is None and os.path.exists(f"{self.dir}/run/master.pid"):
            with open(f"{self.dir}/run/master.pid") as f:
                self.master = int(f.read().strip() or 0) or None
        if self.master:
            try:
                os.kill(self.master, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(100):
                if not os.path.exists(f"/proc/{self.master}"):
                    break
                time.sleep(0.1)
            self.master = None
        shutil.rmtree(self.dir, ignore_errors=True)


class Postfix:
    name = "Postfix"

    def __init__(self, extra_main_cf=""):
        """`extra_main_cf`: more main.cf lines (a workload's own settings, e.g. milters)."""
        self.dir = tempfile.mkdtemp(prefix="bench-postfix-")
        os.chmod(self.dir, 0o755)
        self.ports = {"smtp": free_port()}
        for sub in ("conf", "queue", "data", "mail"):
            os.makedirs(f"{self.dir}/{sub}")
        shutil.chown(f"{self.dir}/data", "postfix")
        os.chown(f"{self.dir}/mail", MAIL_UID, MAIL_UID)
        for name in ("main.cf", "master.cf"):
            with open(os.path.join(HERE, "peers", "postfix", name + ".in")) as f:
                text = f.read()
            text = (text.replace("@DIR@", self.dir)
                    .replace("@SMTP_PORT@", f"127.0.0.1:{self.ports['smtp']}"))
            if name == "main.cf":
                text += extra_main_cf
            with open(f"{self.dir}/conf/{name}", "w") as f:
                f.write(text)
        self.users = []
        self.running = False

    def add_user(self, local):
        with open(f"{self.dir}/conf/vmailbox", "a") as f:
            f.write(f"{local}@{DOMAIN} {local}/Maildir/\n")
        self.users.append(local)

    def delivered(self, local):
        d = f"{self.dir}/mail/{local}/Maildir/new"
        try:
            return len(os.listdir(d))
        except FileNotFoundError:
            return 0

    def start(self):
        if not os.path.exists(f"{self.dir}/conf/vmailbox"):
            open(f"{self.dir}/conf/vmailbox", "w").close()
        # The master daemon inherits stdout/stderr: give it a file, not a pipe.
        with open(f"{self.dir}/start.out", "w") as out:
            p = subprocess.run(["postfix", "-c", f"{self.dir}/conf", "start"], stdout=out,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            log = ""
            if os.path.exists(f"{self.dir}/postfix.log"):
                log = open(f"{self.dir}/postfix.log").read()[-2000:]
            raise RuntimeError(f"postfix start failed: {open(f'{self.dir}/start.out').read()}{log}")
        self.running = True
        wait_port(self.ports["smtp"])
        return self

    def port(self, proto):
        return self.ports[proto]

    def pids(self):
        """The master daemon: every Postfix process of this instance is its child."""
        with open(f"{self.dir}/queue/pid/master.pid") as f:
            return [int(f.read().split()[0])]

    def stop(self):
        if self.running:
            subprocess.run(["postfix", "-c", f"{self.dir}/conf", "stop"], capture_output=True)
            pidfile = f"{self.dir}/queue/pid/master.pid"
            for _ in range(100):
                if not os.path.exists(pidfile):
                    break
                time.sleep(0.1)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)


def versions(posthouse_bin):
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"
    return {
        "Posthouse": out([posthouse_bin, "--version"]),
        "Dovecot": out(["dovecot", "--version"]),
        "Postfix": out(["postconf", "-dh", "mail_version"]),
        "wrk": out(["dpkg-query", "-W", "-f", "${Version}", "wrk"]),
        "rspamd": out(["dpkg-query", "-W", "-f", "${Version}", "rspamd"]),
        "clamd": out(["dpkg-query", "-W", "-f", "${Version}", "clamav-daemon"]),
    }


def build_type(posthouse_bin):
    """CMAKE_BUILD_TYPE (and sanitizers) of the build tree holding the binary."""
    cache = os.path.join(os.path.dirname(os.path.abspath(posthouse_bin)), "CMakeCache.txt")
    kind, san = "unknown", ""
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    kind = line.split("=", 1)[1].strip()
                elif line.startswith("POSTHOUSE_SANITIZE:") and line.split("=", 1)[1].strip() in (
                        "ON", "1", "TRUE"):
                    san = " with ASan/UBSan"
    except OSError:
        pass
    return kind + san


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    fs = subprocess.run(["df", "-T", tempfile.gettempdir()], capture_output=True,
                        text=True).stdout.splitlines()[-1].split()[1]
    return (f"{os.cpu_count()} CPUs ({model}), {mem} MiB RAM, kernel {os.uname().release}, "
            f"temp dir on {fs}")
