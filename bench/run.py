#!/usr/bin/env python3
"""`make bench`: Posthouse side by side with Dovecot and Postfix, on loopback, in one run.

Starts a private Postfix, a private Dovecot (configs from bench/peers/, in temp dirs) and
Posthouse (temp data dir), runs every workload against each server in turn, round after round
(interleaved), and prints the median of the rounds for each side and their ratio. Writes the
same table, with per-round figures, versions and the machine, to bench/results/latest.md.

Every figure printed is measured in this run; nothing is asserted.
Usage: bench/run.py [--bin build/release/posthouse] [--rounds 3] [--quick] [--only smtp,imap,...]

The spam workload (bench/spam.py, with its own servers and daemons) also writes its rows to
bench/results/spam.md; a run of nothing but it (--only spam) leaves latest.md alone.
"""
import argparse
import asyncio
import datetime
import os
import resource
import statistics
import subprocess
import sys
import random
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapload  # noqa: E402
import peers  # noqa: E402
from rounds import (  # noqa: E402  (the workloads)
    disk_rate,
    flood_round,
    imap_count,
    smtp_round,
    imap_mix,
    idle_round,
    fresh_idle_server,
    pop3_round,
    search_round,
    api_token,
    wrk_round,
    SourceIps,
    login_timing,
    PASSWORD,
)

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = ["disk", "smtp", "imap", "idle", "pop3", "api", "login", "search", "flood", "spam"]


class Results:
    """Rows of (workload, unit, better, {side: [per-round values]}, peer name, note)."""

    def __init__(self):
        self.rows = []

    def add(self, workload, unit, better, values, peer=None, note=""):
        self.rows.append(dict(workload=workload, unit=unit, better=better, values=values,
                              peer=peer, note=note))
        r = self.rows[-1]
        print(f"  {workload}: " + "; ".join(
            f"{side} {fmt(statistics.median(v))} {unit} (rounds: {', '.join(fmt(x) for x in v)})"
            for side, v in values.items() if v), flush=True)
        return r


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def med(v):
    return statistics.median(v) if v else None


# ---------------------------------------------------------------------------------------------


class Profile:
    """With --callgrind: at each workload boundary, dumps the counters gathered since the last
    one under the name of the part that just ended, so each workload gets its own FILE.N."""

    def __init__(self, args):
        self.file = args.callgrind
        self.current = "setup"

    def mark(self, ph, name):
        if self.file and ph is not None:
            subprocess.run(["callgrind_control", "--dump=" + self.current, str(ph.pid)],
                           capture_output=True, timeout=300)
        self.current = name


class LoadSampler:
    """Samples the 1-minute load average every 10 s during the run: other jobs on the machine
    compete for the CPUs, and the figures are only comparable with the load they ran under."""

    def __init__(self):
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            self.samples.append(os.getloadavg()[0])
            if self.stop.wait(10):
                return

    def summary(self):
        self.stop.set()
        v = sorted(self.samples)
        if not v:
            return "-"
        return (f"min {v[0]:.1f}, median {statistics.median(v):.1f}, max {v[-1]:.1f} "
                f"({len(v)} samples of the 1-minute load average, every 10 s; "
                f"{os.cpu_count()} CPUs)")


