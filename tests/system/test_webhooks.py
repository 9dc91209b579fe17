"""test_webhooks.py: the forges' webhooks over real HTTP (issue 22).

The real deskmaild, the real deskmail-web and a capturing SMTP relay. The
bodies are the shapes GitLab, GitHub and Gitea document
(tests/fixtures/webhooks), signed as each forge signs them: GitLab's secret
in X-Gitlab-Token, GitHub's HMAC-SHA256 in X-Hub-Signature-256 ("sha256="),
Gitea's and Forgejo's in X-Gitea-Signature / X-Forgejo-Signature (bare hex).
The right issues close, the customer's "closed" mail reaches the relay
exactly once, a delivery seen again acts once, and every refusal (bad
signature, wrong token, no binding, unknown forge, malformed JSON, oversized
body, another method) leaves the issues and the outbox as they were.
"""
import hashlib
import hmac
import http.client
import json
import os
import socket
import time
import unittest

from harness import Desk, deliver, message, wait_until
from smtp_capture import CaptureServer
from test_web import Web, raw

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "webhooks")
SECRETS = {"gitlab": "gl-token-7f3a9c", "github": "gh-secret-51be0d", "gitea": "gt-secret-c4a812"}
REPOS = {"gitlab": "https://gitlab.example.com/acme/game", "github": "https://github.com/Acme/game",
         "gitea": "https://gitea.example.com/acme/game"}
