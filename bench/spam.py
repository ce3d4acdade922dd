"""Workload 10 of `make bench` (bench/run.py --only spam): inbound SMTP with the sender checks
and content scanning on, Posthouse against Postfix with rspamd as its milter.

One set of daemons serves both sides, started once in temp dirs on free loopback ports with the
tests' own code (tests/integration: peers.Dns for dnsmasq, daemons.Clamd, daemons.Rspamd):

- dnsmasq, authoritative for sender.test: the SPF records (MAIL FROM domain and HELO name), the
  DKIM key, the DMARC record (p=reject), and mail.sender.test <-> 127.0.0.1 (A and PTR);
- clamd with the tests' one-signature database (EICAR), on a unix socket;
- redis-server (in memory), where rspamd keeps its Bayes statistics as production setups do
  (rspamd's sqlite3 backend is deprecated and cost 5 ms of rspamd's CPU per message here);
- rspamd with a normal worker (Posthouse's `[antispam] rspamd`) and a proxy worker in milter
  mode scanning itself (Postfix's `smtpd_milters`), as many processes each; the modules spf,
  dkim, dmarc, antivirus (clamav, that socket, the whole message) and milter_headers
  (Authentication-Results, X-Spam-Status); Bayes and GTUBE as in the tests. For requests that
  reach the normal worker (those carry `Host: 127.0.0.1:<its port>`; the milter's carry none) a
  settings rule switches off what Posthouse does itself: SPF, DKIM, DMARC, the virus scan and
  the headers. So each side runs each check once per message.

The sides:
- Posthouse "full": `[antispam] checks = true` (native SPF, DKIM, DMARC), `rspamd` = the normal
  worker, `clamd` = the socket, `fail_open = false`;
- Postfix: the bench's Postfix (bench/peers/postfix) with `smtpd_milters` = the proxy worker,
  `milter_default_action = tempfail` (Postfix's default; fail closed like the Posthouse side);
- Posthouse "checks only" (`checks = true`, no daemons) and "no checks" (`checks = false`): the
  cost of the native checks, in CPU seconds of the Posthouse process per message.

Every message is the same file, DKIM-signed once (dkimpy, rsa-sha256, relaxed/relaxed), sent by
smtp-source -F with MAIL FROM bench@sender.test and HELO mail.sender.test. Before measuring,
check() shows on each side that the checks ran and passed and that a virus is refused.
"""
import base64
import email
import http.client
import imaplib
import importlib
import json
import os
import re
import shutil
import smtplib
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peers  # noqa: E402  (bench/peers.py)
import rounds  # noqa: E402

SENDER_DOMAIN = "sender.test"
SENDER = f"bench@{SENDER_DOMAIN}"
HELO = f"mail.{SENDER_DOMAIN}"
SELECTOR = "bench"
MESSAGE_BYTES = 4096
# Posthouse checks at start that clamd takes a message of its size limit by streaming that many
# bytes to it: a 10 MiB limit (not the default 50) keeps that short on a loaded machine. Neither
# matters to the 4 KiB messages of the workload.
MAX_MESSAGE_BYTES = 10 << 20
CLAMD_STREAM_MAX = 16 << 20


def _tests_modules():
    """tests/integration's peers (as `tpeers`), daemons and dkimpy_peer. The tests' module is
    named `peers` like bench/peers.py, and daemons.py imports it by that name: it is imported
    with the tests' module in place, then the bench's is put back."""
    tests = os.path.join(HERE, "..", "tests", "integration")
    bench_peers = sys.modules.pop("peers")
    saved = list(sys.path)
    sys.path.insert(0, tests)
    try:
        tpeers = importlib.import_module("peers")
        daemons = importlib.import_module("daemons")
        dkimpy_peer = importlib.import_module("dkimpy_peer")
    finally:
        sys.path[:] = saved
        sys.modules["peers"] = bench_peers
    return tpeers, daemons, dkimpy_peer


