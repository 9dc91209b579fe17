"""Cc participants (issue 23 part 2) over LMTP with swaks and the capturing
relay: the addresses in Cc of a new issue become participants when the
project says so, get the desk's public answers (never the confirmation or
the customer's text), answer and unsubscribe with their own reply keys; a
responder adds and removes them with deskmail issue participant."""
import time
import unittest

from harness import DOMAIN, RelayedDesk


class CcParticipants(RelayedDesk, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.desk.cli("project", "set", "acme/game", "cc_participants", "on")
        self.desk.cli("project", "member", "add", "acme/game", "agent@company.example")

    def new_issue(self, cc):
        r = self.desk.swaks("--to", self.game, "--from", "customer@example.org",
                            "--header", "Subject: Printer on fire",
                            "--header", f"Cc: {cc}",
                            "--header", "Message-ID: <cc1@example.org>",
                            "--body", "My printer is on fire. My colleagues are in Cc.")
        self.assertEqual(r.returncode, 0, r.stdout)
        return self.desk.issues()[0]["ref"]

    def participants(self, ref):
        return {p["email"]: p for p in self.desk.show(ref)["participants"]}

    def test_cc_become_participants_and_get_only_the_answers(self):
        ref = self.new_issue("Boss <boss@example.org>, Agent <agent@company.example>, "
                             f"desk+acme-game@{DOMAIN}, noreply@example.org, =?UTF-8?Q?J=C3=B6rg?= <jorg@example.net>")
        parts = self.participants(ref)
        self.assertEqual(sorted(e for e, p in parts.items() if p["role"] == "cc"),
                         ["boss@example.org", "jorg@example.net"])
        confirmation = self.relay.wait_for(1)[0]
        self.assertEqual(confirmation.rcpts, ["customer@example.org"])
        time.sleep(1)
        self.assertEqual(len(self.relay.snapshot()), 1)  # nothing to the Cc'd yet

        self.desk.cli("reply", ref, "-m", "The fire brigade is on its way.", "--as", "agent@company.example")
        mails = self.relay.wait_for(4)
        answers = {m.rcpts[0]: m for m in mails[1:]}
        self.assertEqual(sorted(answers), ["boss@example.org", "customer@example.org", "jorg@example.net"])
        boss = answers["boss@example.org"]
        self.assertIn("The fire brigade is on its way.", boss.body())
        self.assertNotIn("My printer is on fire", boss.body())
        self.assertEqual(str(boss["Reply-To"]), parts["boss@example.org"]["reply_address"])
        self.assertIn("<cc1@example.org>", str(boss["References"]))

        # The boss answers with their own key: a customer-side note by them.
        r = self.desk.swaks("--to", parts["boss@example.org"]["reply_address"], "--from", "boss@example.org",
                            "--header", "Subject: Re: Printer on fire", "--body", "Use the extinguisher.")
        self.assertEqual(r.returncode, 0, r.stdout)
        notes = self.desk.show(ref)["notes"]
        self.assertEqual((notes[-1]["author"], notes[-1]["author_kind"]), ("boss@example.org", "customer"))

        # And stops the mail; the next answer goes to the other two only.
        unsub = parts["boss@example.org"]["reply_address"].replace("@", "-unsubscribe@")
        r = self.desk.swaks("--to", unsub, "--from", "boss@example.org", "--body", "stop")
        self.assertEqual(r.returncode, 0, r.stdout)
        n = len(self.relay.snapshot())
        r = self.desk.cli("reply", ref, "-m", "Fire is out.", "--as", "agent@company.example")
        self.assertEqual(r["mails_queued"], 2)
        later = self.relay.wait_for(n + 2)[n:]
        self.assertEqual(sorted(m.rcpts[0] for m in later), ["customer@example.org", "jorg@example.net"])

    def test_responder_adds_and_removes_a_participant(self):
        ref = self.new_issue("")
        self.relay.wait_for(1)
        r = self.desk.cli("issue", "participant", "add", ref, "lawyer@example.org")
        self.assertTrue(r["changed"])
        refused = self.desk.cli("issue", "participant", "add", ref, "agent@company.example",
                                json_out=False, check=False)
        self.assertEqual(refused.returncode, 2, refused.stdout + refused.stderr)
        self.assertIn("member", refused.stderr)
        self.desk.cli("reply", ref, "-m", "Copying our lawyer.", "--as", "agent@company.example")
        mails = self.relay.wait_for(3)
        self.assertEqual(sorted(m.rcpts[0] for m in mails[1:]), ["customer@example.org", "lawyer@example.org"])
        self.desk.cli("issue", "participant", "remove", ref, "lawyer@example.org")
        self.assertEqual(self.desk.cli("reply", ref, "-m", "Done.")["mails_queued"], 1)
        show = self.desk.cli("issue", "show", ref, json_out=False).stdout
        self.assertIn("lawyer@example.org (cc) (unsubscribed)", show)


if __name__ == "__main__":
    unittest.main()