def fill_inbox(side, user, count, size, concurrency):
    """APPENDs `count` messages of `size` bytes to the user's INBOX on one side."""
    asyncio.run(imapload.load_mailbox(side.port("imap"), f"{user}@{peers.DOMAIN}", PASSWORD,
                                      count, size, concurrency=concurrency))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "release", "posthouse"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller counts, for development")
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--idle-clients", type=int, help="IDLE sessions (default 1000)")
    ap.add_argument("--hash-ops", type=int, default=1, help="argon2id passes, both sides")
    ap.add_argument("--hash-mem", type=int, default=8192, help="argon2id KiB, both sides")
    ap.add_argument("--callgrind", metavar="FILE",
                    help="run Posthouse under valgrind --tool=callgrind, profile to FILE")
    ap.add_argument("--out", help="results file (default bench/results/latest.md, none for "
                    "--only spam; none with --callgrind, whose figures are those of a program "
                    "under valgrind)")
    args = ap.parse_args()
    only = args.only.split(",")
    if args.out is None and not args.callgrind and only != ["spam"]:
        args.out = os.path.join(HERE, "results", "latest.md")
    q = args.quick
    cfg = dict(
        smtp_msgs={4096: 60 if q else 300, 65536: 40 if q else 150},
        smtp_levels=[1, 10, 50],
        imap_clients=10, imap_users=10, imap_preload=50 if q else 100, imap_seconds=3 if q else 8,
        idle_clients=200 if q else 1000, idle_users=10, idle_preload=20 if q else 100,
        pop3_msgs=200 if q else 1000,
        api_seconds=2 if q else 5, api_conns=16,
        login_samples=10 if q else 40,
        search_msgs=5000 if q else 50000,
        flood_seconds=3 if q else 10,
        spam_msgs=150 if q else 500, spam_cpu_msgs=500 if q else 2000, spam_warmup=50,
        spam_levels=[10, 50], spam_workers=os.cpu_count(),
    )
    if args.idle_clients:
        cfg["idle_clients"] = args.idle_clients
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.time()
    load = LoadSampler()
    res = Results()
    ph = dov = pfx = None
    spam_rows, spam_checks = [], []
    try:
        ph = peers.Posthouse(args.bin, args.hash_ops, args.hash_mem, args.callgrind).start()
        dov = peers.Dovecot(args.hash_ops, args.hash_mem)
        pfx = peers.Postfix()
        imap_users = [f"u{k}" for k in range(1, cfg["imap_users"] + 1)]
        idle_users = [f"idle{k}" for k in range(1, cfg["idle_users"] + 1)]
        for local in imap_users + ["pop", "sink", "timing", "search"]:
            ph.add_user(local, PASSWORD)
            dov.add_user(local, PASSWORD)
        pfx.add_user("sink")
        dov.start()
        pfx.start()
        print(f"Posthouse {ph.dir}, Dovecot {dov.dir}, Postfix {pfx.dir}; "
              f"password scheme on both IMAP sides: argon2id t={args.hash_ops} "
              f"m={args.hash_mem} KiB", flush=True)
        R = range(args.rounds)
        prof = Profile(args)

        if "disk" in only:
            prof.mark(ph, "disk")
            print("6. disk: fsync+rename", flush=True)
            v = [disk_rate(ph.dir, 1.0 if q else 2.0) for _ in R]
            res.add("disk: 4 KiB write+fsync+rename+dir fsync", "ops/s", "higher",
                    {"Posthouse": v}, note="the temp dir's own limit, for context")

        if "smtp" in only:
            prof.mark(ph, "smtp")
            print("1. SMTP durable accept rate (smtp-source; delivered messages only)", flush=True)
            counters = {"Posthouse": lambda: imap_count(ph.port("imap"), "sink"),
                        "Postfix": lambda: pfx.delivered("sink")}
            for size, count in cfg["smtp_msgs"].items():
                for conc in cfg["smtp_levels"]:
                    vals = {"Posthouse": [], "Postfix": []}
                    for _ in R:
                        for side in (ph, pfx):
                            vals[side.name].append(
                                smtp_round(side, counters[side.name], size, conc, count, 120))
                    res.add(f"SMTP {size // 1024} KiB, concurrency {conc}, {count} msgs",
                            "msgs/s", "higher", vals, peer="Postfix")

        if "imap" in only:
            prof.mark(ph, "imap-setup")
            print("2. IMAP command mix", flush=True)
            async def preload(side):
                await asyncio.gather(*(
                    imapload.load_mailbox(side.port("imap"), f"{u}@{peers.DOMAIN}", PASSWORD,
                                          cfg["imap_preload"], 4096, concurrency=2)
                    for u in imap_users))
            for side in (ph, dov):
                asyncio.run(preload(side))
            prof.mark(ph, "imap")
            ops = {"Posthouse": [], "Dovecot": []}
            p99 = {"Posthouse": [], "Dovecot": []}
            per_op = {}
            for r in R:
                for side in (ph, dov):
                    o, p, po = imap_mix(side.port("imap"), imap_users, cfg["imap_clients"],
                                        cfg["imap_seconds"], 4096, seed=r)
                    ops[side.name].append(o)
                    p99[side.name].append(p)
                    per_op.setdefault(side.name, []).append(po)
            label = (f"IMAP mix, {cfg['imap_clients']} clients, "
                     f"{cfg['imap_preload']} msgs each")
            res.add(label + ": throughput", "ops/s", "higher", ops, peer="Dovecot")
            res.add(label + ": p99 latency", "ms", "lower", p99, peer="Dovecot")
            for op in sorted(per_op["Posthouse"][0]):
                res.add(f"  IMAP mix: median {op}", "ms", "lower",
                        {s: [d[op] for d in per_op[s] if op in d] for s in per_op},
                        peer="Dovecot")

        if "idle" in only:
            prof.mark(ph, "idle")
            n = cfg["idle_clients"]
            print(f"3. memory per idle IMAP connection ({n} clients in IDLE; fresh servers "
                  f"each round)", flush=True)
            rss = {"Posthouse": [], "Dovecot": []}
            pss = {"Posthouse": [], "Dovecot": []}
            nprocs = {}
            for _ in R:
                for make in (lambda: peers.Posthouse(args.bin, args.hash_ops, args.hash_mem),
                             lambda: peers.Dovecot(args.hash_ops, args.hash_mem)):
                    side = make()
                    try:
                        fresh_idle_server(side, idle_users, cfg["idle_preload"])
                        a, b, ok, nproc = idle_round(side, idle_users, n)
                    finally:
                        side.stop()
                    rss[side.name].append(a)
                    pss[side.name].append(b)
                    nprocs[side.name] = nproc
            res.add(f"IMAP IDLE x{n}: RSS growth per connection", "KiB", "lower", rss,
                    peer="Dovecot", note=f"a fresh server of each kind per round; Dovecot: all "
                    f"{nprocs.get('Dovecot')} processes summed")
            res.add(f"IMAP IDLE x{n}: PSS growth per connection", "KiB", "lower", pss,
                    peer="Dovecot", note="PSS counts shared pages once")

        if "pop3" in only:
            prof.mark(ph, "pop3-setup")
            n = cfg["pop3_msgs"]
            print(f"4. POP3 RETR of {n} messages", flush=True)
            for side in (ph, dov):
                fill_inbox(side, "pop", n, 4096, concurrency=8)
                pop3_round(side.port("pop3"), "pop", 10)  # warm-up (Dovecot builds its UIDLs)
            prof.mark(ph, "pop3")
            v = {"Posthouse": [], "Dovecot": []}
            for _ in R:
                for side in (ph, dov):
                    v[side.name].append(pop3_round(side.port("pop3"), "pop", n))
            res.add(f"POP3 RETR, {n} msgs of 4 KiB, one session", "msgs/s", "higher", v,
                    peer="Dovecot")

        if "api" in only:
            prof.mark(ph, "api-setup")
            print("5. admin API: wrk, GET /api/v1/mailboxes with a bearer token", flush=True)
            token = api_token(ph)
            prof.mark(ph, "api")
            v = [wrk_round(ph.port("http"), token, cfg["api_seconds"], cfg["api_conns"])
                 for _ in R]
            res.add(f"API GET /api/v1/mailboxes (wrk, {cfg['api_conns']} conns)", "req/s",
                    "higher", {"Posthouse": v},
                    note="Postfix and Dovecot have no admin API: Posthouse alone")

        if "login" in only:
            prof.mark(ph, "login")
            print("7. login timing: unknown account vs wrong password (Posthouse)", flush=True)
            ips = SourceIps()
            per = {"API": ([], []), "IMAP": ([], [])}
            for _ in R:
                t = login_timing(ph, cfg["login_samples"], ips)
                for proto, (u, w, statuses) in t.items():
                    per[proto][0].append(statistics.median(u) * 1000)
                    per[proto][1].append(statistics.median(w) * 1000)
                    print(f"    {proto} answers: {sorted(statuses)}")
            for proto, (u, w) in per.items():
                res.add(f"login {proto}: unknown account, median", "ms", "-", {"Posthouse": u})
                res.add(f"login {proto}: wrong password, median", "ms", "-", {"Posthouse": w})
                res.add(f"login {proto}: unknown minus wrong", "ms", "-",
                        {"Posthouse": [a - b for a, b in zip(u, w)]},
                        note=f"{cfg['login_samples']} samples of each per round")
        if "search" in only:
            prof.mark(ph, "search-setup")
            n = cfg["search_msgs"]
            print(f"8. SEARCH BODY in one mailbox of {n} messages", flush=True)
            for side in (ph, dov):
                fill_inbox(side, "search", n, 2048, concurrency=16)
                search_round(side.port("imap"), "search", 0)  # warm-up: caches, index pages
            prof.mark(ph, "search")
            v = {"Posthouse": [], "Dovecot": []}
            for r in R:
                k = random.Random(r).randrange(n)
                for side in (ph, dov):
                    ms, hits = search_round(side.port("imap"), "search", k)
                    if hits != 1:
                        print(f"    {side.name}: {hits} hits for message {k}, expected 1")
                    v[side.name].append(ms)
            res.add(f'SEARCH BODY "word", {n} msgs of 2 KiB', "ms", "lower", v, peer="Dovecot",
                    note="Posthouse: its full-text index; Dovecot: its default (no FTS plugin)")
        if "flood" in only:
            prof.mark(ph, "flood")
            print("9. one connection flooding NOOPs: server CPU and commands answered", flush=True)
            cpu = {"Posthouse": [], "Dovecot": []}
            rate = {"Posthouse": [], "Dovecot": []}
            for _ in R:
                for side in (ph, dov):
                    c, r = flood_round(side, "timing", cfg["flood_seconds"])
                    cpu[side.name].append(c)
                    rate[side.name].append(r)
            res.add("NOOP flood, one connection: server CPU", "% core", "lower", cpu,
                    peer="Dovecot", note="Posthouse: default command_rate 500/s, burst 1000")
            res.add("NOOP flood, one connection: NOOPs answered", "cmds/s", "-", rate,
                    peer="Dovecot", note="Dovecot has no per-connection command budget")
        if "spam" in only:
            prof.mark(ph, "spam")
            print("10. spam: SMTP with sender checks and content scanning (rspamd, clamd); "
                  "Postfix with rspamd as milter", flush=True)
            import spam  # noqa: E402  (imports the tests' modules: only when it runs)
            first = len(res.rows)
            spam_checks = spam.run(args, cfg, R, res, PASSWORD)
            spam_rows = res.rows[first:]
        prof.mark(ph, "end")
    finally:
        for side in (pfx, dov, ph):
            if side is not None:
                try:
                    side.stop()
                except Exception as e:  # noqa: BLE001 - stop the others anyway
                    print(f"stopping {side.name}: {e!r}")
    elapsed = time.time() - started
    load = load.summary()
    report(res, args, cfg, elapsed, load)
    if spam_rows and not args.callgrind:
        sub = Results()
        sub.rows = spam_rows
        write_results(os.path.join(HERE, "results", "spam.md"), sub, args,
                      {k: v for k, v in cfg.items() if k.startswith("spam_")}, elapsed, load,
                      "Benchmark results: the spam workload (`bench/run.py --only spam`)",
                      ["What each side did (bench/spam.py `check()`, before the rounds):", ""]
                      + [f"- {line}" for line in spam_checks])


