"""harness.py: start the real deskmaild in a scratch directory and talk to it.

Everything a system test needs: a config with a free TCP port and a unix
socket, `deskmail db init`, projects, the daemon process, a raw LMTP client
for byte-exact scripts, swaks, and the CLI with --json.
"""
import json
import os
import re
import shutil
import sqlite3
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("DESKMAIL_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
DESKMAILD = os.path.abspath(os.path.join(BUILD, "src", "server", "deskmaild"))
DESKMAIL = os.path.abspath(os.path.join(BUILD, "src", "cli", "deskmail"))
GOLDEN = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "golden"))
DOMAIN = "support.example.com"


def wait_until(pred, timeout=15, step=0.1):
    """Polls pred() until it is true or the time is up; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# DESKMAIL_TEST_STORE=postgresql runs every Desk on a database of its own in
# one real PostgreSQL server started for the run (tests/system/pg.py).
POSTGRESQL = os.environ.get("DESKMAIL_TEST_STORE") == "postgresql"
sqlite_only = unittest.skipIf(POSTGRESQL, "holds a lock on the SQLite file itself")


class Desk:
    """One deskmaild with its own database, config and sockets."""

    def __init__(self, extra_config="", projects=(("acme/game", ()), ("acme/web", ())), relay_port=None,
                 share=None, postgresql=False, pg_server=None, unix_listen=None):
        """share: another Desk whose database this one uses (a second
        instance on the same PostgreSQL database): no init, same projects.
        If it fails half-way, what it made is removed again.
        unix_listen: the unix socket's listen entry, with {sock} for its
        path (default "unix:{sock}")."""
        self.unix_listen = unix_listen
        self.dir = tempfile.mkdtemp(prefix="deskmail-sys-")
        self.proc = None
        self.pg = self.pg_db = None
        try:
            self._setup(extra_config, projects, relay_port, share, postgresql, pg_server)
        except BaseException:
            self.close()
            raise

    # A Desk is a context manager (TestCase.enterContext): closed on exit.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _setup(self, extra_config, projects, relay_port, share, postgresql, pg_server):
        self.port = free_port()
        # Without a relay of the test's own, mail goes to a port nobody
        # listens on and stays pending.
        self.relay_port = relay_port or free_port()
        self.sock = os.path.join(self.dir, "lmtp.sock")
        self.db = os.path.join(self.dir, "deskmail.db")
        if share is not None:
            self.pg, self.database = share.pg, share.database
        elif POSTGRESQL or postgresql or pg_server:
            import pg
            self.pg = pg_server or pg.shared()
            self.pg_db = self.pg.create_db()
            self.database = self.pg.conn(self.pg_db)
        else:
            self.database = f"sqlite3://db={self.db}"
        self.query_db = share.query_db if share is not None else self.pg_db
        self.config = os.path.join(self.dir, "deskmail.yaml")
        self.log_path = os.path.join(self.dir, "deskmaild.log")
        self.extra = extra_config
        self.write_config()
        self.address = {}
        if share is not None:
            self.address = dict(share.address)
            projects = ()
        else:
            self.cli("db", "init")
        for path, aliases in projects:
            args = ["project", "add", path]
            for a in aliases:
                args += ["--alias", a]
            self.address[path] = self.cli(*args)["address"]

    def write_config(self, extra=None):
        if extra is not None:
            self.extra = extra
        with open(self.config, "w") as f:
            f.write(
                f'listen: ["tcp:127.0.0.1:{self.port}", {self.unix_entry()}]\n'
                f"address: desk@{DOMAIN}\n"
                f'database: "{self.database}"\n'
                f"hostname: deskmail.test\n"
                + ("" if "outbound:" in self.extra else
                   f'outbound: {{ relay: "127.0.0.1:{self.relay_port}", retry_base: 1, retry_max: 2 }}\n')
                + self.extra
            )

    def unix_entry(self):
        return (self.unix_listen or '"unix:{sock}"').format(sock=self.sock)

    # --- process -----------------------------------------------------------
    def start(self, env=None, wrapper=()):
        """env: extra environment (DESKMAIL_FAULT for the crash tests);
        wrapper: a command that execs deskmaild (fiu-run for the fault matrix).
        If it does not come up, the process is killed before the error is raised."""
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([*wrapper, DESKMAILD, "-c", self.config], stdout=self.logf, stderr=self.logf,
                                     env=dict(os.environ, **(env or {})))
        try:
            return self._wait_until_up()
        except BaseException:
            self.stop(sig=signal.SIGKILL)
            raise

    def _wait_until_up(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("deskmaild exited: " + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                # Up once the unix socket accepts: its path exists from
                # bind(), but its mode and owner are set just before
                # listen() (a test that stat()s it raced that under load).
                if self._unix_accepts():
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("deskmaild did not start: " + self.log())

    def _unix_accepts(self):
        if not os.path.exists(self.sock):
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.2)
        try:
            s.connect(self.sock)
            return True
        except PermissionError:
            return True  # not ours to use (a test of the socket's owner): set up already
        except OSError:
            return False
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        if self.proc:
            self.logf.close()
        self.proc = None
        return rc

    def close(self):
        """Stops the daemon, removes the directory and drops the database;
        safe to call twice."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.pg_db:
            try:
                self.pg.psql(f"DROP DATABASE {self.pg_db}")
            except RuntimeError:
                pass
            self.pg_db = None

    # --- the database itself (what an admin would look at) -----------------
    def scalar(self, sql):
        """The first column of the first row of a query, on either store."""
        if self.pg:
            out = self.pg.psql(sql, db=self.query_db).strip()
            return int(out) if out.lstrip("-").isdigit() else out
        db = sqlite3.connect(self.db)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()

    def raw_messages(self):
        """Every stored raw message, as bytes, oldest first."""
        if self.pg:
            out = self.pg.psql("SELECT encode(content, 'hex') FROM raw_message ORDER BY id", db=self.query_db)
            return [bytes.fromhex(line) for line in out.split()]
        db = sqlite3.connect(self.db)
        try:
            rows = [r[0] for r in db.execute("select content from raw_message order by id")]
        finally:
            db.close()
        return [x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape") for x in rows]

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # --- CLI ---------------------------------------------------------------
    def cli(self, *args, json_out=True, check=True):
        cmd = [DESKMAIL, "-c", self.config, *args] + (["--json"] if json_out else [])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise RuntimeError(f"{cmd} failed ({p.returncode}): {p.stderr}")
        if not json_out:
            return p
        return json.loads(p.stdout) if p.stdout.strip() else None

    def issues(self, project=None, spam=False):
        args = ["issue", "list"] + (["--project", project] if project else []) + (["--spam"] if spam else [])
        return self.cli(*args)

    def show(self, ref):
        return self.cli("issue", "show", ref)

    # --- clients -----------------------------------------------------------
    def lmtp(self, unix=False, timeout=30):
        return Lmtp(self, unix=unix, timeout=timeout)

    def swaks(self, *args, unix=False, timeout=60):
        where = ["--socket", self.sock] if unix else ["--server", "127.0.0.1", "--port", str(self.port)]
        cmd = ["swaks", "--protocol", "LMTP", *where, "--helo", "client.test", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


class Lmtp:
    """A byte-exact LMTP client: send raw bytes, read whole replies."""

    def __init__(self, desk, unix=False, timeout=30):
        if unix:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(desk.sock)
        else:
            self.s = socket.create_connection(("127.0.0.1", desk.port))
        self.s.settimeout(timeout)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; pending: %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """One whole (possibly multi-line) reply as a list of lines."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines

    def code(self):
        return self.reply()[-1][:3]

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def lhlo(self):
        return self.cmd("LHLO client.test")

    def closed(self):
        try:
            return self.s.recv(1) == b""
        except OSError:
            return True

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def message(subject="Help", body="Something is broken.", message_id=None, sender="customer@example.org",
            extra=""):
    mid = f"Message-ID: <{message_id}>\r\n" if message_id else ""
    return (f"From: Customer <{sender}>\r\nTo: desk@{DOMAIN}\r\nSubject: {subject}\r\n{mid}{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")


def dot_stuff(data):
    out = []
    for line in data.split("\r\n"):
        out.append("." + line if line.startswith(".") else line)
    return "\r\n".join(out)


# deskmaild(8), LOGGING: every reply after DATA ends with the delivery's id.
DELIVERY_ID = re.compile(r" id=([0-9A-V]{13})$")


def deliver(desk, rcpts, data, sender="customer@example.org", unix=False, keep_id=False):
    """One transaction; returns (rcpt replies, data replies). Each reply of
    the delivery ends with its id (" id=..."), the same for all of them; it
    is cut off unless keep_id."""
    c = desk.lmtp(unix=unix)
    c.lhlo()
    assert c.cmd(f"MAIL FROM:<{sender}>")[-1].startswith("250"), "MAIL refused"
    rr = [c.cmd(f"RCPT TO:<{r}>")[-1] for r in rcpts]
    accepted = sum(1 for r in rr if r.startswith("250"))
    dr = []
    if accepted:
        assert c.cmd("DATA")[-1].startswith("354")
        body = data if data.endswith("\r\n") else data + "\r\n"
        c.send(dot_stuff(body[:-2]) + "\r\n.\r\n")
        dr = [c.reply()[-1] for _ in range(accepted)]
    c.cmd("QUIT")
    c.close()
    # The session's own refusals (552 over SIZE, 554 bare LF) come before
    # any delivery; everything the deliverer answered has the one id.
    ids = {m.group(1) for m in (DELIVERY_ID.search(r) for r in dr) if m}
    assert len(ids) <= 1, f"replies with different delivery ids: {dr}"
    assert all(DELIVERY_ID.search(r) for r in dr if r.startswith("2")), f"a 250 without its id: {dr}"
    if not keep_id:
        dr = [DELIVERY_ID.sub("", r) for r in dr]
    return rr, dr


class RelayedDesk:
    """Mixin for unittest.TestCase: a capturing SMTP relay (self.relay) and a
    desk (self.desk) that sends its mail there; self.game is acme/game's address.
    Each is closed at the end, or as soon as a later step of setUp fails."""

    def setUp(self):
        from smtp_capture import CaptureServer
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(relay_port=self.relay.port)).start()
        self.game = self.desk.address["acme/game"]
