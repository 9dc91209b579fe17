"""The store fault matrix on SQLite: disk full and EIO on write and on
fsync, injected into the running deskmaild with libfiu (fiu-run, fiu-ctrl).
Each gives 451 4.3.0 with nothing stored, 'deskmail db check' passes, and the
MTA's retry after the fault is gone stores the message once. (The lock held
past store_wait is test_delivery.LockedDatabase; the PostgreSQL rows are in
test_postgres: stopped, backends terminated, paused.)"""
import os
import shutil
import subprocess
import unittest

from harness import Desk, deliver, message, sqlite_only

ENOSPC, EIO = 28, 5
ROWS = [
    ("disk full on write", "posix/io/rw/pwrite", ENOSPC),
    ("EIO on write", "posix/io/rw/pwrite", EIO),
    ("EIO on fsync", "posix/io/sync/fdatasync", EIO),
]


@sqlite_only
@unittest.skipUnless(shutil.which("fiu-run") and shutil.which("fiu-ctrl"), "needs fiu-utils (libfiu)")
class SqliteFaults(unittest.TestCase):
    def setUp(self):
        self.desk = self.enterContext(Desk("timeouts: { store_wait: 2 }\n"))
        self.desk.start(wrapper=["fiu-run", "-x"])
        self.game = self.desk.address["acme/game"]

    def fiu(self, command):
        subprocess.run(["fiu-ctrl", "-c", command, str(self.desk.proc.pid)], check=True, timeout=10)

    def test_matrix(self):
        rr, dr = deliver(self.desk, [self.game], message(message_id="ok@x"))
        self.assertIn("created", dr[0])
        for n, (what, point, err) in enumerate(ROWS):
            with self.subTest(what):
                mid = f"fault{n}@x"
                self.fiu(f"enable name={point},failinfo={err}")
                try:
                    rr, dr = deliver(self.desk, [self.game], message(subject=what, message_id=mid))
                finally:
                    self.fiu(f"disable name={point}")
                self.assertEqual(rr[0][:3], "250")  # RCPT only reads
                self.assertTrue(dr[0].startswith("451 4.3.0"), dr)
                self.assertEqual(self.desk.scalar(f"SELECT count(*) FROM issue WHERE message_id = '{mid}'"), 0)
                check = self.desk.cli("db", "check", check=False)
                self.assertTrue(check["ok"], check["problems"])
                # The fault is gone: the MTA's retry stores it, once.
                rr, dr = deliver(self.desk, [self.game], message(subject=what, message_id=mid))
                self.assertIn("created", dr[0])
                rr, dr = deliver(self.desk, [self.game], message(subject=what, message_id=mid))
                self.assertIn("already delivered", dr[0])
        self.assertEqual(len(self.desk.issues()), 1 + len(ROWS))
        self.assertIn("disk I/O error", self.desk.log())


if __name__ == "__main__":
    unittest.main()


class Durability(unittest.TestCase):
    """deskmaild refuses a store that could lose acknowledged mail."""

    def test_sqlite_synchronous_off_is_refused(self):
        d = Desk()
        try:
            if d.pg:
                self.skipTest("an SQLite case")
            d.database = f"sqlite3://db={d.db} synchronous=off"
            d.write_config()
            from harness import DESKMAILD
            p = subprocess.run([DESKMAILD, "-c", d.config], capture_output=True, text=True, timeout=20)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("refuses a store that can lose acknowledged mail", p.stderr)
        finally:
            d.close()

    def test_postgresql_fsync_off_is_refused(self):
        import pg
        if not pg.available():
            self.skipTest("needs postgresql-15")
        server = pg.PgServer().start()
        d = Desk(pg_server=server)
        try:
            server.stop()
            with open(os.path.join(server.data, "postgresql.conf"), "a") as f:
                f.write("fsync = off\n")
            server.start()
            from harness import DESKMAILD
            p = subprocess.run([DESKMAILD, "-c", d.config], capture_output=True, text=True, timeout=20)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("fsync = off", p.stderr)
        finally:
            d.close()
            server.close()
