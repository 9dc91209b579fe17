"""Closed by the fix (issue 22): a real bare git repository with
contrib/git/post-receive installed, bound to acme/game with `deskmail
project hook add`, pushed to by real git; the real deskmaild sends the
customer's "closed" mail to a capturing relay.

Closing and mentioning commits, a push to another branch (nothing), the
same commits pushed again and force-pushed back and forward (nothing
twice), disclose_fixes, and the customer's closed mail arriving exactly
once."""
import os
import shutil
import subprocess
import time
import unittest

from harness import DESKMAIL, Desk, deliver, message, wait_until
from smtp_capture import CaptureServer

HOOK = os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "git", "post-receive")
COMMIT_URL = "https://git.example.com/game/commit/%H"


class FixHook(unittest.TestCase):

    def setUp(self):
        self.started = time.monotonic()
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(relay_port=self.relay.port)).start()
        self.game = self.desk.address["acme/game"]
        self.bare = os.path.join(self.desk.dir, "game.git")
        self.work = os.path.join(self.desk.dir, "work")
        git = ["git", "-c", "init.defaultBranch=main"]
        subprocess.run([*git, "init", "-q", "--bare", self.bare], check=True)
        shutil.copy(HOOK, os.path.join(self.bare, "hooks", "post-receive"))
        os.chmod(os.path.join(self.bare, "hooks", "post-receive"), 0o755)
        self.git_in(self.bare, "config", "deskmail.config", self.desk.config)
        subprocess.run([*git, "clone", "-q", self.bare, self.work], check=True, capture_output=True)
        self.git("config", "user.name", "Jane Dev")
        self.git("config", "user.email", "jane@acme.example")
        self.git("checkout", "-q", "-b", "main")
        # The hook finds deskmail on PATH, as on a server.
        self.env = dict(os.environ, PATH=os.path.dirname(DESKMAIL) + os.pathsep + os.environ["PATH"])
        self.env.pop("DESKMAIL_CONFIG", None)

    def tearDown(self):
        print(f"\n  {self.id().split('.')[-1]}: {time.monotonic() - self.started:.1f} s", flush=True)

    def git_in(self, where, *args):
        return subprocess.run(["git", "-C", where, *args], check=True, capture_output=True, text=True,
                              env=getattr(self, "env", None)).stdout.strip()

    def git(self, *args):
        return self.git_in(self.work, *args)

    def commit(self, message):
        with open(os.path.join(self.work, "log.txt"), "a") as f:
            f.write(message + "\n")
        self.git("add", "log.txt")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def push(self, *refspec, force=False):
        """git push; returns what the hook printed (git's "remote:" lines)."""
        p = subprocess.run(["git", "-C", self.work, "push", *(["--force"] if force else []), "origin", *refspec],
                           capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return "\n".join(line for line in p.stderr.splitlines() if line.startswith("remote:"))

    def new_issue(self, sender, subject):
        mid = f"{subject.replace(' ', '.')}@example.org"
        rr, dr = deliver(self.desk, [self.game], message(subject=subject, sender=sender, message_id=mid),
                         sender=sender)
        self.assertTrue(dr[0].startswith("250 2.0.0"), dr)
        return dr[0].split()[-2]

    def state(self, ref):
        return self.desk.show(ref)["state"]

    def bot_notes(self, ref):
        return [n for n in self.desk.show(ref)["notes"] if n["author_kind"] == "support_bot"]

    def closed_mails(self):
        return [m for m in self.relay.snapshot() if "closed" in str(m["Subject"])]

    def test_push_closes_mentions_and_acts_once(self):
        one = self.new_issue("alice@example.org", "Save button broken")
        two = self.new_issue("bob@example.org", "Saving is slow")
        self.assertEqual((one, two), ("acme/game#1", "acme/game#2"))
        self.assertEqual(len(self.relay.wait_for(2)), 2)  # the confirmations

        bound = self.desk.cli("project", "hook", "add", "acme/game", "--forge", "git", "--repo", self.bare,
                              "--commit-url", COMMIT_URL)
        self.assertEqual((bound["forge"], bound["repo"], bound["branch"]), ("git", self.bare, ""))
        listed = self.desk.cli("project", "hook", "list")
        self.assertEqual([(h["project"], h["repo"]) for h in listed], [("acme/game", self.bare)])

        # The first push of main: nothing refers to an issue.
        self.commit("Initial import")
        self.assertEqual(self.push("main"), "")
        base = self.git("rev-parse", "HEAD")

        # A fix on a feature branch: nothing happens until it reaches main.
        fix = self.commit("Fix the save button\n\nFixes desk#1, see acme/game#2 for the slow part.")
        self.push("HEAD:refs/heads/feature")
        self.assertEqual(self.state(one), "opened")
        self.assertEqual(self.bot_notes(one) + self.bot_notes(two), [])

        # Merged into main (fast-forward): #1 closed, #2 mentioned.
        out = self.push("main")
        self.assertIn("1 issue(s) closed, 2 note(s), 1 mail(s) queued", out)
        self.assertEqual(self.state(one), "closed")
        self.assertEqual(self.state(two), "opened")
        notes = self.bot_notes(one)
        self.assertEqual(len(notes), 1)
        self.assertTrue(notes[0]["internal"])
        self.assertEqual(notes[0]["author"], "jane@acme.example")
        self.assertEqual(notes[0]["body"], f'Closed by commit {fix[:12]} "Fix the save button" by Jane Dev '
                                           f'<jane@acme.example>\n{COMMIT_URL.replace("%H", fix)}')
        mention = self.bot_notes(two)
        self.assertEqual(len(mention), 1)
        self.assertTrue(mention[0]["internal"])
        self.assertTrue(mention[0]["body"].startswith(f"Mentioned in commit {fix[:12]}"))

        mails = self.relay.wait_for(3)
        closed = self.closed_mails()
        self.assertEqual([m.rcpts for m in closed], [["alice@example.org"]])
        # disclose_fixes is off by default: the commit's title stays internal.
        self.assertNotIn("save button", closed[0].body().lower())
        self.assertNotIn(fix, closed[0].body())
        self.assertIn("acme/game#1", closed[0].body())

        # The same commit pushed again to another branch, and main forced
        # back and forward, even after the issue was reopened: nothing twice.
        self.desk.cli("reopen", one)
        self.push("HEAD:refs/heads/other")
        self.push(f"{base}:refs/heads/main", force=True)
        again = self.push(f"{fix}:refs/heads/main", force=True)
        self.assertIn("2 seen before", again)
        self.assertEqual(self.state(one), "opened")
        self.assertEqual(len(self.bot_notes(one)), 1)
        self.assertEqual(len(self.bot_notes(two)), 1)

        # A project that discloses fixes names the commit in the closed mail.
        self.desk.cli("project", "set", "acme/game", "disclose_fixes", "on")
        self.git("checkout", "-q", "main")
        second = self.commit("Make saving atomic\n\nCloses: acme/game#2")
        self.push("main")
        self.assertEqual(self.state(two), "closed")
        mails = self.relay.wait_for(5)
        by = [m for m in self.closed_mails() if m.rcpts == ["bob@example.org"]]
        self.assertEqual(len(by), 1)
        self.assertIn("Make saving atomic", by[0].body())
        self.assertIn(COMMIT_URL.replace("%H", second), by[0].body())

        # Nothing more arrives: the customer's closed mail came exactly once.
        time.sleep(3)
        mails = self.relay.snapshot()
        self.assertEqual(len(mails), 5, [str(m["Subject"]) for m in mails])
        self.assertEqual(sorted(m.rcpts[0] for m in self.closed_mails()),
                         ["alice@example.org", "bob@example.org"])
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM fix_commit"), 3)

    def test_unbound_repository_and_removed_binding(self):
        ref = self.new_issue("alice@example.org", "Crash")
        self.relay.wait_for(1)
        self.commit("Fixes acme/game#1")
        out = self.push("main")
        self.assertIn("no project is bound to", out)
        self.assertEqual(self.state(ref), "opened")
        # Bound, then removed again: the hook does nothing.
        self.desk.cli("project", "hook", "add", "acme/game", "--forge", "git", "--repo", self.bare)
        self.assertTrue(self.desk.cli("project", "hook", "remove", "acme/game", "--forge", "git",
                                      "--repo", self.bare)["removed"])
        self.commit("Closes desk#1")
        self.push("main")
        self.assertEqual(self.state(ref), "opened")
        # Bad bindings are refused with a usage error and store nothing.
        p = self.desk.cli("project", "hook", "add", "acme/game", "--forge", "svn", "--repo", self.bare,
                          json_out=False, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("unknown forge", p.stderr)
        p = self.desk.cli("project", "hook", "add", "acme/game", "--forge", "git", "--repo", self.bare,
                          "--commit-url", "https://x.example/commit/", json_out=False, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(self.desk.cli("project", "hook", "list"), [])


if __name__ == "__main__":
    unittest.main()
