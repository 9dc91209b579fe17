"""test_metrics.py: /metrics for the admins' Prometheus (issue 21).

The real deskmaild and deskmail-web on one database (SQLite, or PostgreSQL
with DESKMAIL_TEST_STORE=postgresql): a new issue, a reply, a duplicate, a
quarantined message and a refused RCPT over LMTP; then the metrics listener
is scraped over HTTP and parsed with the OpenMetrics parser of Prometheus'
own Python client (python3-prometheus-client). The counts, the outbox gauge
and the open issues per project must be the desk's; the desk's listener has
no /metrics and the metrics listener nothing else. deskmaild writes its
counters every 5 s and at shutdown: the scrape waits for the first, and a
stop makes the last one visible at once.
"""
import sys
import unittest

from harness import DOMAIN, Desk, deliver, free_port, message, wait_until
from test_web import Web, http

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:  # Debian's python3-prometheus-client, under another python3
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    except ImportError:  # contrib/dev/test installs it
        text_string_to_metric_families = None

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
CREATED = ("deskmail_deliveries_total", (("class", "2xx"), ("result", "issue"), ("status", "created")))


def samples(text):
    """{(name, sorted label pairs): value}, parsed strictly (# EOF, families, buckets)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def delivered(result, cls, status):
    return ("deskmail_deliveries_total", (("class", cls), ("result", result), ("status", status)))


class Metrics(unittest.TestCase):
    def setUp(self):
        if text_string_to_metric_families is None:
            self.fail("python3-prometheus-client is missing (contrib/dev/test installs it)")
        self.desk = self.enterContext(Desk())
        self.desk.start()
        self.metrics_port = free_port()
        self.web = self.enterContext(
            Web(self.desk, extra=f', metrics: ["tcp:127.0.0.1:{self.metrics_port}"]'))
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"

    def scrape(self):
        status, headers, body = http(self.metrics_url)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], OPENMETRICS)
        text = body.decode()
        self.assertTrue(text.endswith("# EOF\n"), text)
        return samples(text)

    def test_counts_gauges_and_listeners(self):
        game = self.desk.address["acme/game"]
        _, dr = deliver(self.desk, [game], message(message_id="first@x"))
        self.assertIn("acme/game#1 created", dr[0])
        reply = self.desk.show("acme/game#1")["participants"][0]["reply_address"]
        _, dr = deliver(self.desk, [reply], message(subject="Re: Help", message_id="second@x"))
        self.assertIn("note added", dr[0])
        _, dr = deliver(self.desk, [game], message(message_id="first@x"))
        self.assertIn("already delivered", dr[0])
        _, dr = deliver(self.desk, [game], message(message_id="spam@x", extra="X-Spam-Flag: YES\r\n"))
        self.assertIn("quarantined", dr[0])
        rr, dr = deliver(self.desk, [f"desk+nothere@{DOMAIN}"], message(message_id="lost@x"))
        self.assertTrue(rr[0].startswith("550 5.1.1"), rr)

        # The daemon's flush, within its 5 s.
        self.assertTrue(wait_until(lambda: self.scrape().get(CREATED) == 1, timeout=15),
                        self.desk.log())
        m = self.scrape()
        self.assertEqual(m[delivered("reply", "2xx", "noted")], 1)
        self.assertEqual(m[delivered("duplicate", "2xx", "duplicate")], 1)
        self.assertEqual(m[delivered("quarantined", "2xx", "quarantined")], 1)
        self.assertEqual(m[delivered("refused", "5xx", "unknown")], 1)
        self.assertEqual(sum(v for (n, _), v in m.items() if n == "deskmail_deliveries_total"), 5)
        # Four messages reached the store (the refused one never had DATA).
        self.assertEqual(m[("deskmail_delivery_store_seconds_count", ())], 4)
        self.assertEqual(m[("deskmail_delivery_store_seconds_bucket", (("le", "+Inf"),))], 4)
        self.assertGreater(m[("deskmail_delivery_store_seconds_sum", ())], 0)

        # The confirmation of #1 waits for a relay nobody runs: pending.
        pending = self.desk.scalar("SELECT count(*) FROM outbox WHERE state = 'pending'")
        self.assertGreaterEqual(pending, 1)
        self.assertEqual(m[("deskmail_outbox_messages", (("state", "pending"),))], pending)
        self.assertEqual(m[("deskmail_outbox_messages", (("state", "failed"),))], 0)
        self.assertGreaterEqual(m[("deskmail_outbox_oldest_age_seconds", (("state", "pending"),))], 0)
        self.assertEqual(m[("deskmail_issues_open", (("project", "acme/game"),))], 1)
        self.assertEqual(m[("deskmail_issues_quarantined", (("project", "acme/game"),))], 1)
        self.assertEqual(m[("deskmail_issues_open", (("project", "acme/web"),))], 0)

        # A closed issue is no longer open.
        self.desk.cli("close", "acme/game#1", json_out=False)
        self.assertEqual(self.scrape()[("deskmail_issues_open", (("project", "acme/game"),))], 0)

        # Each listener serves its own: the desk has no /metrics, the
        # metrics listener nothing else.
        status, _, _ = http(f"{self.web.url}/metrics")
        self.assertEqual(status, 404)
        for path in ("/", "/issues", "/signin", "/metrics/x"):
            status, _, _ = http(f"http://127.0.0.1:{self.metrics_port}{path}")
            self.assertEqual(status, 404, path)
        status, headers, _ = http(self.metrics_url, data=b"", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")

    def test_the_last_counts_are_written_at_shutdown(self):
        game = self.desk.address["acme/game"]
        deliver(self.desk, [game], message(message_id="one@x"))
        self.assertTrue(wait_until(lambda: self.scrape().get(CREATED) == 1, timeout=15),
                        self.desk.log())
        deliver(self.desk, [game], message(message_id="two@x"))
        # Stopped before its next flush: the counts are written as it ends.
        self.assertEqual(self.desk.stop(), 0, self.desk.log())
        self.assertEqual(self.scrape()[CREATED], 2)
        # A restarted daemon adds to its rows: counters never go back.
        self.desk.start()
        deliver(self.desk, [game], message(message_id="three@x"))
        self.assertTrue(wait_until(lambda: self.scrape().get(CREATED) == 3, timeout=15),
                        self.desk.log())


if __name__ == "__main__":
    unittest.main()
