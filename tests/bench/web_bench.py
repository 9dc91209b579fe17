#!/usr/bin/env python3
"""web_bench.py: deskmail-web's pages on 1 000 000 issues beside nginx (issue 21).

Builds the release binaries (build-release), starts deskmaild and
deskmail-web on an SQLite desk of N issues (default 1 000 000: four
projects, the member in three of them; most old issues closed, some
assigned, some labelled; words from a small vocabulary in every title and
description, indexed for search as a delivery indexes them), signs in
through the real link flow (the link taken from a capturing relay), and
drives each page with wrk (8 connections, keep-alive) for a few seconds:

  queue        /issues (open issues, last activity first), the first page
  queue-deep   a keyset page half-way down the open issues
  queue-old    a keyset page half-way down every issue, newest first
  search       /issues?state=all&q=printer (a word in about half the issues)
  search-some  /issues?state=all&q=w4242 (in about 500 issues)
  search-rare  /issues?state=all&q=zebracorn (in 10 issues)
  label        /issues?state=all&label=billing (1 in 20 of acme/game's issues)
  label-common /issues?state=all&label=support (2 in 5 issues, in every project)
  label-open   /issues?label=support (its open issues)
  mine         /issues?assignee=me (open issues assigned to the member: 1 in 5)
  issue        an issue with a conversation of 12 notes and an attachment

In the same run, nginx (Debian's nginx-light, started here on a loopback
port with a config of its own, keep-alive) serves a static file of each
page's size to the same wrk; the table gives wrk's latency percentiles
(loopback, so about the server's time), requests/s, deskmail-web's CPU
(user and system, all its threads) per request answered, the figure the
machine's noise moves least, and the ratio to nginx, and whether the issue's goal for the queue holds: p99 <= 50 ms and at least
20 % of nginx's static rate.

    tests/bench/web_bench.py [--issues N] [--seconds S] [--connections C] [--db FILE]
                             [--fill-only] [--build DIR] [--store sqlite|pg] [--pages P,...]

--store pg fills and serves a PostgreSQL database instead (a server
started here, as tests/system/pg.py starts one for the tests; the rows
are the same, written by COPY; --db is for SQLite only).

The filled database (about 1 GB for 1 000 000 issues; filling it takes a
few minutes) is copied to FILE with --db and taken from there when FILE
exists (--fill-only: stop there). `deskmail db check` runs on it once
after filling. --build DIR takes another build's binaries (e.g. a checkout
before a change) instead of building build-release here; --pages measures
only the pages named. The labels' rows are written as (issue_id, label_id):
from schema 15 on, the store's triggers copy the issue's times, state,
spam flag and assignee into them, as for every writer.

Figures only; never a pass/fail on speed. Not part of contrib/dev/test.
"""
import argparse
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(TOP, "build-release")
os.environ["DESKMAIL_BUILD"] = BUILD
sys.path.insert(0, os.path.join(TOP, "tests", "system"))

import harness  # noqa: E402
import test_web  # noqa: E402
from harness import Desk, deliver, free_port, wait_until  # noqa: E402
from smtp_capture import CaptureServer  # noqa: E402
from test_web import ATTACHMENT, Web, http, with_attachment  # noqa: E402
from test_web_http import MEMBER, sign_in  # noqa: E402

PROJECTS = (("acme/game", ()), ("acme/web", ()), ("acme/shop", ()), ("other/desk", ()))
MINE = ("acme/game", "acme/web", "acme/shop")
LABELS = ("bug", "billing", "urgent")
COMMON = "support"  # a label of every project, on 2 in 5 issues
WORDS = ("printer password login invoice refund server timeout update crash screen mobile account "
         "payment delivery error network backup export import report license upgrade install "
         "monitor keyboard mouse cable router wifi email calendar").split()
GOAL_P99_MS, GOAL_SHARE = 50.0, 0.20


def build_release():
    if not os.path.exists(os.path.join(BUILD, "build.ninja")):
        subprocess.run(["meson", "setup", BUILD, "--buildtype=release"], cwd=TOP, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", BUILD, "-j2", "src/server/deskmaild", "src/cli/deskmail",
                    "src/web/deskmail-web"], check=True, stdout=subprocess.DEVNULL)


def need(program, package):
    if not shutil.which(program):
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


