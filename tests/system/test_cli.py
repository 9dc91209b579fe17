"""The deskmail command as a responder and an admin meet it (issues 18, 19):
a customer's control characters never reach the terminal raw, the plain
listings show what --json shows, and a user the file system keeps out is
told which file, whose it is and what to do."""
import os
import pwd
import shutil
import subprocess
import unittest

from harness import DESKMAIL, Desk, deliver

ESC = "\x1b"


class Terminal(unittest.TestCase):
    def setUp(self):
        self.desk = Desk().start()
        self.addCleanup(self.desk.stop)

    def test_escape_sequences_shown_escaped_kept_in_json(self):
        addr = self.desk.address["acme/game"]
        title = f"Hello {ESC}]0;owned{chr(7)}{ESC}[2J"
        body = f"line one\r\n{ESC}[31mred{ESC}[0m and \u202etxt.exe\r\n"
        data = (f"From: Mallory <m@example.org>\r\nSubject: {title}\r\n"
                f"Message-ID: <esc1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}")
        _, replies = deliver(self.desk, [addr], data, sender="m@example.org")
        self.assertRegex(replies[0], r"^250 ")
        ref = replies[0].split()[-2]
        shown = self.desk.cli("issue", "show", ref, json_out=False)
        self.assertNotIn(ESC, shown.stdout)
        self.assertNotIn("\u202e", shown.stdout)
        self.assertNotIn("\x07", shown.stdout)
        self.assertIn("^[[31mred^[[0m", shown.stdout)
        self.assertIn("<U+202E>txt.exe", shown.stdout)
        listed = self.desk.cli("issue", "list", json_out=False)
        self.assertNotIn(ESC, listed.stdout)
        self.assertIn("Hello ", listed.stdout)
        # --json keeps the text as data.
        self.assertIn(f"{ESC}[31mred", self.desk.show(ref)["description"])

    def test_plain_listings_show_members_settings_updated_and_bounces(self):
        self.desk.cli("project", "member", "add", "acme/game", "agent@company.example")
        self.desk.cli("project", "set", "acme/game", "notify_members", "on")
        out = self.desk.cli("project", "list", json_out=False).stdout
        self.assertIn("MEMBERS", out)
        self.assertIn("agent@company.example", out)
        self.assertIn("notify_members=on", out)
        addr = self.desk.address["acme/game"]
        _, replies = deliver(self.desk, [addr], "From: c@example.org\r\nSubject: s\r\n"
                             "Message-ID: <upd1@example.org>\r\n\r\nhi\r\n", sender="c@example.org")
        ref = replies[0].split()[-2]
        self.assertIn("UPDATED (UTC)", self.desk.cli("issue", "list", json_out=False).stdout)
        reply_address = self.desk.show(ref)["participants"][0]["reply_address"]
        # A bounce to the customer's reply address marks the participant.
        dsn = ("From: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\nMessage-ID: <dsn1@example.org>\r\n"
               "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
               "--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--B\r\n"
               "Content-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--B--\r\n")
        _, replies = deliver(self.desk, [reply_address], dsn, sender="")
        self.assertRegex(replies[0], r"^250 ")
        shown = self.desk.cli("issue", "show", ref, json_out=False).stdout
        self.assertIn("c@example.org (bouncing", shown)


class Permissions(unittest.TestCase):
    def test_a_user_outside_the_group_is_told_what_to_do(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to act as another user")
        desk = Desk()
        self.addCleanup(shutil.rmtree, desk.dir, True)
        os.chmod(desk.dir, 0o755)
        os.chmod(desk.db, 0o640)  # readable, not writable, for others: the group's
        os.chmod(desk.config, 0o644)
        nobody = pwd.getpwnam("nobody")
        p = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                            "--clear-groups", DESKMAIL, "-c", desk.config, "close", "acme/game#1"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(f"the database {desk.db}", p.stderr)
        self.assertIn("not readable and writable by user nobody", p.stderr)
        self.assertIn("sudo -u root deskmail", p.stderr)
        self.assertIn("sudo adduser nobody root", p.stderr)


if __name__ == "__main__":
    unittest.main()
