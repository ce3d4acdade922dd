"""Runs every tests/integration/test_*.py with unittest and prints
`INTEGRATION: N passed, N failed, N skipped` for scripts/run-tests to add up.

A skipped test is not a passed one. Under CI=true a skip counts as a failure (scripts/install-deps
installs every tool a test needs, so on CI a skip means something is missing): the closing lines
then say which tests were skipped and why, and count them as failed, not skipped.

Modules run in parallel worker processes (`-j N`, default INTEGRATION_JOBS or the number of
CPUs + 1: much of a module's time is spent waiting on servers, timers and throttles). Each
worker owns its own block of ports (harness.free_port), its server processes and temp dirs;
a module's output is printed whole when it ends, so logs never interleave.

Optional argv: name patterns to select test modules (e.g. `smtp`); `-j 1` runs them one after
another in this process.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

# Ports below the kernel's ephemeral range (32768+), one block of harness.PORT_SPAN per worker.
PORT_FLOOR, PORT_CEILING = 10000, 32000


def ci():
    return os.environ.get("CI", "").lower() == "true"


class CountingResult(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def counts(result):
    """(passed, failed, skipped) of a unittest result, with the CI rule applied."""
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    if skipped and ci():
        print(f"CI=true: {skipped} skipped test(s) counted as failed (scripts/install-deps "
              f"installs every tool the tests need, so a skip means something is missing):")
        for test, reason in result.skipped:
            print(f"  SKIP counted as FAIL: {test.id()}: {reason}")
        failed += skipped
        skipped = 0
    return result.passed, failed, skipped


def modules(patterns):
    names = []
    for name in sorted(os.listdir(here)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        if patterns and not any(p in name for p in patterns):
            continue
        names.append(name[:-3])
    # Longest first (source size is a fair proxy), so the slowest module does not start last.
    names.sort(key=lambda n: -os.path.getsize(os.path.join(here, n + ".py")))
    return names


def run_inline(names):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in names:
        suite.addTests(loader.loadTestsFromName(name))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult)
    result = runner.run(suite)
    return counts(result)


def run_parallel(names, jobs):
    from harness import PORT_SPAN
    blocks = (PORT_CEILING - PORT_FLOOR) // PORT_SPAN
    first = random.randrange(blocks)  # two runs at once on one machine rarely share blocks
    pending = list(names)
    running = {}  # slot -> (name, Popen, log file, start)
    passed = failed = skipped = 0
    started = time.time()
    while pending or running:
        for slot in range(jobs):
            if slot in running or not pending:
                continue
            name = pending.pop(0)
            env = dict(os.environ)
            env["POSTHOUSE_PORT_BASE"] = str(PORT_FLOOR + ((first + slot) % blocks) * PORT_SPAN)
            log = tempfile.TemporaryFile(mode="w+")
            proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--one", name],
                                    cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            running[slot] = (name, proc, log, time.time())
        time.sleep(0.2)
        for slot, (name, proc, log, start) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[slot]
            log.seek(0)
            out = log.read()
            log.close()
            print(f"---- {name} ({time.time() - start:.0f} s, exit {proc.returncode}) ----")
            print(out, end="" if out.endswith("\n") else "\n", flush=True)
            m = re.search(r"^MODULE: (\d+) passed, (\d+) failed, (\d+) skipped", out, re.M)
            if not m:
                print(f"{name}: no result line (crashed?)", flush=True)
                failed += 1
                continue
            passed += int(m.group(1))
            failed += int(m.group(2))
            skipped += int(m.group(3))
            if proc.returncode != 0 and int(m.group(2)) == 0:
                print(f"{name}: exited {proc.returncode} after passing", flush=True)
                failed += 1
    print(f"integration: {len(names)} modules in {time.time() - started:.0f} s with {jobs} jobs")
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", "--jobs", type=int,
                    default=int(os.environ.get("INTEGRATION_JOBS", (os.cpu_count() or 1) + 1)))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("patterns", nargs="*")
    args = ap.parse_args()
    if args.one:
        p, f, s = run_inline([args.one])
        print(f"MODULE: {p} passed, {f} failed, {s} skipped")
        sys.exit(1 if f else 0)
    names = modules(args.patterns)
    if not names:
        print(f"no test module matches {args.patterns}")
        print("INTEGRATION: 0 passed, 1 failed, 0 skipped")
        sys.exit(1)
    if args.jobs <= 1 or len(names) <= 1:
        passed, failed, skipped = run_inline(names)
    else:
        passed, failed, skipped = run_parallel(names, args.jobs)
    print(f"INTEGRATION: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
