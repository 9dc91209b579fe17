"""Nobody speaks as the desk but the desk (issue 18), tried as an attacker
with nothing but the ability to send mail to the desk's domain would, over
LMTP with the capturing relay. Identity comes from the reply key, and a
member's key acts as a member only with the site's proof: an
Authentication-Results field with our authserv-id above our own Received."""
import time
import unittest

from harness import DOMAIN, Desk, deliver, wait_until
from smtp_capture import CaptureServer

OURS = "mx.support.example"
AGENT = "agent@company.example"
CUSTOMER = "customer@example.org"
RECEIVED = (f"Received: from mail.company.example (mail.company.example [192.0.2.7])\r\n"
            f"\tby {OURS} (Postfix) with ESMTPS id 4QxAbC1234\r\n\tfor <desk@{DOMAIN}>; Wed, 2 Dec 2026 06:00:00 +0000\r\n")
DKIM_PASS = (f"Authentication-Results: {OURS}; dkim=pass (2048-bit key; unprotected)\r\n"
             f"\theader.d=company.example header.i=@company.example header.b=Zm9vYmFy\r\n")


def mail(sender, subject, body, mid, above="", below="", extra=""):
    """A message as our MTA hands it over: `above` our Received (where the
    site's milters write), `below` it (where a sender's own fields lie)."""
    return (f"{above}{RECEIVED}{below}From: <{sender}>\r\nTo: desk@{DOMAIN}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{mid}>\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n")


class Identity(unittest.TestCase):
    require = "dkim_aligned"

    def setUp(self):
        self.relay = CaptureServer().start()
        self.addCleanup(self.relay.stop)
        self.desk = Desk(relay_port=self.relay.port,
                         extra_config=f"authentication: {{ authserv_id: {OURS}, require: {self.require} }}\n")
        self.addCleanup(self.desk.close)
        self.desk.cli("project", "member", "add", "acme/game", AGENT)
        self.desk.cli("project", "set", "acme/game", "notify_members", "on")
        self.desk.start()
        self.game = self.desk.address["acme/game"]
        _, dr = deliver(self.desk, [self.game], mail(CUSTOMER, "Card declined", "My card was declined.",
                                                     "orig1@example.org"), sender=CUSTOMER)
        self.assertIn("created", dr[0])
        self.ref = dr[0].split()[-2]
        mails = self.relay.wait_for(2)  # the confirmation and the member's notification
        self.to_agent = next(m for m in mails if m.rcpts == [AGENT])
        self.customer_key = self.desk.show(self.ref)["participants"][0]["reply_address"]
        self.agent_key = str(self.to_agent["Reply-To"])

    def mailed_to_customer_after_setup(self):
        time.sleep(1.5)  # the dispatcher runs every few hundred ms
        return [m for m in self.relay.messages[2:] if CUSTOMER in m.rcpts]

    def notes(self):
        return self.desk.show(self.ref)["notes"]

    def answer(self, rcpt, above="", below="", sender=AGENT, mid="ans1@company.example", extra=""):
        _, dr = deliver(self.desk, [rcpt], mail(sender, "Re: Card declined",
                                                "Confirm your card at https://evil.example/pay", mid,
                                                above, below, extra), sender=sender)
        return dr[0]

    # --- the forged member ----------------------------------------------------
    def test_forged_member_to_project_address_threading_the_customers_mid(self):
        reply = self.answer(self.game, extra="In-Reply-To: <orig1@example.org>\r\n")
        self.assertIn("created", reply)  # a new issue of its own, not a note on the customer's
        self.assertEqual(self.notes(), [])
        self.assertEqual(self.mailed_to_customer_after_setup(), [])

    def test_forged_member_to_project_address_without_in_reply_to(self):
        self.assertIn("created", self.answer(self.game))
        self.assertEqual(self.notes(), [])
        self.assertEqual(self.mailed_to_customer_after_setup(), [])

    def test_forged_member_to_the_customers_key_is_the_customers_note(self):
        reply = self.answer(self.customer_key, above=DKIM_PASS)
        self.assertIn("note added", reply)
        notes = self.notes()
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes[0]["author_kind"], "customer")
        self.assertEqual(notes[0]["author"], CUSTOMER)
        self.assertEqual(self.mailed_to_customer_after_setup(), [])

    # --- the member's own key ---------------------------------------------------
    def test_member_key_with_the_sites_proof_answers_the_customer(self):
        self.assertIn("note added", self.answer(self.agent_key, above=DKIM_PASS))
        notes = self.notes()
        self.assertEqual(notes[0]["author_kind"], "responder")
        self.assertFalse(notes[0]["internal"])
        self.assertTrue(notes[0].get("verified", True))
        self.relay.wait_for(3)
        self.assertEqual(len(self.mailed_to_customer_after_setup()), 1)

    def check_unverified(self, **kw):
        self.assertIn("note added", self.answer(self.agent_key, **kw))
        notes = self.notes()
        self.assertEqual(len(notes), 1)
        self.assertTrue(notes[0]["internal"])
        self.assertFalse(notes[0]["verified"])
        self.assertEqual(self.mailed_to_customer_after_setup(), [])
        told = wait_until(lambda: [m for m in self.relay.messages[2:] if m.rcpts == [AGENT]])
        self.assertIn("not verified", told[0].body())
        # The delivery's log line says why, for the admin.
        with open(self.desk.log_path) as f:
            lines = [l for l in f if "<ans1@company.example>" in l and "result=" in l]
        self.assertTrue(lines and 'proof="' in lines[-1], lines)

    def test_member_key_without_a_field(self):
        self.check_unverified()

    def test_member_key_with_a_foreign_authserv_id(self):
        self.check_unverified(above=DKIM_PASS.replace(OURS, "mx.evil.example"))

    def test_member_key_with_the_field_forged_below_our_received(self):
        self.check_unverified(below=DKIM_PASS)

    def test_member_key_with_an_unaligned_signature(self):
        self.check_unverified(above=DKIM_PASS.replace("company.example", "evil.example"))

    def test_member_key_with_a_failed_signature(self):
        self.check_unverified(above=DKIM_PASS.replace("dkim=pass", "dkim=fail"))

    def test_member_key_from_another_address_even_with_its_own_proof(self):
        # A leaked key used from the attacker's own, properly signed domain.
        self.check_unverified(sender="mallory@evil.example",
                              above=DKIM_PASS.replace("company.example", "evil.example"))


