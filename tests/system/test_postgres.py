"""One desk across several hosts: deskmaild instances sharing one real
PostgreSQL server that the test starts itself (tests/system/pg.py)."""
import os
import signal
import subprocess
import threading
import time
import unittest

import pg
from harness import Desk, deliver, message, wait_until
from lmtp_client import send_all
from smtp_capture import CaptureServer

# No per-sender limits: smtp-source sends everything from one address.
LOAD_CONFIG = ("limits: { new_issues_per_sender_hour: 0, confirmations_per_sender_day: 0, confirmations_per_hour: 0 }\n"
               "database_connections: 4\n")


def issue_numbers(desk, path):
    out = desk.scalar(f"SELECT string_agg(i.iid::text, ',' ORDER BY i.iid) FROM issue i "
                      f"JOIN project p ON p.id = i.project_id WHERE p.path = '{path}'")
    return [int(x) for x in str(out).split(",") if x]


def invariants(test, desk):
    """Nothing half-stored: every issue has its raw message, its customer, its
    dedupe row; no dedupe row without what it names."""
    test.assertEqual(desk.scalar("SELECT count(*) FROM issue WHERE raw_message_id IS NULL"), 0)
    test.assertEqual(desk.scalar("SELECT count(*) FROM issue i WHERE NOT EXISTS (SELECT 1 FROM "
                                 "participant p WHERE p.issue_id = i.id)"), 0)
    test.assertEqual(desk.scalar("SELECT count(*) FROM dedupe WHERE ref = ''"), 0)
    test.assertEqual(desk.scalar("SELECT count(*) FROM dedupe WHERE scope LIKE 'project:%'"),
                     desk.scalar("SELECT count(*) FROM issue"))
    test.assertEqual(desk.scalar("SELECT count(*) FROM raw_message r WHERE NOT EXISTS (SELECT 1 FROM "
                                 "issue i WHERE i.raw_message_id = r.id) AND NOT EXISTS (SELECT 1 "
                                 "FROM note n WHERE n.raw_message_id = r.id)"), 0)


