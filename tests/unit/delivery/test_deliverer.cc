// delivery::Deliverer over a real SQLite store.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "delivery/deliverer.h"
#include "desk/desk.h"
#include "mail/message.h"
#include "store/dialect.h"

// Found by fuzz_ingest: the spam reason quoted the verdict header's raw
// bytes (a NUL here) into a field the store keeps as text.
TEST_CASE("delivery: a spam reason is clean text whatever the header held") {
  mail::init();
  boost::asio::io_context io;
  std::string tmpl = "/tmp/deskmail-unit-" + std::string(6, 'X');
  std::string dir = mkdtemp(tmpl.data());
  {
    auto st = store::open("sqlite3://db=" + dir + "/t.db", std::chrono::milliseconds(1000));
    delivery::Deliverer d(io.get_executor(), io.get_executor(), *st,
                          route::Base{"desk", "support.example.com", '+'});
    d.log = [](const std::string&) {};
    lmtp::Envelope env;
    env.mail_from = "bob@example.org";
    env.recipients = {"desk+acme@support.example.com"};
    static const char raw[] =
        "From: bob@example.org\r\nSubject: x\r\nX-Spam: false\x00\x00\xff]]]]\r\n\r\nbody\r\n";
    auto msg = common::bytes_of(std::string(raw, sizeof raw - 1));
    auto p = d.prepare(env, msg);
    REQUIRE(p.inbound);
    INFO(p.inbound->spam_reason);
    CHECK_FALSE(p.inbound->spam_reason.empty());
    CHECK(store::is_clean_text(p.inbound->spam_reason));
  }
  std::filesystem::remove_all(dir);
}

namespace {

std::int64_t counted(const delivery::Deliverer& d, const std::string& status) {
  for (const auto& t : d.counters().totals())
    if (t.name == delivery::kDeliveriesTotal &&
        t.labels.find("status=\"" + status + "\"") != std::string::npos)
      return t.value;
  return 0;
}

}  // namespace

// Every answer is counted as its line is logged (deskmail-web(8), METRICS):
// refusals at RCPT, and each recipient's reply after DATA.
TEST_CASE("delivery: the counters count each recipient's answer by status") {
  mail::init();
  boost::asio::io_context io;
  std::string tmpl = "/tmp/deskmail-unit-" + std::string(6, 'X');
  std::string dir = mkdtemp(tmpl.data());
  {
    auto st = store::open("sqlite3://db=" + dir + "/t.db", std::chrono::milliseconds(1000));
    st->init();
    desk::Desk(*st, nullptr).add_project({"acme/game", "Game", "game", {}});
    delivery::Deliverer d(io.get_executor(), io.get_executor(), *st,
                          route::Base{"desk", "support.example.com", '+'});
    std::vector<std::string> lines;
    d.log = [&](const std::string& l) { lines.push_back(l); };
    lmtp::Envelope env;
    env.mail_from = "bob@example.org";
    env.recipients = {"desk+game@support.example.com", "desk+nothere@support.example.com"};
    auto msg = common::bytes_of(
        "From: bob@example.org\r\nSubject: x\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n");
    auto replies = d.deliver_now({"s1", "unix"}, env, msg);
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].code == 250);
    CHECK(replies[1].code == 550);
    d.deliver_now({"s1", "unix"}, env, msg);  // the MTA's retry
    CHECK(counted(d, "created") == 1);
    CHECK(counted(d, "duplicate") == 1);
    CHECK(counted(d, "gone") == 2);
    // RCPT: refused and accepted; only the refusal counts.
    // The coroutine keeps references: conn and the address outlive io.run(),
    // as the server's connection does.
    const lmtp::ConnectionInfo conn{"s2", "unix"};
    auto rcpt = [&](const std::string& a) {
      boost::asio::co_spawn(io, d.check_recipient(conn, env, a), boost::asio::detached);
      io.run();
      io.restart();
    };
    rcpt("desk+nothere@support.example.com");
    rcpt("desk+game@support.example.com");
    rcpt("not an address");
    CHECK(counted(d, "unknown") == 1);
    CHECK(counted(d, "bad-address") == 1);
    CHECK(counted(d, "ok") == 0);
    CHECK(lines.size() == 6);  // 4 deliveries, 2 refusals: one count per line
  }
  std::filesystem::remove_all(dir);
}
