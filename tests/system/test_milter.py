"""The documented verifier, for real (issue 18): Postfix with OpenDKIM as a
before-queue milter (contrib/postfix/README.md section 6) relays to deskmaild
over LMTP. A member's DKIM-signed reply to their reply key becomes a
responder's note mailed to the customer; the same reply unsigned, with a
broken signature, or with an Authentication-Results field the sender wrote
with the site's authserv-id (at the top or at the bottom of the sender's
header) stays an internal note marked unverified.

What this measures on the way: OpenDKIM (smfi_insheader at index 1) puts its
field above Postfix's own Received: field, where deskmail looks; a sender's
dmarc=pass field with our authserv-id passes OpenDKIM untouched (it removes
only fields with a DKIM result), so only its place gives it away.

With OpenDMARC after OpenDKIM (the documented order), a signed reply gets
dmarc=pass and a forged dkim=pass gets dmarc=fail; listed before OpenDKIM,
OpenDMARC turns a sender's forged dkim=pass into a genuine dmarc=pass, which
is why contrib/postfix/README.md says OpenDKIM first. Exim 4.96 with
`add_header = :at_start:${authresults ...}` (contrib/exim/README.md) puts its
field above its own Received: too, and keeps the sender's copy below.

The member's domain signs with python3-dkim (rsa-sha256); OpenDKIM reads
the public key from a file (TestPublicKeys), so no DNS is needed. OpenDMARC
and Exim have no such option: they run in a mount namespace of their own whose
/etc/resolv.conf names a dnsmasq on a loopback address that serves
company.example's DMARC policy and DKIM key; the machine's resolver is
untouched."""
import email.parser
import email.utils
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

from harness import DOMAIN, Desk, free_port, wait_until
from mta_lab import Exim, Postfix, have_exim, have_postfix
from smtp_capture import CaptureServer

OURS = "mx.deskmail.test"  # mta_lab's Postfix myhostname, and our authserv-id
AGENT = "agent@company.example"
CUSTOMER = "customer@example.org"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, where python3-dkim lives
SIGN = ("import dkim, sys\n"
        "m = sys.stdin.buffer.read()\n"
        "k = open(sys.argv[1], 'rb').read()\n"
        "h = [b'from', b'to', b'subject', b'date', b'message-id', b'in-reply-to']\n"
        "sys.stdout.buffer.write(dkim.sign(m, b'sel1', b'company.example', k, include_headers=h) + m)\n")


