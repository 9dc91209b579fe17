"""contrib/swaks/replay-mbox replays the fixture mbox through swaks over
LMTP, byte for byte, and reports each message's reply."""
import os
import re
import subprocess
import unittest

from harness import Desk

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPLAY = os.path.join(TOP, "contrib", "swaks", "replay-mbox")
MBOX = os.path.join(TOP, "tests", "fixtures", "support.mbox")


class ReplayMbox(unittest.TestCase):
    def setUp(self):
        self.desk = self.enterContext(Desk('limits: { new_issues_per_sender_hour: 0 }\n')).start()

    def test_replay_fixture_mbox(self):
        r = subprocess.run([REPLAY, "--server", f"127.0.0.1:{self.desk.port}",
                            "--to", self.desk.address["acme/game"], MBOX],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 25)
        for line in lines[:-1]:
            self.assertRegex(line, r"^#\d+ .*\t250 2\.0\.0 <desk\+acme-game@[^>]+> acme/game#\d+ "
                                   r"(created|already delivered|note added) id=[0-9A-V]{13}$")
        self.assertEqual(lines[-1], "24 messages: 24 x 250")
        self.assertIn("already delivered", lines[18])  # the mbox holds one message twice
        # Another sender's "Same problem here." in the thread of c0's issue: a
        # Message-ID proves nothing about who writes, so it opens an issue of
        # its own (issue 18); only c0 could continue theirs without a key.
        self.assertIn("created", lines[21])
        issues = self.desk.issues()
        self.assertEqual(len(issues), 23)
        # Bytes preserved: the stored raw message is the mbox entry, CRLF,
        # with dot lines and ">From " quoting undone exactly once.
        raw = self.desk.raw_messages()
        dots = next(x for x in raw if b"<fixture-14@" in x)
        self.assertIn(b"\r\nfirst\r\n.\r\n..two dots\r\n.leading dot\r\nlast\r\n", dots)
        froms = next(x for x in raw if b"<fixture-15@" in x)
        self.assertIn(b"\r\nFrom here on it gets strange:\r\nFrom the start of a line.\r\n"
                      b">From an already quoted line.\r\n", froms)

    def test_directory_of_eml_files(self):
        golden = os.path.join(TOP, "tests", "golden")
        r = subprocess.run([REPLAY, "--socket", self.desk.sock, "--to", self.desk.address["acme/web"], golden],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        n = len([f for f in os.listdir(golden) if f.endswith(".eml")])
        self.assertEqual(r.stdout.splitlines()[-1], f"{n} messages: {n} x 250")


if __name__ == "__main__":
    unittest.main()
