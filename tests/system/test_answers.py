"""Answers with files and in Markdown (issue 23, parts 4 and 5), over LMTP
with swaks and the capturing relay: `deskmail reply REF --attach FILE...`
mails the files as attachments (RFC 2231 names) and stores them on the note
like a mail's attachments; the Markdown arrives as multipart/alternative
with the HTML rendered and raw HTML shown as text; refused files store
nothing and queue nothing."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import DESKMAIL, Desk, RelayedDesk

LIMIT = 200000  # limits.store_per_message of this desk
AGENT = "agent@company.example"
NON_ASCII = "Prüfbericht – отчёт.txt"


def sha(b):
    return hashlib.sha256(b).hexdigest()


class Answers(RelayedDesk, unittest.TestCase):
    def setUp(self):
        from smtp_capture import CaptureServer
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(relay_port=self.relay.port,
                                           extra_config=f"limits: {{ store_per_message: {LIMIT} }}\n")).start()
        self.game = self.desk.address["acme/game"]
        self.desk.cli("project", "member", "add", "acme/game", AGENT)
        self.files = tempfile.mkdtemp(prefix="deskmail-answers-")
        self.addCleanup(shutil.rmtree, self.files, True)
        r = self.desk.swaks("--to", self.game, "--from", "customer@example.org",
                            "--header", "Subject: Printer jams",
                            "--header", "Message-ID: <first@example.org>",
                            "--body", "It jams on page 2.")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.ref = self.desk.issues()[0]["ref"]
        self.relay.wait_for(1)  # the confirmation

    def write(self, name, data):
        path = os.path.join(self.files, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def reply(self, *args, check=True):
        return self.desk.cli("reply", self.ref, "--as", AGENT, *args, json_out=check, check=check)

    def test_reply_with_two_files_arrives_with_their_bytes(self):
        pdf = b"%PDF-1.4\n" + os.urandom(120000)
        txt = "Zeile 1 – строка\n".encode() * 100
        r = self.reply("-m", "The **report** is attached.",
                       "--attach", self.write("report.pdf", pdf), "--attach", self.write(NON_ASCII, txt))
        self.assertEqual((r["files"], r["mails_queued"]), (2, 1))
        answer = self.relay.wait_for(2)[1]
        self.assertEqual(answer.rcpts, ["customer@example.org"])
        msg = answer.msg
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["multipart/alternative", "application/pdf", "text/plain"])
        self.assertEqual([p.get_content_type() for p in parts[0].iter_parts()], ["text/plain", "text/html"])
        self.assertEqual([p.get_filename() for p in parts[1:]], ["report.pdf", NON_ASCII])
        self.assertEqual([p.get_content_disposition() for p in parts[1:]], ["attachment", "attachment"])
        self.assertIn(b"filename*", answer.data)  # RFC 2231 for the non-ASCII name
        got = [p.get_payload(decode=True) for p in parts[1:]]
        self.assertEqual([sha(g) for g in got], [sha(pdf), sha(txt)])
        # Threading as before: the customer's first message, our own id.
        self.assertIn("<first@example.org>", str(answer["References"]))
        self.assertEqual(str(answer["In-Reply-To"]), "<first@example.org>")

        # Stored on the note like a mail's attachments, and listed.
        listed = {a["filename"]: a for a in self.desk.show(self.ref)["attachments"]}
        self.assertEqual(sorted(listed), sorted(["report.pdf", NON_ASCII]))
        self.assertEqual(listed["report.pdf"]["sha256"], sha(pdf))
        self.assertEqual(listed[NON_ASCII]["sha256"], sha(txt))
        self.assertEqual(listed["report.pdf"]["size"], len(pdf))
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment WHERE note_id IS NOT NULL"), 2)
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment_content"), 2)
        self.assertEqual(self.desk.scalar(
            "SELECT count(DISTINCT note_id) FROM attachment WHERE note_id IS NOT NULL"), 1)

    def test_markdown_arrives_as_html_with_raw_html_escaped(self):
        text = ("Please **restart** the printer:\n\n1. power off\n2. power on\n\n"
                "<script>alert('x')</script>\n\nand <b onclick=\"y()\">not bold</b>.")
        self.reply("-m", text)
        answer = self.relay.wait_for(2)[1]
        self.assertEqual(answer.msg.get_content_type(), "multipart/alternative")
        plain = answer.msg.get_body(("plain",)).get_content()
        html = answer.msg.get_body(("html",)).get_content()
        self.assertIn(text, plain.replace("\r\n", "\n"))  # as written
        self.assertIn("<strong>restart</strong>", html)
        self.assertIn("<li>power off</li>", html)
        self.assertIn("&lt;script&gt;alert('x')&lt;/script&gt;", html)
        self.assertIn("&lt;b onclick=&quot;y()&quot;&gt;not bold&lt;/b&gt;", html)
        self.assertNotIn("<script", html)
        self.assertNotIn("<b ", html)

    def test_internal_note_keeps_its_file_and_mails_nothing(self):
        log = b"trace line\n" * 50
        sent = len(self.relay.snapshot())
        r = self.desk.cli("note", self.ref, "--as", AGENT, "-m", "Customer's log, for us.",
                          "--attach", self.write("trace.log", log))
        self.assertEqual((r["internal"], r["files"], r["mails_queued"]), (True, 1, 0))
        listed = self.desk.show(self.ref)["attachments"]
        self.assertEqual([(a["filename"], a["sha256"], a["content_type"]) for a in listed],
                         [("trace.log", sha(log), "text/plain")])
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM outbox WHERE kind = 'new_note'"), 0)
        self.assertEqual(len(self.relay.snapshot()), sent)

    def test_refused_files_store_nothing_and_queue_nothing(self):
        notes = len(self.desk.show(self.ref)["notes"])
        outbox = self.desk.scalar("SELECT count(*) FROM outbox")
        sent = len(self.relay.snapshot())
        ok = self.write("ok.txt", b"fine")
        big = self.write("big.bin", b"\0" * (LIMIT + 1))
        os.mkdir(os.path.join(self.files, "adir"))
        cases = [
            ([os.path.join(self.files, "missing.pdf")], "No such file"),
            ([os.path.join(self.files, "adir")], "is a directory"),
            ([ok, big], "over the limit"),
            (["/dev/null"], "not a regular file"),
        ]
        for files, why in cases:
            args = ["-m", "Here it is."]
            for f in files:
                args += ["--attach", f]
            p = self.reply(*args, check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("cannot attach " + files[-1], p.stderr)
            self.assertIn(why, p.stderr)
        # One --attach takes one file: a second word is refused, not dropped.
        p = self.reply("-m", "x", "--attach", ok, big, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("each file needs its own --attach", p.stderr)
        self.assertEqual(len(self.desk.show(self.ref)["notes"]), notes)
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment"), 0)
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM outbox"), outbox)
        self.assertEqual(len(self.relay.snapshot()), sent)

    def test_unreadable_file_is_refused(self):
        secret = self.write("secret.txt", b"no")
        os.chmod(secret, 0)
        if os.geteuid() != 0:
            p = self.reply("-m", "x", "--attach", secret, check=False)
        else:
            # root reads anything: the CLI runs as nobody, with a desk it may use.
            for path in [self.desk.dir, self.files]:
                os.chmod(path, 0o777)
            for name in os.listdir(self.desk.dir):
                os.chmod(os.path.join(self.desk.dir, name), 0o666)
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DESKMAIL,
                   "-c", self.desk.config, "reply", self.ref, "--as", AGENT, "-m", "x", "--attach", secret]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("cannot attach " + secret + ": Permission denied", p.stderr)
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment"), 0)


if __name__ == "__main__":
    unittest.main()
