"""Wired into the mail system (issue 5): real Postfix and real Exim on
loopback relay the desk domain to deskmaild over the unix socket and over
TCP. Unknown desk addresses are refused at SMTP time because deskmaild
refused them at RCPT; while deskmaild is down the MTA queues, and after it
starts again the queue drains with every message stored exactly once."""
import os
import subprocess
import time
import unittest

from harness import Desk, free_port
from harness import wait_until
from mta_lab import Exim, Postfix, have_exim, have_postfix

UNIX_DOMAIN = "support.example.com"   # the desk's own domain, over the unix socket
TCP_DOMAIN = "sd-tcp.example"         # an alias domain, over LMTP on TCP
CONFIG = 'socket_mode: "0666"\nlimits: { new_issues_per_sender_hour: 0 }\n'



def swaks_smtp(port, to, subject, sender="customer@example.org"):
    return subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port), "--to", to, "--from", sender,
                           "--header", f"Subject: {subject}", "--body", f"{subject} body"],
                          capture_output=True, text=True, timeout=120)


class MtaCase(unittest.TestCase):
    def make_desk(self):
        desk = self.enterContext(Desk(CONFIG, projects=(("acme/game", ()), ("acme/web", (f"help@{TCP_DOMAIN}",)))))
        os.chmod(desk.dir, 0o755)  # the MTA's delivery agent runs as its own user
        return desk.start()

    def titles(self):
        return sorted(i["title"] for i in self.desk.issues())

    def drive(self, port, flush, queued):
        game = self.desk.address["acme/game"]
        # 1. Both paths deliver.
        r = swaks_smtp(port, f"{game},help@{TCP_DOMAIN}", "both paths")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(wait_until(lambda: len(self.desk.issues()) == 2, timeout=60), self.mta.log()[-3000:])
        self.assertEqual({i["project"] for i in self.desk.issues()}, {"acme/game", "acme/web"})
        # 2. Unknown desk addresses are refused at SMTP time.
        for bad in (f"desk+no-such-project@{UNIX_DOMAIN}", f"nobody@{TCP_DOMAIN}"):
            r = swaks_smtp(port, bad, "unknown")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            # swaks marks a refusal "<**"; the MTA refused at RCPT.
            self.assertRegex(r.stdout, r"<\*\* 55\d[ -]")
            self.assertRegex(r.stdout, r"<\*\* .*550 5\.1\.1 <[^>]+> no such service desk")
        self.assertEqual(len(self.desk.issues()), 2)
        # 3. deskmaild down: the MTA queues; back up: every message once.
        self.desk.stop()
        for i in range(5):
            to = game if i % 2 else f"help@{TCP_DOMAIN}"
            r = swaks_smtp(port, to, f"while down {i}")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(wait_until(lambda: queued() >= 5, timeout=30), self.mta.log()[-3000:])
        self.desk.start()
        flush()
        self.assertTrue(wait_until(lambda: len(self.desk.issues()) == 7, timeout=90), self.mta.log()[-3000:])
        self.assertTrue(wait_until(lambda: queued() == 0, timeout=60))
        titles = self.titles()
        self.assertEqual(titles, sorted(["both paths"] * 2 + [f"while down {i}" for i in range(5)]))
        # Flushing again stores nothing new.
        flush()
        time.sleep(2)
        self.assertEqual(len(self.desk.issues()), 7)


@unittest.skipUnless(have_postfix(), "needs root and Debian's postfix")
class PostfixRelay(MtaCase):
    def setUp(self):
        self.desk = self.make_desk()
        self.port = free_port()
        self.mta = self.enterContext(Postfix(self.port, {UNIX_DOMAIN: f"lmtp:unix:{self.desk.sock}",
                                                         TCP_DOMAIN: f"lmtp:inet:127.0.0.1:{self.desk.port}"},
                                             [UNIX_DOMAIN, TCP_DOMAIN]))

    def test_postfix_delivers_refuses_queues_and_drains(self):
        self.drive(self.port, self.mta.flush, lambda: len(self.mta.queue()))
        log = self.mta.log()
        self.assertIn("status=sent", log)
        self.assertRegex(log, r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent \(250 2\.0\.0")

    def test_smtp_source_load_through_postfix(self):
        # Postfix's own load generator: 40 messages, 4 sessions, each stored once.
        r = subprocess.run(["smtp-source", "-s", "4", "-m", "40", "-f", "load@example.org",
                            "-t", f"help@{TCP_DOMAIN}", "-M", "client.test", f"127.0.0.1:{self.port}"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_until(lambda: len(self.desk.issues("acme/web")) == 40, timeout=90),
                        (len(self.desk.issues("acme/web")), self.mta.log()[-2000:]))
        self.assertTrue(wait_until(lambda: len(self.mta.queue()) == 0, timeout=30))


@unittest.skipUnless(have_exim(), "needs root and exim4 unpacked under /var/cache/deskmail-test")
class EximRelay(MtaCase):
    def setUp(self):
        self.desk = self.make_desk()
        self.port = free_port()
        self.mta = self.enterContext(Exim(self.port, UNIX_DOMAIN, self.desk.sock, TCP_DOMAIN, self.desk.port))

    def test_exim_delivers_refuses_queues_and_drains(self):
        self.drive(self.port, self.mta.flush, self.mta.queue_count)
        log = self.mta.log()
        self.assertRegex(log, r"=> desk\+acme-game <desk\+acme-game@support\.example\.com> .*T=desk_lmtp_unix C=\"250 2\.0\.0")
        self.assertRegex(log, r"=> help@sd-tcp\.example .*T=desk_lmtp_tcp .*C=\"250 2\.0\.0")


if __name__ == "__main__":
    unittest.main()
