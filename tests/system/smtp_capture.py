"""smtp_capture.py: a capturing SMTP relay for tests, started by the test.

Speaks ESMTP with PIPELINING, undoes dot-stuffing, and records every message
it accepts as (mail_from, rcpts, data bytes). Modes inject faults: 'ok',
'tempfail' (451 after DATA), 'permfail' (550 at RCPT), and a delay before the
final reply to DATA.
"""
import email
import email.policy
import socket
import socketserver
import threading
import time


class Captured:
    def __init__(self, mail_from, rcpts, data):
        self.mail_from = mail_from
        self.rcpts = rcpts
        self.data = data
        self.msg = email.message_from_bytes(data, policy=email.policy.default)

    def __getitem__(self, name):
        return self.msg[name]

    @property
    def message_id(self):
        return (self.msg["Message-ID"] or "").strip().strip("<>")

    def body(self):
        part = self.msg.get_body(("plain",))
        return part.get_content() if part else ""


class CaptureServer:
    def __init__(self, port=0):
        self.messages = []
        self.lock = threading.Lock()
        self.mode = "ok"
        self.refuse = set()  # recipients refused with 550 whatever the mode
        self.data_delay = 0.0
        self.port = port
        self.server = None
        self.connections = 0

    # --- control -------------------------------------------------------------
    # A context manager (TestCase.enterContext): stopped on exit.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer.connections += 1
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                outer._session(self.rfile, self.wfile)

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    # --- protocol ------------------------------------------------------------
    def _session(self, rfile, wfile):
        def send(line):
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        send("220 capture.test ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                send("250-capture.test\r\n250-PIPELINING\r\n250 8BITMIME")
            elif verb == "HELO":
                send("250 capture.test")
            elif verb == "MAIL":
                mail_from = cmd[cmd.find("<") + 1:cmd.rfind(">")]
                rcpts = []
                send("250 2.1.0 ok")
            elif verb == "RCPT":
                if self.mode == "permfail" or cmd[cmd.find("<") + 1:cmd.rfind(">")] in self.refuse:
                    send("550 5.1.1 no such user here")
                else:
                    rcpts.append(cmd[cmd.find("<") + 1:cmd.rfind(">")])
                    send("250 2.1.5 ok")
            elif verb == "DATA":
                if not rcpts:
                    send("503 5.5.1 no valid recipients")
                    continue
                send("354 go ahead")
                data = b""
                while True:
                    l = rfile.readline(1 << 20)
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    data += l
                if self.data_delay:
                    time.sleep(self.data_delay)
                if self.mode == "tempfail":
                    send("451 4.3.0 try again later")
                else:
                    with self.lock:
                        self.messages.append(Captured(mail_from, rcpts, data))
                    send("250 2.0.0 queued")
            elif verb == "RSET":
                mail_from, rcpts = None, []
                send("250 ok")
            elif verb == "QUIT":
                send("221 bye")
                return
            else:
                send("500 5.5.2 what?")
