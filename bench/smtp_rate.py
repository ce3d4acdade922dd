#!/usr/bin/env python3
"""Durable SMTP accept rate of Posthouse: messages/s at concurrency 1, 10 and 50.

Starts the release binary on ephemeral ports with a temp data dir, provisions one mailbox,
then N client threads each open one connection and send messages back to back (pipelined
MAIL/RCPT/DATA). A message counts only when the server answered 250 after DATA, which it does
only once the message is durable (fsync). Prints one line per concurrency level.

Usage: bench/smtp_rate.py [--bin build/release/posthouse] [--messages 2000] [--size 4096]
Not a test: no assertions; figures depend on the disk (see the fsync figure it prints).
"""
import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402
from mailfixture import Fixture  # noqa: E402


def fsync_rate(directory, seconds=1.0):
    path = os.path.join(directory, "fsync-probe")
    n = 0
    end = time.time() + seconds
    with open(path, "wb") as f:
        while time.time() < end:
            f.write(b"x" * 512)
            f.flush()
            os.fdatasync(f.fileno())
            n += 1
    os.remove(path)
    return n / seconds


def client(port, count, body, results, idx):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO bench\r\n")
    while True:
        line = f.readline()
        if line[3:4] == b" ":
            break
    ok = 0
    for _ in range(count):
        s.sendall(b"MAIL FROM:<bench@remote.test>\r\nRCPT TO:<sink@example.test>\r\nDATA\r\n")
        replies = [f.readline() for _ in range(3)]
        if not replies[2].startswith(b"354"):
            break
        s.sendall(body + b".\r\n")
        if f.readline().startswith(b"250"):
            ok += 1
    s.sendall(b"QUIT\r\n")
    s.close()
    results[idx] = ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/posthouse")
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--levels", default="1,10,50")
    args = ap.parse_args()
    harness.BIN = os.path.abspath(args.bin)
    srv = harness.Server(listeners=["smtp", "http"])
    try:
        srv.start()
        fx = Fixture(srv)
        fx.domain("example.test")
        fx.mailbox("sink@example.test", "sink-password-1")
        srv.cli("mailbox", "edit", "sink@example.test", "--quota", "100G")
        line = (b"x" * 76 + b"\r\n")
        body = b"Subject: bench\r\n\r\n" + line * max(1, args.size // len(line))
        print(f"disk: {fsync_rate(srv.dir):.0f} fdatasync/s (one writer)")
        for level in [int(x) for x in args.levels.split(",")]:
            per = max(1, args.messages // level)
            results = [0] * level
            threads = [threading.Thread(target=client, args=(srv.ports["smtp"], per, body, results, i))
                       for i in range(level)]
            t0 = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            dt = time.time() - t0
            total = sum(results)
            print(f"concurrency {level:>3}: {total} messages of {len(body)} B in {dt:.2f} s = "
                  f"{total / dt:.0f} durable msgs/s")
    finally:
        srv.cleanup()


if __name__ == "__main__":
    main()
