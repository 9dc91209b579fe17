"""The conversation by email (issue 3): confirmations, responder answers,
customer replies, unsubscribe, threading, the outbox's retries and its
crash behaviour, against a capturing SMTP relay started by the test."""
import email
import email.policy
import os
import signal
import subprocess
import time
import unittest

from harness import DOMAIN, Desk, RelayedDesk, deliver, message
from harness import wait_until
from smtp_capture import CaptureServer



class Conversation(RelayedDesk, unittest.TestCase):

    def new_issue(self, sender="customer@example.org", subject="Printer on fire", mid="c1@example.org",
                  extra=""):
        rr, dr = deliver(self.desk, [self.game], message(subject=subject, message_id=mid, sender=sender,
                                                          extra=extra), sender=sender)
        self.assertTrue(dr[0].startswith("250 2.0.0"), dr)
        return dr[0].split()[-2]  # the ref before "created"

    def outbox(self, state=None):
        return self.desk.cli("outbox", "list", *(["--state", state] if state else []))

    def test_end_to_end(self):
        ref = self.new_issue()
        confirmation = self.relay.wait_for(1)
        self.assertEqual(len(confirmation), 1)
        c = confirmation[0]
        participant = self.desk.show(ref)["participants"][0]
        reply_addr = participant["reply_address"]
        self.assertEqual(c.rcpts, ["customer@example.org"])
        self.assertEqual(c.mail_from, reply_addr)  # bounces come back to the key
        self.assertEqual(str(c["Reply-To"]), reply_addr)
        self.assertEqual(str(c["To"]), "Customer <customer@example.org>")
        self.assertEqual(str(c["Auto-Submitted"]), "auto-replied")
        self.assertEqual(str(c["In-Reply-To"]), "<c1@example.org>")
        self.assertEqual(str(c["List-Unsubscribe"]), "<mailto:" + reply_addr.replace("@", "-unsubscribe@") + ">")
        self.assertIn("Printer on fire", str(c["Subject"]))
        self.assertIn(ref, c.body())
        self.assertEqual(self.outbox()[0]["state"], "sent")

        # A responder answers from the command line.
        r = self.desk.cli("reply", ref, "-m", "We are on it.\nPlease keep the door closed.", "--as",
                          "agent@support.example.com")
        self.assertEqual(r["mails_queued"], 1)
        mails = self.relay.wait_for(2)
        self.assertEqual(len(mails), 2)
        answer = mails[1]
        self.assertEqual(answer.rcpts, ["customer@example.org"])
        self.assertIn("We are on it.", answer.body())
        self.assertEqual(str(answer["Reply-To"]), reply_addr)
        self.assertIn("<c1@example.org>", str(answer["References"]))

        # The customer answers that mail with swaks; the quote is trimmed.
        body = ("Thanks, the door is closed now.\n\n"
                f"On Wed, 25 Nov 2026 at 10:00, Support <desk@{DOMAIN}> wrote:\n"
                "> We are on it.\n> Please keep the door closed.\n")
        r = self.desk.swaks("--to", reply_addr, "--from", "customer@example.org",
                            "--header", "Subject: Re: Printer on fire",
                            "--header", f"In-Reply-To: <{answer.message_id}>", "--body", body)
        self.assertEqual(r.returncode, 0, r.stdout)
        notes = self.desk.show(ref)["notes"]
        self.assertEqual([n["author_kind"] for n in notes], ["responder", "customer"])
        self.assertEqual(notes[1]["body"], "Thanks, the door is closed now.")
        self.assertIn("> We are on it.", notes[1]["full_body"])

        # Unsubscribe, then the next answer queues nothing for them.
        unsub = reply_addr.replace("@", "-unsubscribe@")
        r = self.desk.swaks("--to", unsub, "--from", "customer@example.org", "--body", "stop")
        self.assertEqual(r.returncode, 0, r.stdout)
        before = len(self.outbox())
        r = self.desk.cli("reply", ref, "-m", "Anything else?")
        self.assertEqual(r["mails_queued"], 0)
        self.assertEqual(len(self.outbox()), before)
        time.sleep(1)
        self.assertEqual(len(self.relay.snapshot()), 2)

    def test_internal_notes_never_reach_the_outbox(self):
        ref = self.new_issue()
        self.relay.wait_for(1)
        r = self.desk.cli("note", ref, "-m", "customer seems angry; internal only")
        self.assertEqual(r["mails_queued"], 0)
        self.assertEqual(len(self.outbox()), 1)
        notes = self.desk.show(ref)["notes"]
        self.assertEqual(notes[0]["internal"], True)
        time.sleep(1)
        self.assertEqual(len(self.relay.snapshot()), 1)

    def test_threading_by_in_reply_to_without_a_key(self):
        ref = self.new_issue()
        conf = self.relay.wait_for(1)[0]
        # The customer writes to the project address again, answering our mail.
        rr, dr = deliver(self.desk, [self.game],
                         message(subject="Re: Printer on fire", message_id="c2@example.org",
                                 body="It is on fire again.", extra=f"In-Reply-To: <{conf.message_id}>\r\n"))
        self.assertIn(f"{ref} note added", dr[0])
        self.assertEqual(len(self.desk.issues()), 1)
        self.assertEqual(self.desk.show(ref)["notes"][0]["body"], "It is on fire again.")

    def test_member_mail_to_the_customers_key_is_the_customers_note(self):
        # The key says who speaks (issue 18): a member writing to the
        # customer's reply address adds to what the customer said, and the
        # customer is not mailed their own words.
        self.desk.cli("project", "member", "add", "acme/game", "Agent@Support.Example.com")
        ref = self.new_issue()
        self.relay.wait_for(1)
        reply_addr = self.desk.show(ref)["participants"][0]["reply_address"]
        rr, dr = deliver(self.desk, [reply_addr],
                         message(subject="Re: x", message_id="agent1@x", body="Fixed it.",
                                 sender="agent@support.example.com"), sender="agent@support.example.com")
        self.assertIn("note added", dr[0])
        note = self.desk.show(ref)["notes"][0]
        self.assertEqual((note["author_kind"], note["author"]), ("customer", "customer@example.org"))
        time.sleep(1)
        self.assertEqual(len(self.relay.snapshot()), 1)

    def test_members_notified_when_the_project_asks(self):
        self.desk.cli("project", "member", "add", "acme/game", "agent@support.example.com")
        self.desk.cli("project", "set", "acme/game", "notify_members", "on")
        ref = self.new_issue()
        mails = self.relay.wait_for(2)
        self.assertEqual(sorted(m.rcpts[0] for m in mails), ["agent@support.example.com", "customer@example.org"])
        to_agent = next(m for m in mails if m.rcpts[0].startswith("agent"))
        # The member answers their notification, through the site's MTA that
        # vouches for them: a responder note, mailed to the customer.
        proof = ("Authentication-Results: deskmail.test; dkim=pass header.d=support.example.com\r\n"
                 "Received: from mail.support.example.com by deskmail.test (Postfix) id 1A2B\r\n")
        rr, dr = deliver(self.desk, [str(to_agent["Reply-To"])],
                         proof + message(subject="Re", message_id="a2@x", body="On my way.",
                                         sender="agent@support.example.com"),
                         sender="agent@support.example.com")
        self.assertIn("note added", dr[0])
        mails = self.relay.wait_for(3)
        self.assertEqual(mails[2].rcpts, ["customer@example.org"])
        self.assertEqual(self.desk.show(ref)["notes"][0]["author_kind"], "responder")

    def test_close_reopen_and_reply_to_closed_reopens(self):
        ref = self.new_issue()
        self.relay.wait_for(1)
        self.assertEqual(self.desk.cli("close", ref)["mails_queued"], 1)
        closed = self.relay.wait_for(2)[1]
        self.assertIn("closed", closed.body())
        self.assertEqual(self.desk.show(ref)["state"], "closed")
        self.assertFalse(self.desk.cli("close", ref)["changed"])
        reply_addr = self.desk.show(ref)["participants"][0]["reply_address"]
        deliver(self.desk, [reply_addr], message(subject="Re", message_id="again@x", body="Still broken."))
        self.assertEqual(self.desk.show(ref)["state"], "opened")
        self.desk.cli("close", ref)
        self.desk.cli("reopen", ref)
        mails = self.relay.wait_for(4)
        self.assertIn("reopened", str(mails[3]["Subject"]))

    def test_confirmation_off_and_templates(self):
        self.desk.cli("project", "set", "acme/web", "confirmation", "off")
        deliver(self.desk, [self.desk.address["acme/web"]], message(message_id="w1@x"))
        tpl = os.path.join(self.desk.dir, "thanks.txt")
        with open(tpl, "w") as f:
            f.write("Hello! Ticket %{ISSUE_PATH} (#%{ ISSUE_ID }) is open: %{ISSUE_DESCRIPTION}\n"
                    "Stop: %{UNSUBSCRIBE_URL} %{NOT_A_PLACEHOLDER}\n")
        self.desk.cli("project", "template", "acme/game", "thank_you", "--subject", "[%{ISSUE_PATH}] got it",
                      "--file", tpl)
        ref = self.new_issue(mid="t1@x", subject="Body has %{ISSUE_ID} in it")
        mails = self.relay.wait_for(1)
        time.sleep(0.5)
        mails = self.relay.snapshot()
        self.assertEqual(len(mails), 1)  # none for acme/web
        self.assertEqual(str(mails[0]["Subject"]), f"[{ref}] got it")
        body = mails[0].body()
        self.assertIn(f"Ticket {ref} (#1) is open: Something is broken.", body)
        self.assertIn("Stop: mailto:desk+reply-", body)
        self.assertIn("%{NOT_A_PLACEHOLDER}", body)

    def test_automated_and_null_senders_get_no_confirmation(self):
        self.new_issue(mid="auto1@x", extra="Auto-Submitted: auto-replied\r\n")
        self.new_issue(mid="bulk1@x", extra="Precedence: bulk\r\n")
        self.new_issue(sender="mailer-daemon@example.org", mid="md@x")
        rr, dr = deliver(self.desk, [self.game], message(message_id="null@x"), sender="")
        self.assertIn("created", dr[0])
        self.assertEqual(len(self.desk.issues()), 4)
        time.sleep(1)
        self.assertEqual(self.relay.snapshot(), [])
        self.assertEqual(self.outbox(), [])

    def test_header_injection_and_dot_lines(self):
        evil_from = "=?UTF-8?Q?Eve=0D=0ABcc:_victim@example.net?= <eve@example.org>"
        evil_subject = "=?UTF-8?Q?Help=0D=0ABcc:_victim@example.net=0D=0A=0D=0Abody?="
        raw = (f"From: {evil_from}\r\nSubject: {evil_subject}\r\nMessage-ID: <inj@x>\r\n\r\nhello\r\n")
        rr, dr = deliver(self.desk, [self.game], raw, sender="eve@example.org")
        ref = dr[0].split()[-2]
        self.relay.wait_for(1)
        text = "first line\n.\nmiddle\r.\rbare CR line\n..two dots\n.\nlast"
        self.desk.cli("reply", ref, "-m", text)
        mails = self.relay.wait_for(2)
        self.assertEqual(len(mails), 2)
        for m in mails:
            self.assertIsNone(m["Bcc"])
            self.assertEqual(m.rcpts, ["eve@example.org"])
            self.assertEqual(len(m.msg.get_all("Subject")), 1)
            self.assertNotIn("\n", str(m["Subject"]))
            self.assertFalse(m.msg.defects, m.msg.defects)
            # Every line of the raw message ends in CRLF.
            self.assertNotIn(b"\r\r", m.data)
            self.assertEqual(m.data.count(b"\n"), m.data.count(b"\r\n"))
        body = mails[1].body().replace("\r\n", "\n")
        self.assertIn("first line\n.\nmiddle\n.\nbare CR line\n..two dots\n.\nlast", body)