def missing():
    """Why the suite cannot run here, or None."""
    if not have_postfix():
        return "needs root and Debian's postfix"
    for tool in ("opendkim", "opendkim-genkey"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            return "needs opendkim and opendkim-tools (contrib/dev/test installs them)"
    if subprocess.run([SYSTEM_PYTHON, "-c", "import dkim"], capture_output=True).returncode != 0:
        return "needs python3-dkim (contrib/dev/test installs it)"
    return None


def forged(result):
    return f"Authentication-Results: {OURS}; {result}\r\n"


def headers_of(raw):
    """The top-level fields of a raw message, in order, names lower-cased."""
    msg = email.parser.BytesHeaderParser().parsebytes(raw)
    return [(k.lower(), str(v)) for k, v in msg.items()]


def missing_dns():
    """Why a daemon cannot get a DNS of its own here, or None."""
    if shutil.which("dnsmasq") is None and not os.path.exists("/usr/sbin/dnsmasq"):
        return "needs dnsmasq-base (contrib/dev/test installs it)"
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        return "needs a mount namespace (unshare -m) for a resolv.conf of its own"
    return None


def missing_dmarc():
    """Why the OpenDMARC cases cannot run here, or None."""
    if missing():
        return missing()
    if shutil.which("opendmarc") is None and not os.path.exists("/usr/sbin/opendmarc"):
        return "needs opendmarc (contrib/dev/test installs it)"
    return missing_dns()


def missing_exim():
    """Why the Exim cases cannot run here, or None."""
    if not have_exim():
        return "needs root and Exim unpacked by contrib/dev/test"
    if subprocess.run([SYSTEM_PYTHON, "-c", "import dkim"], capture_output=True).returncode != 0:
        return "needs python3-dkim (contrib/dev/test installs it)"
    if shutil.which("opendkim-genkey") is None and not os.path.exists("/usr/sbin/opendkim-genkey"):
        return "needs opendkim-tools (contrib/dev/test installs it)"
    return missing_dns()


class Milters:
    """Postfix with the milters `cls.milters` names, in that order (or Exim
    with its own DKIM check when `cls.mta` is "exim"), and a desk that asks
    for `cls.require`."""
    mta = "postfix"
    milters = ("opendkim",)
    require = "dkim_aligned"

    @classmethod
    def setUpClass(cls):
        cls.t0 = time.time()
        cls.stack = []
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        cls.dir = tempfile.mkdtemp(prefix="deskmail-milter-")
        cls.stack.append(lambda: shutil.rmtree(cls.dir, ignore_errors=True))
        cls.key = cls._make_key()
        cls.relay = CaptureServer().start()
        cls.stack.append(cls.relay.stop)
        cls.desk = Desk('socket_mode: "0666"\nlimits: { new_issues_per_sender_hour: 0 }\n'
                        f"authentication: {{ authserv_id: {OURS}, require: {cls.require} }}\n",
                        relay_port=cls.relay.port)
        cls.stack.append(cls.desk.close)
        os.chmod(cls.desk.dir, 0o755)  # Postfix's lmtp client runs as postfix
        cls.desk.cli("project", "member", "add", "acme/game", AGENT)
        cls.desk.cli("project", "set", "acme/game", "notify_members", "on")
        cls.desk.start()
        cls.game = cls.desk.address["acme/game"]
        if cls.mta == "exim":
            # Exim's DKIM check asks DNS for the key: a DNS of its own.
            wrapper = cls._own_dns()
            cls.server = Exim(free_port(), DOMAIN, cls.desk.sock, "sd-tcp.example", cls.desk.port,
                              data_acl=f"  warn add_header = :at_start:${{authresults {{{OURS}}}}}\n",
                              wrapper=wrapper)
            cls.stack.append(cls.server.stop)
            return
        start = {"opendkim": cls._start_opendkim, "opendmarc": cls._start_opendmarc}
        ports = [start[m]() for m in cls.milters]
        milters = ", ".join(f"inet:127.0.0.1:{p}" for p in ports)
        cls.server = Postfix(free_port(), {DOMAIN: f"lmtp:unix:{cls.desk.sock}"}, [DOMAIN],
                             extra=f"smtpd_milters = {milters}\nmilter_default_action = tempfail\n")
        cls.stack.append(cls.server.stop)

    @classmethod
    def _make_key(cls):
        subprocess.run(["opendkim-genkey", "-b", "2048", "-D", cls.dir, "-d", "company.example", "-s", "sel1"],
                       check=True, capture_output=True, timeout=60)
        with open(os.path.join(cls.dir, "sel1.txt")) as f:
            record = "".join(re.findall(r'"([^"]*)"', f.read()))
        cls.record = record
        with open(os.path.join(cls.dir, "keys"), "w") as f:
            f.write(f"sel1._domainkey.company.example {record}\n")
        return os.path.join(cls.dir, "sel1.private")

    @classmethod
    def _start_opendkim(cls):
        port = free_port()
        conf = os.path.join(cls.dir, "opendkim.conf")
        with open(conf, "w") as f:
            f.write(f"Mode v\nSocket inet:{port}@127.0.0.1\nAuthservID {OURS}\nAlwaysAddARHeader yes\n"
                    f"TestPublicKeys {cls.dir}/keys\nSyslog no\nPidFile {cls.dir}/opendkim.pid\n")
        cls._spawn("opendkim", ["opendkim", "-f", "-x", conf], port)
        return port

    @classmethod
    def _own_dns(cls):
        """Starts a dnsmasq on a loopback address of its own serving
        company.example's DMARC policy and DKIM key; returns the command
        prefix that runs a daemon with a resolv.conf naming it."""
        if cls.__dict__.get("dns_wrapper"):
            return cls.dns_wrapper
        ns = f"127.53.{os.getpid() % 250 + 1}.{free_port() % 250 + 1}"
        with open(os.path.join(cls.dir, "resolv.conf"), "w") as f:
            f.write(f"nameserver {ns}\n")
        dns_log = os.path.join(cls.dir, "dnsmasq.log")
        dns = cls._spawn("dnsmasq", ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", f"--listen-address={ns}",
                                     "--bind-interfaces", "--port=53", "--no-resolv", "--no-hosts", "--pid-file=",
                                     "--local=/example/", "--txt-record=_dmarc.company.example,v=DMARC1; p=reject",
                                     f"--txt-record=sel1._domainkey.company.example,{cls.record}"])
        if not wait_until(lambda: "started" in open(dns_log, errors="replace").read() or dns.poll() is not None):
            raise RuntimeError("dnsmasq did not start")
        if dns.poll() is not None:
            raise RuntimeError(f"dnsmasq did not start: {open(dns_log, errors='replace').read()}")
        cls.dns_wrapper = ("unshare", "-m", "sh", "-c",
                           f'mount --bind {cls.dir}/resolv.conf /etc/resolv.conf && exec "$@"', "sh")
        return cls.dns_wrapper

    @classmethod
    def _start_opendmarc(cls):
        wrapper = cls._own_dns()
        port = free_port()
        with open(os.path.join(cls.dir, "ignore"), "w") as f:
            f.write("192.0.2.1\n")  # the default ignores 127.0.0.1, where our "internet" comes from
        conf = os.path.join(cls.dir, "opendmarc.conf")
        with open(conf, "w") as f:
            f.write(f"Socket inet:{port}@127.0.0.1\nAuthservID {OURS}\nTrustedAuthservIDs {OURS}\n"
                    f"IgnoreHosts {cls.dir}/ignore\nSyslog false\nPidFile {cls.dir}/opendmarc.pid\n")
        cls._spawn("opendmarc", [*wrapper, "opendmarc", "-f", "-c", conf], port)
        return port

    @classmethod
    def _spawn(cls, name, argv, port=None):
        """Starts a helper daemon in the foreground, stopped at teardown;
        with `port`, waits until it listens there."""
        log = open(os.path.join(cls.dir, f"{name}.log"), "wb")
        cls.stack.append(log.close)
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

        def stop():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        cls.stack.append(stop)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return proc.poll() is not None
        if port and (not wait_until(listening, timeout=20) or proc.poll() is not None):
            raise RuntimeError(f"{name} did not start: {open(log.name, errors='replace').read()}")
        return proc

    @classmethod
    def tearDownClass(cls):
        while cls.stack:
            try:
                cls.stack.pop()()
            except Exception:
                pass
        what = "Exim" if cls.mta == "exim" else "Postfix + " + " + ".join(cls.milters)
        print(f"\n[test_milter] {cls.__name__}: {what} took {time.time() - cls.t0:.1f} s")

    # --- mail through Postfix ------------------------------------------------
    def send(self, sender, rcpt, data):
        """Over SMTP to Postfix, the data byte for byte."""
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=120) as s:
            refused = s.sendmail(sender, [rcpt], data)
        self.assertEqual(refused, {})

    def mail(self, sender, to, subject, body, mid, top="", bottom="", extra=""):
        """A message as the sender's own client writes it: `top` and
        `bottom` are fields at the start and end of its header."""
        return (f"{top}From: <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
                f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{mid}>\r\n{extra}{bottom}"
                f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()

    def sign(self, data):
        p = subprocess.run([SYSTEM_PYTHON, "-c", SIGN, self.key], input=data, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def open_issue(self):
        """A customer's issue through Postfix; returns (ref, the agent's reply key)."""
        title = f"Card declined {self.id().rsplit('.', 1)[-1]}"
        self.send(CUSTOMER, self.game, self.mail(CUSTOMER, self.game, title, "My card was declined.",
                                                 f"{self.id()}@example.org"))
        issue = wait_until(lambda: [i for i in self.desk.issues() if i["title"] == title], timeout=60)
        self.assertTrue(issue, self.server.log()[-3000:])
        told = wait_until(lambda: [m for m in self.relay.snapshot()
                                   if m.rcpts == [AGENT] and title in str(m["Subject"])])
        self.assertTrue(told, "the member was not notified")
        return issue[0]["ref"], str(told[0]["Reply-To"])

    def answer(self, signed=False, tamper=False, top="", bottom=""):
        """The member answers on their key; returns (ref, token, raw as stored)."""
        ref, key = self.open_issue()
        token = f"pay-{self.id().rsplit('.', 1)[-1]}"
        mid = f"{token}@company.example"
        data = self.mail(AGENT, key, "Re: Card declined", f"Please confirm at https://x.example/{token}", mid,
                         bottom=bottom, extra=f"In-Reply-To: <{self.id()}@example.org>\r\n")
        if signed:
            data = self.sign(data)
        if tamper:  # altered after signing: the signature no longer verifies
            data = data.replace(b"Please confirm", b"Please CONFIRM")
        self.send(AGENT, key, top.encode() + data)
        notes = wait_until(lambda: self.desk.show(ref)["notes"], timeout=60)
        self.assertEqual(len(notes), 1, self.server.log()[-3000:])
        raw = next(r for r in self.desk.raw_messages() if mid.encode() in r)
        return ref, token, notes[0], headers_of(raw)

    def to_customer(self, token):
        return [m for m in self.relay.snapshot() if CUSTOMER in m.rcpts and token in m.body()]

    def assert_unverified(self, token, note):
        self.assertEqual(note["author"], AGENT)
        self.assertTrue(note["internal"])
        self.assertFalse(note["verified"])
        told = wait_until(lambda: [m for m in self.relay.snapshot()
                                   if m.rcpts == [AGENT] and "not verified" in m.body() and token in m.body()])
        self.assertTrue(told, "the member was not told")
        time.sleep(1.0)  # the dispatcher has had its turns: nothing went to the customer
        self.assertEqual(self.to_customer(token), [])

    def ours(self, fields):
        """Indexes of the fields with our authserv-id, and of the first Received."""
        ar = [i for i, (k, v) in enumerate(fields) if k == "authentication-results" and v.strip().startswith(OURS)]
        return ar, next(i for i, (k, _) in enumerate(fields) if k == "received")

    def field(self, fields, method):
        """Index and value of our field with `method`=..."""
        ar, _ = self.ours(fields)
        return next((i, fields[i][1]) for i in ar if f"{method}=" in fields[i][1])


@unittest.skipIf(missing(), missing())
class PostfixOpenDkim(Milters, unittest.TestCase):
    def test_signed_reply_answers_the_customer(self):
        ref, token, note, fields = self.answer(signed=True)
        ar, received = self.ours(fields)
        # Measured: OpenDKIM's field lies above Postfix's own Received.
        self.assertEqual(len(ar), 1, fields)
        self.assertLess(ar[0], received)
        self.assertIn("dkim=pass", fields[ar[0]][1])
        self.assertIn(f"by {OURS} (Postfix)", fields[received][1])
        self.assertEqual(note["author_kind"], "responder")
        self.assertFalse(note["internal"])
        self.assertTrue(note.get("verified", True))
        self.assertTrue(wait_until(lambda: self.to_customer(token), timeout=20), "not mailed to the customer")

    def test_unsigned_reply_stays_internal(self):
        _, token, note, fields = self.answer()
        ar, received = self.ours(fields)
        self.assertEqual(len(ar), 1)  # AlwaysAddARHeader: dkim=none
        self.assertIn("dkim=none", fields[ar[0]][1])
        self.assert_unverified(token, note)

    def check_forged(self, fields, note, token):
        ar, received = self.ours(fields)
        # The sender's field reached deskmail (OpenDKIM keeps fields without
        # a DKIM result), below Postfix's Received: only its place betrays it.
        below = [i for i in ar if i > received]
        self.assertEqual(len(below), 1, fields)
        self.assertIn("dmarc=pass", fields[below[0]][1])
        self.assert_unverified(token, note)

    def test_forged_field_at_the_top_of_the_senders_header(self):
        _, token, note, fields = self.answer(top=forged("dmarc=pass header.from=company.example"))
        self.check_forged(fields, note, token)

    def test_forged_field_at_the_bottom_of_the_senders_header(self):
        _, token, note, fields = self.answer(bottom=forged("dmarc=pass (p=reject) header.from=company.example"))
        self.check_forged(fields, note, token)

    def test_broken_signature_with_a_forged_field(self):
        _, token, note, fields = self.answer(signed=True, tamper=True,
                                             top=forged("dmarc=pass header.from=company.example"))
        ar, received = self.ours(fields)
        self.assertIn("dkim=fail", fields[ar[0]][1])
        self.check_forged(fields, note, token)

    def test_forged_dkim_pass_is_removed_by_opendkim(self):
        # A field with a DKIM result and our authserv-id: OpenDKIM drops it
        # (RemoveARFrom's default), and deskmail would ignore it anyway.
        _, token, note, fields = self.answer(top=forged("dkim=pass header.d=company.example"))
        ar, received = self.ours(fields)
        results = [r for i in ar for r in re.findall(r"\b(dkim|dmarc|spf)=(\w+)", fields[i][1])]
        self.assertEqual(results, [("dkim", "none")], fields)
        self.assert_unverified(token, note)


@unittest.skipIf(missing_dmarc(), missing_dmarc())
class PostfixOpenDkimThenOpenDmarc(Milters, unittest.TestCase):
    """The documented order, and a desk that asks for dmarc=pass."""
    milters = ("opendkim", "opendmarc")
    require = "dmarc"

    def test_signed_reply_gets_dmarc_pass_and_answers_the_customer(self):
        _, token, note, fields = self.answer(signed=True)
        i, value = self.field(fields, "dmarc")
        self.assertIn("dmarc=pass", value)
        self.assertLess(i, self.ours(fields)[1])  # above Postfix's Received
        self.assertEqual(note["author_kind"], "responder")
        self.assertFalse(note["internal"])
        self.assertTrue(wait_until(lambda: self.to_customer(token), timeout=20), "not mailed to the customer")

    def test_forged_dkim_pass_gets_dmarc_fail(self):
        _, token, note, fields = self.answer(top=forged("dkim=pass header.d=company.example"))
        self.assertIn("dmarc=fail", self.field(fields, "dmarc")[1])
        self.assert_unverified(token, note)


@unittest.skipIf(missing_dmarc(), missing_dmarc())
class PostfixOpenDmarcBeforeOpenDkim(Milters, unittest.TestCase):
    """The wrong order, shown: why contrib/postfix/README.md lists OpenDKIM first."""
    milters = ("opendmarc", "opendkim")
    require = "dmarc"

    def test_forged_dkim_pass_becomes_a_genuine_dmarc_pass(self):
        _, _, _, fields = self.answer(top=forged("dkim=pass header.d=company.example"))
        i, value = self.field(fields, "dmarc")
        self.assertIn("dmarc=pass", value)  # OpenDMARC believed the sender's field
        self.assertLess(i, self.ours(fields)[1])  # written where deskmail trusts it
        self.assertIn("dkim=none", self.field(fields, "dkim")[1])  # there was no signature
        # and OpenDKIM removed the forged field: nothing below says what happened
        self.assertEqual([v for k, v in fields[self.ours(fields)[1]:] if k == "authentication-results"], [])


@unittest.skipIf(missing_exim(), missing_exim())
class EximAuthresults(Milters, unittest.TestCase):
    """Exim 4.96's own DKIM check, `add_header = :at_start:${authresults ...}`
    (contrib/exim/README.md)."""
    mta = "exim"

    def test_signed_reply_answers_the_customer(self):
        _, token, note, fields = self.answer(signed=True)
        i, value = self.field(fields, "dkim")
        self.assertIn("dkim=pass", value)
        received = self.ours(fields)[1]
        self.assertLess(i, received)  # :at_start: puts it above Exim's own Received
        self.assertIn("(Exim", fields[received][1])
        self.assertEqual(note["author_kind"], "responder")
        self.assertFalse(note["internal"])
        self.assertTrue(wait_until(lambda: self.to_customer(token), timeout=20), "not mailed to the customer")

    def test_forged_field_stays_below_and_proves_nothing(self):
        _, token, note, fields = self.answer(top=forged("dkim=pass header.d=company.example"))
        ar, received = self.ours(fields)
        self.assertTrue([i for i in ar if i > received], fields)  # Exim keeps the sender's copy
        self.assert_unverified(token, note)


if __name__ == "__main__":
    unittest.main()
