// The metrics rows and gauges in SQL (schema 013): deskmaild's counters
// added per instance and summed on read, written by delivery::CounterFlush;
// the outbox's unsent mail per state; the open issues per project. Against
// SQLite, and PostgreSQL when DESKMAIL_TEST_PG names one (the "store*"
// cases run in the pg suite).
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <filesystem>

#include "delivery/counters.h"
#include "desk/desk.h"
#include "empty_db.h"
#include "store/store.h"

namespace {

struct MetricsDb {
  store_test::EmptyDb db{"metrics"};  // before st: closed after it
  std::unique_ptr<store::Store> st = store::open(db.conn, std::chrono::milliseconds(5000), 2);
  MetricsDb() { st->init(); }
};

struct Composer : store::Composer {
  int n = 0;
  store::OutMail compose(const store::MailContext& ctx) override {
    ++n;
    return {"Re: " + ctx.issue_title, "m" + std::to_string(n) + "@desk.test", "desk@desk.test",
            "Subject: x\r\n\r\n" + ctx.to_email + "\r\n"};
  }
};

store::Inbound inbound(const std::string& mid, bool spam) {
  store::Inbound in;
  in.dedupe_key = "mid:" + mid;
  in.mail_from = in.author_email = in.contact_email = "c@example.org";
  in.title = "t " + mid;
  in.body = "b";
  in.message_id = mid;
  in.spam = spam;
  in.raw = common::bytes_of("Subject: t\r\n\r\n" + mid);
  in.raw_sha256 = "sha-" + mid;
  return in;
}

std::int64_t value_of(const std::vector<store::MetricCount>& rows, const std::string& name,
                      const std::string& labels) {
  for (const auto& r : rows)
    if (r.name == name && r.labels == labels) return r.value;
  return -1;
}

}  // namespace

TEST_CASE("store: metrics: counters are added per instance and summed over them") {
  MetricsDb db;
  auto add = [&](const std::string& instance, std::vector<store::MetricCount> d) {
    db.st->transact([&](store::Tx& tx) { tx.metrics().add(instance, d, 100); });
  };
  const std::string issue = R"(result="issue",class="2xx",status="created")";
  add("a 1", {{"deskmail_deliveries_total", issue, 2}, {"x_total", "", 1}});
  add("a 1", {{"deskmail_deliveries_total", issue, 3}});
  add("b 2", {{"deskmail_deliveries_total", issue, 4}});
  auto rows = db.st->read([](store::Tx& tx) { return tx.metrics().counters(); });
  REQUIRE(rows.size() == 2);
  CHECK(value_of(rows, "deskmail_deliveries_total", issue) == 9);
  CHECK(value_of(rows, "x_total", "") == 1);
  CHECK(rows[0].name == "deskmail_deliveries_total");  // by name
  // Each instance its own row; a sum beyond 32 bits survives.
  add("b 2", {{"x_total", "", 5'000'000'000LL}});
  rows = db.st->read([](store::Tx& tx) { return tx.metrics().counters(); });
  CHECK(value_of(rows, "x_total", "") == 5'000'000'001LL);
}

TEST_CASE("store: metrics: a CounterFlush writes what changed, once") {
  MetricsDb db;
  delivery::Counters c;
  delivery::CounterFlush flush(c, "host tcp:127.0.0.1:2424");
  CHECK(flush.pending().empty());
  CHECK(flush.flush(*db.st, 1) == 0);
  c.count(delivery::Status::created, 2);
  c.count(delivery::Status::recipient_ok);  // no delivery: never counted
  c.count(delivery::Status::no_such_recipient);
  c.observe_store(std::chrono::milliseconds(3));
  // created, unknown, 14 buckets, the sum.
  CHECK(flush.flush(*db.st, 2) == 17);
  CHECK(flush.pending().empty());
  c.count(delivery::Status::created);
  CHECK(flush.flush(*db.st, 3) == 1);
  auto rows = db.st->read([](store::Tx& tx) { return tx.metrics().counters(); });
  CHECK(value_of(rows, delivery::kDeliveriesTotal,
                 R"(result="issue",class="2xx",status="created")") == 3);
  CHECK(value_of(rows, delivery::kDeliveriesTotal,
                 R"(result="refused",class="5xx",status="unknown")") == 1);
  CHECK(value_of(rows, delivery::kStoreSecondsBucket, R"(le="0.0025")") == 0);
  CHECK(value_of(rows, delivery::kStoreSecondsBucket, R"(le="0.005")") == 1);
  CHECK(value_of(rows, delivery::kStoreSecondsBucket, R"(le="+Inf")") == 1);
  CHECK(value_of(rows, delivery::kStoreSecondsSum, "") == 3000);
  // A restarted daemon (new counters, same instance) adds to its rows.
  delivery::Counters again;
  delivery::CounterFlush after(again, "host tcp:127.0.0.1:2424");
  again.count(delivery::Status::created);
  after.flush(*db.st, 4);
  rows = db.st->read([](store::Tx& tx) { return tx.metrics().counters(); });
  CHECK(value_of(rows, delivery::kDeliveriesTotal,
                 R"(result="issue",class="2xx",status="created")") == 4);
}

TEST_CASE("store: metrics: unsent mail per state and open issues per project") {
  MetricsDb db;
  Composer composer;
  desk::Desk desk(*db.st, &composer);
  desk.add_project({"acme/game", "Game", "", {}});
  desk.add_project({"acme/web", "Web", "", {}});
  auto game = *db.st->find_project_key("acme-game");
  auto depth = db.st->read([](store::Tx& tx) { return tx.metrics().outbox_depth(); });
  REQUIRE(depth.size() == 2);
  CHECK(depth[0].state == "pending");
  CHECK(depth[0].messages == 0);
  CHECK(depth[0].oldest_created_at == 0);
  CHECK(depth[1].state == "failed");

  desk.deliver(game, inbound("1@x", false));
  desk.deliver(game, inbound("2@x", false));
  desk.deliver(game, inbound("3@x", false));
  desk.deliver(game, inbound("4@x", true));  // quarantined: no confirmation
  desk.set_state("acme/game#3", "closed");
  auto out = db.st->list_outbox(std::string("pending"));
  REQUIRE(out.size() >= 3);
  db.st->outbox_sent(out[0].id);
  db.st->outbox_failed(out[1].id, "550 no", true, 0);
  depth = db.st->read([](store::Tx& tx) { return tx.metrics().outbox_depth(); });
  CHECK(depth[0].messages == static_cast<std::int64_t>(out.size()) - 2);
  CHECK(depth[0].oldest_created_at == out[2].created_at);
  CHECK(depth[1].messages == 1);
  CHECK(depth[1].oldest_created_at == out[1].created_at);

  auto open = db.st->read([](store::Tx& tx) { return tx.metrics().open_issues(); });
  REQUIRE(open.size() == 2);
  CHECK(open[0].path == "acme/game");
  CHECK(open[0].open == 2);
  CHECK(open[0].quarantined == 1);
  CHECK(open[1].path == "acme/web");
  CHECK(open[1].open == 0);
  CHECK(open[1].quarantined == 0);
}
