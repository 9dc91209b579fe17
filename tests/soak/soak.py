#!/usr/bin/env python3
"""soak.py [SECONDS] [SESSIONS]: resource soak of deskmaild (issue 8).

Runs one deskmaild on SQLite and drives it from SESSIONS (20) client threads
for SECONDS (3600) with a mix of valid mail, malformed mail and protocol
abuse, and mail over the limits. Samples RSS, open descriptors and threads
every 10 s and prints them; at the end compares the last quarter with the
first quarter after warm-up. Exit status 1 if RSS grew by 10 % or more, or
descriptors or threads grew at all. Not part of contrib/dev/test:
contrib/dev/soak runs it.
"""
import os
import random
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))

from harness import Desk, message  # noqa: E402

CONFIG = ("limits: { message_size: 200000, recipients: 5, new_issues_per_sender_hour: 0, "
          "confirmations_per_sender_day: 0, header_size: 20000, mime_depth: 10, mime_parts: 50 }\n")


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    rss_kb = int(status["VmRSS"].split()[0])
    threads = int(status["Threads"])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss_kb, fds, threads


def session(desk, rng, counts, stop):
    game, web = desk.address["acme/game"], desk.address["acme/web"]
    n = 0
    while not stop.is_set():
        n += 1
        kind = rng.choice(["valid", "valid", "valid", "malformed", "over", "abuse", "multi"])
        try:
            s = socket.create_connection(("127.0.0.1", desk.port), timeout=30)
            f = s.makefile("rb")

            def cmd(line):
                s.sendall(line + b"\r\n")
                while True:
                    r = f.readline()
                    if not r or r[3:4] != b"-":
                        return r

            f.readline()
            cmd(b"LHLO soak.test")
            if kind == "abuse":
                for line in (b"HELO x", b"DATA", b"RCPT TO:<x@y>", b"X" * 5000, b"MAIL FROM:<a@b> SIZE=9999999999",
                             b"\xff\xfe garbage", b"RSET", b"NOOP"):
                    cmd(line)
            else:
                mid = f"soak-{threading.get_ident()}-{n}-{rng.random()}@x"
                body = message(subject=f"soak {n}", message_id=mid, sender=f"s{n % 50}@example.org")
                if kind == "malformed":
                    body = rng.choice([
                        "Subject: bare\nX: lf only\n\nbody\n",
                        "Subject: deep\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" +
                        "".join(f"--{'a' * i}\r\nContent-Type: multipart/mixed; boundary={'a' * (i + 1)}\r\n\r\n"
                                for i in range(1, 30)),
                        "Subject: " + "x" * 30000 + "\r\n\r\nlong header\r\n",
                        "\x00\x01\x02 not a message at all\r\n",
                    ])
                if kind == "over":
                    body = message(subject="big", body="y" * 300000, message_id=mid)
                cmd(b"MAIL FROM:<soak@example.org>")
                rcpts = [game] if kind != "multi" else [game, web, game, "nobody@example.org"]
                ok = sum(1 for r in rcpts if cmd(b"RCPT TO:<" + r.encode() + b">").startswith(b"250"))
                if ok:
                    if cmd(b"DATA").startswith(b"354"):
                        data = body.replace("\r\n", "\n").replace("\n", "\r\n") if kind != "malformed" else body
                        lines = data.encode("utf-8", "surrogateescape").split(b"\r\n")
                        s.sendall(b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)
                                  + (b"" if data.endswith("\r\n") else b"\r\n") + b".\r\n")
                        for _ in range(ok):
                            r = f.readline()
                            if not r:
                                break
            cmd(b"QUIT")
            s.close()
            counts[kind] = counts.get(kind, 0) + 1
        except OSError:
            counts["errors"] = counts.get("errors", 0) + 1
            time.sleep(0.1)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 3600
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    desk = Desk(CONFIG).start()
    stop = threading.Event()
    counts = {}
    threads = [threading.Thread(target=session, args=(desk, random.Random(i), counts, stop), daemon=True)
               for i in range(sessions)]
    for t in threads:
        t.start()
    samples = []
    start = time.time()
    try:
        while time.time() - start < seconds:
            time.sleep(min(10, max(1, seconds / 60)))
            rss, fds, thr = proc_stats(desk.proc.pid)
            samples.append((time.time() - start, rss, fds, thr))
            print(f"{samples[-1][0]:7.0f}s  rss {rss / 1024:7.1f} MiB  fds {fds:4d}  threads {thr:3d}  "
                  f"sent {sum(v for k, v in counts.items() if k != 'errors')}", flush=True)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    # Let the last sessions close, then the final sample.
    time.sleep(2)
    rss, fds, thr = proc_stats(desk.proc.pid)
    issues = len(desk.issues())
    desk.close()
    warm = [s for s in samples if s[0] >= seconds * 0.1] or samples
    q = max(1, len(warm) // 4)
    first = sum(s[1] for s in warm[:q]) / q
    last = sum(s[1] for s in warm[-q:]) / q
    drift = (last - first) / first * 100
    base_fds, base_thr = min(s[2] for s in warm), min(s[3] for s in warm)
    print(f"soak: {seconds}s, {sessions} sessions, {counts}, {issues} issues stored")
    print(f"soak: RSS {first / 1024:.1f} -> {last / 1024:.1f} MiB ({drift:+.1f} %), "
          f"idle descriptors {fds} (busy minimum {base_fds}), threads {thr} (minimum {base_thr})")
    ok = drift < 10 and fds <= base_fds and thr <= base_thr
    print("soak: " + ("flat" if ok else "NOT flat"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
