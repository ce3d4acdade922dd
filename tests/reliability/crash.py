"""Crash-consistency driver: many clients deliver by SMTP and APPEND by IMAP while the server is
killed with SIGKILL at random moments; after each kill it checks the store and the mail.

After every kill (one round):
- `posthouse check` with the server down reports nothing but crash debris (body files of a batch
  that never committed, temporaries); on odd rounds `check --repair` removes those, and `check`
  is then clean: reference counts, quota usage, folder counters, UIDNEXT and files all agree; on
  even rounds the debris is left to the server's startup sweep, and `check` against the serving
  store must be clean after the round;
- the restarted server shows every acknowledged message (SMTP 250, IMAP APPEND OK) byte-identical
  (APPEND: equal; SMTP: the sent bytes after the trace header the server prepends), an APPEND's
  APPENDUID names the UID it is found at, and no message is partial or unknown;
- UIDVALIDITY is unchanged and every UID is above every UID seen or acknowledged before (the
  round ends by expunging everything, so a reused UID would show);
- after the last round, `posthouse check` against the serving store is clean.

Prints one line per round and a summary:
  RELIABILITY-CRASH: kills=N survived=N acked=N checked=N lost=N
  RELIABILITY: N passed, N failed, 0 skipped      (one test per round)

A round fails when no message was acknowledged before the kill (it would prove nothing); the
kill comes at a random moment after the first acknowledgement.

Usage: crash.py [--kills N] [--seed S] [--clients N]  (POSTHOUSE_BIN names the binary)
"""
import argparse
import imaplib
import os
import random
import re
import smtplib
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import WAIT, Server, wait_for  # noqa: E402
from mailfixture import Fixture  # noqa: E402

MAILBOXES = [(f"user{i}@crash.test", f"user{i}-password-1") for i in range(3)]
# Inline bodies (in mail.db) and body files (above the 128 KiB inline limit).
SIZES = [300, 3_000, 40_000, 150_000, 400_000]
DEBRIS = re.compile(r"^(blob file [0-9a-f]{64} is not referenced|stray file \S+)$")
SUBJECT = re.compile(rb"\r\nSubject: (rel-[\w-]+)\r\n")
TRACE = re.compile(rb"^(?:(?:Return-Path|Received|Authentication-Results|Delivered-To):[^\r]*\r\n(?:[ \t][^\r]*\r\n)*)*$")


def make_message(tag, size, rng):
    line = "".join(rng.choice("abcdefghij") for _ in range(70))
    body = (f"{tag} {line}\r\n" * (size // (len(tag) + 73) + 1))
    return (f"From: sender@remote.test\r\nTo: someone@crash.test\r\nSubject: {tag}\r\n"
            f"Message-ID: <{tag}@crash.test>\r\n\r\n{body}").encode()


class Round:
    """The clients of one round; records every attempt and every acknowledgement."""

    def __init__(self, server, number, rng, clients):
        self.server = server
        self.number = number
        self.rng = random.Random(rng.random())
        self.clients = clients
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.attempts = {}  # tag -> (mailbox, bytes, kind)
        self.acked = {}     # tag -> APPENDUID uid or None (SMTP)

    def _attempt(self, kind, n, i):
        tag = f"rel-{self.number}-{kind}{n}-{i}"
        with self.lock:
            mailbox = self.rng.randrange(len(MAILBOXES))
            size = self.rng.choice(SIZES)
            raw = make_message(tag, size, self.rng)
            self.attempts[tag] = (mailbox, raw, kind)
        return tag, mailbox, raw

    def smtp_client(self, n):
        i = 0
        try:
            with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=WAIT) as s:
                while not self.stop.is_set():
                    tag, mailbox, raw = self._attempt("s", n, i)
                    s.sendmail("sender@remote.test", [MAILBOXES[mailbox][0]], raw)
                    with self.lock:
                        self.acked[tag] = None
                    i += 1
        except (OSError, smtplib.SMTPException):
            pass

    def imap_client(self, n):
        i = 0
        try:
            m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=WAIT)
            mailbox = n % len(MAILBOXES)
            m.login(*MAILBOXES[mailbox])
            while not self.stop.is_set():
                tag, _, raw = self._attempt("i", n, i)
                with self.lock:
                    self.attempts[tag] = (mailbox, raw, "i")
                typ, _ = m.append("INBOX", None, None, raw)
                if typ == "OK":
                    uid = int(m.response("APPENDUID")[1][0].split()[1])
                    with self.lock:
                        self.acked[tag] = uid
                i += 1
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort, ValueError, TypeError):
            pass

    def run(self, kill_after):
        """Starts the clients, waits for the first acknowledgement (a round in which nothing
        was acknowledged proves nothing), lets them run `kill_after` seconds more (the random
        kill moment) and kills the server. Returns False when nothing was acknowledged within
        harness.WAIT."""
        threads = [threading.Thread(target=self.smtp_client, args=(n,))
                   for n in range(self.clients)]
        threads += [threading.Thread(target=self.imap_client, args=(n,))
                    for n in range(self.clients)]
        for t in threads:
            t.start()
        try:
            with_ack = True
            try:
                wait_for(lambda: self.acked, "a first acknowledged message")
            except AssertionError:
                with_ack = False
            if with_ack:
                time.sleep(kill_after)  # the kill moment, at random: not a wait for the server
        finally:
            self.server.kill()
            self.stop.set()
            for t in threads:
                t.join()
        return with_ack


class Driver:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        extra = "[imap]\nallow_plaintext_auth = true\n"
        self.server = Server(extra_config=extra, listeners=["smtp", "imap", "http"])
        self.max_uid = [0] * len(MAILBOXES)
        self.uidvalidity = [None] * len(MAILBOXES)
        self.figures = dict(kills=0, survived=0, acked=0, checked=0, lost=0, debris=0)
        self.passed = self.failed = 0

    def setup(self):
        self.server.start()
        fx = Fixture(self.server)
        fx.domain("crash.test")
        for address, password in MAILBOXES:
            fx.mailbox(address, password)

    def check_store(self, repair=True):
        """With the server down: only crash debris, and clean after --repair."""
        errors = []
        first = self.server.cli("check", check=False)
        lines = [l for l in first.stdout.splitlines() if l and l != "store is consistent"]
        if first.returncode not in (0, 1) or first.stderr.strip():
            errors.append(f"check failed to run: {first.stderr.strip()}")
        errors += [f"check: {l}" for l in lines if not DEBRIS.match(l)]
        self.figures["debris"] += sum(1 for l in lines if DEBRIS.match(l))
        if lines and repair:
            self.server.cli("check", "--repair", check=False)
            again = self.server.cli("check", check=False)
            if again.returncode != 0:
                errors.append(f"check after repair: {again.stdout.strip()}")
        return errors

    def verify(self, rnd):
        """With the server up: every acked message there, nothing partial, UIDs fresh."""
        errors = []
        checked = 0
        for mb, (address, password) in enumerate(MAILBOXES):
            m = imaplib.IMAP4("127.0.0.1", self.server.ports["imap"], timeout=2 * WAIT)
            try:
                m.login(address, password)
                typ, data = m.select("INBOX")
                uidvalidity = m.response("UIDVALIDITY")[1][0]
                if self.uidvalidity[mb] is None:
                    self.uidvalidity[mb] = uidvalidity
                elif uidvalidity != self.uidvalidity[mb]:
                    errors.append(f"{address}: UIDVALIDITY changed")
                found = {}
                if int(data[0]) > 0:
                    typ, items = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
                    for item in items:
                        if not isinstance(item, tuple):
                            continue
                        uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                        body = item[1]
                        sm = SUBJECT.search(body)
                        tag = sm.group(1).decode() if sm else None
                        attempt = rnd.attempts.get(tag)
                        if attempt is None or attempt[0] != mb:
                            errors.append(f"{address} UID {uid}: unknown message {tag}")
                            continue
                        sent = attempt[1]
                        if attempt[2] == "i":
                            intact = body == sent
                        else:
                            intact = body.endswith(sent) and TRACE.match(body[:-len(sent)])
                        if not intact:
                            errors.append(f"{address} UID {uid}: {tag} partial or altered "
                                          f"({len(body)} bytes, sent {len(sent)})")
                        if uid <= self.max_uid[mb]:
                            errors.append(f"{address}: UID {uid} reused (seen up to "
                                          f"{self.max_uid[mb]})")
                        if tag in found:
                            errors.append(f"{address}: {tag} stored twice")
                        found[tag] = uid
                        checked += 1
                for tag, uid in rnd.acked.items():
                    if rnd.attempts[tag][0] != mb:
                        continue
                    if tag not in found:
                        errors.append(f"{address}: acknowledged {tag} lost")
                        self.figures["lost"] += 1
                    elif uid is not None and found[tag] != uid:
                        errors.append(f"{address}: {tag} APPENDUID {uid} but found at "
                                      f"UID {found[tag]}")
                uids = list(found.values()) + [u for t, u in rnd.acked.items()
                                               if u is not None and rnd.attempts[t][0] == mb]
                if uids:
                    self.max_uid[mb] = max(self.max_uid[mb], *uids)
                    m.uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Deleted)")
                    typ, _ = m.expunge()
                    if typ != "OK":
                        errors.append(f"{address}: EXPUNGE failed")
            finally:
                try:
                    m.logout()
                except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
                    pass
        self.figures["checked"] += checked
        return errors

    def round(self, number):
        rnd = Round(self.server, number, self.rng, self.args.clients)
        kill_after = self.rng.uniform(0.0, 1.4)
        with_ack = rnd.run(kill_after)
        self.figures["kills"] += 1
        self.figures["acked"] += len(rnd.acked)
        sweep = number % 2 == 0  # leave the debris to the server's startup sweep
        errors = [] if with_ack else [
            f"no message was acknowledged in {WAIT:.0f} s before the kill: the round proved "
            f"nothing (server log tail follows at the end)"]
        errors += self.check_store(repair=not sweep)
        self.server.start()
        errors += self.verify(rnd)
        if sweep or number == self.args.kills:
            errors += [f"check (serving): {l}" for l in self.check_serving()]
        status = "ok" if not errors else "FAILED"
        print(f"round {number}: killed {kill_after:.2f}s after the first acknowledgement, "
              f"{len(rnd.attempts)} attempted, "
              f"{len(rnd.acked)} acknowledged: {status}", flush=True)
        for e in errors[:20]:
            print(f"  {e}", flush=True)
        if errors:
            self.failed += 1
        else:
            self.passed += 1
            self.figures["survived"] += 1

    def check_serving(self):
        # After the round's expunge the store holds no debris: the check must be clean.
        r = self.server.cli("check", check=False)
        return [] if r.returncode == 0 else (r.stdout + r.stderr).strip().splitlines()

    def run(self):
        try:
            self.setup()
            for n in range(1, self.args.kills + 1):
                try:
                    self.round(n)
                except Exception as e:  # a harness failure counts as a failed round
                    print(f"round {n}: ERROR {type(e).__name__}: {e}", flush=True)
                    self.failed += 1
                    if self.server.proc is None:
                        self.server.start()
        finally:
            log = self.server.read_log()
            try:
                self.server.cleanup()  # the last stop is a SIGTERM: exit 0, no sanitizer report
            except AssertionError as e:
                print(f"server check: FAILED\n{e}", flush=True)
                self.failed += 1
        if self.failed:
            tail = "\n".join(log.splitlines()[-30:])
            print(f"server log (tail):\n{tail}")
        f = self.figures
        print(f"RELIABILITY-CRASH: kills={f['kills']} survived={f['survived']} acked={f['acked']} "
              f"checked={f['checked']} lost={f['lost']} debris_repaired={f['debris']}")
        return self.passed, self.failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("RELIABILITY_SEED", "0")) or
                    int(time.time()))
    ap.add_argument("--clients", type=int, default=3)
    args = ap.parse_args()
    print(f"crash driver: {args.kills} kills, {args.clients}+{args.clients} clients, "
          f"seed {args.seed}", flush=True)
    passed, failed = Driver(args).run()
    print(f"RELIABILITY: {passed} passed, {failed} failed, 0 skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
