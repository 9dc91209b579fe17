// delivery::Deliverer over a real SQLite store.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "delivery/deliverer.h"
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