@unittest.skipUnless(pg.available(), "needs postgresql-15")
class TwoInstances(unittest.TestCase):
    def setUp(self):
        self.relay = self.enterContext(CaptureServer()).start()
        self.a = self.enterContext(Desk(LOAD_CONFIG, relay_port=self.relay.port, postgresql=True)).start()
        self.b = self.enterContext(Desk(LOAD_CONFIG, relay_port=self.relay.port, share=self.a)).start()

    def test_smtp_source_on_two_instances(self):
        # Both instances take mail for both projects at once: 16 sessions on
        # each, 2 000 messages per project, numbers allocated across hosts.
        per = 1000
        t0 = time.time()
        runs = []
        for desk in (self.a, self.b):
            for path in ("acme/game", "acme/web"):
                runs.append(subprocess.Popen(
                    ["smtp-source", "-L", "-s", "8", "-m", str(per), "-l", "1024", "-f", "load@example.org",
                     "-t", desk.address[path], "-M", "client.test", f"127.0.0.1:{desk.port}"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for r in runs:
            _, err = r.communicate(timeout=600)
            self.assertEqual(r.returncode, 0, err)
        figures = [f"smtp-source: {4 * per} messages in {time.time() - t0:.1f}s"]
        for path in ("acme/game", "acme/web"):
            self.assertEqual(issue_numbers(self.a, path), list(range(1, 2 * per + 1)), path)
        # Every accepted message stored once (smtp-source exits non-zero on
        # anything but 250): distinct Message-IDs, one issue each.
        self.assertEqual(self.a.scalar("SELECT count(DISTINCT message_id) FROM issue"), 4 * per)
        self.assertEqual(self.a.scalar("SELECT count(*) FROM issue"), 4 * per)
        invariants(self, self.a)

        # The same bytes again, each message to the instance that did not
        # take it the first time and to the one that did: nothing new.
        rows = self.a.pg.psql(
            "SELECT p.path, encode(r.content, 'hex') FROM issue i JOIN raw_message r ON "
            "r.id = i.raw_message_id JOIN project p ON p.id = i.project_id ORDER BY i.id",
            db=self.a.query_db).split()
        messages = [("load@example.org", self.a.address[line.split("|")[0]], bytes.fromhex(line.split("|")[1]))
                    for line in rows]
        self.assertEqual(len(messages), 4 * per)
        stats = {}
        t0 = time.time()
        threads = [threading.Thread(target=lambda d=d: stats.__setitem__(d.port, send_all(
            "127.0.0.1", d.port, messages, sessions=8))) for d in (self.a, self.b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        figures.append(f"resent to both: {8 * per} deliveries in {time.time() - t0:.1f}s")
        for d in (self.a, self.b):
            s = stats[d.port]
            self.assertEqual(len(s.accepted), 4 * per)
            self.assertEqual(s.refused, {})
            dup = sum(1 for line in s.accepted.values() if "already delivered" in line)
            self.assertEqual(dup, 4 * per, list(s.accepted.values())[:3])
        self.assertEqual(self.a.scalar("SELECT count(*) FROM issue"), 4 * per)
        self.assertEqual(self.a.scalar("SELECT count(*) FROM note"), 0)

        # The outbox, drained by both instances: each confirmation sent once.
        self.assertTrue(wait_until(lambda: len(self.relay.snapshot()) >= 4 * per, timeout=240),
                        len(self.relay.snapshot()))
        figures.append(f"outbox drained by both {time.time() - t0:.1f}s after the resend began")
        print("\n    " + "; ".join(figures), flush=True)
        time.sleep(1)
        sent = [m.message_id for m in self.relay.snapshot()]
        self.assertEqual(len(sent), 4 * per)
        self.assertEqual(len(set(sent)), 4 * per)
        self.assertEqual(self.a.scalar("SELECT count(*) FROM outbox WHERE state = 'sent'"), 4 * per)
        # Both hosts did some of the sending.
        for d in (self.a, self.b):
            self.assertIn("result=sent", d.log())


@unittest.skipUnless(pg.available(), "needs postgresql-15")
class ServerStops(unittest.TestCase):
    """PostgreSQL stopped in the middle of a load, and started again."""

    def setUp(self):
        # A server of this test's own: it is stopped and started.
        self.pg = self.enterContext(pg.PgServer()).start()
        self.desk = self.enterContext(Desk(LOAD_CONFIG + "timeouts: { store_wait: 3 }\n", pg_server=self.pg,
                                           projects=(("acme/game", ()),)))
        self.desk.start()

    def test_stop_mid_load_then_every_retry_lands(self):
        n = 600
        messages = [("c%d@example.org" % i, self.desk.address["acme/game"],
                     message(subject=f"load {i}", message_id=f"stop-{i}@x", sender=f"c{i}@example.org").encode())
                    for i in range(n)]
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("s", send_all(
            "127.0.0.1", self.desk.port, messages, sessions=8, retry_delay=0.3, deadline=400)))
        t.start()
        self.assertTrue(wait_until(lambda: self.desk.scalar("SELECT count(*) FROM issue") >= 150, timeout=120))
        self.pg.stop("fast")
        time.sleep(4)
        self.pg.start()
        t.join()
        s = result["s"]
        self.assertEqual(len(s.accepted), n, (s.tempfail, s.dropped, s.refused))
        self.assertGreater(s.tempfail + s.dropped, 0)  # the stop was seen as 4xx / 421
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM issue"), n)
        self.assertEqual(self.desk.scalar("SELECT count(DISTINCT message_id) FROM issue"), n)
        self.assertEqual(issue_numbers(self.desk, "acme/game"), list(range(1, n + 1)))
        invariants(self, self.desk)
        log = self.desk.log()
        self.assertIn("451 4.3.0", log)


@unittest.skipUnless(pg.available(), "needs postgresql-15")
class ServerFaults(unittest.TestCase):
    """The fault matrix rows for PostgreSQL: backends terminated in the middle
    of transactions, and the whole server paused (SIGSTOP)."""

    def setUp(self):
        self.pg = self.enterContext(pg.PgServer()).start()
        self.desk = self.enterContext(Desk(LOAD_CONFIG + "timeouts: { store_wait: 1 }\n", pg_server=self.pg,
                                           projects=(("acme/game", ()),))).start()

    def tearDown(self):
        self.resume()  # before the cleanups close the desk and the server

    def cluster_pids(self):
        root = self.pg.pid()
        kids = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split()
        return [root] + [int(k) for k in kids]

    def resume(self):
        if self.pg.pid():
            for pid in self.cluster_pids():
                try:
                    os.kill(pid, signal.SIGCONT)
                except OSError:
                    pass

    def load(self, n, tag):
        return [(f"c{i}@example.org", self.desk.address["acme/game"],
                 message(subject=f"{tag} {i}", message_id=f"{tag}-{i}@x", sender=f"c{i}@example.org").encode())
                for i in range(n)]

    def test_backends_terminated_mid_transaction(self):
        n = 300
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("s", send_all(
            "127.0.0.1", self.desk.port, self.load(n, "term"), sessions=8, retry_delay=0.1, deadline=300)))
        t.start()
        terminated = 0
        while t.is_alive():
            out = self.pg.psql(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                               f"datname = '{self.desk.query_db}' AND pid <> pg_backend_pid()")
            terminated += int(out.strip() or 0)
            time.sleep(0.2)
        s = result["s"]
        self.assertEqual(len(s.accepted), n, (s.tempfail, s.dropped))
        self.assertGreater(terminated, 0)
        self.assertGreater(s.tempfail, 0)  # the lost connections were answered 451
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM issue"), n)
        self.assertEqual(self.desk.scalar("SELECT count(DISTINCT message_id) FROM issue"), n)
        invariants(self, self.desk)
        check = self.desk.cli("db", "check", check=False)
        self.assertTrue(check["ok"], check["problems"])

    def test_server_paused_gives_451_then_421_then_recovers(self):
        game = self.desk.address["acme/game"]
        rr, dr = deliver(self.desk, [game], message(message_id="before@x"))
        self.assertIn("created", dr[0])
        for pid in self.cluster_pids():
            os.kill(pid, signal.SIGSTOP)
        try:
            # The store hangs without an error: the session answers 451 itself.
            rr, dr = deliver(self.desk, [game], message(message_id="paused@x"))
            self.assertTrue(rr[0].startswith("451 4.3.0") or (dr and dr[0].startswith("451 4.3.0")), (rr, dr))
            for i in range(3):
                try:
                    deliver(self.desk, [game], message(message_id=f"paused{i}@x"))
                except (ConnectionError, OSError, AssertionError, EOFError):
                    pass
            # Failures in a row: new connections are turned away at the greeting.
            self.assertTrue(wait_until(lambda: self.greeting().startswith("421 4.3.0"), timeout=30))
        finally:
            self.resume()
        # Back: the probe notices, and the MTA's retry lands exactly once.
        self.assertTrue(wait_until(lambda: self.greeting().startswith("220"), timeout=30))
        rr, dr = deliver(self.desk, [game], message(message_id="paused@x"))
        self.assertEqual(rr[0][:3], "250")
        self.assertRegex(dr[0], r"^250 .*(created|already delivered)")
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM issue WHERE message_id = 'paused@x'"), 1)
        check = self.desk.cli("db", "check", check=False)
        self.assertTrue(check["ok"], check["problems"])

    def greeting(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.desk.port), timeout=5) as s:
                return s.makefile("rb").readline().decode()
        except OSError:
            return ""


@unittest.skipUnless(pg.available(), "needs postgresql-15")
class MoveToPostgres(unittest.TestCase):
    """A desk moved from SQLite to PostgreSQL with 'deskmail db copy'."""

    def test_copy_then_run_on_postgresql(self):
        relay = CaptureServer().start()
        relay.mode = "tempfail"  # mail stays pending on the old store
        desk = Desk(relay_port=relay.port).start()
        try:
            game = desk.address["acme/game"]
            deliver(desk, [game], message(subject="Printer", body="It jams.", message_id="p1@x"))
            deliver(desk, [game], message(subject="Scanner", body="Blank pages.", message_id="p2@x",
                                          sender="other@example.org"), sender="other@example.org")
            desk.cli("project", "member", "add", "acme/game", "agent@acme.example", json_out=False)
            desk.cli("reply", "acme/game#1", "--as", "agent@acme.example", "-m", "Try paper.", json_out=False)
            desk.cli("note", "acme/game#1", "--as", "agent@acme.example", "-m", "internal only", json_out=False)
            reply_address = desk.show("acme/game#1")["participants"][0]["reply_address"]
            before = {r: desk.show(r) for r in ("acme/game#1", "acme/game#2")}
            pending = desk.cli("outbox", "list")
            self.assertGreaterEqual(len(pending), 3)
            desk.stop()

            server = pg.shared()
            db = server.create_db()
            out = desk.cli("db", "copy", "--to", server.conn(db))
            self.assertEqual(out["issue"], 2)
            self.assertEqual(out["outbox"], len(pending))
            # deskmaild's counters, written as it stopped, move with the desk.
            self.assertGreater(out["metric_counter"], 0)
            desk.database = server.conn(db)
            desk.write_config()
            # What the target keeps beside the rows (the project counts, the
            # labels' copies, the search index) is consistent there.
            check = desk.cli("db", "check", check=False)
            self.assertTrue(check["ok"], check["problems"])
            relay.mode = "ok"
            desk.start()
            for ref, old in before.items():
                self.assertEqual(desk.show(ref), old)
            # The customer's reply key still works, and the numbers go on.
            rr, dr = deliver(desk, [reply_address],
                             message(subject="Re: Printer", body="Thanks!", message_id="p3@x"))
            self.assertIn("250", dr[0])
            self.assertEqual(desk.show("acme/game#1")["notes"][-1]["body"].strip(), "Thanks!")
            rr, dr = deliver(desk, [game], message(subject="New", message_id="p4@x"))
            self.assertIn("acme/game#3", dr[0])
            # The mail that was pending on SQLite goes out from PostgreSQL.
            ids = {m["message_id"] for m in pending}
            self.assertTrue(wait_until(lambda: ids <= {m.message_id for m in relay.snapshot()}, timeout=30),
                            (ids, [m.message_id for m in relay.snapshot()]))
        finally:
            desk.close()
            relay.stop()


if __name__ == "__main__":
    unittest.main()
