// The store's hook repository in SQL (schema 010): bindings, the (commit,
// issue) pairs and webhook deliveries claimed once, the disclose_fixes
// setting. Against SQLite, and PostgreSQL when DESKMAIL_TEST_PG names one
// (the "store*" cases run in the pg suite).
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <filesystem>

#include "desk/desk.h"
#include "empty_db.h"
#include "store/store.h"

namespace {

struct HookDb {
  store_test::EmptyDb db{"hooks"};  // before st: closed after it
  std::unique_ptr<store::Store> st = store::open(db.conn, std::chrono::milliseconds(5000), 2);
  HookDb() { st->init(); }
};

}  // namespace

TEST_CASE("store: hooks: bindings, commits and deliveries claimed once, disclose_fixes") {
  HookDb db;
  desk::Desk desk(*db.st, nullptr);
  desk.add_project({"acme/game", "Game", "", {}});
  desk.add_project({"acme/web", "Web", "", {}});
  store::HookBinding b{0,
                       0,
                       "",
                       "gitlab",
                       "https://gitlab.example.com/acme/game",
                       "main",
                       "https://gitlab.example.com/acme/game/-/commit/%H",
                       "s3cret",
                       0};
  auto game = desk.add_hook("acme/game", b);
  CHECK(game.id > 0);
  desk.add_hook("acme/web", b);
  CHECK_THROWS_AS(desk.add_hook("acme/game", b), store::Error);

  auto found = desk.find_hooks("gitlab", "https://gitlab.example.com/acme/game");
  REQUIRE(found.size() == 2);
  CHECK(found[0].project_path == "acme/game");
  CHECK(found[1].project_path == "acme/web");
  CHECK(found[0].secret == "s3cret");
  CHECK(found[0].branch == "main");
  CHECK(found[0].commit_url == "https://gitlab.example.com/acme/game/-/commit/%H");
  CHECK(desk.hooks(std::string("acme/web")).size() == 1);
  CHECK(desk.hooks(std::nullopt).size() == 2);

  store::Inbound in;
  in.dedupe_key = "mid:1@x";
  in.mail_from = in.author_email = in.contact_email = "c@example.org";
  in.title = "t";
  in.body = "b";
  in.message_id = "1@x";
  in.raw = common::bytes_of("Subject: t\r\n\r\nb");
  in.raw_sha256 = "sha-1";
  desk.deliver(*db.st->find_project_key("acme-game"), in);
  std::int64_t issue = *db.st->read([](store::Tx& tx) { return tx.issues().find("acme/game", 1); });
  auto claim = [&](const std::string& sha) {
    return db.st->transact(
        [&](store::Tx& tx) { return tx.hooks().claim_commit(sha, issue, "close", 1); });
  };
  CHECK(claim("abc"));
  CHECK_FALSE(claim("abc"));
  CHECK(claim("abd"));
  auto delivery = [&](const std::string& id) {
    return db.st->transact(
        [&](store::Tx& tx) { return tx.hooks().claim_delivery(game.id, id, 1); });
  };
  CHECK(delivery("d-1"));
  CHECK_FALSE(delivery("d-1"));

  CHECK(db.st->list_projects()[0].disclose_fixes == false);
  desk.set_project_flag("acme/game", "disclose_fixes", true);
  CHECK(db.st->list_projects()[0].disclose_fixes == true);
  CHECK(db.st->read([&](store::Tx& tx) { return tx.issues().get(issue); })
            .project.settings.disclose_fixes);

  CHECK(desk.remove_hook("acme/game", "gitlab", "https://gitlab.example.com/acme/game"));
  CHECK_FALSE(desk.remove_hook("acme/game", "gitlab", "https://gitlab.example.com/acme/game"));
  CHECK(desk.hooks(std::nullopt).size() == 1);
  CHECK(db.st->check().empty());
}