# Smaller than the forges' usual 5 MiB so the test stays small, and larger
# than the form limit (web.body_size 65536 in test_web.Web): the hooks'
# limit is its own.
WEBHOOK_BODY = 200000


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def hmac_hex(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(forge, event, body, delivery="", secret=None):
    """The header fields `forge` sends with `body`."""
    secret = SECRETS[forge if forge != "forgejo" else "gitea"] if secret is None else secret
    if forge == "gitlab":
        return {"X-Gitlab-Event": event, "X-Gitlab-Token": secret, "X-Gitlab-Event-UUID": delivery}
    if forge == "github":
        return {"X-GitHub-Event": event, "X-Hub-Signature-256": "sha256=" + hmac_hex(secret, body),
                "X-GitHub-Delivery": delivery}
    name = "Gitea" if forge == "gitea" else "Forgejo"
    return {f"X-{name}-Event": event, f"X-{name}-Signature": hmac_hex(secret, body),
            f"X-{name}-Delivery": delivery}


class Webhooks(unittest.TestCase):

    def setUp(self):
        self.started = time.monotonic()
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(relay_port=self.relay.port,
                                           extra_config=f"fixes: {{ webhook_body: {WEBHOOK_BODY} }}\n"))
        self.desk.start()
        self.web = self.enterContext(Web(self.desk))
        self.game = self.desk.address["acme/game"]

    def tearDown(self):
        print(f"\n  {self.id().split('.')[-1]}: {time.monotonic() - self.started:.1f} s", flush=True)

    def bind(self, forge):
        path = os.path.join(self.desk.dir, f"{forge}.secret")
        with open(path, "w") as f:
            f.write(SECRETS[forge] + "\n")
        self.desk.cli("project", "hook", "add", "acme/game", "--forge", forge, "--repo", REPOS[forge],
                      "--secret-file", path)

    def issues(self, *senders):
        refs = []
        for n, sender in enumerate(senders):
            mid = f"hook-{n}-{sender}"
            rr, dr = deliver(self.desk, [self.game], message(subject=f"Problem {n}", sender=sender,
                                                             message_id=mid), sender=sender)
            self.assertTrue(dr[0].startswith("250 2.0.0"), dr)
            refs.append(dr[0].split()[-2])
        self.assertEqual(len(self.relay.wait_for(len(senders))), len(senders))  # confirmations
        return refs

    def post(self, path, body, headers, method="POST"):
        """(status, content type, text) over a fresh HTTP connection."""
        c = http.client.HTTPConnection("127.0.0.1", self.web.port, timeout=10)
        try:
            c.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
            r = c.getresponse()
            return r.status, r.getheader("Content-Type"), r.read().decode()
        finally:
            c.close()

    def hook(self, forge, event, body, delivery="", secret=None, path=None):
        return self.post(path or f"/hooks/{forge}", body, signed(forge, event, body, delivery, secret))

    def state(self, ref):
        return self.desk.show(ref)["state"]

    def bot_notes(self, ref):
        return [n for n in self.desk.show(ref)["notes"] if n["author_kind"] == "support_bot"]

    def closed_to(self):
        """The recipients of every "closed" mail at the relay, in order."""
        return [m.rcpts[0] for m in self.relay.snapshot() if "closed" in str(m["Subject"])]

    def settled(self, count):
        """Waits for `count` mails at the relay, then a little more: none beyond."""
        self.relay.wait_for(count)
        time.sleep(2)
        return self.closed_to()

    def test_gitlab_push_and_merge_request(self):
        one, two, three = self.issues("alice@example.org", "bob@example.org", "carol@example.org")
        self.bind("gitlab")
        push = fixture("gitlab-push.json")  # Fixes desk#1; See desk#2
        status, ctype, text = self.hook("gitlab", "Push Hook", push, "uuid-push-1")
        self.assertEqual((status, ctype), (200, "text/plain; charset=utf-8"), text)
        self.assertIn("1 closed", text)
        self.assertEqual((self.state(one), self.state(two)), ("closed", "opened"))
        notes = self.bot_notes(one)
        self.assertEqual(len(notes), 1)
        self.assertTrue(notes[0]["internal"])
        self.assertIn("da1560886d4f", notes[0]["body"])
        self.assertTrue(self.bot_notes(two)[0]["body"].startswith("Mentioned in commit b6568db1bc1d"))

        # GitLab retries with the same delivery UUID, or redelivers under a
        # new one: the same commits act once.
        self.assertEqual(self.hook("gitlab", "Push Hook", push, "uuid-push-1")[0], 200)
        status, _, text = self.hook("gitlab", "Push Hook", push, "uuid-push-2")
        self.assertEqual(status, 200, text)
        self.assertIn("2 seen before", text)
        self.assertEqual((len(self.bot_notes(one)), len(self.bot_notes(two))), (1, 1))

        merge = fixture("gitlab-merge.json")  # action "merge", Closes desk#3
        status, _, text = self.hook("gitlab", "Merge Request Hook", merge, "uuid-merge-1")
        self.assertEqual(status, 200, text)
        self.assertEqual(self.state(three), "closed")
        self.assertEqual(self.settled(5), ["alice@example.org", "carol@example.org"])
        self.assertEqual(len(self.relay.snapshot()), 5)

    def test_github_pull_request_and_push(self):
        one, two = self.issues("alice@example.org", "bob@example.org")
        self.bind("github")
        self.assertEqual(self.hook("github", "ping", b'{"zen":"Keep it simple.","hook_id":1,'
                                   b'"repository":{"html_url":"https://github.com/Acme/game"}}',
                                   "d-ping")[:1], (200,))
        pull = fixture("github-pull.json")  # merged: Resolves desk#2
        status, _, text = self.hook("github", "pull_request", pull, "d-pull")
        self.assertEqual(status, 200, text)
        self.assertEqual((self.state(one), self.state(two)), ("opened", "closed"))
        # The push closes #1; #2 was closed already: it stays closed, no second mail.
        push = fixture("github-push.json")  # Fixes desk#1 and acme/game#2
        status, _, text = self.hook("github", "push", push, "d-push")
        self.assertEqual(status, 200, text)
        self.assertEqual((self.state(one), self.state(two)), ("closed", "closed"))
        self.assertEqual(self.hook("github", "push", push, "d-push")[0], 200)  # a redelivery
        self.assertEqual(sorted(self.settled(4)), ["alice@example.org", "bob@example.org"])
        self.assertEqual(len(self.relay.snapshot()), 4)

    def test_gitea_and_forgejo_push(self):
        (one,) = self.issues("alice@example.org")
        self.bind("gitea")
        push = fixture("gitea-push.json")  # Closes: desk#1
        status, _, text = self.hook("gitea", "push", push, "gitea-d-1")
        self.assertEqual(status, 200, text)
        self.assertEqual(self.state(one), "closed")
        # Forgejo sends the same body under its own header names: the same
        # delivery id is a replay. (Sent as curl sends a body over 1 KiB:
        # the header block with Expect: 100-continue, the body after the 100.)
        s = socket.create_connection(("127.0.0.1", self.web.port), timeout=10)
        with s:
            s.sendall(self.head_of("/hooks/forgejo", signed("forgejo", "push", push, "gitea-d-1"),
                                   [f"Content-Length: {len(push)}", "Expect: 100-continue",
                                    "Connection: close"]))
            self.assertEqual(s.recv(25), b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(push)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK"), reply)
        self.assertIn(b"already seen", reply)
        self.assertEqual(len(self.bot_notes(one)), 1)
        self.assertEqual(self.settled(2), ["alice@example.org"])

    def snapshot(self, refs):
        return ([self.state(r) for r in refs], self.desk.scalar("SELECT count(*) FROM outbox"),
                self.desk.scalar("SELECT count(*) FROM note"),
                self.desk.scalar("SELECT count(*) FROM fix_commit"),
                self.desk.scalar("SELECT count(*) FROM hook_delivery"))

    def test_refusals_change_nothing(self):
        refs = self.issues("alice@example.org", "bob@example.org")
        for forge in ("gitlab", "github", "gitea"):
            self.bind(forge)
        before = self.snapshot(refs)
        gh, gl, gt = fixture("github-push.json"), fixture("gitlab-push.json"), fixture("gitea-push.json")

        def refused(expected, answer):
            self.assertEqual(answer[:2], (expected, "text/plain; charset=utf-8"), answer[2])
            self.assertEqual(self.snapshot(refs), before)

        # A signature over another body, or made with another secret.
        bad = signed("github", "push", gh + b" ")
        refused(401, self.post("/hooks/github", gh, bad))
        refused(401, self.hook("github", "push", gh, "x1", secret="not-the-secret"))
        refused(401, self.post("/hooks/github", gh, {"X-GitHub-Event": "push"}))  # unsigned
        # GitLab's token: wrong, or GitHub's in its place.
        refused(401, self.hook("gitlab", "Push Hook", gl, "x2", secret="gl-token-7f3a9d"))
        refused(401, self.hook("gitlab", "Push Hook", gl, "x3", secret=SECRETS["github"]))
        # No binding for the repository (signed with a bound secret all the same).
        other = gt.replace(b"gitea.example.com/acme/game", b"gitea.example.com/acme/other")
        refused(401, self.hook("gitea", "push", other, "x4"))
        # No such forge.
        refused(404, self.post("/hooks/bitbucket", gh, {"X-Event-Key": "repo:push"}))
        refused(404, self.post("/hooks/github/extra", gh, signed("github", "push", gh)))
        refused(404, self.post("/hooks/x%0Adeskmail-web:%20forged", gh, {}))  # no line of its own in the log
        # Malformed JSON, correctly signed; and a body without what a push needs.
        refused(400, self.hook("github", "push", gh[:-40], "x5"))
        refused(400, self.hook("gitea", "push", b'{"ref":"refs/heads/main","commits":[]}', "x6"))
        # Another method; and no session or CSRF token is asked of a hook.
        refused(405, self.post("/hooks/github", None, {}, method="GET"))
        refused(405, self.post("/hooks/github", gh, signed("github", "push", gh), method="PUT"))

        # The hooks' own body limit (fixes.webhook_body), not the form limit:
        # a signed push three times the form limit is read ...
        padded = json.loads(gh)
        padded["padding"] = "x" * 3 * 65536
        big = json.dumps(padded).encode()
        self.assertLess(len(big), WEBHOOK_BODY)
        status, _, text = self.hook("github", "push", big, "x7")
        self.assertEqual(status, 200, text)
        self.assertEqual([self.state(r) for r in refs], ["closed", "closed"])
        self.desk.cli("reopen", refs[0])
        self.desk.cli("reopen", refs[1])
        before = self.snapshot(refs)
        # ... one over it is refused, announced or chunked.
        padded["padding"] = "x" * WEBHOOK_BODY
        huge = json.dumps(padded).encode()
        status, _, text = self.hook("github", "push", huge, "x8")
        self.assertEqual(status, 413, text)
        self.assertIn("Payload Too Large", text)
        self.assertEqual(self.chunked("/hooks/github", huge, signed("github", "push", huge, "x9"))[:12],
                         b"HTTP/1.1 413")
        self.assertEqual(self.snapshot(refs), before)
        # Announced larger than the limit: answered before the body is sent.
        head = self.header_only("/hooks/gitlab", 10 * WEBHOOK_BODY, signed("gitlab", "Push Hook", b""))
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
        self.assertEqual(self.snapshot(refs), before)
        log = self.web.log()
        self.assertIn("client=127.0.0.1: 401 not authorised for this repository", log)
        self.assertIn("deskmail-web: hook x?deskmail-web: forged client=", log)
        self.assertNotIn("\ndeskmail-web: forged", log)

    def raw(self, data, read_timeout=8):
        return raw(self.web.port, data, read_timeout)

    @staticmethod
    def head_of(path, headers, extra):
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *extra]
        lines += [f"{k}: {v}" for k, v in headers.items() if v]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def chunked(self, path, body, headers):
        data = self.head_of(path, headers, ["Transfer-Encoding: chunked"])
        for i in range(0, len(body), 8192):
            part = body[i:i + 8192]
            data += f"{len(part):x}\r\n".encode() + part + b"\r\n"
        return self.raw(data + b"0\r\n\r\n")

    def header_only(self, path, length, headers):
        return self.raw(self.head_of(path, headers, [f"Content-Length: {length}"]))


if __name__ == "__main__":
    unittest.main()
