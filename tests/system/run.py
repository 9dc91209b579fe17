#!/usr/bin/env python3
"""run.py: runs every system test module and prints 'N passed, N failed'.

Usage: run.py [-k PATTERN] [-j N] [module ...]   (DESKMAIL_BUILD selects the build dir)
       run.py --listed MODULE...          fails if a test_*.py here is not listed
                                          (meson.build's system_suites)

With -j N, N test classes run at once, each in a process of its own (every
test starts its own daemons in a directory of its own on free ports); the
longest start first, each one's output is printed whole when it ends, with
a line "module NAME.CLASS: N passed, N failed, N skipped in S s", and the
last line adds them up.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
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


# Seconds each module took in a run here (-j 2, SQLite, 2 cores with other
# builds beside it): only the order in which -j starts them, longest first.
# A module missing here (under 10 s) starts after these.
SECONDS_HINT = {
    "test_crash": 330,
    "test_postgres": 188,
    "test_milter": 108,
    "test_hostile": 93,
    "test_mta": 90,
    "test_web": 86,
    "test_identity": 58,
    "test_ops": 53,
    "test_relay_tls": 50,
    "test_conversation": 41,
    "test_delivery": 35,
    "test_webhooks": 24,
    "test_harness": 22,
    "test_fix_hook": 19,
    "test_quick_actions": 18,
    "test_replay": 15,
    "test_faults": 14,
    "test_participants": 13,
    "test_tracker": 13,
    "test_cost": 11,
}
COUNTS = re.compile(r"^system: (\d+) passed, (\d+) failed, (\d+) skipped", re.M)


def all_modules():
    return sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))


def test_classes(name):
    """A module's TestCase classes as "module.Class" (a name with a dot as it is)."""
    if "." in name:
        return [name]
    module = __import__(name)
    classes = [f"{name}.{k}" for k, v in vars(module).items()
               if isinstance(v, type) and issubclass(v, unittest.TestCase) and v.__module__ == name
               and unittest.TestLoader().getTestCaseNames(v)]
    return sorted(classes) or [name]


def weight(unit, units):
    """The hint of a unit: its own, or its module's shared by its classes."""
    module = unit.split(".")[0]
    if unit in SECONDS_HINT:
        return SECONDS_HINT[unit]
    return SECONDS_HINT.get(module, 0) / sum(1 for u in units if u.split(".")[0] == module)


def run_parallel(modules, jobs, patterns):
    """Runs each test class in a child run.py, jobs at a time, longest
    first; returns the exit code."""
    units = [c for m in modules for c in test_classes(m)]
    queue = sorted(units, key=lambda u: -weight(u, units))
    running = {}  # Popen -> (module, start time, output file)
    totals = [0, 0, 0]
    failed_modules = []
    t0 = time.time()
    extra = [a for p in patterns or [] for a in ("-k", p)]
    while queue or running:
        while queue and len(running) < jobs:
            m = queue.pop(0)
            out = tempfile.TemporaryFile(mode="w+", errors="replace")
            child = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + extra + [m],
                                     stdout=out, stderr=subprocess.STDOUT)
            running[child] = (m, time.time(), out)
        time.sleep(0.2)
        for child in [c for c in running if c.poll() is not None]:
            m, started, out = running.pop(child)
            out.seek(0)
            text = out.read()
            out.close()
            counts = COUNTS.findall(text)
            p, f, sk = map(int, counts[-1]) if counts else (0, 1, 0)
            if child.returncode != 0 and f == 0:
                f = 1
            totals = [totals[0] + p, totals[1] + f, totals[2] + sk]
            if f:
                failed_modules.append(m)
            sys.stdout.write(COUNTS.sub("", text).rstrip("\n") + "\n")
            print(f"module {m}: {p} passed, {f} failed, {sk} skipped in {time.time() - started:.1f} s", flush=True)
    if failed_modules:
        print("failed modules: " + " ".join(failed_modules))
    print(f"system: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped in {time.time() - t0:.1f}s")
    return 0 if totals[1] == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="pattern", action="append")
    ap.add_argument("-j", dest="jobs", type=int, default=None, help="modules run at once, each in its own process")
    ap.add_argument("--listed", action="store_true")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    if args.listed:
        here = {f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py")}
        missing = sorted(here - set(args.modules))
        print("not in system_suites: " + " ".join(missing) if missing else "every suite file is listed")
        return 1 if missing else 0
    if args.jobs:
        return run_parallel(args.modules or all_modules(), args.jobs, args.pattern)
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