class OutboxFaults(unittest.TestCase):
    def setUp(self):
        self.relay = CaptureServer()
        self.relay.port = 0
        self.relay.start()
        self.addCleanup(lambda: self.relay.stop())  # the relay of the moment: tests replace it
        self.port = self.relay.port

    def test_relay_down_then_back(self):
        self.relay.stop()
        self.desk = self.enterContext(Desk(relay_port=self.port)).start()
        for i in range(3):
            deliver(self.desk, [self.desk.address["acme/game"]],
                    message(message_id=f"d{i}@x", sender=f"c{i}@example.org"), sender=f"c{i}@example.org")
        # Until all three were tried: the dispatcher may take them in two
        # rounds (a list of two made this test flaky on PostgreSQL).
        def tried():
            p = [o for o in self.desk.cli("outbox", "list") if o["attempts"] >= 1 and o["state"] == "pending"]
            return p if len(p) >= 3 else None
        pending = wait_until(tried) or []
        self.assertEqual(len(pending), 3)
        self.assertIn("connect", pending[0]["last_error"])
        self.relay = CaptureServer(port=self.port).start()
        wait_until(lambda: all(o["state"] == "sent" for o in self.desk.cli("outbox", "list")), timeout=20)
        time.sleep(1)
        ids = [m.message_id for m in self.relay.snapshot()]
        self.assertEqual(len(ids), 3)
        self.assertEqual(len(set(ids)), 3)

    def test_relay_5xx_fails_with_reason_and_is_not_retried(self):
        self.relay.mode = "permfail"
        self.desk = self.enterContext(Desk(relay_port=self.port)).start()
        deliver(self.desk, [self.desk.address["acme/game"]], message(message_id="p@x"))
        failed = wait_until(lambda: self.desk.cli("outbox", "list", "--state", "failed"))
        self.assertEqual(len(failed), 1)
        self.assertIn("550 5.1.1", failed[0]["last_error"])
        attempts = failed[0]["attempts"]
        time.sleep(3)
        self.assertEqual(self.desk.cli("outbox", "list")[0]["attempts"], attempts)
        # An admin can send it again once the relay is fixed.
        self.relay.mode = "ok"
        self.desk.cli("outbox", "retry", str(failed[0]["id"]))
        wait_until(lambda: self.relay.snapshot())
        self.assertEqual(len(self.relay.snapshot()), 1)

    def test_a_refused_mail_does_not_stop_the_others(self):
        """Mail due together goes over one connection: a recipient the relay
        refuses fails with its reason, and the mails before and after it
        arrive, each once."""
        self.relay.stop()  # down while the three are queued: they fall due together
        self.desk = self.enterContext(Desk(relay_port=self.port)).start()
        senders = ["a@example.org", "refused@example.org", "c@example.org"]
        for i, s in enumerate(senders):
            deliver(self.desk, [self.desk.address["acme/game"]], message(message_id=f"r{i}@x", sender=s),
                    sender=s)
        wait_until(lambda: len(self.desk.cli("outbox", "list")) == 3
                   and all(o["attempts"] >= 1 for o in self.desk.cli("outbox", "list")))
        self.relay = CaptureServer(port=self.port)
        self.relay.refuse = {"refused@example.org"}
        self.relay.start()
        self.addCleanup(lambda: self.relay.stop())
        failed = wait_until(lambda: self.desk.cli("outbox", "list", "--state", "failed"), timeout=20)
        got = self.relay.wait_for(2, timeout=20)
        time.sleep(0.5)
        self.assertEqual(sorted(r for m in self.relay.snapshot() for r in m.rcpts),
                         ["a@example.org", "c@example.org"])
        self.assertEqual(len(got), 2)
        self.assertEqual(len(failed), 1)
        self.assertIn("550 5.1.1", failed[0]["last_error"])

    def test_relay_4xx_is_retried(self):
        self.relay.mode = "tempfail"
        self.desk = self.enterContext(Desk(relay_port=self.port)).start()
        deliver(self.desk, [self.desk.address["acme/game"]], message(message_id="t@x"))
        wait_until(lambda: self.desk.cli("outbox", "list")[0]["attempts"] >= 2)
        item = self.desk.cli("outbox", "list")[0]
        self.assertEqual(item["state"], "pending")
        self.assertIn("451", item["last_error"])
        self.relay.mode = "ok"
        wait_until(lambda: self.relay.snapshot())
        self.assertEqual(len(self.relay.snapshot()), 1)

    def test_kill_9_while_draining(self):
        self.desk = self.enterContext(Desk(relay_port=self.port, extra_config="")).start()
        self.desk.stop()
        # Queue mail while the daemon is down: the CLI writes the outbox too.
        self.desk.start()
        n = 12
        for i in range(n):
            deliver(self.desk, [self.desk.address["acme/game"]],
                    message(message_id=f"k{i}@x", sender=f"k{i}@example.org"), sender=f"k{i}@example.org")
        self.relay.data_delay = 0.3
        kills = 0
        for _ in range(3):
            wait_until(lambda: len(self.relay.snapshot()) >= 2 * (kills + 1), timeout=20)
            self.desk.proc.send_signal(signal.SIGKILL)
            self.desk.proc.wait()
            self.desk.proc = None
            kills += 1
            self.desk.start()
        self.relay.data_delay = 0
        wait_until(lambda: all(o["state"] == "sent" for o in self.desk.cli("outbox", "list")), timeout=30)
        time.sleep(0.5)
        ids = [m.message_id for m in self.relay.snapshot()]
        expected = {o["message_id"] for o in self.desk.cli("outbox", "list")}
        self.assertEqual(len(expected), n)
        self.assertEqual(set(ids), expected)  # every mail arrived, with its own Message-ID
        duplicates = len(ids) - len(set(ids))
        # A batch's results are recorded in one transaction after its last
        # mail (DESIGN.md section 6): a kill re-sends what that batch had
        # sent, each such mail once more. So no mail arrives more often than
        # once plus once per kill.
        worst = max(ids.count(i) for i in set(ids))
        self.assertLessEqual(worst, 1 + kills)
        print(f"\n  kill -9 x{kills}: {len(ids)} mails for {n} queued, {duplicates} duplicate(s)", flush=True)


if __name__ == "__main__":
    unittest.main()
