"""Wired into the mail system (issue 5): real Postfix and real Exim on
loopback relay the desk domain to deskmaild over the unix socket and over
TCP. Unknown desk addresses are refused at SMTP time because deskmaild
refused them at RCPT; while deskmaild is down the MTA queues, and after it
starts again the queue drains with every message stored exactly once."""
import os
import re
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


README = os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "postfix", "README.md")


def readme_snippet_steps(etc):
    """The shell lines of contrib/postfix/README.md's section 3 (the
    restriction class), pointed at this Postfix's configuration directory."""
    with open(README) as f:
        text = f.read()
    section = text[text.index("## 3."):text.index("## 4.")]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return block.replace("postconf ", f"postconf -c {etc} ").replace(
        "/etc/postfix/", f"{etc}/").replace("postfix reload", f"postfix -c {etc} reload")


@unittest.skipUnless(have_postfix(), "needs root and Debian's postfix")
class PostfixSnippets(unittest.TestCase):
    """The README's snippets added to a Postfix that already has restrictions
    of its own: both still refuse what they refused, and Postfix's
    status=sent line and deskmaild's line share the delivery id."""

    SITE = ("check_sender_access inline:{ spammer@bad.example=REJECT }, reject_unauth_destination")

    def setUp(self):
        self.desk = MtaCase.make_desk(self)
        self.port = free_port()
        # The dedicated transport of section 2, with its syslog_name, as the README has it.
        with open(README) as f:
            master = re.search(r"^(deskmail  unix .*?)```", f.read(), re.S | re.M).group(1)
        self.assertIn("syslog_name=postfix/deskmail", master)
        self.mta = self.enterContext(Postfix(self.port, {UNIX_DOMAIN: f"deskmail:unix:{self.desk.sock}"},
                                             [UNIX_DOMAIN], extra=f"smtpd_recipient_restrictions = {self.SITE}\n",
                                             master_extra=master))

    def refused(self, to, sender="customer@example.org"):
        r = swaks_smtp(self.port, to, "refused?", sender=sender)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        return r.stdout

    def test_snippets_add_to_the_sites_restrictions(self):
        game = self.desk.address["acme/game"]
        # Before: the site's restrictions, no verification of desk addresses.
        self.assertIn("Sender address rejected: Access denied", self.refused(game, "spammer@bad.example"))
        self.assertIn("Relay access denied", self.refused("someone@elsewhere.example"))
        r = subprocess.run(["bash", "-ec", readme_snippet_steps(self.mta.etc)], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        conf = subprocess.run(["postconf", "-c", self.mta.etc, "-h", "smtpd_recipient_restrictions"],
                              capture_output=True, text=True).stdout
        self.assertIn("check_sender_access", conf)  # kept, not replaced
        time.sleep(1)  # the reload
        # After: the site's restrictions still hold ...
        self.assertIn("Sender address rejected: Access denied", self.refused(game, "spammer@bad.example"))
        self.assertIn("Relay access denied", self.refused("someone@elsewhere.example"))
        # ... and unknown desk addresses are refused at RCPT, by deskmaild's answer.
        out = self.refused(f"desk+no-such-project@{UNIX_DOMAIN}")
        self.assertRegex(out, r"<\*\* .*550 5\.1\.1 <[^>]+> no such service desk")
        self.assertEqual(len(self.desk.issues()), 0)
        # A good one is delivered through the deskmail transport.
        r = swaks_smtp(self.port, game, "through the snippets")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(wait_until(lambda: len(self.desk.issues()) == 1, timeout=60), self.mta.log()[-3000:])
        line = wait_until(lambda: re.search(
            r"postfix/deskmail/lmtp\[\d+\]: (\w+): to=<[^>]+>.*status=sent \(250 2\.0\.0 <[^>]+> "
            r"acme/game#1 created id=([0-9A-V]{13})\)", self.mta.log()), timeout=30)
        self.assertTrue(line, self.mta.log()[-3000:])
        postfix_id, desk_id = line.group(1), line.group(2)
        # deskmaild's line starts with the same id and names Postfix's queue id.
        self.assertRegex(self.desk.log(), rf"{desk_id}: session=\S+ mta_id={postfix_id} .*result=created")


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
