"""test_web.py: deskmail-web in real Chromium (issue 21).

The real deskmaild, the real deskmail-web and a capturing SMTP relay; a
headless Chromium driven by Selenium signs in with a link taken from the
relay, works an issue that arrived over LMTP and signs out. Then the
refusals: another project's issue, forged and missing CSRF tokens, used and
expired links, a non-member's request, a customer's <script>, and bad HTTP
over raw sockets. An answer and a note with files chosen in the form's file
input (issue 23), and uploads over the limits. Screenshots of failures go to $DESKMAIL_WEB_SHOTS (default
the test's scratch directory, kept on failure).
"""
import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import BUILD, Desk, deliver, free_port, message, wait_until
from smtp_capture import CaptureServer

DESKMAIL_WEB = os.path.abspath(os.path.join(BUILD, "src", "web", "deskmail-web"))
MEMBER = "alice@example.com"
OTHER_MEMBER = "bob@example.com"
ATTACHMENT = bytes(range(256)) * 40 + b"end"


def with_attachment(subject, body, name, data):
    import base64
    b = base64.b64encode(data).decode()
    lines = "\r\n".join(b[i:i + 76] for i in range(0, len(b), 76))
    return (f"From: Customer <customer@example.org>\r\nTo: desk@support.example.com\r\n"
            f"Subject: {subject}\r\nMessage-ID: <printer@example.org>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--XYZ\r\n"
            f"Content-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{lines}\r\n--XYZ--\r\n")


