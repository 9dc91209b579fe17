"""Hostile mail (issue 4): spam verdicts from the real SpamAssassin, forged
verdicts, our own mail looping back, DSNs, auto-reply storms, and messages
at ten times each structural limit, answered in bounded CPU and memory while
a normal delivery still goes through."""
import os
import sqlite3
import subprocess
import threading
import time
import unittest

from harness import DOMAIN, Desk, RelayedDesk, deliver, message
from harness import wait_until
from smtp_capture import CaptureServer

SA_SAMPLES = "/usr/share/doc/spamassassin/examples"


def spamassassin(path):
    """The sample run through the real SpamAssassin (local tests only)."""
    with open(path, "rb") as f:
        out = subprocess.run(["spamassassin", "-L"], stdin=f, capture_output=True, timeout=120).stdout
    return out.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").decode("latin-1")



def proc_stats(pid):
    """(cpu seconds, peak RSS KiB) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return cpu, hwm


@unittest.skipUnless(os.path.exists(f"{SA_SAMPLES}/sample-spam.txt"), "spamassassin not installed")
class SpamAssassin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gtube = spamassassin(f"{SA_SAMPLES}/sample-spam.txt")
        cls.ham = spamassassin(f"{SA_SAMPLES}/sample-nonspam.txt")

    def setUp(self):
        self.relay = self.enterContext(CaptureServer()).start()

    def test_gtube_quarantined_then_released_and_ham_confirmed(self):
        self.desk = self.enterContext(Desk(relay_port=self.relay.port)).start()
        game = self.desk.address["acme/game"]
        self.assertIn("X-Spam-Flag: YES", self.gtube)
        rr, dr = deliver(self.desk, [game], self.gtube, sender="spammer@example.net")
        self.assertRegex(dr[0], r"^250 2\.0\.0 .* acme/game#1 quarantined as spam$")
        self.assertEqual(self.desk.issues(), [])
        hidden = self.desk.issues(spam=True)
        self.assertEqual([(i["ref"], i["spam"]) for i in hidden], [("acme/game#1", True)])
        # Released by a responder, it is listed again and gets the
        # confirmation it was held back from. (SpamAssassin wrapped the sample,
        # whose own "Precedence: junk" is now inside the attached original.)
        r = self.desk.cli("issue", "ham", "acme/game#1")
        self.assertEqual((r["changed"], r["mails_queued"]), (True, 1))
        self.assertEqual([i["ref"] for i in self.desk.issues()], ["acme/game#1"])
        self.assertEqual(self.relay.wait_for(1)[0].rcpts, ["sender@example.net"])

        # The non-spam sample is a normal issue. It is a mailing-list post
        # ("Precedence: list", list Sender), which RFC 3834 says not to
        # answer; the same mail sent by the person directly is confirmed.
        rr, dr = deliver(self.desk, [game], self.ham, sender="tbtf-approval@world.std.com")
        self.assertIn("acme/game#2 created", dr[0])
        direct = "".join(l + "\r\n" for l in self.ham.split("\r\n")[:-1]
                         if not l.startswith(("Precedence:", "Sender:", "Return-Path:")))
        direct = direct.replace("Message-Id: <", "Message-Id: <direct-").replace("Message-ID: <", "Message-ID: <direct-")
        rr, dr = deliver(self.desk, [game], direct, sender="dawson@world.std.com")
        self.assertIn("acme/game#3 created", dr[0])
        self.assertEqual([i["spam"] for i in self.desk.issues()], [False, False, False])
        mails = self.relay.wait_for(2)
        time.sleep(0.5)
        mails = self.relay.snapshot()[1:]
        contact = self.desk.show("acme/game#3")["participants"][0]["email"]  # its Reply-To
        self.assertEqual([m.rcpts for m in mails], [[contact]])
        self.assertIn("acme/game#3", mails[0].body())

    def test_gtube_rejected_under_reject(self):
        self.desk = self.enterContext(Desk("spam: { action: reject }\n", relay_port=self.relay.port)).start()
        rr, dr = deliver(self.desk, [self.desk.address["acme/game"]], self.gtube, sender="spammer@example.net")
        self.assertRegex(dr[0], r"^550 5\.7\.1 ")
        self.assertEqual(self.desk.issues(spam=True), [])
        rr, dr = deliver(self.desk, [self.desk.address["acme/game"]], self.ham, sender="friend@example.org")
        self.assertIn("created", dr[0])


class Verdicts(RelayedDesk, unittest.TestCase):

    def test_forged_no_under_the_mtas_yes_is_quarantined(self):
        raw = ("X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=9.1 required=5.0\r\n"
               "Received: from sender.example by mx\r\n"
               + message(message_id="forged@x", extra="X-Spam-Flag: NO\r\nX-Spam-Status: No, score=-5\r\n"))
        rr, dr = deliver(self.desk, [self.game], raw)
        self.assertIn("quarantined as spam", dr[0])
        self.assertEqual(self.desk.issues(), [])
        time.sleep(0.5)
        self.assertEqual(self.relay.snapshot(), [])
        # Released: the confirmation it was held back from goes out now.
        self.assertEqual(self.desk.cli("issue", "ham", "acme/game#1")["mails_queued"], 1)
        self.assertEqual(len(self.relay.wait_for(1)), 1)

    def test_spam_reply_is_a_quarantined_note(self):
        deliver(self.desk, [self.game], message(message_id="first@x"))
        ref = "acme/game#1"
        reply = self.desk.show(ref)["participants"][0]["reply_address"]
        self.relay.wait_for(1)
        self.desk.cli("close", ref)
        raw = "X-Spam-Flag: YES\r\n" + message(message_id="spamreply@x", body="buy now")
        rr, dr = deliver(self.desk, [reply], raw)
        self.assertIn("quarantined as spam", dr[0])
        d = self.desk.show(ref)
        self.assertEqual(d["state"], "closed")  # a spam reply does not reopen
        # The close is a system note (issue 20); the spam reply the only other.
        self.assertEqual([n["spam"] for n in d["notes"] if n["author_kind"] != "system"], [True])

    def test_our_own_mail_coming_back_is_dropped(self):
        deliver(self.desk, [self.game], message(message_id="orig@x"))
        conf = self.relay.wait_for(1)[0]
        before = self.desk.show("acme/game#1")
        # The confirmation bounced around and comes back to the project address.
        rr, dr = deliver(self.desk, [self.game], conf.data.decode())
        self.assertIn("dropped: our own mail came back", dr[0])
        # Also when only our Message-ID survived a rewrite.
        no_header = conf.data.decode().replace("X-Deskmail-Loop:", "X-Was-Loop:")
        rr, dr = deliver(self.desk, [self.game], no_header)
        self.assertIn("dropped", dr[0])
        self.assertEqual(len(self.desk.issues()), 1)
        self.assertEqual(self.desk.show("acme/game#1")["notes"], before["notes"])

    def test_too_many_received_is_554_546(self):
        raw = "".join(f"Received: from h{i} by h{i + 1}\r\n" for i in range(51)) + message(message_id="hops@x")
        rr, dr = deliver(self.desk, [self.game], raw)
        self.assertTrue(dr[0].startswith("554 5.4.6"), dr)
        self.assertEqual(self.desk.issues(spam=True), [])

    def test_dsn_marks_the_participant_bouncing(self):
        deliver(self.desk, [self.game], message(message_id="b1@x"))
        reply = self.desk.show("acme/game#1")["participants"][0]["reply_address"]
        dsn = ("From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
               "Message-ID: <dsn1@example.org>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
               "--R\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
               "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
               "Final-Recipient: rfc822; customer@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
               "--R--\r\n")
        rr, dr = deliver(self.desk, [reply], dsn, sender="")
        self.assertIn("delivery failure recorded", dr[0])
        d = self.desk.show("acme/game#1")
        self.assertEqual(d["notes"], [])
        self.assertTrue(d["participants"][0]["bouncing"])

    def test_internal_headers_from_outside_are_stripped(self):
        raw = ("X-Deskmail-Ticket: other/project#1\r\nX-Deskmail-Loop: elsewhere.example\r\n"
               + message(message_id="strip@x"))
        rr, dr = deliver(self.desk, [self.game], raw)
        self.assertIn("created", dr[0])
        content = self.desk.raw_messages()[0].decode()
        problems = self.desk.scalar("select problems from issue")
        self.assertNotIn("X-Deskmail", content)
        self.assertIn("X-Deskmail- headers from outside removed", problems)

    def test_auto_reply_storm_is_bounded(self):
        # A dumb auto-responder (no Auto-Submitted) answering everything: 100
        # new mails to the project address and 100 answers to our reply key.
        bot = "bot@autoresponder.example"
        rr, dr = deliver(self.desk, [self.game], message(message_id="storm0@x", sender=bot), sender=bot)
        reply = self.desk.show("acme/game#1")["participants"][0]["reply_address"]
        codes = {}
        for i in range(1, 200):
            rcpt = self.game if i % 2 else reply
            rr, dr = deliver(self.desk, [rcpt], message(subject="Auto: out of office", message_id=f"storm{i}@x",
                                                        sender=bot), sender=bot)
            codes[dr[0][:3]] = codes.get(dr[0][:3], 0) + 1
        outbox = self.desk.cli("outbox", "list")
        to_bot = [o for o in outbox if o["to"] == bot]
        self.assertLessEqual(len(to_bot), 5)  # limits.confirmations_per_sender_day
        self.assertLessEqual(len(self.desk.issues()), 30)  # limits.new_issues_per_sender_hour
        self.assertGreater(codes.get("450", 0), 0)  # the MTA is told to come back later
        self.assertEqual(set(codes) - {"250", "450"}, set())
        time.sleep(1)
        self.assertLessEqual(len([m for m in self.relay.snapshot() if m.rcpts == [bot]]), 5)
        print(f"\n  storm: 200 mails -> {len(self.desk.issues())} issues, {len(to_bot)} mails to the bot, "
              f"replies {codes}", flush=True)


class TenTimesTheLimits(unittest.TestCase):
    """Each structural limit at ten times (or more): a defined reply, bounded
    CPU and memory, and a normal delivery at the same time still succeeds."""

    def setUp(self):
        self.desk = self.enterContext(Desk()).start()
        self.game = self.desk.address["acme/game"]

    def attack(self, raw):
        """Delivers `raw` while a normal delivery runs next to it; returns
        (reply, cpu seconds, peak RSS growth MiB)."""
        deliver(self.desk, [self.game], message(message_id="warmup@x"))
        cpu0, hwm0 = proc_stats(self.desk.proc.pid)
        result = {}

        def normal():
            time.sleep(0.05)
            _, dr = deliver(self.desk, [self.game], message(message_id=f"normal-{time.time()}@x"))
            result["normal"] = dr[0]

        t = threading.Thread(target=normal)
        t.start()
        _, dr = deliver(self.desk, [self.game], raw)
        t.join(60)
        cpu1, hwm1 = proc_stats(self.desk.proc.pid)
        self.assertIn("created", result.get("normal", ""))
        self.assertIsNone(self.desk.proc.poll())
        return dr[0], cpu1 - cpu0, (hwm1 - hwm0) / 1024

    def check(self, name, raw, code):
        reply, cpu, mem = self.attack(raw)
        print(f"\n  {name}: {len(raw) / 1e6:.1f} MB -> {reply[:9]}, cpu {cpu:.2f} s, peak RSS +{mem:.1f} MiB",
              flush=True)
        self.assertTrue(reply.startswith(code), reply)
        self.assertLess(cpu, 2.0)
        self.assertLess(mem, 64)
        self.assertEqual(len(self.desk.issues()), 2)  # warm-up and the normal one

    def test_nesting_50000(self):
        parts = ["From: a@example.org\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n"
                 "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"]
        for i in range(1, 50001):
            parts.append(f"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n")
        self.check("nesting 50 000", "".join(parts), "554 5.6.0")

    def test_a_million_parts(self):
        raw = ("From: a@example.org\r\nSubject: parts\r\nMessage-ID: <parts@x>\r\n"
               "Content-Type: multipart/mixed; boundary=x\r\n\r\n" + "--x\r\n\r\n" * 1000000 + "--x--\r\n")
        self.check("1 000 000 parts", raw, "554 5.6.0")

    def test_a_10_mb_header_line(self):
        raw = "From: a@example.org\r\nX-Huge: " + "h" * (10 << 20) + "\r\nMessage-ID: <hl@x>\r\n\r\nx\r\n"
        self.check("10 MB header line", raw, "554 5.6.0")

    def test_100000_addresses(self):
        to = ", ".join(f"user{i}@example.org" for i in range(100000))
        raw = f"From: a@example.org\r\nTo: {to}\r\nMessage-ID: <to@x>\r\nSubject: many\r\n\r\nx\r\n"
        self.check("100 000 addresses", raw, "554 5.6.0")


class ManyLargeMessagesAtOnce(unittest.TestCase):
    """Twelve 5 MB messages arrive at once. Each is spooled to a file while it
    arrives, at most four are worked on at a time, each mapped from its
    file and released as it is read (common/bytes.h): every one
    is stored byte for byte, and the daemon's peak memory stays far below
    twelve messages' worth."""

    def test_twelve_5_mb_messages(self):
        desk = Desk().start()
        try:
            game = desk.address["acme/game"]
            deliver(desk, [game], message(message_id="warmup@x"))
            _, hwm0 = proc_stats(desk.proc.pid)
            raws = []
            for i in range(12):
                body = "".join(f"{i:02d} line {n:07d} of a large message\r\n"
                               for n in range(5 * 1024 * 1024 // 37))
                raws.append(message(body=body, message_id=f"large-{i}@x", subject=f"large {i}"))
            replies = [None] * 12

            def send(i):
                _, dr = deliver(desk, [game], raws[i])
                replies[i] = dr[0]

            threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            _, hwm1 = proc_stats(desk.proc.pid)
            grew = (hwm1 - hwm0) / 1024
            print(f"\n  12 x {len(raws[0]) / 1e6:.1f} MB at once: peak RSS +{grew:.1f} MiB", flush=True)
            for r in replies:
                self.assertTrue(r and r.startswith("250"), r)
            stored = set(desk.raw_messages())
            for raw in raws:
                self.assertIn(raw.encode() if isinstance(raw, str) else raw, stored)
            self.assertEqual(len(desk.issues()), 13)
            # Twelve in memory at once would be over 60 MiB of data alone;
            # four read back at a time measured +40 MiB, mapped +21. The
            # figure means nothing under ASan (freed memory sits in
            # quarantine). PostgreSQL gets large messages as binary bytea
            # parameters through libpq: +70 MiB measured (+174 MiB when they
            # went as hex text through SOCI, twice their size and copied).
            if "ASAN_OPTIONS" not in os.environ:
                self.assertLess(grew, 100 if desk.pg else 36)
        finally:
            desk.close()


class OneLargeMessage(unittest.TestCase):
    """One message at the default size limit (25 MB) stays in its spool file
    while it is scanned, parsed, hashed and stored, and so does a large
    attachment once decoded: the daemon's peak memory grows by much less
    than the message (issue 7's goal: at most 30 MB; held whole, +34 and
    +38 MiB), and everything is stored byte for byte."""

    def setUp(self):
        self.desk = self.enterContext(Desk()).start()
        self.game = self.desk.address["acme/game"]
        deliver(self.desk, [self.game], message(message_id="warmup@x"))
        _, self.hwm0 = proc_stats(self.desk.proc.pid)

    def deliver_measured(self, raw, what):
        """The reply to `raw`, after checking the peak RSS it cost."""
        _, dr = deliver(self.desk, [self.game], raw)
        _, hwm1 = proc_stats(self.desk.proc.pid)
        grew = (hwm1 - self.hwm0) / 1024
        print(f"\n  {len(raw) / 1e6:.1f} MB {what}: peak RSS +{grew:.1f} MiB", flush=True)
        self.assertTrue(dr[0].startswith("250"), dr)
        # PostgreSQL gets large values as one binary parameter: libpq holds
        # each whole while it is sent.
        if "ASAN_OPTIONS" not in os.environ and not self.desk.pg:
            self.assertLess(grew, 30)
        check = self.desk.cli("db", "check", check=False)
        self.assertTrue(check["ok"], check["problems"])
        return dr[0]

    def test_25_mb_text(self):
        body = "".join(f"line {n:08d} of the largest message there may be, "
                       "and then some more text\r\n" for n in range(25 * 1000 * 1000 // 76))
        raw = message(body=body, message_id="huge@x", subject="huge")
        self.deliver_measured(raw, "text message")
        self.assertIn(raw.encode(), set(self.desk.raw_messages()))
        self.assertEqual(len([i for i in self.desk.issues() if i["title"] == "huge"]), 1)

    def test_18_mib_attachment(self):
        import base64
        import hashlib
        payload = bytes((i * 7919 + (i >> 13)) % 251 for i in range(18 * 1024 * 1024))
        b64 = base64.encodebytes(payload).decode().replace("\n", "\r\n")
        raw = ("From: Customer <c@example.org>\r\nTo: desk@support.example.com\r\n"
               "Subject: big attachment\r\nMessage-ID: <att@x>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
               "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
               "--b\r\nContent-Type: application/octet-stream\r\n"
               "Content-Disposition: attachment; filename=\"big.bin\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b--\r\n")
        self.deliver_measured(raw, "message, an 18 MiB attachment")
        want = hashlib.sha256(payload).hexdigest()
        self.assertEqual(self.desk.scalar("SELECT sha256 FROM attachment"), want)
        self.assertEqual(int(self.desk.scalar("SELECT size FROM attachment")), len(payload))
        if self.desk.pg:
            self.assertEqual(self.desk.scalar("SELECT encode(sha256(content), 'hex') FROM attachment_content"), want)
        else:
            db = sqlite3.connect(self.desk.db)
            try:
                stored = db.execute("SELECT content FROM attachment_content").fetchone()[0]
            finally:
                db.close()
            self.assertEqual(hashlib.sha256(stored).hexdigest(), want)


if __name__ == "__main__":
    unittest.main()
