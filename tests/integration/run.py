"""Runs every tests/integration/test_*.py with unittest and prints
`INTEGRATION: N passed, N failed` for scripts/run-tests to add up.

Optional argv: name patterns to select test modules (e.g. `smtp`).
"""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


class CountingResult(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    patterns = sys.argv[1:]
    for name in sorted(os.listdir(here)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        if patterns and not any(p in name for p in patterns):
            continue
        suite.addTests(loader.loadTestsFromName(name[:-3]))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"INTEGRATION: {result.passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
