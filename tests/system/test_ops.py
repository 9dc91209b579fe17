"""Running it like Postfix (issue 19): --check-config's exit statuses, the log
through a syslog socket with one id shared by the LMTP reply and the log
line, a backup of a live database and its restore, the copy taken before a
migration, and PostgreSQL migrations under the advisory lock."""
import os
import re
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

import pg
from harness import DESKMAIL, DESKMAILD, POSTGRESQL, Desk, deliver, message, sqlite_only, wait_until
from smtp_capture import CaptureServer


def check_config(desk, *extra):
    return subprocess.run([DESKMAILD, "--check-config", "-c", desk.config, *extra],
                          capture_output=True, text=True, timeout=60)


def cli(desk, *args):
    return subprocess.run([DESKMAIL, "-c", desk.config, *args], capture_output=True, text=True,
                          timeout=120)


class CheckConfig(unittest.TestCase):
    """Each failure mode exits with its status and one line saying why."""

    def setUp(self):
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(relay_port=self.relay.port))

    def assert_fails(self, p, status, reason):
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        errors = [line for line in p.stderr.splitlines() if line.startswith("error: ")]
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertRegex(errors[0], reason)

    def test_all_well(self):
        p = check_config(self.desk, "--relay")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"ok: database {self.desk.database.split('password=')[0]}", p.stdout)
        self.assertRegex(p.stdout, r"at schema version \d+\n")
        self.assertIn(f"ok: listen unix:{self.desk.sock}: socket directory writable", p.stdout)
        self.assertIn(f"ok: relay 127.0.0.1:{self.relay.port} greets with 220", p.stdout)
        self.assertIn("ok: authentication.authserv_id deskmail.test (the hostname)", p.stdout)
        self.assertEqual(p.stderr, "")
        self.desk.write_config("authentication: { require: none }\n")
        p = check_config(self.desk)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning: authentication.require: none", p.stderr)

    def test_syntax(self):
        self.desk.write_config("limits: { recipients: lots }\n")
        for p in (check_config(self.desk), cli(self.desk, "config", "check")):
            self.assertEqual(p.returncode, 1)
            self.assertRegex(p.stderr, r"deskmail\.yaml:\d+:\d+: limits\.recipients must be")

    def test_socket_directory_missing(self):
        self.desk.sock = os.path.join(self.desk.dir, "gone", "lmtp.sock")
        self.desk.write_config()
        reason = r"^error: listen unix:.*/gone/lmtp\.sock: .*/gone: No such file or directory$"
        self.assert_fails(check_config(self.desk), 2, reason)
        self.assert_fails(cli(self.desk, "config", "check"), 2, reason)  # the CLI's form

    def test_spool_directory_missing(self):
        self.desk.write_config(f"spool_directory: {self.desk.dir}/nospool\n")
        self.assert_fails(check_config(self.desk), 2, r"^error: spool directory .*/nospool: No such file")

    @sqlite_only
    def test_database_missing(self):
        self.desk.database = f"sqlite3://db={self.desk.dir}/other.db"
        self.desk.write_config()
        self.assert_fails(check_config(self.desk), 2,
                          r"^error: database .*/other\.db: No such file or directory; run 'deskmail .*db init'$")
        self.assertFalse(os.path.exists(f"{self.desk.dir}/other.db"), "the check made the file")

    def test_schema_behind(self):
        self.desk.start()
        self.desk.stop()
        if self.desk.pg:
            self.desk.pg.psql("UPDATE schema_version SET version = version - 1", db=self.desk.pg_db)
        else:
            db = sqlite3.connect(self.desk.db)
            db.execute("UPDATE schema_version SET version = version - 1")
            db.commit()
            db.close()
        self.assert_fails(check_config(self.desk), 2,
                          r"^error: database .* at schema version \d+, 1 migration\(s\) pending; "
                          r"run 'deskmail db migrate'$")

    def test_relay_down(self):
        self.relay.stop()
        p = check_config(self.desk)
        self.assertEqual(p.returncode, 0, p.stderr)  # a warning only: mail waits in the outbox
        self.assertRegex(p.stderr, rf"^warning: relay 127\.0\.0\.1:{self.relay.port}: Connection refused")
        self.assert_fails(check_config(self.desk, "--relay"), 3,
                          rf"^error: relay 127\.0\.0\.1:{self.relay.port}: Connection refused")

    def test_while_running_before_a_reload(self):
        # ExecReload checks first: the addresses the daemon holds are no error.
        self.desk.start()
        p = check_config(self.desk)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"warning: listen tcp:127.0.0.1:{self.desk.port}: address in use", p.stderr)

    def test_config_show(self):
        self.desk.write_config("limits: { recipients: 7 }\n")
        p = cli(self.desk, "config", "show")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("limits.recipients = 7\n", p.stdout)
        self.assertIn("limits.message_size = 26214400   # default\n", p.stdout)
        self.assertIn("log.facility = mail   # default\n", p.stdout)
        changed = cli(self.desk, "config", "show", "--changed").stdout
        self.assertIn("limits.recipients = 7\n", changed)
        self.assertNotIn("limits.message_size", changed)
        if self.desk.pg:
            self.assertNotIn("password=", p.stdout.replace("password=*****", ""))


