"""lmtp_client.py: an LMTP client that behaves like Postfix's lmtp(8) for
tests: on a 4xx reply, a 421 greeting or a dropped connection it sends the
same bytes again later; it counts what it was told."""
import socket
import threading
import time


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = {}  # message index -> the 250 line
        self.tempfail = 0   # 4xx replies (any stage)
        self.dropped = 0    # connections lost or refused
        self.refused = {}   # message index -> 5xx line

    def add(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)


def dot_stuff(data):
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    lines = data.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines[:-1]) + b"\r\n.\r\n"


class Conn:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        code, _ = self.reply()
        if code != 220:
            raise ConnectionError(f"greeting {code}")
        self.cmd(b"LHLO client.test")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise ConnectionError("closed")
            lines.append(line.decode(errors="replace").rstrip())
            if len(line) < 4 or line[3:4] != b"-":
                return int(lines[-1][:3]), lines[-1]

    def cmd(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def send_all(host, port, messages, sessions=8, retry_delay=0.2, deadline=300, timeout=60, stats=None,
             gate=None):
    """messages: list of (mail_from, rcpt, data bytes). Each is sent until it
    gets 250 or 5xx (one recipient per message). Returns Stats (`stats` if
    given, for another thread to watch); `gate()`, if given, is called before
    each message and may block (the crash test paces the load by its kills)."""
    stats = stats if stats is not None else Stats()
    todo = list(range(len(messages)))
    todo_lock = threading.Lock()
    end = time.time() + deadline

    def worker():
        conn = None
        while time.time() < end:
            if gate:
                gate()
            with todo_lock:
                if not todo:
                    break
                i = todo.pop(0)
            mail_from, rcpt, data = messages[i]
            while time.time() < end:
                try:
                    if conn is None:
                        conn = Conn(host, port, timeout)
                    code, line = conn.cmd(b"MAIL FROM:<" + mail_from.encode() + b">")
                    if code == 250:
                        code, line = conn.cmd(b"RCPT TO:<" + rcpt.encode() + b">")
                    if code == 250:
                        code, line = conn.cmd(b"DATA")
                        if code == 354:
                            conn.sock.sendall(dot_stuff(data))
                            code, line = conn.reply()
                    if code == 250:
                        with stats.lock:
                            stats.accepted[i] = line
                        break
                    if 500 <= code < 600:
                        with stats.lock:
                            stats.refused[i] = line
                        break
                    stats.add("tempfail")
                    if code == 421:
                        conn.close()
                        conn = None
                    else:
                        conn.cmd(b"RSET")
                except (OSError, ConnectionError):
                    stats.add("dropped")
                    if conn:
                        conn.close()
                    conn = None
                time.sleep(retry_delay)
        if conn:
            try:
                conn.cmd(b"QUIT")
            except (OSError, ConnectionError):
                pass
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats
