#!/usr/bin/env python3
"""big-message-latency.py: how long a small delivery waits while 20 MB
messages are delivered at the same time. Prints figures; asserts nothing.
Not part of the default test run.

  python3 tests/bench/big-message-latency.py   (after building into ./build)

Measured 2026-11-25 on the 2-core CI machine: small delivery alone, median
1.8 ms; during a 20 MB delivery, worst 92 ms (it was 1 000 ms when parsing
ran on the store thread); the 20 MB delivery itself about 1.4 s.
"""
import os
import sys, time, threading, statistics
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
from harness import Desk, deliver, message
d = Desk('limits: { new_issues_per_sender_hour: 0 }\n').start()
game = d.address["acme/game"]
body = ("line of a large log file with some text in it 0123456789\r\n" * 350000)  # ~20 MB
big = message(subject="big", message_id="big@x", body=body)
def small_latency(n, tag):
    lat = []
    for i in range(n):
        t = time.time(); deliver(d, [game], message(message_id=f"{tag}{i}@x")); lat.append(time.time() - t)
    return lat
base = small_latency(50, "a")
res = {}
def bigsend():
    t = time.time(); rr, dr = deliver(d, [game], big); res["big"] = (time.time() - t, dr[0][:40])
worst = []
for k in range(3):
    th = threading.Thread(target=bigsend); th.start()
    time.sleep(0.3)   # the big data is in flight / being parsed
    worst += small_latency(5, f"b{k}-")
    th.join()
print(f"small alone: median {statistics.median(base)*1000:.1f} ms; during 20 MB deliveries: max {max(worst)*1000:.0f} ms, median {statistics.median(worst)*1000:.1f} ms; big took {res['big'][0]*1000:.0f} ms {res['big'][1]}")
d.close()