class SyslogLines(unittest.TestCase):
    """The log through a syslog socket the test binds, like /dev/log."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="deskmail-log-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))
        self.path = os.path.join(self.tmp, "log.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.addCleanup(self.sock.close)
        self.lines = []
        self.done = False
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()
        self.addCleanup(setattr, self, "done", True)
        self.desk = self.enterContext(Desk(
            f"log: {{ to: syslog, socket: {self.path}, syslog_name: deskmail/test }}\n"
            "timeouts: { store_wait: 1 }\n"))
        self.desk.start()
        self.game = self.desk.address["acme/game"]

    def read(self):
        self.sock.settimeout(0.2)
        while not self.done:
            try:
                self.lines.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                pass
            except OSError:
                return

    def find(self, pattern):
        rx = re.compile(pattern)
        found = wait_until(lambda: [line for line in self.lines if rx.search(line)], timeout=10)
        self.assertTrue(found, f"no line like {pattern!r} in {self.lines}")
        return found

    def test_delivery_refusal_and_tempfail(self):
        # A delivery: the id in the reply is the id of its line; the MTA's
        # queue id from the Received: field it added on top.
        data = ("Received: from client.example (client.example [192.0.2.1]) by mx.example.com "
                "(Postfix) with ESMTP id 4QXzR81bQz for <x@y>; Wed, 2 Dec 2026 08:00:00 +0000\r\n"
                + message(message_id="log1@x"))
        _, dr = deliver(self.desk, [self.game], data, keep_id=True)
        qid = re.search(r" id=([0-9A-V]{13})$", dr[0]).group(1)
        line = self.find(rf"deskmail/test\[\d+\]: {qid}: ")
        self.assertEqual(len(line), 1, line)
        # <22>: facility mail (2) * 8 + info (6); RFC 3164 header.
        self.assertRegex(line[0], rf"^<22>\w{{3}} [ \d]\d \d\d:\d\d:\d\d deskmail/test\[\d+\]: {qid}: "
                                  r"session=\S+ mta_id=4QXzR81bQz from=<customer@example\.org> "
                                  rf"to=<{re.escape(self.game)}> message-id=<log1@x> size=\d+ "
                                  r"result=created ref=acme/game#1 reply=\"250 2\.0\.0\" ms=\d+( proof=\"[^\"]*\")?$")
        # A recipient refused at RCPT: one info line.
        rr, _ = deliver(self.desk, ["desk+nosuch@support.example.com"], message())
        self.assertTrue(rr[0].startswith("550 5.1.1"), rr)
        refused = self.find(r"NOQUEUE: .*reject: RCPT .*to=<desk\+nosuch@support\.example\.com>")
        self.assertEqual(len(refused), 1, refused)
        self.assertTrue(refused[0].startswith("<22>"), refused)
        self.assertIn('reply="550 5.1.1"', refused[0])
        if self.desk.pg:
            return
        # A 451: the writer cannot get the database within store_wait; one
        # warning line (<20>: mail * 8 + warning 4) with that delivery's id.
        lock = sqlite3.connect(self.desk.db, timeout=10, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            _, dr = deliver(self.desk, [self.game], message(message_id="log2@x"), keep_id=True)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        self.assertTrue(dr[0].startswith("451 4.3.0"), dr)
        qid2 = re.search(r" id=([0-9A-V]{13})$", dr[0]).group(1)
        warned = self.find(rf"{qid2}: .*result=tempfail")
        self.assertEqual(len(warned), 1, warned)
        self.assertTrue(warned[0].startswith("<20>"), warned)
        self.assertIn("warning: ", warned[0])

    def test_ids_unique_across_restarts(self):
        ids = []
        for n in range(3):
            _, dr = deliver(self.desk, [self.game], message(message_id=f"r{n}@x"), keep_id=True)
            ids.append(re.search(r" id=([0-9A-V]{13})$", dr[0]).group(1))
            self.desk.stop()
            self.desk.start()
        self.assertEqual(len(set(ids)), 3, ids)
        self.assertEqual(ids, sorted(ids), "ids sort by time")


def issue_mids(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT message_id FROM issue")}
    finally:
        db.close()


@sqlite_only
class Backup(unittest.TestCase):
    SESSIONS = 8

    def setUp(self):
        self.desk = self.enterContext(Desk(
            "limits: { new_issues_per_sender_hour: 0, confirmations_per_sender_day: 0 }\n"
            "outbound: { enabled: false }\n"))
        self.desk.start()
        self.game = self.desk.address["acme/game"]

    def load(self, stop, accepted, lock):
        """One session after another, each delivering one new issue; records
        the time each 250 arrived."""
        n = 0
        name = threading.current_thread().name
        while not stop.is_set():
            mid = f"{name}-{n}@load"
            _, dr = deliver(self.desk, [self.game], message(subject=f"load {n}", message_id=mid))
            if dr and dr[0].startswith("250"):
                with lock:
                    accepted.append((time.monotonic(), mid))
            n += 1

    def test_backup_under_load_then_restore(self):
        started = time.monotonic()
        stop, lock, accepted = threading.Event(), threading.Lock(), []
        threads = [threading.Thread(target=self.load, args=(stop, accepted, lock), name=f"s{i}")
                   for i in range(self.SESSIONS)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: len(accepted) >= 200, timeout=120)
            copy = os.path.join(self.desk.dir, "copy.db")
            before = time.monotonic()
            p = cli(self.desk, "db", "backup", copy)
            after = time.monotonic()
            wait_until(lambda: len([a for a in accepted if a[0] > after]) >= 20, timeout=60)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"copy\.db: \d+ bytes, schema version \d+, consistent\n$")
        self.assertEqual(os.stat(copy).st_mode & 0o777, 0o600)
        in_copy = issue_mids(copy)
        committed_before = {mid for t, mid in accepted if t < before}
        self.assertTrue(committed_before <= in_copy,
                        f"{len(committed_before - in_copy)} issues with a 250 before the backup are missing")
        later = {mid for t, mid in accepted if t > after}
        self.assertFalse(later & in_copy, "the copy holds deliveries made after it returned")
        self.assertTrue(later)
        check = cli(self.desk, "db", "check", copy)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        print(f"\n  backup under {self.SESSIONS} sessions: {len(in_copy)} issues in the copy, "
              f"{len(accepted)} deliveries in {time.monotonic() - started:.1f} s, "
              f"backup took {after - before:.2f} s", flush=True)

        # An existing file is never overwritten.
        again = cli(self.desk, "db", "backup", copy)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("File exists", again.stderr)

        # Restore: refused over a database without --force; with it, the
        # database as it was is kept beside it, and the copy comes back whole.
        self.desk.stop()
        refused = cli(self.desk, "db", "restore", copy)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--force", refused.stderr)
        everything = issue_mids(self.desk.db)
        r = cli(self.desk, "db", "restore", copy, "--force")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        kept = re.search(r"the database as it was: (\S+)", r.stdout).group(1)
        self.assertEqual(issue_mids(kept), everything)
        self.assertEqual(issue_mids(self.desk.db), in_copy)
        check = cli(self.desk, "db", "check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.desk.start()
        issues = self.desk.issues()
        self.assertEqual(len(issues), len(in_copy))
        _, dr = deliver(self.desk, [self.game], message(message_id="after-restore@x"))
        self.assertIn(f"acme/game#{len(in_copy) + 1} created", dr[0])

    def test_restore_refuses_a_broken_copy(self):
        bad = os.path.join(self.desk.dir, "bad.db")
        with open(bad, "wb") as f:
            f.write(b"not a database at all" * 100)
        self.desk.stop()
        r = cli(self.desk, "db", "restore", bad, "--force")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nothing restored", r.stderr + r.stdout)
        self.assertEqual(cli(self.desk, "db", "check").returncode, 0)
        missing = os.path.join(self.desk.dir, "missing.db")
        for args in (("db", "check", missing), ("db", "restore", missing, "--force")):
            r = cli(self.desk, *args)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn("No such file or directory", r.stderr)
            self.assertFalse(os.path.exists(missing), args)

    def test_migration_keeps_a_copy_of_the_old_version(self):
        for n in range(3):
            deliver(self.desk, [self.game], message(message_id=f"m{n}@x"))
        self.desk.stop()
        # Back to the version 16 layout: migration 017 undone (the version
        # before the current one; a new migration moves this test along).
        db = sqlite3.connect(self.desk.db, isolation_level=None)
        db.executescript(
            "BEGIN; DROP INDEX issue_state_updated;"
            "CREATE INDEX issue_state_updated ON issue (state, updated_at, project_id, spam);"
            "UPDATE schema_version SET version = 16; COMMIT;")
        db.close()
        p = cli(self.desk, "db", "migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.search(r"copy of schema version 16: (\S+/deskmail\.db\.schema16-\d{8}T\d{6}Z\.bak)\n", p.stdout)
        self.assertTrue(m, p.stdout)
        self.assertIn("schema version 16 -> 17", p.stdout)

        def index_sql(path):
            c = sqlite3.connect(path)
            try:
                return c.execute("SELECT sql FROM sqlite_master WHERE name = 'issue_state_updated'").fetchone()[0]
            finally:
                c.close()

        old = sqlite3.connect(m.group(1))
        self.assertEqual(old.execute("SELECT version FROM schema_version").fetchone()[0], 16)
        old.close()
        self.assertNotIn("updated_at, id,", index_sql(m.group(1)))
        self.assertEqual(issue_mids(m.group(1)), {"m0@x", "m1@x", "m2@x"})
        self.assertEqual(cli(self.desk, "db", "version").stdout.strip(), "17")
        # The sort index orders the ties by id; the issues are all there.
        self.assertIn("updated_at, id,", index_sql(self.desk.db))
        self.assertEqual(issue_mids(self.desk.db), {"m0@x", "m1@x", "m2@x"})
        # Current already: nothing to copy.
        p = cli(self.desk, "db", "migrate")
        self.assertNotIn("copy of", p.stdout)


@unittest.skipUnless(pg.available(), "needs postgresql-15")
class PostgresqlOps(unittest.TestCase):
    def setUp(self):
        self.desk = self.enterContext(Desk(postgresql=True))
        self.desk.start()
        self.desk.stop()

    def test_backup_names_pg_dump(self):
        p = cli(self.desk, "db", "backup", os.path.join(self.desk.dir, "x.dump"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("pg_dump --format=custom --file=", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.desk.dir, "x.dump")))

    def test_migrations_wait_for_each_other(self):
        """A second host's 'db migrate' waits while another holds the
        migration lock, then finds the work done."""
        current = int(cli(self.desk, "db", "version").stdout)
        self.desk.pg.psql(f"UPDATE schema_version SET version = {current - 1}", db=self.desk.pg_db)
        # One session holds the lock (the same key as the migration's) and
        # migrates itself while a second 'db migrate' runs.
        lock_sql = ("BEGIN; SELECT pg_advisory_xact_lock(20331); SELECT pg_sleep(3);"
                    f"UPDATE schema_version SET version = {current}; COMMIT;")
        t0 = time.monotonic()
        holder = threading.Thread(target=self.desk.pg.psql, args=(lock_sql,), kwargs={"db": self.desk.pg_db})
        holder.start()
        time.sleep(1)
        p = subprocess.Popen([DESKMAIL, "-c", self.desk.config, "db", "migrate"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        self.assertIsNone(p.poll(), "db migrate did not wait for the lock")
        holder.join()
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(cli(self.desk, "db", "version").stdout.strip(), str(current))
        self.assertGreater(time.monotonic() - t0, 2.5)


if __name__ == "__main__":
    unittest.main()