# --- the desk ---------------------------------------------------------------
def text(rng, words):
    return " ".join(rng.choice(WORDS) + (f" w{rng.randrange(100000)}" if i % 4 == 3 else "")
                    for i in range(words))


ISSUE_COLUMNS = ("project_id, iid, title, description, state, author_email, author_name, message_id, "
                 "raw_message_id, created_at, updated_at, assignee, closed_at")


COMMON_SQL = ("INSERT INTO issue_label (issue_id, label_id) SELECT i.id, l.id FROM issue i JOIN label l "
              f"ON l.project_id = i.project_id AND l.name_key = '{COMMON}' WHERE i.iid % 5 < 2")


def fill(desk, n):
    """n issues by SQL, in one transaction, with their search index rows
    (titles and descriptions are lower-case ASCII: their folded text, what
    the store indexes, is the text itself), labels and assignees."""
    if desk.pg:
        return fill_pg(desk, n)
    t0 = time.time()
    db = sqlite3.connect(desk.db, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    pids = {path: pid for pid, path in db.execute("SELECT id, path FROM project")}
    labels = {name: lid for lid, name in db.execute(
        "SELECT l.id, l.name FROM label l JOIN project p ON p.id = l.project_id WHERE p.path = 'acme/game'")}
    raw_id = db.execute("SELECT min(id) FROM raw_message").fetchone()[0]
    last = {pid: db.execute("SELECT last_iid FROM project WHERE id = ?", (pid,)).fetchone()[0]
            for pid in pids.values()}
    db.execute("BEGIN")
    first = db.execute("SELECT COALESCE(max(id), 0) FROM issue").fetchone()[0]
    db.executemany(f"INSERT INTO issue ({ISSUE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   issue_rows(n, pids, last, raw_id))
    db.execute("INSERT INTO search_text (issue_id, text) SELECT id, title || ' ' || description "
               "FROM issue WHERE id > ?", (first,))
    pid = pids["acme/game"]
    for m, name in enumerate(LABELS):
        db.execute("INSERT INTO issue_label (issue_id, label_id) SELECT id, ? FROM issue "
                   "WHERE id > ? AND project_id = ? AND iid % 20 = ?", (labels[name], first, pid, m))
    db.execute(COMMON_SQL)
    for p, v in last.items():
        db.execute("UPDATE project SET last_iid = ? WHERE id = ?", (v, p))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f"filled {n} issues in {time.time() - t0:.0f} s", flush=True)


def fill_pg(desk, n):
    """fill() on PostgreSQL: the same rows by COPY, the search index by
    to_tsvector('simple'), which makes of lower-case ASCII words the
    lexemes the store's own vectors hold; then ANALYZE."""
    t0 = time.time()

    def query(sql):
        return [line.split("|") for line in desk.pg.psql(sql, db=desk.query_db).split("\n") if line]

    pids = {path: int(pid) for pid, path in query("SELECT id, path FROM project")}
    labels = {name: int(lid) for lid, name in query(
        "SELECT l.id, l.name FROM label l JOIN project p ON p.id = l.project_id WHERE p.path = 'acme/game'")}
    raw_id = int(query("SELECT min(id) FROM raw_message")[0][0])
    last = {int(pid): int(v) for pid, v in query("SELECT id, last_iid FROM project")}
    first = int(query("SELECT COALESCE(max(id), 0) FROM issue")[0][0])
    pg = desk.pg
    copy = subprocess.Popen(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d",
                             desk.query_db, "-v", "ON_ERROR_STOP=1", "-c",
                             f"COPY issue ({ISSUE_COLUMNS}) FROM STDIN"],
                            stdin=subprocess.PIPE, text=True)
    for row in issue_rows(n, pids, last, raw_id):
        copy.stdin.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    copy.stdin.close()
    if copy.wait() != 0:
        raise SystemExit("COPY into issue failed")
    pid = pids["acme/game"]
    sql = [f"INSERT INTO search_doc (issue_id, words) SELECT id, to_tsvector('simple', title || ' ' || "
           f"description) FROM issue WHERE id > {first}"]
    for m, name in enumerate(LABELS):
        sql.append(f"INSERT INTO issue_label (issue_id, label_id) SELECT id, {labels[name]} FROM issue "
                   f"WHERE id > {first} AND project_id = {pid} AND iid % 20 = {m}")
    sql.append(COMMON_SQL)
    for p, v in last.items():
        sql.append(f"UPDATE project SET last_iid = {v} WHERE id = {p}")
    desk.pg.psql("BEGIN; " + "; ".join(sql) + "; COMMIT", db=desk.query_db)
    desk.pg.psql("ANALYZE", db=desk.query_db)
    print(f"filled {n} issues in {time.time() - t0:.0f} s (PostgreSQL)", flush=True)


