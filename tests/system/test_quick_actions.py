"""Quick actions by mail (issue 20) over LMTP with the capturing relay: a
proven member's reply (their own key and the site's Authentication-Results)
acts; the same lines from a customer or an unproven "member" are text;
lines not understood run nothing and the member is told; /internal mails
no customer."""
import time
import unittest

from harness import Desk, deliver, wait_until
from smtp_capture import CaptureServer
from test_identity import AGENT, CUSTOMER, DKIM_PASS, OURS, mail


class QuickActions(unittest.TestCase):
    def setUp(self):
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(
            relay_port=self.relay.port,
            extra_config=f"authentication: {{ authserv_id: {OURS}, require: dkim_aligned }}\n"))
        self.desk.cli("project", "member", "add", "acme/game", AGENT)
        self.desk.cli("project", "set", "acme/game", "notify_members", "on")
        self.desk.cli("project", "label", "add", "acme/game", "bug")
        self.desk.start()
        _, dr = deliver(self.desk, [self.desk.address["acme/game"]],
                        mail(CUSTOMER, "Card declined", "My card was declined.", "o1@example.org"),
                        sender=CUSTOMER)
        self.ref = dr[0].split()[-2]
        mails = self.relay.wait_for(2)
        to_agent = next(m for m in mails if m.rcpts == [AGENT])
        self.assertIn("/assign me|EMAIL", to_agent.body())  # the foot lists them
        self.agent_key = str(to_agent["Reply-To"])
        self.customer_key = self.desk.show(self.ref)["participants"][0]["reply_address"]

    def send(self, rcpt, body, mid, sender=AGENT, proof=DKIM_PASS):
        _, dr = deliver(self.desk, [rcpt], mail(sender, "Re: Card declined", body, mid, above=proof),
                        sender=sender)
        self.assertIn("note added", dr[0])

    def later_mails(self):
        time.sleep(1.5)
        return self.relay.messages[2:]

    def test_a_proven_member_closes_assigns_and_labels(self):
        self.send(self.agent_key, "/close\r\n/assign me\r\n/label ~bug\r\n\r\nFixed in 1.2.", "q1@company.example")
        issue = self.desk.show(self.ref)
        self.assertEqual((issue["state"], issue["assignee"], issue["labels"]), ("closed", AGENT, ["bug"]))
        answer = [n for n in issue["notes"] if n["author_kind"] == "responder"][0]
        self.assertEqual(answer["body"], "Fixed in 1.2.")
        mails = wait_until(lambda: len(self.relay.messages) >= 4 and self.relay.messages[2:])
        self.assertIn("Fixed in 1.2.", mails[0].body())
        self.assertNotIn("/close", mails[0].body())
        self.assertEqual(sorted(m.rcpts[0] for m in mails), [CUSTOMER, CUSTOMER])

    def test_the_same_lines_from_a_customer_or_an_unproven_member_are_text(self):
        self.send(self.customer_key, "/close\r\n/assign me", "c1@example.org", sender=CUSTOMER, proof="")
        self.send(self.agent_key, "/close\r\n/label bug\r\nDone.", "q2@company.example", proof="")
        issue = self.desk.show(self.ref)
        self.assertEqual((issue["state"], issue["assignee"], issue["labels"]), ("opened", None, []))
        self.assertNotIn("system", [n["author_kind"] for n in issue["notes"]])
        self.assertEqual([m for m in self.later_mails() if CUSTOMER in m.rcpts], [])

    def test_a_line_not_understood_runs_nothing_and_the_member_is_told(self):
        self.send(self.agent_key, "/close\r\n/frob\r\n\r\nDone.", "q3@company.example")
        issue = self.desk.show(self.ref)
        self.assertEqual(issue["state"], "opened")
        self.assertTrue(issue["notes"][-1]["internal"])
        told = wait_until(lambda: [m for m in self.relay.messages[2:] if m.rcpts == [AGENT]])
        self.assertIn("/frob: unknown command", told[0].body())
        self.assertEqual([m for m in self.later_mails() if CUSTOMER in m.rcpts], [])

    def test_internal_mails_no_customer(self):
        self.send(self.agent_key, "/internal\r\nReseller, handle with care.", "q4@company.example")
        note = self.desk.show(self.ref)["notes"][-1]
        self.assertTrue(note["internal"])
        self.assertEqual(note["body"], "Reseller, handle with care.")
        self.assertEqual([m for m in self.later_mails() if CUSTOMER in m.rcpts], [])


if __name__ == "__main__":
    unittest.main()
