"""Relays that need TLS and a login (issue 23): deskmaild's outbox against a
real Postfix on loopback that relays only for clients logged in over SASL
(Cyrus, a sasldb), offers STARTTLS with a certificate from a CA made for this
run (openssl, nothing committed), implicit TLS on a second port, and no
STARTTLS at all on a third. Postfix hands what it accepts to a capturing SMTP
server, where the test sees the customer's confirmation arrive.

Refusals keep the mail pending, retried, with the cause in the log, and never
send anything in clear: a wrong password, a certificate from an unknown CA, a
relay whose EHLO lacks STARTTLS. The password comes from a file that only its
owner may read, at start and on SIGHUP."""
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import DESKMAILD, Desk, deliver, free_port, message, wait_until
from mta_lab import Postfix, have_cyrus_sasl, have_postfix, smarthost_config
from smtp_capture import CaptureServer

USER = "deskmail-relay"
PASSWORD = "c0rrect horse:battery"  # a space and a colon: sent as they are


def make_certs(d):
    """A test CA and the relay's certificate for the name localhost (no
    address: connecting to 127.0.0.1 is then the wrong name)."""
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=d)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=deskmail test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ossl("req", *ec, "-keyout", "relay.key", "-out", "relay.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    ossl("x509", "-req", "-in", "relay.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "relay.pem", "-days", "2", "-extfile", "ext.cnf")
    shutil.chown(os.path.join(d, "relay.key"), "postfix")
    return (os.path.join(d, n) for n in ("ca.pem", "relay.pem", "relay.key"))


@unittest.skipUnless(have_postfix() and have_cyrus_sasl(),
                     "needs root, postfix, sasl2-bin and libsasl2-modules (contrib/dev/test)")
class RelayTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.time()
        cls.dir = tempfile.mkdtemp(prefix="deskmail-tls-")
        os.chmod(cls.dir, 0o755)
        try:
            cls.ca, cert, key = make_certs(cls.dir)
            cls.capture = CaptureServer().start()
            cls.port, cls.tls_port, cls.plain_port = free_port(), free_port(), free_port()
            extra, master, files = smarthost_config(cls.dir, cert, key, USER, PASSWORD, cls.tls_port,
                                                    cls.plain_port)
            # Customers are at example.org: Postfix relays there (to the
            # capture) only for a client that logged in.
            cls.postfix = Postfix(cls.port, {"example.org": f"smtp:[127.0.0.1]:{cls.capture.port}"}, [],
                                  extra, master, files)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for name in ("postfix", "capture"):
            if getattr(cls, name, None):
                getattr(cls, name).stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        print(f"\ntest_relay_tls: {time.time() - cls.t0:.1f}s")

    # --- helpers -------------------------------------------------------------
    def password_file(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, mode)
        return path

    def outbound(self, port, tls="starttls", password=PASSWORD, ca=True, more=""):
        pw = self.password_file(f"pw-{self.id().rsplit('.', 1)[-1]}", password)
        return (f'outbound: {{ relay: "localhost:{port}", tls: {tls}, username: {USER}, password_file: {pw}'
                + (f", ca_file: {self.ca}" if ca else "") + more + ", retry_base: 1, retry_max: 2 }\n")

    def desk(self, outbound):
        return self.enterContext(Desk(outbound)).start()

    def new_issue(self, desk, customer):
        rr, dr = deliver(desk, [desk.address["acme/game"]], message(f"Help for {customer}", sender=customer),
                         sender=customer)
        self.assertEqual([r[:3] for r in dr], ["250"], rr + dr)

    def arrived(self, customer):
        return [m for m in self.capture.snapshot() if customer in m.rcpts]

    def row(self, desk, customer):
        return desk.scalar(f"SELECT state || ' ' || attempts FROM outbox WHERE recipient = '{customer}'")

    def attempts(self, desk, customer):
        return int(self.row(desk, customer).split()[1])

    def assert_pending(self, desk, customer, cause):
        """Pending after two attempts or more, one log line each naming the
        cause, nothing at the capture, the password nowhere in the log."""
        self.assertTrue(wait_until(lambda: self.attempts(desk, customer) >= 2, timeout=30), desk.log())
        self.assertEqual(self.row(desk, customer).split()[0], "pending")
        lines = [l for l in desk.log().splitlines() if f"to=<{customer}>" in l]
        self.assertGreaterEqual(len(lines), 2, desk.log())
        for line in lines:
            self.assertIn("result=deferred", line)
            self.assertRegex(line, cause)
        self.assertNotIn(PASSWORD, desk.log())
        self.assertNotIn("c0rrect", desk.log())
        self.assertEqual(self.arrived(customer), [])
        return lines

    # --- cases ---------------------------------------------------------------
    def test_starttls_and_login_deliver(self):
        desk = self.desk(self.outbound(self.port))
        self.new_issue(desk, "tls587@example.org")
        got = wait_until(lambda: self.arrived("tls587@example.org"), timeout=30)
        self.assertTrue(got, desk.log() + self.postfix.log()[-3000:])
        self.assertIn("Help for tls587@example.org", got[0]["Subject"])
        self.assertEqual(self.row(desk, "tls587@example.org"), "sent 1")
        log = self.postfix.log()
        # Postfix saw TLS first and then the login.
        self.assertRegex(log, r"TLS connection established from localhost\[127\.0\.0\.1\]")
        self.assertRegex(log, rf"sasl_method=PLAIN, sasl_username={USER}")
        self.assertNotIn(PASSWORD, desk.log())

    def test_implicit_tls_and_auth_login_deliver(self):
        # Port 465 of this relay offers AUTH LOGIN only.
        desk = self.desk(self.outbound(self.tls_port, tls="tls"))
        self.new_issue(desk, "tls465@example.org")
        self.assertTrue(wait_until(lambda: self.arrived("tls465@example.org"), timeout=30), desk.log())
        self.assertEqual(self.row(desk, "tls465@example.org"), "sent 1")
        self.assertRegex(self.postfix.log(), rf"sasl_method=LOGIN, sasl_username={USER}")

    def test_wrong_password_stays_pending_until_fixed(self):
        desk = self.desk(self.outbound(self.port, password="wrong password"))
        self.new_issue(desk, "badpw@example.org")
        self.assert_pending(desk, "badpw@example.org", r"authentication failed as deskmail-relay .*535 5\.7\.8")
        self.assertNotIn("wrong password", desk.log())
        # A password file others may read is refused at reload, as at start.
        pw = os.path.join(self.dir, "pw-test_wrong_password_stays_pending_until_fixed")
        os.chmod(pw, 0o640)
        desk.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "reload failed" in desk.log()), desk.log())
        self.assertIn("is open to others than its owner (mode 0640)", desk.log())
        # The right password, read again on SIGHUP: the waiting mail goes.
        self.password_file(os.path.basename(pw), PASSWORD)
        desk.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.arrived("badpw@example.org"), timeout=30), desk.log())
        # The relay has it; the outbox row says so once its answer is recorded.
        self.assertTrue(wait_until(lambda: self.row(desk, "badpw@example.org").split()[0] == "sent"),
                        self.row(desk, "badpw@example.org"))

    def test_untrusted_certificate_then_verify_off(self):
        # No ca_file: the system's CA store, which knows nothing of the test CA.
        desk = self.desk(self.outbound(self.port, ca=False))
        self.new_issue(desk, "untrusted@example.org")
        self.assert_pending(desk, "untrusted@example.org", r"certificate not trusted: unable to get local issuer")
        # tls_verify: off accepts it (a lab's self-made certificate).
        desk.write_config(self.outbound(self.port, ca=False, more=", tls_verify: off"))
        desk.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.arrived("untrusted@example.org"), timeout=30), desk.log())

    def test_wrong_host_name_is_refused(self):
        # The certificate names localhost, not 127.0.0.1.
        desk = self.desk(self.outbound(self.port).replace('"localhost:', '"127.0.0.1:'))
        self.new_issue(desk, "wrongname@example.org")
        self.assert_pending(desk, "wrongname@example.org", r"certificate not trusted: IP address mismatch")

    def test_relay_without_starttls_gets_nothing_in_clear(self):
        before = self.postfix.log()
        desk = self.desk(self.outbound(self.plain_port))
        self.new_issue(desk, "clear@example.org")
        self.assert_pending(desk, "clear@example.org", r"does not offer it; nothing sent in clear")
        log = self.postfix.log()[len(before):]
        # Postfix logs every command a loopback client sends (debug_peer_list):
        # from us only EHLO and QUIT, never AUTH, MAIL or RCPT.
        said = re.findall(r"< localhost\[127\.0\.0\.1\]: (\S+)", log)
        self.assertTrue(said, log[-3000:])
        self.assertEqual(set(said), {"EHLO", "QUIT"}, log[-3000:])
        self.assertNotIn("clear@example.org", log)
        self.assertRegex(log, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 quit=1 commands=2")

    def test_data_after_starttls_reply_is_refused(self):
        # CVE-2011-0411: a reply to STARTTLS followed at once by more lines
        # (written in clear, by the relay or someone in between) must not be
        # read as the first reply over TLS. A scripted relay does exactly that.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        heard = []

        def relay():
            while True:
                try:
                    c, _ = srv.accept()
                except OSError:
                    return
                # deskmail may close at once after QUIT: a reset on this
                # connection must not stop the relay from taking the next.
                with c, contextlib.suppress(OSError):
                    f = c.makefile("rwb")
                    f.write(b"220 fake ESMTP\r\n")
                    f.flush()
                    for line in f:
                        heard.append(line.decode(errors="replace").strip())
                        if line.upper().startswith(b"EHLO"):
                            f.write(b"250-fake\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n")
                        elif line.upper().startswith(b"STARTTLS"):
                            f.write(b"220 go ahead\r\n250-fake\r\n250 AUTH PLAIN\r\n")
                        else:
                            f.write(b"221 bye\r\n")
                        f.flush()

        threading.Thread(target=relay, daemon=True).start()
        self.addCleanup(srv.close)
        desk = self.desk(self.outbound(srv.getsockname()[1]))
        self.new_issue(desk, "injected@example.org")
        self.assert_pending(desk, "injected@example.org", r"sent data after its STARTTLS reply; nothing sent")
        self.assertEqual({h.split()[0].upper() for h in heard}, {"EHLO", "STARTTLS", "QUIT"}, heard)

    def test_password_file_open_to_others_is_refused_at_start(self):
        pw = self.password_file("pw-open", PASSWORD, mode=0o644)
        desk = self.enterContext(Desk(self.outbound(self.port)))
        desk.write_config(f'outbound: {{ relay: "localhost:{self.port}", tls: starttls, username: {USER}, '
                          f"password_file: {pw} }}\n")
        for args in (["--check-config"], []):
            p = subprocess.run([DESKMAILD, "-c", desk.config, *args], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn(f"outbound.password_file '{pw}' is open to others than its owner (mode 0644)", p.stderr)
            self.assertNotIn(PASSWORD, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
