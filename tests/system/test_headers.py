"""Header decoding that never loses text (issue 23).

The corpus in tests/fixtures/clients/messages was composed by real mail
programs (neomutt, GNU Mailutils' mail, Perl's Email::MIME and MIME-tools,
Python's email in three policies) and by a writer that cuts encoded words at
a byte count, as Outlook and Thunderbird do (make-corpus says how). Each
message carries the subject and sender name of one line of texts.txt: that
line is the truth every reading must give. Python's email package
(policy=default) is compared too, and where it reads a field differently the
difference must be one of the listed, explained kinds.

A generated set adds random texts in many scripts, cut at random byte counts
into B and Q words: deskmail's subject must be the text, every time."""
import base64
import email
import email.header
import email.policy
import glob
import json
import os
import random
import re
import subprocess
import tempfile
import unittest

from harness import BUILD, Desk, deliver

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "..", "fixtures", "clients")
PROBE = os.path.join(BUILD, "tests", "mail_probe")


def probe(files):
    """What deskmail reads from each file (tests/tools/mail_probe)."""
    out = subprocess.run([PROBE] + files, capture_output=True, check=True).stdout
    return [json.loads(line) for line in out.decode("utf-8").split("\n") if line]


def unescape(s):
    """Python keeps raw 8-bit header bytes (RFC 6532) as surrogates."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def python_reading(raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    return str(m["subject"]), m["from"].addresses[0].display_name


def joined_reading(raw):
    """The name as RFC 2047 section 6.2 reads it: the decoded bytes of
    adjacent encoded words of one charset joined, white space between them
    dropped (Python's legacy decode_header does this)."""
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    field = unescape(str(m["from"]))
    phrase = field[: field.rfind("<")].strip() if "<" in field else field
    text = str(email.header.make_header(email.header.decode_header(phrase)))
    return text.strip().strip('"')


def truth():
    rows = {}
    with open(os.path.join(CLIENTS, "texts.txt"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            subject, name = line.rstrip("\n").split("|")
            assert len(subject.encode()) <= 255, "a title keeps 255 bytes: keep texts.txt within"
            rows[n] = (subject, name)
    return rows


class ClientCorpus(unittest.TestCase):
    def test_every_title_and_name_as_written(self):
        files = sorted(glob.glob(os.path.join(CLIENTS, "messages", "*.eml")))
        self.assertGreaterEqual(len(files), 100)
        texts = truth()
        same = {"subject": 0, "name": 0}
        explained = {}
        programs = set()
        for got in probe(files):
            base = os.path.basename(got["file"])
            program, n = re.match(r"(.*)-(\d+)\.eml$", base).groups()
            programs.add(program)
            subject, name = texts[int(n)]
            with self.subTest(file=base):
                self.assertEqual(got["subject"], subject)
                self.assertEqual(got["title"], subject)
                self.assertEqual(got["from_name"], name)
                with open(got["file"], "rb") as f:
                    raw = f.read()
                py_subject, py_name = python_reading(raw)
                if py_subject == subject:
                    same["subject"] += 1
                else:
                    # Python keeps a raw UTF-8 subject's bytes as surrogates.
                    self.assertEqual(unescape(py_subject), subject)
                    explained["8-bit UTF-8 header (RFC 6532) read as surrogates by Python"] = \
                        explained.get("8-bit UTF-8 header (RFC 6532) read as surrogates by Python", 0) + 1
                if py_name == name:
                    same["name"] += 1
                    continue
                if unescape(py_name) == name:
                    why = "8-bit UTF-8 header (RFC 6532) read as surrogates by Python"
                else:
                    # Python's policy=default decodes each encoded word of a
                    # display name alone and keeps the white space between
                    # them; the joined reading is RFC 2047's and deskmail's.
                    self.assertEqual(joined_reading(raw), name)
                    why = ("Python (policy=default) keeps the space between adjacent encoded "
                           "words of a display name and decodes each alone (RFC 2047 6.2)")
                explained[why] = explained.get(why, 0) + 1
        print(f"\ncorpus: {len(files)} messages from {len(programs)} writers; "
              f"deskmail equal to the text written: {len(files)} subjects, {len(files)} names; "
              f"Python policy=default equal: {same['subject']} subjects, {same['name']} names")
        for why, count in sorted(explained.items()):
            print(f"  {count:3d} differ from Python, deskmail right: {why}")

    def test_generated_splits(self):
        """Random texts cut at random byte counts into B and Q words."""
        rng = random.Random(2047)
        alphabets = ["абвгдежзийклмнопрстуфхцчшщыэюя", "αβγδεζηθικλμνξοπρστυφχψω", "日本語の文字列漢字かなカナ",
                     "中文字符测试汉字", "한국어글자", "العربية", "עברית", "ไทยภาษา", "हिन्दी", "😀🔥🦊🚒👍🏽",
                     "éèêëàâäôöüçœß", "plain ascii words"]
        cases = []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(400):
                words = []
                for _ in range(rng.randint(1, 12)):
                    a = rng.choice(alphabets)
                    words.append("".join(rng.choice(a) for _ in range(rng.randint(1, 9))))
                text = " ".join(words)
                raw, size, parts = text.encode(), rng.randint(1, 23), []
                for k in range(0, len(raw), size):
                    chunk = raw[k:k + size]
                    if rng.random() < 0.5:
                        parts.append("=?UTF-8?B?%s?=" % base64.b64encode(chunk).decode())
                    else:
                        q = "".join(chr(c) if 33 <= c < 127 and c not in b"=?_" else "=%02X" % c for c in chunk)
                        parts.append("=?utf-8?Q?%s?=" % q)
                sep = rng.choice([" ", "\r\n ", "\r\n\t", "  "])
                path = os.path.join(tmp, f"{i:03d}.eml")
                with open(path, "wb") as f:
                    f.write(("From: a@b.example\r\nSubject: " + sep.join(parts) +
                             "\r\nMessage-ID: <g%d@b.example>\r\n\r\nbody\r\n" % i).encode())
                cases.append((path, text))
            got = {g["file"]: g["subject"] for g in probe([p for p, _ in cases])}
            for path, text in cases:
                with open(path, "rb") as f:
                    py_subject, _ = python_reading(f.read())
                self.assertEqual(py_subject, text, "Python, the reference, must agree")
                self.assertEqual(got[path], text, path)
        print(f"\ngenerated: {len(cases)} subjects cut into B and Q words, all decoded whole")

    def test_stored_title_over_lmtp(self):
        """The delivered issue's title is the whole subject."""
        desk = Desk().start()
        try:
            addr = desk.address["acme/game"]
            for kind in ("B", "BQ", "Q"):
                path = os.path.join(CLIENTS, "messages", f"bytecut-{kind}-01.eml")
                with open(path, "rb") as f:
                    raw = f.read()
                _, replies = deliver(desk, [addr], raw.decode("utf-8"), sender="sender01@client.example")
                self.assertRegex(replies[0], r"^250 2\.0\.0 .* created$")
                ref = replies[0].split()[-2]
                self.assertEqual(desk.show(ref)["title"], truth()[1][0])
        finally:
            desk.stop()


if __name__ == "__main__":
    unittest.main()
