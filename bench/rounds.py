"""The workloads of `make bench` (bench/run.py): one round of each against one server.

Each function measures and returns figures; none asserts. Used by run.py only.
"""
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapload  # noqa: E402
import peers  # noqa: E402
from imapload import Client  # noqa: E402

PASSWORD = "bench-password-1"


# ---------------------------------------------------------------------------------------------
# 6. disk: fsync + rename


def disk_rate(directory, seconds):
    n = 0
    dfd = os.open(directory, os.O_RDONLY)
    data = b"x" * 4096
    end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        tmp = os.path.join(directory, f"tmp.{n}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(directory, "file"))
        os.fsync(dfd)
        n += 1
    dt = time.perf_counter() - t0
    os.close(dfd)
    os.remove(os.path.join(directory, "file"))
    return n / dt


# ---------------------------------------------------------------------------------------------
# 1. SMTP with smtp-source


def imap_count(port, user):
    async def go():
        c = await Client.connect(port)
        await c.login(f"{user}@{peers.DOMAIN}", PASSWORD)
        _, lines = await c.cmd(b"STATUS INBOX (MESSAGES)")
        await c.close()
        for ln in lines:
            if b"MESSAGES" in ln:
                return int(ln.split(b"MESSAGES")[1].strip(b" ()\r\n"))
        return 0
    return asyncio.run(go())


def smtp_send(side, counter, conc, count, timeout, content):
    """Sends `count` messages to sink@ over `conc` sessions with smtp-source (`content`: its
    arguments for the message and envelope sender) and waits until they are in the mailbox
    (`counter`) or `timeout` passed; returns (messages delivered, seconds)."""
    before = counter()
    t0 = time.perf_counter()
    p = subprocess.run(["smtp-source", "-d", "-s", str(conc), "-m", str(count), *content,
                        "-t", f"sink@{peers.DOMAIN}", f"127.0.0.1:{side.port('smtp')}"],
                       capture_output=True, text=True, timeout=timeout)
    # A message counts once it is in the mailbox; Postfix may still be delivering.
    deadline = time.perf_counter() + timeout
    delivered = counter() - before
    while delivered < count and time.perf_counter() < deadline:
        time.sleep(0.02)
        delivered = counter() - before
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        print(f"    smtp-source against {side.name}: exit {p.returncode} {p.stderr.strip()[:200]}")
    return delivered, dt


def smtp_round(side, counter, size, conc, count, timeout):
    """Delivered messages per second of `count` generated messages of `size` bytes."""
    delivered, dt = smtp_send(side, counter, conc, count, timeout,
                              ["-l", str(size), "-f", "bench@remote.test"])
    return delivered / dt


# ---------------------------------------------------------------------------------------------
# 2. IMAP command mix


def imap_mix(port, users, clients, seconds, size, seed):
    async def go():
        lat = []
        rnd = random.Random(seed)
        deadline = time.perf_counter() + seconds
        t0 = time.perf_counter()
        await asyncio.gather(*(imapload.mix_client(port, f"{users[k % len(users)]}@{peers.DOMAIN}",
                                                   PASSWORD, deadline, size, lat, rnd)
                               for k in range(clients)))
        dt = time.perf_counter() - t0
        return lat, dt
    lat, dt = asyncio.run(go())
    times = sorted(t for _, t in lat)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000 if times else None
    per_op = {}
    for op, t in lat:
        per_op.setdefault(op, []).append(t)
    return len(lat) / dt, p99, {op: statistics.median(v) * 1000 for op, v in per_op.items()}


# ---------------------------------------------------------------------------------------------
# 3. RSS per idle IMAP connection


def idle_round(side, users, n):
    async def go():
        base = peers.memory_kib(side.pids())
        sem = asyncio.Semaphore(32)
        clients = []

        async def one(k):
            async with sem:
                c = await Client.connect(side.port("imap"))
                await c.login(f"{users[k % len(users)]}@{peers.DOMAIN}", PASSWORD)
                await c.cmd(b"SELECT INBOX")
                await c.idle()
                clients.append(c)
        results = await asyncio.gather(*(one(k) for k in range(n)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, Exception)]
        await asyncio.sleep(2)
        after = peers.memory_kib(side.pids())
        nproc = len(side.pids())
        for c in clients:
            try:
                await c.done()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            await c.close()
        ok = len(clients)
        if errors:
            print(f"    {side.name}: {len(errors)} of {n} IDLE clients failed: {errors[0]!r}")
        return ((after[0] - base[0]) / max(ok, 1), (after[1] - base[1]) / max(ok, 1), ok, nproc)
    r = asyncio.run(go())
    time.sleep(1)
    return r


def fresh_idle_server(side, users, preload):
    """Starts a new instance (Posthouse or Dovecot) with `users`, each INBOX holding `preload`
    4 KiB messages, so each IDLE round measures a process that never held the sessions before
    (memory freed by an earlier round would otherwise stay in Posthouse's allocator and be
    reused, hiding its growth)."""
    if isinstance(side, peers.Posthouse):
        side.start()
    for u in users:
        side.add_user(u, PASSWORD)
    if isinstance(side, peers.Dovecot):
        side.start()

    async def load():
        await asyncio.gather(*(imapload.load_mailbox(side.port("imap"), f"{u}@{peers.DOMAIN}",
                                                     PASSWORD, preload, 4096, concurrency=2)
                               for u in users))
    asyncio.run(load())


# ---------------------------------------------------------------------------------------------
# 4. POP3 RETR


def pop3_round(port, user, count):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rb")

    def reply():
        line = f.readline()
        if not line.startswith(b"+OK"):
            raise RuntimeError(f"POP3: {line!r}")
        return line
    reply()
    s.sendall(f"USER {user}@{peers.DOMAIN}\r\n".encode())
    reply()
    s.sendall(f"PASS {PASSWORD}\r\n".encode())
    reply()
    t0 = time.perf_counter()
    got = 0
    for i in range(1, count + 1):
        s.sendall(b"RETR %d\r\n" % i)
        reply()
        while f.readline() != b".\r\n":
            pass
        got += 1
    dt = time.perf_counter() - t0
    s.sendall(b"QUIT\r\n")
    f.readline()
    s.close()
    return got / dt


# ---------------------------------------------------------------------------------------------
# 8. SEARCH BODY in a large mailbox


def search_round(port, user, k):
    """Times one UID SEARCH BODY for the words only message k has (imapload.message's body
    lines: "line of message <k> xxx"); returns (milliseconds, hits)."""
    async def go():
        c = await imapload.Client.connect(port)
        await c.login(f"{user}@{peers.DOMAIN}", PASSWORD)
        await c.cmd(b"SELECT INBOX")
        t0 = time.perf_counter()
        _, lines = await c.cmd(b'UID SEARCH BODY "of message %d x"' % k)
        dt = time.perf_counter() - t0
        hits = sum(len(l.split()) - 2 for l in lines if l.startswith(b"* SEARCH"))
        await c.close()
        return dt * 1000, hits
    return asyncio.run(go())


# ---------------------------------------------------------------------------------------------
# 9. CPU of one connection that floods the server with commands


def cpu_seconds(pids, reaped=False):
    """User + system CPU seconds of the processes, from /proc/<pid>/stat; with `reaped`, also
    what their exited children used (cutime + cstime, counted once the parent reaped them)."""
    tick = os.sysconf("SC_CLK_TCK")
    last = 15 if reaped else 13
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:last])
        except OSError:
            pass
    return total / tick


