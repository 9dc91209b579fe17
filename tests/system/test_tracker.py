"""Working the queue from the command line (issue 20): labels, assignees,
the filters and the search of `issue list`, the system notes in `issue
show`, and members who turn their mail off. Mail goes in over LMTP; what
is mailed is read at the capturing relay and in the outbox."""
import time
import unittest

from harness import RelayedDesk, deliver, message


class Tracker(RelayedDesk, unittest.TestCase):

    def new_issue(self, subject, body, mid, sender="customer@example.org"):
        _, dr = deliver(self.desk, [self.game],
                        message(subject=subject, body=body, message_id=mid, sender=sender), sender=sender)
        self.assertRegex(dr[0], r"^250 2\.0\.0 ", dr)
        return dr[0].split()[-2]

    def refs(self, *filters):
        return [i["ref"] for i in self.desk.cli("issue", "list", *filters)]

    def test_labels_assignees_filters_search_and_system_notes(self):
        started = time.monotonic()
        d = self.desk
        d.cli("project", "member", "add", "acme/game", "agent@company.example")
        d.cli("project", "member", "add", "acme/game", "boss@company.example")
        ru = self.new_issue("Не работает вход", "Пароль не подходит после обновления.", "ru@example.org")
        ja = self.new_issue("ログインできません", "東京のサーバーに接続できません。", "ja@example.org")
        fr = self.new_issue("Facture impayée", "Le résumé de la facture est erroné.", "fr@example.org")
        queued = len(d.cli("outbox", "list"))

        self.assertEqual(d.cli("project", "label", "add", "acme/game", "bug", "--colour", "#C00"),
                         {"path": "acme/game", "label": {"name": "bug", "colour": "#c00"}})
        d.cli("project", "label", "add", "acme/game", "Urgent")
        self.assertEqual(d.cli("project", "label", "list", "acme/game"),
                         [{"name": "bug", "colour": "#c00"}, {"name": "Urgent", "colour": ""}])
        bad = d.cli("project", "label", "add", "acme/game", "two words", json_out=False, check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("invalid label name", bad.stderr)

        r = d.cli("issue", "assign", ru, "Agent@company.example", "--as", "boss@company.example")
        self.assertEqual(r, {"ref": ru, "assignee": "agent@company.example", "changed": True})
        no = d.cli("issue", "assign", ja, "customer@example.org", json_out=False, check=False)
        self.assertEqual(no.returncode, 2)
        self.assertIn("is no member of acme/game", no.stderr)
        r = d.cli("issue", "label", ru, "+bug", "+urgent", "--as", "agent@company.example")
        self.assertEqual(r["labels"], ["Urgent", "bug"])
        d.cli("issue", "label", ja, "+bug")
        unknown = d.cli("issue", "label", ja, "+urgent", "+nope", json_out=False, check=False)
        self.assertEqual(unknown.returncode, 2)
        self.assertIn("no label 'nope' in acme/game", unknown.stderr)
        self.assertEqual(d.show(ja)["labels"], ["bug"])  # nothing of it was done

        self.assertEqual(self.refs("--assignee", "agent@company.example"), [ru])
        self.assertEqual(self.refs("--assignee", "none"), [ja, fr])
        self.assertEqual(self.refs("--label", "BUG"), [ru, ja])
        self.assertEqual(self.refs("--label", "bug", "--label", "urgent"), [ru])
        self.assertEqual(self.refs("--search", "пароль"), [ru])
        self.assertEqual(self.refs("--search", "サーバー"), [ja])
        self.assertEqual(self.refs("--search", "東京"), [ja])
        self.assertEqual(self.refs("--search", "resume"), [fr])
        self.assertEqual(self.refs("--sort", "created"), [fr, ja, ru])
        time.sleep(1.1)  # updated_at is in seconds: the note must come a second after the label on ru
        d.cli("note", ja, "-m", "Customer uses a VPN from Osaka", "--as", "agent@company.example")
        self.assertEqual(self.refs("--search", "osaka"), [ja])
        self.assertEqual(self.refs("--sort", "updated")[0], ja)

        listing = d.cli("issue", "list", "--label", "urgent", json_out=False).stdout
        self.assertIn("ASSIGNEE", listing)
        self.assertIn("LABELS", listing)
        self.assertIn("agent@company.example", listing)
        self.assertIn("Urgent bug", listing)

        d.cli("close", ru, "--as", "agent@company.example")
        shown = d.cli("issue", "show", ru, json_out=False).stdout
        self.assertIn("assignee: agent@company.example   labels: Urgent bug", shown)
        self.assertIn("UTC boss@company.example assigned to agent@company.example", shown)
        self.assertIn("UTC agent@company.example added label ~bug ~Urgent", shown)
        self.assertIn("UTC agent@company.example closed", shown)
        notes = d.show(ru)["notes"]
        self.assertEqual([n["author_kind"] for n in notes], ["system", "system", "system"])
        self.assertTrue(all(n["internal"] for n in notes))
        # Only the closing mail was queued: no change was mailed, nor the internal note.
        kinds = [m["kind"] for m in d.cli("outbox", "list")][queued:]
        self.assertEqual(kinds, ["closed"])

        bad = d.cli("issue", "list", "--sort", "oldest", json_out=False, check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertEqual(d.cli("project", "label", "remove", "acme/game", "urgent"),
                         {"path": "acme/game", "label": "urgent", "changed": True})
        self.assertEqual(d.show(ru)["labels"], ["bug"])
        print(f"\n[test_tracker] cli queue: {time.monotonic() - started:.1f} s")

    def test_a_member_turns_their_mail_off(self):
        d = self.desk
        for m in ("agent@company.example", "boss@company.example"):
            d.cli("project", "member", "add", "acme/game", m)
        d.cli("project", "set", "acme/game", "notify_members", "on")
        r = d.cli("project", "member", "set", "acme/game", "Boss@company.example", "notify", "off")
        self.assertEqual(r, {"path": "acme/game", "member": "boss@company.example", "notify": False,
                             "changed": True})
        self.assertEqual(d.cli("project", "list")[0]["notify_off"], ["boss@company.example"])
        self.assertIn("boss@company.example (notify off)",
                      d.cli("project", "list", json_out=False).stdout)
        self.new_issue("Printer", "on fire", "n1@example.org")
        mails = self.relay.wait_for(2)
        self.assertEqual(sorted(r for m in mails for r in m.rcpts),
                         ["agent@company.example", "customer@example.org"])
        time.sleep(1)
        self.assertEqual(len(self.relay.messages), 2)  # none to boss
        d.cli("project", "member", "set", "acme/game", "boss@company.example", "notify", "on")
        self.new_issue("Printer", "on fire again", "n2@example.org")
        mails = self.relay.wait_for(5)
        self.assertIn(["boss@company.example"], [m.rcpts for m in mails[2:]])
        no = d.cli("project", "member", "set", "acme/game", "x@example.org", "notify", "off",
                   json_out=False, check=False)
        self.assertEqual(no.returncode, 1)


if __name__ == "__main__":
    unittest.main()
