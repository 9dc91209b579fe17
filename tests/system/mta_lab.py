"""mta_lab.py: real Postfix and Exim on loopback, in the test's own
directories, relaying a desk domain to deskmaild over LMTP. Nothing under
/etc is touched. Needs root (Postfix's master runs as root).

Postfix comes from Debian's package; Exim is unpacked from its .deb beside
it (installing exim4 would remove postfix): contrib/dev/test puts it under
/var/cache/deskmail-test/exim-root.
"""
import os
import shutil
import subprocess
import tempfile
import time

EXIM_ROOT = os.environ.get("DESKMAIL_EXIM_ROOT", "/var/cache/deskmail-test/exim-root")
EXIM = os.path.join(EXIM_ROOT, "usr/sbin/exim4")


def have_postfix():
    return os.geteuid() == 0 and shutil.which("postfix") is not None and os.path.exists("/etc/postfix/master.cf")


def have_exim():
    if os.geteuid() != 0 or not os.path.exists(EXIM):
        return False
    return subprocess.run([EXIM, "-C", "/dev/null", "--version"], capture_output=True).returncode == 0


class Postfix:
    """A Postfix instance: smtpd on 127.0.0.1:port, LMTP to deskmaild."""

    def __init__(self, port, transports, relay_domains, extra="", master_extra="", etc_files=None):
        """Configures and starts it; if that fails, stops what started.
        `extra`: more main.cf lines (milters, header checks; a later line
        overrides an earlier one); `master_extra`: more master.cf lines (other
        smtpd services); `etc_files`: {path under its config directory: text},
        e.g. sasl/smtpd.conf."""
        self.dir = None
        self.master_extra = master_extra
        self.etc_files = etc_files or {}
        try:
            self._setup(port, transports, relay_domains, extra)
        except BaseException:
            self.stop()
            raise

    # A context manager (TestCase.enterContext): stopped on exit.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _setup(self, port, transports, relay_domains, extra):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="deskmail-pf-")
        os.chmod(self.dir, 0o755)
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.etc)
        os.makedirs(self.data)
        os.makedirs(self.spool)
        shutil.chown(self.data, "postfix", "postfix")
        self.maillog = os.path.join(self.dir, "maillog")
        tmap = ", ".join(f"{d}={t}" for d, t in transports.items())
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {self.spool}
data_directory = {self.data}
maillog_file = {self.maillog}
maillog_file_prefixes = /var, {self.dir}
myhostname = mx.deskmail.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = {", ".join(relay_domains)}
transport_maps = inline:{{ {tmap} }}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = reject_unverified_recipient
unverified_recipient_reject_code = 550
address_verify_poll_count = 10
address_verify_poll_delay = 1s
lmtp_destination_recipient_limit = 50
smtputf8_enable = yes
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
{extra}""")
        with open("/etc/postfix/master.cf") as f:
            master = f.read()
        import re
        master = re.sub(r"^smtp(\s+)inet", rf"127.0.0.1:{port}\1inet", master, flags=re.M)
        # chroot n everywhere: our paths are outside /var/spool/postfix
        master = re.sub(r"^([0-9a-z.:]+\s+(?:inet|unix|unix-dgram|pass|fifo)\s+[-ny]\s+[-ny]\s+)[-y]",
                        r"\1n", master, flags=re.M)
        master = re.sub(r"^(lmtp\s+unix\s+.*\slmtp)$", r"\1 flags=X", master, flags=re.M)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master + self.master_extra)
        for name, text in self.etc_files.items():
            path = os.path.join(self.etc, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        # Creates the queue's subdirectories with their owners and modes.
        self.run("check")
        self.run("start")

    def run(self, *args, check=True):
        p = subprocess.run(["postfix", "-c", self.etc, *args], capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise RuntimeError(f"postfix {args}: {p.stdout}{p.stderr}\n{self.log()}")
        return p

    def queue(self):
        """Messages in the queue (postqueue -j)."""
        p = subprocess.run(["postqueue", "-c", self.etc, "-j"], capture_output=True, text=True)
        return [l for l in p.stdout.splitlines() if l.strip()]

    def flush(self):
        subprocess.run(["postqueue", "-c", self.etc, "-f"], capture_output=True)

    def log(self):
        try:
            return open(self.maillog, errors="replace").read()
        except OSError:
            return ""

    def stop(self):
        if self.dir is None:
            return
        if os.path.exists(os.path.join(self.dir, "etc", "main.cf")):
            self.run("stop", check=False)
            time.sleep(0.5)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class Exim:
    """Exim 4 from the unpacked .deb: SMTP on 127.0.0.1:port, LMTP to deskmaild
    over the unix socket (lmtp transport) and over TCP (smtp transport with
    protocol = lmtp)."""

    def __init__(self, port, unix_domain, unix_socket, tcp_domain, tcp_port, data_acl="", main="", wrapper=()):
        """Configures and starts it; if that fails, stops what started.
        `data_acl`: statements before the DATA ACL's accept; `main`: more
        main-section lines; `wrapper`: a command that execs the daemon
        (a mount namespace with a resolv.conf of its own)."""
        self.dir = None
        self.wrapper = tuple(wrapper)
        try:
            self._setup(port, unix_domain, unix_socket, tcp_domain, tcp_port, data_acl, main)
        except BaseException:
            self.stop()
            raise

    # A context manager (TestCase.enterContext): stopped on exit.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _setup(self, port, unix_domain, unix_socket, tcp_domain, tcp_port, data_acl, main):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="deskmail-exim-")
        os.chmod(self.dir, 0o755)
        self.spool = os.path.join(self.dir, "spool")
        self.logdir = os.path.join(self.dir, "log")
        for d in (self.spool, self.logdir):
            os.makedirs(d)
            shutil.chown(d, "Debian-exim")
        self.conf = os.path.join(self.dir, "exim.conf")
        self.pidfile = os.path.join(self.dir, "exim.pid")
        with open(self.conf, "w") as f:
            f.write(f"""spool_directory = {self.spool}