tpeers, daemons, dkimpy_peer = _tests_modules()


class Rspamd(daemons.Rspamd):
    """The tests' rspamd (daemons.Rspamd: temp dir, free ports, the Bayes start order) with a
    DNS server, `workers` processes of the normal worker and of a milter proxy (`proxy_port`),
    and the modules and settings described at the top of this file."""

    # What Posthouse does itself (SPF_CHECK, DKIM_CHECK, DMARC_CHECK are the modules' checks,
    # CLAM_VIRUS the antivirus rule's) and the milter headers it writes itself.
    POSTHOUSE_DOES = ["SPF_CHECK", "DKIM_CHECK", "DMARC_CHECK", "CLAM_VIRUS", "MILTER_HEADERS"]

    def __init__(self, dns_port, clamd_socket, workers, redis):
        self.redis = redis
        self.nameserver = f"127.0.0.1:{dns_port}"
        self.workers = workers
        self.clamd_socket = clamd_socket
        self.proxy_port = peers.free_port()
        super().__init__()
        try:
            peers.wait_port(self.proxy_port)
        except BaseException:
            self.stop()
            raise

    def _extra_options(self):
        # dkim is a C module: enabled by `filters`. Loopback clients are checked like others
        # (rspamd skips "local" clients by default; both sides' client is 127.0.0.1).
        return '\n  filters = "dkim";\n  check_local = true;'

    def _extra_config(self):
        host = re.escape(f"127.0.0.1:{self.port}")
        disabled = ", ".join(f'"{s}"' for s in self.POSTHOUSE_DOES)
        return f"""
worker "rspamd_proxy" {{
  bind_socket = "127.0.0.1:{self.proxy_port}";
  milter = yes;
  timeout = 120s;
  count = {self.workers};
  upstream "local" {{ default = yes; self_scan = yes; }}
}}
modules {{ path = "${{PLUGINSDIR}}"; }}
spf {{ check_local = true; }}
dkim {{ check_local = true; }}
dmarc {{ check_local = true; }}
antivirus {{
  clamav {{
    type = "clamav";
    servers = "{self.clamd_socket}";
    scan_mime_parts = false;
    action = "reject";
    symbol = "CLAM_VIRUS";
  }}
}}
milter_headers {{
  skip_local = false;
  use = ["authentication-results", "x-spam-status"];
}}
settings {{
  posthouse_mx {{
    priority = high;
    request_header = {{ "Host" = '^{host}$'; }}
    apply {{ symbols_disabled = [{disabled}]; }}
  }}
}}
"""

    def check(self, message, host=None):
        """rspamd's /checkv2 reply to `message` on the normal worker, sent as Posthouse sends it
        (Host: the worker's address) or with another Host (as if through the milter)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"IP": "127.0.0.1", "Helo": HELO, "From": SENDER,
                   "Rcpt": f"sink@{peers.DOMAIN}"}
        if host:
            headers["Host"] = host
        c.request("POST", "/checkv2", message, headers)
        return json.loads(c.getresponse().read())


def signed_message(key_pem, size):
    """A message of about `size` bytes from bench@sender.test, DKIM-signed for sender.test."""
    head = (f"From: Bench <{SENDER}>\r\nTo: <sink@{peers.DOMAIN}>\r\n"
            "Subject: spam workload of make bench\r\nDate: Mon, 3 Jun 2024 10:00:00 +0000\r\n"
            f"Message-ID: <bench.1@{SENDER_DOMAIN}>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    words = ("the quarterly figures attached below show a steady rise in orders from the "
             "northern region while costs held flat through the spring").split()
    lines, n = [], 0
    while len(head) + sum(len(x) + 2 for x in lines) < size - 600:  # the signature: ~600 bytes
        lines.append(" ".join(words[(n + k) % len(words)] for k in range(11)))
        n += 3
    msg = (head + "\r\n".join(lines) + "\r\n").encode()
    sig = dkimpy_peer.dkim.sign(msg, SELECTOR.encode(), SENDER_DOMAIN.encode(), key_pem,
                                canonicalize=(b"relaxed", b"relaxed"),
                                include_headers=[b"From", b"To", b"Subject", b"Date",
                                                 b"Message-ID"])
    return sig + msg


class Spam:
    """The daemons, the signed message and the four sides, started; stop() ends all of them."""

    def __init__(self, binary, hash_ops, hash_mem, workers, password):
        self.dir = tempfile.mkdtemp(prefix="bench-spam-")
        self.password = password
        self.started = []
        try:
            self._start(binary, hash_ops, hash_mem, workers)
        except BaseException:
            self.stop()
            raise

    def _start(self, binary, hash_ops, hash_mem, workers):
        key_pem, key_record = dkimpy_peer.rsa_key()
        spf = "v=spf1 ip4:127.0.0.1 -all"
        self.dns = tpeers.Dns([
            f"--txt-record={SENDER_DOMAIN},{spf}",
            f"--txt-record={HELO},{spf}",
            dkimpy_peer.txt(f"{SELECTOR}._domainkey.{SENDER_DOMAIN}", key_record),
            f"--txt-record=_dmarc.{SENDER_DOMAIN},v=DMARC1; p=reject",
            f"--host-record={HELO},127.0.0.1",
            # Records with a TTL, as real zones have (dnsmasq's own default is 0, which no
            # resolver cache keeps): both sides may cache them, Posthouse and rspamd alike.
            "--local-ttl=300",
        ], tcp_clients=True)
        self.started.append(self.dns)
        self.clamd = daemons.Clamd(stream_max=CLAMD_STREAM_MAX)
        self.started.append(self.clamd)
        self.redis = daemons.Redis()
        self.started.append(self.redis)
        self.rspamd = Rspamd(self.dns.port, self.clamd.socket_path, workers, self.redis)
        self.started.append(self.rspamd)

        self.message = signed_message(key_pem, MESSAGE_BYTES)
        # smtp-source -F sends the file's lines with CRLF appended.
        self.message_file = os.path.join(self.dir, "signed.eml")
        with open(self.message_file, "wb") as f:
            f.write(self.message.replace(b"\r\n", b"\n"))

        common = (f'[outbound]\nresolver = "127.0.0.1:{self.dns.port}"\n'
                  "[antispam]\ndns_timeout_ms = 5000\n")
        daemons_cfg = (f'rspamd = "{self.rspamd.url}"\nclamd = "{self.clamd.unix}"\n'
                       f"fail_open = false\n[smtp]\nmax_message_bytes = {MAX_MESSAGE_BYTES}\n")
        self.sides = {}
        for name, cfg in (("Posthouse", "checks = true\n" + daemons_cfg),
                          ("Posthouse checks only", "checks = true\n"),
                          ("Posthouse no checks", "checks = false\n")):
            ph = peers.Posthouse(binary, hash_ops, hash_mem, extra_config=common + cfg)
            ph.name = name
            self.started.append(ph)
            ph.start()
            ph.add_user("sink", self.password)
            self.sides[name] = ph
        pfx = peers.Postfix(extra_main_cf=(
            f"smtpd_milters = inet:127.0.0.1:{self.rspamd.proxy_port}\n"
            "milter_protocol = 6\n"
            "milter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}\n"
            "milter_default_action = tempfail\n"))
        self.started.append(pfx)
        pfx.add_user("sink")
        pfx.start()
        self.sides["Postfix"] = pfx

    def counter(self, name):
        side = self.sides[name]
        if isinstance(side, peers.Postfix):
            return lambda: side.delivered("sink")
        return lambda: rounds.imap_count(side.port("imap"), "sink")

    def send(self, name, conc, count, timeout=300):
        """(delivered, seconds, CPU seconds of the Posthouse process or None, CPU seconds of
        the side with its daemons) of `count` copies of the signed message over `conc`
        sessions. The side's CPU counts every process that works on the messages: the server
        (Postfix: its master and all it forks), rspamd, clamd, Redis and the DNS server; the
        daemons serve one side at a time, as the sides are measured in turn."""
        side = self.sides[name]
        pids = [side.pid] if isinstance(side, peers.Posthouse) else None
        daemons_ = [self.rspamd.proc.pid, self.clamd.proc.pid, self.redis.proc.pid,
                    self.dns.proc.pid]
        tree = side.pids() + daemons_
        cpu0 = rounds.cpu_seconds(pids) if pids else None
        all0 = rounds.tree_cpu_seconds(tree)
        delivered, dt = rounds.smtp_send(side, self.counter(name), conc, count, timeout,
                                         ["-F", self.message_file, "-f", SENDER, "-M", HELO])
        cpu = rounds.cpu_seconds(pids) - cpu0 if pids else None
        return delivered, dt, cpu, rounds.tree_cpu_seconds(tree) - all0

    # -- what shows that each side does what it should -----------------------------------------

    def _last_header(self, name):
        """The header of the newest message in sink's INBOX on one side."""
        side = self.sides[name]
        if isinstance(side, peers.Postfix):
            d = f"{side.dir}/mail/sink/Maildir/new"
            newest = max(os.listdir(d), key=lambda f: os.stat(os.path.join(d, f)).st_mtime)
            with open(os.path.join(d, newest), "rb") as f:
                raw = f.read()
        else:
            m = imaplib.IMAP4("127.0.0.1", side.port("imap"), timeout=30)
            m.login(f"sink@{peers.DOMAIN}", self.password)
            _, data = m.select("INBOX", readonly=True)
            _, parts = m.fetch(data[0], "(BODY.PEEK[HEADER])")
            m.logout()
            raw = parts[0][1]
        return email.message_from_bytes(raw)

    def _virus_reply(self, name):
        """The SMTP reply to a message with the EICAR file attached."""
        side = self.sides[name]
        body = (f"From: <{SENDER}>\r\nTo: <sink@{peers.DOMAIN}>\r\nSubject: virus\r\n"
                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                "--b\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment; filename=eicar.com\r\n\r\n").encode()
        body += base64.b64encode(daemons.EICAR) + b"\r\n--b--\r\n"
        with smtplib.SMTP("127.0.0.1", side.port("smtp"), local_hostname=HELO,
                          timeout=60) as s:
            s.ehlo()
            s.mail(SENDER)
            s.rcpt(f"sink@{peers.DOMAIN}")
            try:
                code, text = s.data(body)
            except smtplib.SMTPResponseException as e:
                code, text = e.smtp_code, e.smtp_error
        return f"{code} {text.decode(errors='replace')}"

    def check(self):
        """Sends a few messages to each side and returns what shows what each did, as lines
        (printed and written into the results): the authentication results recorded in the
        delivered message, the spam verdict's header, the reply to a virus, and what rspamd
        runs for a request as Posthouse sends it and as the milter does."""
        out = []
        for name in self.sides:
            delivered, _, _, _ = self.send(name, 2, 5)
            h = self._last_header(name)
            ar = " ".join(" ".join(v.split()) for v in h.get_all("Authentication-Results", []))
            results = {m: (re.search(rf"\b{m}=(\w+)", ar) or [None, "none"])[1]
                       for m in ("spf", "dkim", "dmarc")}
            spam = h.get("X-Spam-Status")
            line = (f"{name}: {delivered}/5 delivered; Authentication-Results: "
                    + ", ".join(f"{m}={r}" for m, r in results.items())
                    + f"; X-Spam-Status: {' '.join(spam.split()) if spam else 'none'}")
            if name in ("Posthouse", "Postfix"):
                line += f"; EICAR attached: {self._virus_reply(name)}"
            out.append(line)
        for label, host in (("as Posthouse sends it", None),
                            ("as the milter (no Host of the normal worker)", "milter.invalid")):
            r = self.rspamd.check(self.message, host)
            syms = sorted(r.get("symbols", {}))
            out.append(f"rspamd /checkv2 {label}: action {r.get('action')}, symbols "
                       + (", ".join(syms) or "none"))
        return out

    def stop(self):
        for s in reversed(self.started):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - stop the others anyway
                print(f"stopping {getattr(s, 'name', s)}: {e!r}")
        self.started = []
        shutil.rmtree(self.dir, ignore_errors=True)