def issue_rows(n, pids, last, raw_id):
    """The issue rows fill() adds, in ISSUE_COLUMNS' order (the same on
    either store: one seed)."""
    rng = random.Random(42)
    start = int(time.time()) - 86400 * 400
    order = [pids[p] for p, _ in PROJECTS]

    def rows():
        for k in range(n):
            pid = order[k % len(order)]
            last[pid] += 1
            created = start + k * 30
            updated = created + rng.randrange(86400 * 20)
            title = text(rng, 4)
            description = text(rng, 16) + (" zebracorn" if k % (n // 10 or 1) == 6 else "")
            # The newest 5 %: mostly open; before them 1 in 50 still open.
            open_ = rng.random() < (0.7 if k >= n * 0.95 else 0.02)
            assignee = rng.choice(("", "", "", MEMBER, "bob@example.com"))
            yield (pid, last[pid], title, description, "opened" if open_ else "closed",
                   f"c{k % 5000}@example.org", "", f"fill-{k}@x", raw_id, created,
                   min(updated, int(time.time())), assignee, None if open_ else updated)

    return rows()


def conversation(desk):
    """The issue page's issue: a customer's mail with an attachment, then
    answers, internal notes and the customer's replies (12 notes)."""
    deliver(desk, [desk.address["acme/game"]],
            with_attachment("Printer on fire", "It smokes when printing duplex. " * 20, "report.bin",
                            ATTACHMENT))
    ref = desk.issues("acme/game")[0]["ref"]
    desk.cli("issue", "label", ref, "+urgent", "+bug", "--as", MEMBER, json_out=False)
    for i in range(6):
        desk.cli("reply", ref, "--as", MEMBER, "-m", f"Answer {i}: please try this and that. " * 8,
                 json_out=False)
        desk.cli("note", ref, "--as", MEMBER, "-m", f"Internal {i}: checked the logs. " * 6, json_out=False)
    return ref


def make_desk(args, relay):
    desk = Desk("limits: { new_issues_per_sender_hour: 0, confirmations_per_sender_day: 0 }\n",
                projects=PROJECTS, relay_port=relay.port, postgresql=args.store == "pg")
    for p in MINE:
        desk.cli("project", "member", "add", p, MEMBER, json_out=False)
    for name in LABELS:
        desk.cli("project", "label", "add", "acme/game", name, json_out=False)
    for path, _ in PROJECTS:
        desk.cli("project", "label", "add", path, COMMON, json_out=False)
    if args.db and desk.pg:
        raise SystemExit("--db keeps an SQLite file: not with --store pg")
    if args.db and os.path.exists(args.db):
        for suffix in ("-wal", "-shm"):
            if os.path.exists(desk.db + suffix):
                os.unlink(desk.db + suffix)
        shutil.copyfile(args.db, desk.db)
        print(f"database taken from {args.db}", flush=True)
        # Filled by an older build: brought to this one's schema.
        p = subprocess.run([harness.DESKMAIL, "-c", desk.config, "db", "migrate"], capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise SystemExit("db migrate failed: " + p.stderr)
        desk.start()
        return desk
    desk.start()
    conversation(desk)
    desk.stop()
    fill(desk, args.issues)
    t = time.time()
    p = subprocess.run([harness.DESKMAIL, "-c", desk.config, "db", "check"], capture_output=True, text=True)
    print(f"deskmail db check ({time.time() - t:.0f} s): {(p.stdout + p.stderr).strip()}", flush=True)
    if p.returncode != 0:
        raise SystemExit("db check failed")
    if args.db:
        shutil.copyfile(desk.db, args.db)
    if args.fill_only:
        desk.close()
        raise SystemExit(0)
    desk.start()
    return desk


def pages(desk, n):
    """(name, path) of each page measured."""
    issue = desk.scalar("SELECT p.path || '/' || i.iid FROM issue i JOIN project p ON p.id = i.project_id "
                        "WHERE i.title = 'Printer on fire'")
    mine = ",".join(f"'{p}'" for p in MINE)
    opened = desk.scalar(f"SELECT count(*) FROM issue i JOIN project p ON p.id = i.project_id WHERE "
                         f"p.path IN ({mine}) AND i.state = 'opened'")
    # "KEY.ID", the cursor of a page, on either store.
    deep = desk.scalar(f"SELECT i.updated_at || '.' || i.id FROM issue i JOIN project p ON p.id = i.project_id "
                       f"WHERE p.path IN ({mine}) AND i.state = 'opened' ORDER BY i.updated_at DESC, i.id DESC "
                       f"LIMIT 1 OFFSET {int(opened) // 2}")
    old = desk.scalar(f"SELECT i.created_at || '.' || i.id FROM issue i JOIN project p ON p.id = i.project_id "
                      f"WHERE p.path IN ({mine}) ORDER BY i.created_at DESC, i.id DESC LIMIT 1 OFFSET {n * 3 // 8}")
    # The search for a word in half the issues last: its requests outlast
    # wrk's run and would hold the handler threads during the next page.
    return [("queue", "/issues"),
            ("queue-deep", f"/issues?state=opened&sort=updated&after={deep}"),
            ("queue-old", f"/issues?state=all&sort=created&after={old}"),
            ("issue", f"/issue/{issue}"),
            ("mine", "/issues?assignee=me"),
            ("search-rare", "/issues?state=all&q=zebracorn"),
            ("search-some", "/issues?state=all&q=w4242"),
            ("label", "/issues?state=all&label=billing"),
            ("label-common", f"/issues?state=all&label={COMMON}"),
            ("label-open", f"/issues?label={COMMON}"),
            ("search", "/issues?state=all&q=printer")]


# --- nginx and wrk ----------------------------------------------------------
class Nginx:
    """nginx on a free loopback port, serving `root`, config and logs in a
    directory of its own."""

    def __init__(self, root, workers):
        self.dir = tempfile.mkdtemp(prefix="web-bench-nginx-")
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
worker_processes {workers};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  types {{ text/html html; }}
  server {{
    listen 127.0.0.1:{self.port};
    root {root};
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                                      "-c", conf], stderr=subprocess.DEVNULL)
        if not wait_until(self.up, timeout=10):
            raise RuntimeError("nginx did not start")

    def up(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def close(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid):
    """User and system CPU of process pid so far (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


PIN = False  # --pin: the servers on CPU 0, wrk on CPU 1


def pin_server(pid):
    """With --pin, every thread of process pid (and its children) on CPU 0."""
    if PIN:
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(pid)], check=True,
                       stdout=subprocess.DEVNULL)
        for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                    text=True).stdout.split():
            pin_server(int(child))


def wrk(url, seconds, connections, cookie=None, pid=None):
    """{p50, p90, p99 (ms), rps, errors, cpu_us} of one wrk run (two
    threads); cpu_us: process pid's CPU per request answered, in us."""
    before = cpu_seconds(pid) if pid else 0.0
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    if PIN:
        cmd[0:0] = ["taskset", "-c", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    got = {}
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        got["p" + pct] = to_ms(*m.groups())
    got["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"^\s*(\d+) requests in", out, re.M).group(1))
    got["cpu_us"] = (cpu_seconds(pid) - before) / done * 1e6 if pid and done else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    got["errors"] = f"{errors} non-2xx" + (f", socket {m.group(1)}" if m else "")
    return got


def measure(args, desk, web, cookie):
    root = tempfile.mkdtemp(prefix="web-bench-static-")
    nginx = None
    rows = []
    try:
        todo = []
        for name, path in pages(desk, args.issues):
            if args.pages and name not in args.pages.split(","):
                continue
            status, _, body = http(web.url + path, headers={"Cookie": cookie})
            if status != 200:
                raise SystemExit(f"{name}: {path}: HTTP {status}")
            with open(os.path.join(root, name + ".html"), "wb") as f:
                f.write(body)
            todo.append((name, path, len(body)))
        nginx = Nginx(root, workers=1 if PIN else os.cpu_count())
        pin_server(nginx.proc.pid)
        pin_server(web.proc.pid)
        for name, path, size in todo:
            wrk(web.url + path, 1, args.connections, cookie)  # warm-up
            d = wrk(web.url + path, args.seconds, args.connections, cookie, web.proc.pid)
            s = wrk(f"http://127.0.0.1:{nginx.port}/{name}.html", args.seconds, args.connections)
            rows.append((name, path, size, d, s))
            print(f"  {name}: {d['p50']:.2f} / {d['p99']:.2f} ms, {d['rps']:.0f}/s, {d['cpu_us']:.0f} us CPU a "
                  f"request ({d['errors']}); "
                  f"nginx {s['rps']:.0f}/s", flush=True)
    finally:
        if nginx:
            nginx.close()
        shutil.rmtree(root, ignore_errors=True)
    return rows


def report(args, rows):
    store = "PostgreSQL" if args.store == "pg" else "SQLite"
    print(f"\ndeskmail-web ({'release' if not args.build else args.build}, {store}, {args.issues} issues) and nginx serving a static file of "
          f"the same size; wrk, {args.connections} connections, keep-alive, {args.seconds} s each")
    print("| page | bytes | p50 ms | p90 ms | p99 ms | req/s | CPU us/req | nginx p99 ms | nginx req/s | "
          "share of nginx |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, _, size, d, s in rows:
        if "timeout" in d["errors"] and d["rps"] < 1:
            print(f"| {name} | {size} | no answer within wrk's 2 s | | | 0 | | {s['p99']:.2f} | {s['rps']:.0f} | 0 |")
            continue
        print(f"| {name} | {size} | {d['p50']:.2f} | {d['p90']:.2f} | {d['p99']:.2f} | {d['rps']:.0f} | "
              f"{d['cpu_us']:.0f} | {s['p99']:.2f} | {s['rps']:.0f} | {d['rps'] / s['rps'] * 100:.1f} % |")
    print()
    for name, path, _, d, s in rows:
        print(f"{name}: {path}")
    print()
    for name, _, _, d, s in rows:
        if not name.startswith("queue"):
            continue
        share = d["rps"] / s["rps"]
        met = d["p99"] <= GOAL_P99_MS and share >= GOAL_SHARE
        print(f"goal for {name} (p99 <= {GOAL_P99_MS:.0f} ms, >= {GOAL_SHARE:.0%} of nginx): "
              f"{'met' if met else 'NOT met'} (p99 {d['p99']:.1f} ms, {share:.1%})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--issues", type=int, default=1000000)
    ap.add_argument("--seconds", type=int, default=10, help="per page and server")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--db", help="keep the filled database here; take it from here when it exists")
    ap.add_argument("--fill-only", action="store_true", help="stop once the database is filled (--db)")
    ap.add_argument("--build", metavar="DIR", help="this build's binaries instead of build-release")
    ap.add_argument("--pages", help="only these pages (names, comma-separated)")
    ap.add_argument("--pin", action="store_true",
                    help="the servers on CPU 0, wrk on CPU 1: steadier pairs of builds (the "
                         "scheduler's placement of the threads moves an unpinned run by a fifth)")
    ap.add_argument("--store", choices=("sqlite", "pg"), default="sqlite",
                    help="pg: a PostgreSQL server started here, as the system tests start one")
    args = ap.parse_args()
    global PIN
    PIN = args.pin
    need("wrk", "wrk")
    need("nginx", "nginx-light")
    if args.build:
        build = os.path.abspath(args.build)
        harness.DESKMAILD = os.path.join(build, "src", "server", "deskmaild")
        harness.DESKMAIL = os.path.join(build, "src", "cli", "deskmail")
        test_web.DESKMAIL_WEB = os.path.join(build, "src", "web", "deskmail-web")
    else:
        build_release()
    with CaptureServer() as relay:
        relay.start()
        desk = make_desk(args, relay)
        try:
            # No request timeout (web.request_timeout_ms at its most): the
            # slow pages are measured, not answered 503.
            with Web(desk, ", request_timeout_ms: 600000") as web:
                cookie = sign_in(web, relay)
                rows = measure(args, desk, web, cookie)
        finally:
            desk.close()
    report(args, rows)


if __name__ == "__main__":
    main()
