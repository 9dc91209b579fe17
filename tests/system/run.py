#!/usr/bin/env python3
"""run.py: runs every system test module and prints 'N passed, N failed'.

Usage: run.py [-k PATTERN] [module ...]   (DESKMAIL_BUILD selects the build dir)
       run.py --listed MODULE...          fails if a test_*.py here is not listed
                                          (meson.build's system_suites)
"""
import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0
        self.failed_ids = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.failed_ids.append(str(subtest))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed_ids.append(test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.failed_ids.append(test.id())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="pattern", action="append")
    ap.add_argument("--listed", action="store_true")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    if args.listed:
        here = {f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py")}
        missing = sorted(here - set(args.modules))
        print("not in system_suites: " + " ".join(missing) if missing else "every suite file is listed")
        return 1 if missing else 0
    loader = unittest.TestLoader()
    if args.pattern:
        loader.testNamePatterns = [f"*{p}*" for p in args.pattern]
    if args.modules:
        suite = unittest.TestSuite(loader.loadTestsFromName(m) for m in args.modules)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    t0 = time.time()
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result, stream=sys.stdout)
    res = runner.run(suite)
    # A test with failing subtests counts once as failed.
    failed_tests = {f.split(" ")[0] for f in res.failed_ids}
    failed = len(failed_tests)
    passed = res.testsRun - failed - len(res.skipped)
    print(f"system: {passed} passed, {failed} failed, {len(res.skipped)} skipped in {time.time() - t0:.1f}s")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