def run(args, cfg, R, res, password):
    """The workload, for run.py: rates of Posthouse and Postfix at each concurrency, and the
    native checks' CPU per message. Returns the check() lines."""
    sp = Spam(args.bin, args.hash_ops, args.hash_mem, cfg["spam_workers"], password)
    try:
        print(f"    rspamd {sp.rspamd.url} (milter 127.0.0.1:{sp.rspamd.proxy_port}, "
              f"{cfg['spam_workers']} processes each), clamd {sp.clamd.unix}, "
              f"DNS 127.0.0.1:{sp.dns.port}", flush=True)
        lines = sp.check()
        for line in lines:
            print("    " + line, flush=True)
        for name in sp.sides:  # warm-up: caches of rspamd, DNS, the servers
            sp.send(name, 10, cfg["spam_warmup"])
        n, n_cpu = cfg["spam_msgs"], cfg["spam_cpu_msgs"]
        for conc in cfg["spam_levels"]:
            rate = {"Posthouse": [], "Postfix": []}
            total = {"Posthouse": [], "Postfix": []}
            cpu = {"checks on": [], "checks off": [], "checks on minus off": []}
            ctx = {"Posthouse checks only": [], "Posthouse no checks": []}
            for _ in R:
                for name in ("Posthouse", "Postfix"):
                    delivered, dt, _, side_cpu = sp.send(name, conc, n)
                    if delivered < n:
                        print(f"    {name}: {delivered} of {n} delivered")
                    rate[name].append(delivered / dt)
                    total[name].append(side_cpu / max(delivered, 1) * 1e6)
                per = {}
                for name in ("Posthouse checks only", "Posthouse no checks"):
                    delivered, dt, c, _ = sp.send(name, conc, n_cpu)
                    ctx[name].append(delivered / dt)
                    per[name] = c / max(delivered, 1) * 1e6
                on, off = per["Posthouse checks only"], per["Posthouse no checks"]
                cpu["checks on"].append(on)
                cpu["checks off"].append(off)
                cpu["checks on minus off"].append(on - off)
            res.add(f"spam: SMTP 4 KiB DKIM-signed, checks + rspamd + clamd, concurrency {conc}, "
                    f"{n} msgs", "msgs/s", "higher", rate, peer="Postfix",
                    note="Postfix: rspamd milter (SPF, DKIM, DMARC, clamav) on the same rspamd "
                    "and clamd")
            res.add(f"spam: CPU per message of the side and its daemons, concurrency {conc}, "
                    f"{n} msgs", "µs/msg", "lower", total, peer="Postfix",
                    note="the server (Postfix: master and all it forks) + rspamd + clamd + "
                    "Redis + DNS server, /proc utime+stime of the process trees")
            for k, v in cpu.items():
                res.add(f"spam: Posthouse CPU per message, {k}, concurrency {conc}, "
                        f"{n_cpu} msgs", "µs/msg", "lower", {"Posthouse": v},
                        note="no daemons; CPU of the Posthouse process (/proc utime+stime)")
            res.add(f"spam: Posthouse accept rate, checks on / off, no daemons, concurrency "
                    f"{conc}", "msgs/s", "higher",
                    {"Posthouse": ctx["Posthouse checks only"],
                     "checks off": ctx["Posthouse no checks"]}, peer="checks off",
                    note="context for the CPU figures; Posthouse/peer is on/off")
        return lines
    finally:
        sp.stop()
