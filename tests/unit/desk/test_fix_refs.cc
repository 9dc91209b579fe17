// The reference parser of commit messages (desk/fix_refs.h): a table of
// real-world phrasings, and of what must not match.
#include <doctest/doctest.h>

#include "desk/fix_refs.h"

using desk::find_refs;
using desk::FixRef;
using A = FixRef::Action;

namespace {

const std::vector<std::string> kGame{"acme/game"};
const std::vector<std::string> kTwo{"acme/game", "acme/web"};

struct Case {
  const char* label;
  const char* text;
  std::vector<FixRef> want;
};

FixRef close(std::int64_t n, const char* p = "acme/game") {
  return {A::close, p, n};
}
FixRef mention(std::int64_t n, const char* p = "acme/game") {
  return {A::mention, p, n};
}

}  // namespace

TEST_CASE("desk fix refs: closing words, lists and mentions (repository bound to acme/game)") {
  const Case cases[] = {
      {"Fixes", "Fixes acme/game#42", {close(42)}},
      {"lower case", "fixes acme/game#42", {close(42)}},
      {"upper case", "FIXES ACME/GAME#42", {close(42)}},
      {"Closes", "Closes acme/game#1", {close(1)}},
      {"Closed", "Closed acme/game#1", {close(1)}},
      {"Close", "close acme/game#1", {close(1)}},
      {"Closing", "Closing acme/game#1", {close(1)}},
      {"Fix", "Fix acme/game#1", {close(1)}},
      {"Fixed", "Fixed acme/game#1", {close(1)}},
      {"Fixing", "fixing acme/game#1", {close(1)}},
      {"Resolves", "Resolves acme/game#1", {close(1)}},
      {"Resolve", "resolve acme/game#1", {close(1)}},
      {"Resolved", "Resolved acme/game#1", {close(1)}},
      {"Implements", "Implements acme/game#1", {close(1)}},
      {"Implemented", "implemented acme/game#1", {close(1)}},
      {"a colon", "Fixes: acme/game#42", {close(42)}},
      {"issue word", "Resolves issue acme/game#3", {close(3)}},
      {"desk# short form", "Fixes desk#42", {close(42)}},
      {"in a sentence", "Sorting works again. This fixes acme/game#9 for good.", {close(9)}},
      {"a trailer line", "Rework the parser\n\nLonger text.\n\nCloses: desk#5\n", {close(5)}},
      {"in parentheses", "Handle empty saves (fixes acme/game#12)", {close(12)}},
      {"comma list", "Fixes acme/game#1, acme/game#2,acme/game#3", {close(1), close(2), close(3)}},
      {"and list", "Closes desk#7, desk#8 and desk#9", {close(7), close(8), close(9)}},
      {"comma and", "Fixes desk#7, and desk#8", {close(7), close(8)}},
      {"space list", "Fixes desk#7 desk#8", {close(7), close(8)}},
      {"issues word list", "Closes issues desk#1 and desk#2", {close(1), close(2)}},
      {"See: a mention", "See acme/game#42", {mention(42)}},
      {"bare mention", "acme/game#42 was about this", {mention(42)}},
      {"related", "Related to desk#4; fixes desk#5", {mention(4), close(5)}},
      {"list ends at a word", "Fixes desk#1 see desk#2", {close(1), mention(2)}},
      {"list ends at the line", "Fixes desk#1\ndesk#2 is next", {close(1), mention(2)}},
      {"closed and mentioned: closed", "See desk#3.\n\nFixes desk#3", {close(3)}},
      {"mentioned twice: once", "desk#3 and again desk#3", {mention(3)}},
      {"end of sentence", "This fixes desk#3.", {close(3)}},
      {"quoted", "Fixes \"desk#3\"", {mention(3)}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.label);
    CHECK(find_refs(c.text, kGame, 20, "acme/game") == c.want);
  }
}

TEST_CASE("desk fix refs: what must not match") {
  const Case cases[] = {
      {"glued letters", "Closes acme/game#42x", {}},
      {"glued digits and letters", "Fixes acme/game#4a2", {}},
      {"a URL's fragment", "Closes https://git.example.com/acme/game#42", {}},
      {"a path before it", "Fixes src/acme/game#42", {}},
      {"a web path", "see git.example.com/acme/game#42", {}},
      {"an address", "Fixes x@acme/game#42", {}},
      {"more after it", "Fixes acme/game#42/notes", {}},
      {"a decimal", "Fixes acme/game#42.5", {}},
      {"a forge's own number", "Fixes #42", {}},
      {"no number", "Fixes acme/game#", {}},
      {"number zero", "Fixes acme/game#0", {}},
      {"too long a number", "Fixes acme/game#12345678901", {}},
      {"another project", "Fixes other/project#42", {}},
      {"a word containing fixes", "Prefixes acme/game#2", {mention(2)}},
      {"closing word glued to it", "Fixesacme/game#2", {}},
      {"glued after a colon", "Fixes:acme/game#2", {}},
      {"a malformed path", "Fixes acme//game#2", {}},
      {"an upper-case path is the same project", "fixes Acme/Game#2", {close(2)}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.label);
    CHECK(find_refs(c.text, kGame, 20, "acme/game") == c.want);
  }
}

TEST_CASE("desk fix refs: desk#N only for a repository bound to one project; the limit") {
  // Bound to two projects: full references work, desk#N names nothing.
  CHECK(find_refs("Fixes desk#1, acme/web#2", kTwo, 20, "") ==
        std::vector<FixRef>{close(2, "acme/web")});
  CHECK(find_refs("Fixes acme/game#1 and acme/web#1", kTwo, 20, "") ==
        std::vector<FixRef>{close(1), close(1, "acme/web")});
  // A list goes on over a reference to a project it may not touch.
  CHECK(find_refs("Fixes other/x#1, acme/game#2", kGame, 20, "acme/game") ==
        std::vector<FixRef>{close(2)});
  // At most `limit` issues.
  CHECK(find_refs("Fixes desk#1, desk#2, desk#3", kGame, 2, "acme/game") ==
        std::vector<FixRef>{close(1), close(2)});
  // Long hostile input stays linear and finds nothing.
  std::string junk(200000, '#');
  CHECK(find_refs(junk, kGame, 20, "acme/game").empty());
  std::string digits = "Fixes " + std::string(100000, '1') + "#1";
  CHECK(find_refs(digits, kGame, 20, "acme/game").empty());
}