def tree_cpu_seconds(roots):
    """CPU seconds of the processes `roots` and all their descendants alive now, with what
    their exited children used: a daemon that forks workers or per-message processes
    (rspamd, Postfix) in full."""
    return cpu_seconds({p for r in roots for p in peers.tree_pids(r)}, reaped=True)


def flood_round(side, user, seconds):
    """One client logs in and pipelines NOOPs as fast as the server takes them for `seconds`
    (reading every answer); returns (server CPU in % of one core, NOOPs answered per second).
    The server's command budget, if it has one, is what bounds both."""
    s = socket.create_connection(("127.0.0.1", side.port("imap")), timeout=30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b'l LOGIN "%s@%s" "%s"\r\n' % (user.encode(), peers.DOMAIN.encode(),
                                            PASSWORD.encode()))
    while not f.readline().startswith(b"l "):
        pass
    chunk = b"".join(b"n%d NOOP\r\n" % i for i in range(64))
    answered = 0
    stop = time.monotonic() + seconds

    done = threading.Event()

    def writer():
        try:
            while not done.is_set():
                s.sendall(chunk)
        except OSError:
            pass
    cpu0 = cpu_seconds(side.pids())
    t0 = time.monotonic()
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    while time.monotonic() < stop:
        line = f.readline()
        if not line:
            break
        if line.startswith(b"n") and b" OK " in line:
            answered += 1
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(side.pids()) - cpu0
    done.set()
    s.close()
    w.join(timeout=10)
    time.sleep(0.5)
    return cpu / elapsed * 100, answered / elapsed