log_file_path = {self.logdir}/%slog
pid_file_path = {self.pidfile}
primary_hostname = exim.deskmail.test
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = {port}
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
deliver_drop_privilege = true
domainlist desk_domains = {unix_domain} : {tcp_domain}
hostlist relay_hosts = 127.0.0.1
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
retry_interval_max = 5s
{main}
begin acl
acl_rcpt:
  deny    domains = !+desk_domains
          message = relay not permitted
  # The desk decides at RCPT time: ask it (a callout over LMTP).
  require verify = recipient/callout=10s,defer_ok
  accept  hosts = +relay_hosts
acl_data:
{data_acl}
  accept

begin routers
# Exim's lmtp transport cannot be asked by a callout, so recipient
# verification of the unix-socket domain goes to the same deskmaild over
# LMTP on TCP (verify_only: never used to deliver).
desk_verify:
  driver = manualroute
  domains = {unix_domain}
  verify_only
  route_list = * 127.0.0.1 byname
  self = send
  transport = desk_lmtp_tcp
desk_unix:
  driver = accept
  domains = {unix_domain}
  transport = desk_lmtp_unix
desk_tcp:
  driver = manualroute
  domains = {tcp_domain}
  route_list = * 127.0.0.1 byname
  self = send
  transport = desk_lmtp_tcp

begin transports
desk_lmtp_unix:
  driver = lmtp
  socket = {unix_socket}
  batch_max = 50
  timeout = 5m
desk_lmtp_tcp:
  driver = smtp
  protocol = lmtp
  port = {tcp_port}
  allow_localhost
  hosts_avoid_tls = *
  max_rcpt = 50

begin retry
*   *   F,1h,2s

begin rewrite
""")
        subprocess.run([*self.wrapper, EXIM, "-C", self.conf, "-bd", "-q2s"], check=True, capture_output=True, timeout=30)
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(self.pidfile):
            time.sleep(0.1)

    def queue_count(self):
        p = subprocess.run([EXIM, "-C", self.conf, "-bpc"], capture_output=True, text=True)
        return int(p.stdout.strip() or 0)

    def flush(self):
        subprocess.run([EXIM, "-C", self.conf, "-qff"], capture_output=True, timeout=120)

    def log(self):
        out = ""
        for name in ("mainlog", "rejectlog", "paniclog"):
            try:
                out += open(os.path.join(self.logdir, name), errors="replace").read()
            except OSError:
                pass
        return out

    def stop(self):
        if self.dir is None:
            return
        try:
            pid = int(open(os.path.join(self.dir, "exim.pid")).read().strip())
            os.kill(pid, 15)
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def have_cyrus_sasl():
    """saslpasswd2 (sasl2-bin) and the PLAIN/LOGIN and sasldb plugins."""
    return (shutil.which("saslpasswd2") is not None
            and any(os.path.exists(f"/usr/lib/x86_64-linux-gnu/sasl2/{m}") or
                    os.path.exists(f"/usr/lib/sasl2/{m}") for m in ("libplain.so", "libplain.so.2"))
            and "cyrus" in subprocess.run(["postconf", "-a"], capture_output=True, text=True).stdout)


def smarthost_config(workdir, cert, key, user, password, tls_port, plain_port):
    """A Postfix submission relay, as a site's smarthost is set up: relays only
    for clients logged in with SASL (Cyrus, a sasldb in `workdir`), AUTH only
    after STARTTLS on the main port; implicit TLS on tls_port, with AUTH LOGIN
    only; and plain_port offering no STARTTLS at all. Every client's dialogue is logged
    (debug_peer_list), so a test can read what a client sent.
    Returns (main.cf lines, master.cf lines, files) for Postfix(extra=,
    master_extra=, etc_files=)."""
    realm = "mx.deskmail.test"  # myhostname: Cyrus's realm when the client names none
    sasldb = os.path.join(workdir, "sasldb2")
    subprocess.run(["saslpasswd2", "-p", "-c", "-f", sasldb, "-u", realm, user],
                   input=password, text=True, check=True, capture_output=True, timeout=30)
    shutil.chown(sasldb, "postfix", "postfix")
    os.chmod(sasldb, 0o600)
    # Debian's Postfix has Cyrus read $config_directory/sasl/smtpd.conf.
    files = {"sasl/smtpd.conf": "pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                                f"mech_list: PLAIN LOGIN\nsasldb_path: {sasldb}\n"}
    os.chmod(workdir, 0o755)
    extra = f"""smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
mynetworks = 192.0.2.1/32
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
debug_peer_list = 127.0.0.1
"""
    master = (f"127.0.0.1:{tls_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes "
              f"-o smtpd_tls_security_level=encrypt -o smtpd_sasl_mechanism_filter=login\n"
              f"127.0.0.1:{plain_port} inet n - n - - smtpd -o smtpd_tls_security_level=none\n")
    return extra, master, files