class Web:
    """deskmail-web on the desk's config, on a free port."""

    def __init__(self, desk, extra=""):
        self.desk = desk
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The desk's own extra config, without the web: section a first
        # instance wrote (a second instance gets a port of its own).
        if not hasattr(desk, "base_extra"):
            desk.base_extra = desk.extra
        desk.write_config(desk.base_extra + f'web: {{ listen: ["tcp:127.0.0.1:{self.port}"], '
                                       f'base_url: "{self.url}", timeout: 3, header_size: 8192, '
                                       f'body_size: 65536{extra} }}\n')
        self.log_path = os.path.join(desk.dir, "web.log")
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([DESKMAIL_WEB, "-c", desk.config], stdout=self.logf, stderr=self.logf)
        up = wait_until(lambda: self._up(), timeout=10)
        if not up:
            self.close()
            raise RuntimeError("deskmail-web did not start: " + self.log())

    def _up(self):
        if self.proc.poll() is not None:
            raise RuntimeError("deskmail-web exited: " + self.log())
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def http(url, data=None, headers=None, method=None):
    """(status, headers, body) without following redirects."""
    body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    if body is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw(port, data, read_timeout=8):
    """Sends bytes on a fresh connection; returns everything read until close or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def link_from(mail):
    m = re.search(r"(http://\S+/signin/link\?t=[0-9a-f]{64})", mail.body())
    assert m, mail.body()
    return m.group(1)


class WebDesk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            from selenium import webdriver
        except ImportError:  # Debian's python3-selenium, under another python3 of the same version
            import sys
            sys.path.append("/usr/lib/python3/dist-packages")
            from selenium import webdriver
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,900"):
            opts.add_argument(a)
        cls.browser = webdriver.Chrome(options=opts)
        cls.browser.set_page_load_timeout(20)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()

    def setUp(self):
        self.relay = self.enterContext(CaptureServer()).start()
        self.desk = self.enterContext(Desk(relay_port=self.relay.port))
        self.desk.cli("project", "member", "add", "acme/game", MEMBER, json_out=False)
        self.desk.cli("project", "member", "add", "acme/web", OTHER_MEMBER, json_out=False)
        self.desk.start()
        self.web = self.enterContext(Web(self.desk))
        self.browser.delete_all_cookies()

    def tearDown(self):
        failed = any(e for _, e in (self._outcome.result.errors + self._outcome.result.failures)
                     if _ is self) if hasattr(self._outcome, "result") else False
        if failed:
            shots = os.environ.get("DESKMAIL_WEB_SHOTS", "/tmp")
            path = os.path.join(shots, f"web-failure-{self._testMethodName}.png")
            try:
                self.browser.save_screenshot(path)
                print(f"screenshot: {path}\nweb log:\n{self.web.log()}")
            except Exception:
                pass

    # --- helpers -------------------------------------------------------------
    def execute(self, sql):
        """A statement on the desk's database, either store."""
        if self.desk.pg:
            self.desk.pg.psql(sql, db=self.desk.query_db)
            return
        db = sqlite3.connect(self.desk.db)
        db.execute(sql)
        db.commit()
        db.close()

    def mails_to(self, rcpt):
        return [m for m in self.relay.snapshot() if rcpt in m.rcpts]

    def request_link(self, email):
        b = self.browser
        b.get(self.web.url + "/signin")
        b.find_element("id", "email").send_keys(email)
        self.submit(b.find_element("css selector", "button[type=submit].primary"))
        return b.find_element("id", "sent").text

    def sign_in(self, email=MEMBER):
        before = len(self.mails_to(email))
        self.request_link(email)
        mails = wait_until(lambda: len(self.mails_to(email)) > before and self.mails_to(email))
        self.assertTrue(mails, "no sign-in mail arrived")
        link = link_from(mails[-1])
        self.browser.get(link)
        self.browser.find_element("id", "use-link").click()
        wait_until(lambda: self.browser.current_url.endswith("/issues"), timeout=10)
        self.assertTrue(self.browser.current_url.endswith("/issues"), self.browser.current_url)
        return link

    def submit(self, element):
        """Clicks a form's button and waits for the page it leads to: the
        click may return before the browser has left the old page (seen
        with PostgreSQL, where the POST takes longer)."""
        old = self.browser.find_element("tag name", "html")
        element.click()
        self.assertTrue(wait_until(lambda: self._stale(old), timeout=20), "the page did not change")

    @staticmethod
    def _stale(element):
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:  # the page was replaced
            return True
        except WebDriverException as e:
            # Asked while the new document replaces the old one, Chromium
            # answers with an inspector error instead (seen under load).
            if "does not belong to the document" in str(e):
                return True
            raise

    def cookie_header(self):
        return "; ".join(f"{c['name']}={c['value']}" for c in self.browser.get_cookies())

    def csrf(self):
        return self.browser.find_element("css selector", "input[name=csrf]").get_attribute("value")

    # --- the whole story -------------------------------------------------------
    def test_member_works_an_issue_in_the_browser(self):
        game = self.desk.address["acme/game"]
        rr, dr = deliver(self.desk, [game], with_attachment("Printer on fire", "It smokes.", "report.bin",
                                                            ATTACHMENT))
        self.assertTrue(dr[0].startswith("250"), dr)
        deliver(self.desk, [game], message(subject="Login broken", body="Cannot log in.", message_id="m2@x"))
        ref = self.desk.issues("acme/game")[0]["ref"]
        self.relay.wait_for(2)  # the confirmations
        link = self.sign_in()
        b = self.browser
        self.assertIn("Printer on fire", b.page_source)
        self.assertIn("Login broken", b.page_source)
        # Filter and search.
        b.get(self.web.url + "/issues?q=printer")
        titles = [e.text for e in b.find_elements("css selector", "#issues .title")]
        self.assertEqual(titles, ["Printer on fire"])
        self.assertEqual(b.find_element("id", "count").text, "1 issue")
        b.get(self.web.url + "/issues?state=closed")
        self.assertEqual(b.find_elements("css selector", "#issues .title"), [])
        # Open it; download the attachment.
        b.get(self.web.url + "/issues?q=printer")
        b.find_element("link text", "Printer on fire").click()
        self.assertIn("It smokes.", b.find_element("css selector", ".note.customer .body").text)
        href = b.find_element("css selector", "#attachments a").get_attribute("href")
        status, headers, body = http(href, headers={"Cookie": self.cookie_header()})
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(ATTACHMENT).hexdigest())
        self.assertTrue(headers["Content-Disposition"].startswith('attachment; filename="report.bin"'))
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        status, headers, body = http(b.find_element("id", "raw").get_attribute("href"),
                                     headers={"Cookie": self.cookie_header()})
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertIn(b"Subject: Printer on fire", body)
        # A public answer reaches the customer, threaded.
        n = len(self.relay.snapshot())
        b.find_element("id", "note-body").send_keys("We replaced the fuser.")
        self.submit(b.find_element("id", "send-public"))
        self.assertIn("Answer sent", b.find_element("css selector", ".flash").text)
        got = self.relay.wait_for(n + 1)
        answer = got[n]
        self.assertEqual(answer.rcpts, ["customer@example.org"])
        self.assertIn("We replaced the fuser.", answer.body())
        self.assertIn("<printer@example.org>", answer["References"])  # threaded on the customer's mail
        self.assertIn("Printer on fire", answer["Subject"])
        # An internal note: shown as one, mailed to nobody.
        b.find_element("id", "note-body").send_keys("Fuser part number 42.")
        self.submit(b.find_element("id", "send-internal"))
        self.assertIn("Fuser part number 42.", b.find_element("css selector", ".note.internal .body").text)
        self.assertIn("Answer to customer", b.find_element("css selector", ".note.answer .kind").get_attribute("textContent"))
        time.sleep(1.5)  # the dispatcher would have sent it by now (retry_base 1)
        self.assertEqual(len(self.relay.snapshot()), n + 1)
        # Close: the customer is told; the member is the author of the change.
        self.submit(b.find_element("id", "close"))
        closed = self.relay.wait_for(n + 2)
        self.assertEqual(len(closed), n + 2)
        self.assertIn("closed", closed[n + 1]["Subject"])
        shown = self.desk.show(ref)
        self.assertEqual(shown["state"], "closed")
        authors = {(x["author_kind"], x["author"]) for x in shown["notes"]}
        self.assertIn(("responder", MEMBER), authors)
        self.assertIn(("system", MEMBER), authors)
        # Sign out: the session is gone, the old cookie opens nothing.
        cookie = self.cookie_header()
        b.find_element("css selector", ".signout button").click()
        self.assertTrue(wait_until(lambda: b.current_url.endswith("/signin")), b.current_url)
        status, headers, _ = http(self.web.url + "/issues", headers={"Cookie": cookie})
        self.assertEqual((status, headers["Location"]), (303, "/signin"))
        # The link was used up by its POST.
        b.get(link)
        self.assertIn("used already", b.find_element("id", "message").text)

    def test_answer_with_files_in_the_browser(self):
        """The answer form's files (issue 23): chosen in the file input, mailed
        to the customer as multipart/mixed with the same bytes, listed on the
        issue and downloaded unchanged; an internal note's file is kept and
        mailed to nobody; an upload over the limit is refused (413) unread,
        one over the desk's file limit (400), and neither stores anything."""
        limit = 200000  # limits.store_per_message of this web desk
        self.desk.base_extra += f"limits: {{ store_per_message: {limit} }}\n"
        self.web.close()
        self.web = self.enterContext(Web(self.desk))
        game = self.desk.address["acme/game"]
        deliver(self.desk, [game], message(subject="Invoice missing", body="Please send it.",
                                           message_id="inv@x"))
        ref = self.desk.issues("acme/game")[0]["ref"]
        self.relay.wait_for(1)  # the confirmation
        self.sign_in()
        b = self.browser
        b.find_element("link text", "Invoice missing").click()
        issue_url = b.current_url
        form = b.find_element("css selector", "form.reply")
        self.assertEqual(form.get_attribute("enctype"), "multipart/form-data")
        picker = b.find_element("id", "note-files")
        self.assertEqual(picker.get_attribute("name"), "file")
        self.assertIsNotNone(picker.get_attribute("multiple"))
        self.assertEqual(b.find_element("css selector", "label[for=note-files]").text, "Attach files")
        self.assertIn("195.3 KiB", b.find_element("id", picker.get_attribute("aria-describedby")).text)

        def write(name, data):
            path = os.path.join(self.desk.dir, name)
            with open(path, "wb") as f:
                f.write(data)
            return path

        pdf = os.urandom(150000) + b"\r\n--\r\n\0"
        invoice = write("Rechnung 2026-114.pdf", pdf)
        # A public answer with the file: mailed as multipart/mixed, same bytes.
        n = len(self.relay.snapshot())
        b.find_element("id", "note-body").send_keys("The invoice is attached.")
        b.find_element("id", "note-files").send_keys(invoice)
        self.submit(b.find_element("id", "send-public"))
        self.assertIn("Answer sent", b.find_element("css selector", ".flash").text)
        got = self.relay.wait_for(n + 1)
        answer = got[n]
        self.assertEqual(answer.rcpts, ["customer@example.org"])
        self.assertEqual(answer.msg.get_content_type(), "multipart/mixed")
        self.assertIn("The invoice is attached.", answer.body())
        files = list(answer.msg.iter_attachments())
        self.assertEqual([f.get_filename() for f in files], ["Rechnung 2026-114.pdf"])
        self.assertEqual(files[0].get_content_type(), "application/pdf")  # from the name, as the CLI
        self.assertEqual(hashlib.sha256(files[0].get_payload(decode=True)).hexdigest(),
                         hashlib.sha256(pdf).hexdigest())
        # Listed on the issue page, and downloaded unchanged.
        link = b.find_element("link text", "Rechnung 2026-114.pdf")
        status, headers, body = http(link.get_attribute("href"), headers={"Cookie": self.cookie_header()})
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(pdf).hexdigest())
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        notes = [x for x in self.desk.show(ref)["notes"] if x["author_kind"] == "responder"]
        self.assertEqual([x["internal"] for x in notes], [False])
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment WHERE note_id IS NOT NULL"), 1)

        # An internal note with a file: kept, listed, mailed to nobody.
        photo = write("fuser.jpg", os.urandom(5000))
        b.find_element("id", "note-body").send_keys("Photo of the part.")
        b.find_element("id", "note-files").send_keys(photo)
        self.submit(b.find_element("id", "send-internal"))
        self.assertIn("Internal note added", b.find_element("css selector", ".flash").text)
        names = [a.text for a in b.find_elements("css selector", "#attachments a")]
        self.assertEqual(sorted(names), ["Rechnung 2026-114.pdf", "fuser.jpg"])
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment WHERE note_id IS NOT NULL"), 2)
        time.sleep(1.5)  # the dispatcher would have sent it by now (retry_base 1)
        self.assertEqual(len(self.relay.snapshot()), n + 1)

        # Over the form's limit (body_size + store_per_message): 413 before
        # the body is read. Over the desk's file limit but within the form's:
        # the desk refuses (400). Neither stores or queues anything.
        counts = lambda: [self.desk.scalar(f"SELECT count(*) FROM {t}") for t in ("note", "attachment", "outbox")]
        before = counts()
        for size, status_text in ((limit + 70000, "Payload Too Large"), (limit + 1000, "more than the")):
            b.get(issue_url)
            big = write(f"big-{size}.bin", os.urandom(size))
            b.find_element("id", "note-body").send_keys("Too big.")
            b.find_element("id", "note-files").send_keys(big)
            self.submit(b.find_element("id", "send-public"))
            self.assertTrue(wait_until(lambda: status_text in b.page_source, timeout=10), b.page_source[:500])
            self.assertEqual(counts(), before, size)
        # The same over raw HTTP: the 413 comes before a byte of the body.
        boundary = "----x"
        cookie = self.cookie_header().encode()
        path = urllib.parse.urlparse(issue_url).path.encode()
        reply = raw(self.web.port, b"POST " + path + b"/note HTTP/1.1\r\nHost: x\r\nCookie: " + cookie +
                    b"\r\nContent-Type: multipart/form-data; boundary=" + boundary.encode() +
                    b"\r\nContent-Length: " + str(65536 + limit + 1).encode() + b"\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:100])
        # Without a session (or with one that is not a session) the file
        # limit is not granted: a body over body_size (65536) but within the
        # member's limit is refused unread too.
        for c in (b"", b"Cookie: dm_session=" + b"0" * 64 + b"\r\n"):
            reply = raw(self.web.port, b"POST " + path + b"/note HTTP/1.1\r\nHost: x\r\n" + c +
                        b"Content-Type: multipart/form-data; boundary=" + boundary.encode() +
                        b"\r\nContent-Length: 100000\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:100])
        self.assertEqual(counts(), before)
        time.sleep(1.5)
        self.assertEqual(len(self.relay.snapshot()), n + 1)

    def test_screenshots(self):
        """The queue and an issue, for docs/ (DESKMAIL_WEB_SHOTS_DOCS=dir to keep them)."""
        game = self.desk.address["acme/game"]
        self.desk.cli("project", "label", "add", "acme/game", "printer", json_out=False)
        self.desk.cli("project", "label", "add", "acme/game", "urgent", json_out=False)
        for i, (s, body) in enumerate([("Printer on fire", "The office printer smokes when printing duplex."),
                                       ("Cannot log in since the update", "The login page says my password expired."),
                                       ("Invoice 2026-114 shows the wrong VAT", "We are billed 21% instead of 19%."),
                                       ("Export to CSV drops accents", "Names like Zoë come out as Zo?.")]):
            deliver(self.desk, [game], message(subject=s, body=body, message_id=f"shot{i}@x",
                                               sender=f"customer{i}@example.org"))
        ref = [x for x in self.desk.issues("acme/game") if x["title"] == "Printer on fire"][0]["ref"]
        self.desk.cli("issue", "label", ref, "+printer", "+urgent", "--as", MEMBER, json_out=False)
        self.desk.cli("reply", ref, "--as", MEMBER, "-m", "Please switch it off; a technician is on the way.",
                      json_out=False)
        self.desk.cli("note", ref, "--as", MEMBER, "-m", "Model HL-2270, bought 2019. Check warranty.",
                      json_out=False)
        self.sign_in()
        out = os.environ.get("DESKMAIL_WEB_SHOTS_DOCS", self.desk.dir)
        b = self.browser
        b.get(self.web.url + "/issues")
        self.assertTrue(b.save_screenshot(os.path.join(out, "web-queue.png")))
        b.find_element("link text", "Printer on fire").click()
        self.assertTrue(b.save_screenshot(os.path.join(out, "web-issue.png")))
        b.set_window_size(390, 844)
        self.assertTrue(b.save_screenshot(os.path.join(out, "web-issue-phone.png")))
        b.set_window_size(1280, 900)

    def test_two_instances_share_sessions(self):
        """Sessions live in the database: a second deskmail-web on the same
        store knows the cookie the first one set, and signing out on one ends
        it on both."""
        self.sign_in()
        second = self.enterContext(Web(self.desk))
        cookie = self.cookie_header()
        status, _, body = http(second.url + "/issues", headers={"Cookie": cookie})
        self.assertEqual(status, 200)
        self.assertIn(MEMBER.encode(), body)
        self.browser.find_element("css selector", ".signout button").click()
        # The click returns before the POST is answered: wait for the page it leads to.
        self.assertTrue(wait_until(lambda: self.browser.current_url.endswith("/signin")))
        status, headers, _ = http(second.url + "/issues", headers={"Cookie": cookie})
        self.assertEqual((status, headers["Location"]), (303, "/signin"))

    # --- refusals --------------------------------------------------------------
    def test_another_projects_issue_is_not_found(self):
        deliver(self.desk, [self.desk.address["acme/web"]], message(subject="Secret", message_id="s@x"))
        ref = self.desk.issues("acme/web")[0]["ref"]
        self.sign_in()
        path, iid = ref.split("#")
        for suffix in ("", "/raw", "/attachment/1"):
            self.browser.get(f"{self.web.url}/issue/{path}/{iid}{suffix}")
            self.assertNotIn("Secret", self.browser.page_source)
            status, _, body = http(f"{self.web.url}/issue/{path}/{iid}{suffix}",
                                   headers={"Cookie": self.cookie_header()})
            self.assertEqual(status, 404, suffix)
        self.browser.get(self.web.url + "/issues?project=acme/web")
        self.assertEqual(self.browser.find_elements("css selector", "#issues .title"), [])
        # A POST to it changes nothing either.
        self.browser.get(self.web.url + "/issues")
        status, _, _ = http(f"{self.web.url}/issue/{path}/{iid}/state",
                            {"csrf": self.csrf(), "state": "closed"}, {"Cookie": self.cookie_header()})
        self.assertEqual(status, 404)
        self.assertEqual(self.desk.show(ref)["state"], "opened")

    def test_post_without_or_with_a_wrong_csrf_token_is_refused(self):
        deliver(self.desk, [self.desk.address["acme/game"]], message(subject="Help", message_id="c@x"))
        ref = self.desk.issues("acme/game")[0]["ref"]
        path, iid = ref.split("#")
        self.sign_in()
        cookie = self.cookie_header()
        url = f"{self.web.url}/issue/{path}/{iid}/note"
        for form in ({"body": "forged", "kind": "public"},
                     {"body": "forged", "kind": "public", "csrf": "0" * 64},
                     {"body": "forged", "kind": "public", "csrf": ""}):
            status, headers, _ = http(url, form, {"Cookie": cookie})
            self.assertEqual(status, 403, form)
            self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        # The same as a form with a file (multipart/form-data): the token is checked first.
        for token in (b"", b"0" * 64):
            body = (b"--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + token +
                    b"\r\n--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nforged\r\n"
                    b"--B\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npublic\r\n"
                    b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n\r\n"
                    b"\x00\x01\r\n--B--\r\n")
            status, _, _ = http(url, body, {"Cookie": cookie, "Content-Type": "multipart/form-data; boundary=B"})
            self.assertEqual(status, 403, token)
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM attachment"), 0)
        self.assertNotIn("forged", str(self.desk.show(ref)["notes"]))
        # Sign-in forms too: a request for a link without the cookie's token.
        status, _, _ = http(self.web.url + "/signin", {"email": MEMBER})
        self.assertEqual(status, 403)

    def test_used_and_expired_links_sign_nobody_in(self):
        link = self.sign_in()
        token = link.split("t=")[1]
        self.browser.delete_all_cookies()
        self.browser.get(link)
        self.assertIn("used already", self.browser.find_element("id", "message").text)
        self.assertEqual(self.browser.find_elements("id", "use-link"), [])
        # A link whose time ran out (made so in the database).
        self.request_link(MEMBER)
        mails = wait_until(lambda: len(self.mails_to(MEMBER)) >= 2 and self.mails_to(MEMBER))
        link2 = link_from(mails[-1])
        self.execute("UPDATE web_link SET expires_at = expires_at - 3600 WHERE used_at IS NULL")
        self.browser.get(link2)
        self.assertIn("expired", self.browser.find_element("id", "message").text)
        # Its POST does not sign in either; the GET did not use it up.
        self.browser.get(self.web.url + "/signin")
        status, _, body = http(self.web.url + "/signin/link",
                               {"t": link2.split("t=")[1], "csrf": self.csrf()},
                               {"Cookie": self.cookie_header()})
        self.assertEqual(status, 410)
        # Tokens are stored hashed only.
        self.assertEqual(self.desk.scalar(f"SELECT count(*) FROM web_link WHERE token_hash = '{token}'"), 0)
        digest = hashlib.sha256(token.encode()).hexdigest()
        self.assertEqual(self.desk.scalar(f"SELECT count(*) FROM web_link WHERE token_hash = '{digest}'"), 1)

    def test_non_member_gets_the_same_page_and_no_mail(self):
        member_page = self.request_link(MEMBER).replace(MEMBER, "ADDRESS")
        self.assertTrue(wait_until(lambda: self.mails_to(MEMBER)))
        stranger_page = self.request_link("mallory@example.net").replace("mallory@example.net", "ADDRESS")
        self.assertEqual(member_page, stranger_page)
        time.sleep(1.5)
        self.assertEqual(self.mails_to("mallory@example.net"), [])
        # Rate limit per address: of six requests in an hour, five are mailed.
        for _ in range(6):
            self.assertIn(OTHER_MEMBER, self.request_link(OTHER_MEMBER))
        wait_until(lambda: len(self.mails_to(OTHER_MEMBER)) >= 5)
        time.sleep(1.5)
        self.assertEqual(len(self.mails_to(OTHER_MEMBER)), 5)

    def test_customer_script_is_shown_as_text(self):
        evil = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
        deliver(self.desk, [self.desk.address["acme/game"]],
                message(subject=evil, body="Body " + evil, message_id="evil@x"))
        self.sign_in()
        b = self.browser
        self.assertIn(evil, b.find_element("css selector", "#issues .title").text)
        b.find_element("css selector", "#issues .title").click()
        self.assertNotEqual(b.title, "pwned")
        self.assertIn("Body " + evil, b.find_element("css selector", ".note.customer .body").text)
        self.assertEqual(b.find_elements("css selector", ".thread script, .thread img"), [])
        status, headers, body = http(b.current_url, headers={"Cookie": self.cookie_header()})
        self.assertIn(b"&lt;script&gt;", body)
        self.assertNotIn(b"<script>document", body)
        for name, want in (("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
                           ("X-Content-Type-Options", "nosniff")):
            self.assertEqual(headers[name], want)
        self.assertNotIn("unsafe-inline", headers["Content-Security-Policy"])
        self.assertIn("frame-ancestors 'none'", headers["Content-Security-Policy"])
        cookies = headers.get_all("Set-Cookie") or []
        self.assertEqual(cookies, [])  # nothing new: the session cookie came from the sign-in
        session = [c for c in b.get_cookies() if c["name"] == "dm_session"][0]
        self.assertTrue(session["httpOnly"])
        self.assertEqual(session["sameSite"], "Lax")

    def test_bad_http_gets_a_defined_answer(self):
        port = self.web.port
        def status(reply):
            m = re.match(rb"HTTP/1\.1 (\d{3})", reply)
            return int(m.group(1)) if m else None
        self.assertEqual(status(raw(port, b"GET /signin HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")), 431)
        self.assertEqual(status(raw(port, b"POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                          b"application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
                                          + b"a" * 1000)), 413)
        self.assertEqual(status(raw(port, b"GARBAGE\r\n\r\n")), 400)
        self.assertEqual(status(raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")), 400)
        for path in (b"/static/../../../../etc/passwd", b"/static/%2e%2e/%2e%2e/etc/passwd",
                     b"/static/..%2fdeskmail.yaml", b"/issue/acme/game/1/attachment/..%2f..%2f1",
                     b"/issue/../../etc/1/raw"):
            reply = raw(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertIn(status(reply), (303, 400, 404), path)
            self.assertNotIn(b"root:", reply)
        # A client that sends nothing, and one that sends a byte a second
        # (slowloris): closed at the 3 s deadline, without an answer.
        t = time.time()
        self.assertEqual(raw(port, b"GET / HTTP/1.1\r\n", read_timeout=10), b"")
        self.assertLess(time.time() - t, 9)
        # The process is unharmed, nothing was stored.
        self.assertIsNone(self.web.proc.poll())
        self.assertEqual(http(self.web.url + "/signin")[0], 200)
        self.assertEqual(self.desk.scalar("SELECT count(*) FROM web_link"), 0)
        # Keep-alive: two requests on one connection.
        two = raw(port, b"GET /signin HTTP/1.1\r\nHost: x\r\n\r\nGET /static/style.css HTTP/1.1\r\n"
                        b"Host: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(len(re.findall(rb"HTTP/1\.1 200", two)), 2)


if __name__ == "__main__":
    unittest.main()
