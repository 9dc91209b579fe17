"""The harness itself: a setUp that fails half-way leaves nothing behind.

Each case runs a small test class whose setUp fails (a config deskmaild
refuses at start, one the CLI already refuses, a PostgreSQL cluster started
before a desk that fails) with tempfile's directory pointed at an empty
scratch directory, and then looks: the test errored, the scratch directory
is empty again, no deskmaild or postmaster it started is still running.
"""
import os
import shutil
import tempfile
import unittest

import pg
from harness import Desk

# deskmaild checks its spool directory at start; the CLI does not need it.
REFUSED_AT_START = "spool_directory: /nonexistent/deskmail-harness-test\n"


def alive(pid):
    """Whether pid runs (a zombie does not: a postmaster's parent here may be
    a pid 1 that does not reap)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class FailedSetUpCleansUp(unittest.TestCase):
    def run_failing(self, case):
        """Runs case's tests with temporary files in a scratch directory;
        returns (the result, what is left in the scratch directory)."""
        scratch = tempfile.mkdtemp(prefix="deskmail-harness-")
        os.chmod(scratch, 0o755)  # PostgreSQL runs as its own user
        saved = tempfile.tempdir
        tempfile.tempdir = scratch
        try:
            result = unittest.TestResult()
            unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
        finally:
            tempfile.tempdir = saved
            left = os.listdir(scratch)
            shutil.rmtree(scratch, ignore_errors=True)
        return result, left

    def test_daemon_that_does_not_start(self):
        from test_delivery import DeskTest  # the setUp most suites use

        class DaemonRefuses(DeskTest):
            config = REFUSED_AT_START

            def test_never_runs(self):
                pass

        result, left = self.run_failing(DaemonRefuses)
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("spool directory", result.errors[0][1])
        self.assertEqual(left, [])

    def test_daemon_that_does_not_come_up_is_killed(self):
        # A wrapper that never execs deskmaild: start() gives up after its
        # ten seconds with the process still running, and must kill it.
        pids = []

        class NeverUp(unittest.TestCase):
            def setUp(self):
                self.desk = self.enterContext(Desk())
                pidfile = os.path.join(self.desk.dir, "pid")
                try:
                    self.desk.start(wrapper=["sh", "-c", f"echo $$ > {pidfile}; exec sleep 60", "sh"])
                finally:
                    with open(pidfile) as f:
                        pids.append(int(f.read()))

            def test_never_runs(self):
                pass

        result, left = self.run_failing(NeverUp)
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("did not start", result.errors[0][1])
        self.assertEqual(left, [])
        self.assertFalse(alive(pids[0]))

    def test_desk_the_cli_refuses(self):
        class CliRefuses(unittest.TestCase):
            def setUp(self):
                self.desk = self.enterContext(Desk("no_such_key: 1\n")).start()

            def test_never_runs(self):
                pass

        result, left = self.run_failing(CliRefuses)
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("unknown key 'no_such_key'", result.errors[0][1])
        self.assertEqual(left, [])

    @unittest.skipUnless(pg.available(), "needs postgresql-15")
    def test_postgresql_started_before_a_desk_that_fails(self):
        servers = []

        class ClusterThenDesk(unittest.TestCase):
            def setUp(self):
                self.pg = self.enterContext(pg.PgServer()).start()
                servers.append((self.pg, self.pg.pid()))
                self.desk = self.enterContext(Desk(REFUSED_AT_START, pg_server=self.pg)).start()

            def test_never_runs(self):
                pass

        result, left = self.run_failing(ClusterThenDesk)
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertEqual(left, [])
        server, pid = servers[0]
        self.assertIsNotNone(pid)
        self.assertFalse(alive(pid))
        self.assertFalse(os.path.exists(server.dir))


if __name__ == "__main__":
    unittest.main()