# ---------------------------------------------------------------------------------------------
# 5. admin API with wrk


def api_token(ph):
    import http.client
    import json
    conn = http.client.HTTPConnection("127.0.0.1", ph.port("http"), timeout=30)
    conn.request("POST", "/api/v1/session",
                 json.dumps({"address": "admin", "password": ph.srv.admin_password}),
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    body = json.loads(r.read())
    cookie = r.getheader("Set-Cookie").split(";")[0]
    conn.request("POST", "/api/v1/tokens", json.dumps({"name": "bench"}),
                 {"Content-Type": "application/json", "Cookie": cookie,
                  "X-CSRF-Token": body["csrf_token"]})
    r = conn.getresponse()
    tok = json.loads(r.read())
    if r.status != 201:
        raise RuntimeError(f"token: {r.status} {tok}")
    return tok["secret"]


def wrk_round(port, token, seconds, conns):
    p = subprocess.run(["wrk", "-t", "2", "-c", str(conns), "-d", f"{seconds}s",
                        "-H", f"Authorization: Bearer {token}",
                        f"http://127.0.0.1:{port}/api/v1/mailboxes?domain={peers.DOMAIN}"],
                       capture_output=True, text=True, timeout=seconds + 60)
    rps = None
    non2xx = 0
    for line in p.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        if "Non-2xx" in line:
            non2xx = int(line.split()[-1])
    if non2xx:
        print(f"    wrk: {non2xx} non-2xx answers")
    return rps


# ---------------------------------------------------------------------------------------------
# 7. login timing: unknown account vs wrong password (issue 5)


class SourceIps:
    """A fresh loopback source address per attempt, so the per-IP throttle never engages."""

    def __init__(self):
        self.n = 0

    def next(self):
        self.n += 1
        return f"127.{10 + self.n // 62500}.{(self.n // 250) % 250}.{self.n % 250 + 1}"


def api_login_time(port, address, password, ip):
    import http.client
    import json

    class Conn(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.create_connection((self.host, self.port), 30, (ip, 0))
    conn = Conn("127.0.0.1", port, timeout=30)
    conn.connect()
    body = json.dumps({"address": address, "password": password})
    t0 = time.perf_counter()
    conn.request("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    dt = time.perf_counter() - t0
    conn.close()
    return dt, r.status


def imap_login_time(port, address, password, ip):
    async def go():
        c = await Client.connect(port, local_addr=(ip, 0))
        t0 = time.perf_counter()
        status = await c.try_login(address, password)
        dt = time.perf_counter() - t0
        await c.close()
        return dt, status.split()[1].decode()
    return asyncio.run(go())


def login_timing(ph, samples, ips):
    """Alternates unknown-account and wrong-password attempts from fresh source IPs; a correct
    login after each wrong one clears the account's failure count. Returns per-protocol medians."""
    target = f"timing@{peers.DOMAIN}"
    out = {}
    for proto, fn, port in (("API", api_login_time, ph.port("http")),
                            ("IMAP", imap_login_time, ph.port("imap"))):
        unknown, wrong, statuses = [], [], set()
        for i in range(samples):
            dt, st = fn(port, f"nobody{i}-{random.randrange(10**9)}@{peers.DOMAIN}",
                        "wrong-password-1", ips.next())
            unknown.append(dt)
            statuses.add(("unknown", st))
            dt, st = fn(port, target, "wrong-password-1", ips.next())
            wrong.append(dt)
            statuses.add(("wrong", st))
            fn(port, target, PASSWORD, ips.next())
        out[proto] = (unknown, wrong, statuses)
    return out
