"""pg.py: a real PostgreSQL server for tests, in its own directory on a
loopback port (Debian's postgresql-15 binaries). As root it runs as the
'postgres' user, since the server refuses to run as root.

    python3 pg.py start DIR     start one and print its base connection string
    python3 pg.py stop DIR
    python3 pg.py run CMD...    start one in a directory of its own, run CMD
                                with DESKMAIL_TEST_PG naming a database in
                                it, stop it, remove it; CMD's exit status
"""
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"


def available():
    return os.path.exists(os.path.join(BIN, "postgres"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, directory=None, port=None):
        self.owns_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="deskmail-pg-")
        self.data = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "postgres.log")
        self.port = port or _free_port()
        self.user = "deskmail"
        self.as_root = os.getuid() == 0
        try:
            self._init()
        except BaseException:
            if self.owns_dir:
                shutil.rmtree(self.dir, ignore_errors=True)
            raise

    # A PgServer is a context manager (TestCase.enterContext): closed on exit.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _init(self):
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        if not os.path.exists(self.data):
            self._run([f"{BIN}/initdb", "-D", self.data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "-N"])
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                # Durable as in production: fsync and synchronous_commit stay on.
                f.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                        f"unix_socket_directories = '{self.dir}'\nmax_connections = 200\n"
                        "shared_buffers = 64MB\nfsync = on\nsynchronous_commit = on\n")

    def _run(self, cmd, check=True, **kw):
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)

    # --- the server ----------------------------------------------------------
    def start(self):
        """Starts the server; if it does not come up, whatever did is stopped."""
        try:
            self._run([f"{BIN}/pg_ctl", "-D", self.data, "-l", self.logfile, "-w", "-t", "60", "start"])
        except BaseException:
            self.stop("immediate")
            raise
        return self

    def stop(self, mode="fast"):
        self._run([f"{BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"], check=False)

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def running(self):
        return self._run([f"{BIN}/pg_ctl", "-D", self.data, "status"], check=False).returncode == 0

    def close(self):
        self.stop("immediate")
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # --- databases -----------------------------------------------------------
    def psql(self, sql, db="postgres"):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                            "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {p.stderr}")
        return p.stdout

    def create_db(self, name=None):
        name = name or "d" + secrets.token_hex(6)
        self.psql(f"CREATE DATABASE {name}")
        return name

    def base(self):
        return f"host=127.0.0.1 port={self.port} user={self.user}"

    def conn(self, db):
        return f"postgresql://{self.base()} dbname={db}"


_shared = None


def shared():
    """One server for a whole test run (started on first use)."""
    global _shared
    if _shared is None:
        import atexit
        server = PgServer()
        atexit.register(server.close)
        _shared = server.start()
    return _shared


def run(cmd):
    """Runs cmd against a server of its own (pg.py run); its exit status."""
    server = PgServer()
    try:
        server.start()
        server.create_db("deskmail_unit")
        env = dict(os.environ, DESKMAIL_TEST_PG=server.conn("deskmail_unit"))
        return subprocess.run(cmd, env=env).returncode
    finally:
        server.close()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2:]))
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    d = os.path.abspath(sys.argv[2])
    os.makedirs(d, exist_ok=True)
    if sys.argv[1] == "start":
        s = PgServer(d).start()
        s.create_db("deskmail_unit")
        print(s.conn("deskmail_unit"))
    else:
        s = PgServer(d)
        s.stop("immediate")
