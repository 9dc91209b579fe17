// The search index's text (store/search.h): folding, words, and what each
// store indexes and asks for.
#include <doctest/doctest.h>

#include "store/search.h"

namespace search = store::search;

TEST_CASE("store search: folding drops Latin, Greek and Cyrillic accents, keeps Japanese marks") {
  CHECK(search::fold("Résumé ÉTÉ") == "resume ete");
  CHECK(search::fold("Straße") == "strasse");
  CHECK(search::fold("Ёлка Йод") == "елка иод");
  CHECK(search::fold("Ελλάδα") == "ελλαδα");
  CHECK(search::fold("ＡＢＣ ﬁle") == "abc file");  // full-width letters, a ligature
  CHECK(search::fold("ガイド") == "ガイド");        // the voiced mark stays
  CHECK(search::fold("bad\xFF") == "bad\xEF\xBF\xBD");
}

TEST_CASE("store search: words; a CJK run is one word") {
  auto ws = search::words(search::fold("Hello, 東京タワー! ok-42 サーバー"));
  REQUIRE(ws.size() == 5);
  CHECK(ws[0].text == "hello");
  CHECK(ws[1].text == "東京タワー");
  CHECK(ws[1].cjk);
  CHECK(ws[1].chars == 5);
  CHECK(ws[2].text == "ok");
  CHECK(ws[3].text == "42");
  CHECK(ws[4].text == "サーバー");  // the prolonged sound mark belongs to the word
  CHECK(search::words("!!! ---").empty());
}

TEST_CASE("store search: SQLite's text and terms") {
  std::string t = search::sqlite_text("東京都 Café");
  CHECK(t.find("東京都 cafe") == 0);
  CHECK(t.find("東京\xEE\x80\x80") != std::string::npos);
  CHECK(t.find("京都\xEE\x80\x80") != std::string::npos);
  auto w = search::words("東京")[0];
  CHECK(search::sqlite_term(w).pattern == "%東京\xEE\x80\x80%");
  CHECK(search::sqlite_term(w).indexed);
  CHECK(search::sqlite_term(search::words("printer")[0]).pattern == "%printer%");
  auto vm = search::sqlite_term(search::words("vm")[0]);
  CHECK_FALSE(vm.indexed);
  CHECK(vm.pattern == "%vm%");
  // Only the first kMaxIndexedBytes are indexed, cut at a character.
  std::string big(search::kMaxIndexedBytes - 1, 'a');
  big += "é and more";
  CHECK(search::sqlite_text(big).size() <= search::kMaxIndexedBytes);
}

TEST_CASE("store search: PostgreSQL's vector and query") {
  CHECK(search::pg_vector("b a b") == "'a':2 'b':1,3");
  CHECK(search::pg_vector("東京都") == "'京都':2 '東京':1 '都':3");
  CHECK(search::pg_vector("it's") == "'it':1 's':2");
  CHECK(search::pg_query(search::words("printer")[0]) == "'printer':*");
  CHECK(search::pg_query(search::words("東京都")[0]) == "'東京' <-> '京都'");
  CHECK(search::pg_query(search::words("猫")[0]) == "'猫':*");
  CHECK(search::query_words("a b c d e f g h i j").size() == search::kMaxQueryWords);
}

TEST_CASE(
    "store search: SQLite's text holds each distinct word once, and finds what the text does") {
  std::string mail =
      "Hello team,\n\nThe printer on floor 3 is jammed again. The printer!!! Again...\n"
      "> On Monday, Jane wrote:\n> > The printer is jammed.\n> > -- \n> > Jane\n"
      "東京都の東京タワー, Café café CAFÉ e-mail: jane@example.com\n";
  std::string t = search::sqlite_text(mail);
  std::string folded = search::fold(mail);
  CHECK(t.size() < folded.size());
  CHECK(t.find("hello team the printer on floor 3 is jammed again") == 0);
  std::size_t printers = 0;
  for (auto at = t.find("printer"); at != std::string::npos; at = t.find("printer", at + 1))
    ++printers;
  CHECK(printers == 1);
  // Every word of the mail, and every part of one, is found; nothing that
  // only spans two words or punctuation is a query word at all.
  for (const auto& w : search::words(folded)) {
    CHECK(t.find(w.text) != std::string::npos);
    CHECK(t.find(w.text.substr(w.text.size() / 2)) != std::string::npos);
  }
  for (const char* q : {"rint", "jamm", "example", "mail", "cafe", "タワー", "東京都"})
    CHECK(t.find(search::words(search::fold(q))[0].text) != std::string::npos);
  for (const char* q : {"printers", "monday jane", "floor3", "cafecafe"})
    for (const auto& w : search::query_words(q))
      CHECK((t.find(w.text) != std::string::npos) == (folded.find(w.text) != std::string::npos));
  // A two-character CJK word is looked up as a pair, each pair once.
  CHECK(t.find("東京\xEE\x80\x80") != std::string::npos);
  CHECK(t.find("東京\xEE\x80\x80") == t.rfind("東京\xEE\x80\x80"));
}