class NoProofRequired(Identity):
    """require: none, by the admin's explicit choice: the key alone acts."""
    require = "none"

    def test_member_key_without_a_field(self):
        self.assertIn("note added", self.answer(self.agent_key))
        self.assertEqual(self.notes()[0]["author_kind"], "responder")

    test_member_key_with_a_foreign_authserv_id = None
    test_member_key_with_the_field_forged_below_our_received = None
    test_member_key_with_an_unaligned_signature = None
    test_member_key_with_a_failed_signature = None
    test_member_key_from_another_address_even_with_its_own_proof = None

    def test_deskmaild_warns_at_start(self):
        with open(self.desk.log_path) as f:
            self.assertIn("authentication.require is none", f.read())


class Reflection(unittest.TestCase):
    def setUp(self):
        self.relay = CaptureServer().start()
        self.addCleanup(self.relay.stop)
        self.desk = Desk(relay_port=self.relay.port).start()
        self.addCleanup(self.desk.close)
        self.game = self.desk.address["acme/game"]

    def test_reply_to_gets_no_confirmation(self):
        data = mail("spammer@example.net", "Cheap pills", "Buy now", "spam1@example.net",
                    extra="Reply-To: victim@example.com\r\n")
        _, dr = deliver(self.desk, [self.game], data, sender="spammer@example.net")
        self.assertIn("created", dr[0])
        mails = self.relay.wait_for(1)
        time.sleep(1)
        self.assertEqual([m.rcpts for m in self.relay.messages], [["spammer@example.net"]])
        self.assertNotIn("Buy now", mails[0].body())

    def test_envelope_and_from_disagree_no_confirmation(self):
        data = mail("victim@example.com", "Hello", "text", "spam2@example.net")
        _, dr = deliver(self.desk, [self.game], data, sender="spammer@example.net")
        self.assertIn("created", dr[0])
        time.sleep(1.5)
        self.assertEqual(self.relay.messages, [])

    def test_same_body_two_senders_without_message_id_two_issues(self):
        for sender in ("a@example.org", "b@example.org"):
            data = (f"{RECEIVED}From: <{sender}>\r\nSubject: Call\r\n\r\nPlease call me back.\r\n")
            _, dr = deliver(self.desk, [self.game], data, sender=sender)
            self.assertIn("created", dr[0], sender)
        self.assertEqual(len(self.desk.issues()), 2)