def table(res):
    head = ["workload", "unit", "Posthouse", "peer", "peer value", "Posthouse/peer", "better"]
    rows = []
    for r in res.rows:
        ph = med(r["values"].get("Posthouse", []))
        peer = r["peer"]
        pv = med(r["values"].get(peer, [])) if peer else None
        ratio = f"{ph / pv:.2f}" if ph is not None and pv else "-"
        rows.append([r["workload"], r["unit"], fmt(ph), peer or "none", fmt(pv), ratio,
                     r["better"]])
    return head, rows


def report(res, args, cfg, elapsed, load):
    head, rows = table(res)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    print()
    for row in [head] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    print(f"\n{args.rounds} rounds, medians; run took {elapsed:.0f} s; load average: {load}")
    if args.out:
        write_results(args.out, res, args, cfg, elapsed, load, "Benchmark results (`make bench`)")


def write_results(path, res, args, cfg, elapsed, load, title, notes=()):
    """The results file: the run's context, the table of medians, per-round figures, `notes`."""
    head, rows = table(res)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    v = peers.versions(os.path.abspath(args.bin))
    with open(path, "w") as f:
        f.write(f"# {title}\n\n")
        f.write(f"- date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC\n")
        f.write(f"- machine: {peers.machine()}\n")
        f.write(f"- Posthouse binary: {os.path.relpath(os.path.abspath(args.bin))} "
                f"({peers.build_type(args.bin)})\n")
        f.write("- versions: " + ", ".join(f"{k} {x}" for k, x in v.items()) + "\n")
        f.write(f"- rounds: {args.rounds} (interleaved: each round runs every side in turn); "
                f"median shown; run took {elapsed:.0f} s\n")
        f.write(f"- load average during the run: {load}\n")
        f.write(f"- password scheme (IMAP/POP3 logins, both sides): argon2id "
                f"t={args.hash_ops}, m={args.hash_mem} KiB; both sides cache verified "
                f"credentials for 300 s (Dovecot auth_cache, Posthouse auth_cache_ttl_seconds); "
                f"failures are not cached\n")
        f.write(f"- parameters: {cfg}\n\n")
        f.write("| " + " | ".join(head) + " |\n")
        f.write("|" + "---|" * len(head) + "\n")
        for row in rows:
            f.write("| " + " | ".join(str(x) for x in row) + " |\n")
        f.write("\n## Per round\n\n")
        for r in res.rows:
            parts = "; ".join(f"{s}: {', '.join(fmt(x) for x in vals)}"
                              for s, vals in r["values"].items())
            note = f" ({r['note']})" if r["note"] else ""
            f.write(f"- {r['workload']} [{r['unit']}]: {parts}{note}\n")
        if notes:
            f.write("\n" + "\n".join(notes) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
