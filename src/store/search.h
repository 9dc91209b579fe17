// search.h: the text of the full-text search index, the same for both
// stores: folding, the words of a text, and what each store indexes and
// asks for (issue 20). Pure functions over UTF-8 (GLib's Unicode tables).
//
// Folding: compatibility decomposition (full-width letters, ligatures),
// accents dropped from Latin, Greek and Cyrillic letters ("é" -> "e",
// "ё" -> "е"; Japanese voiced marks are kept), case folded. Words: runs of
// letters and digits; a run of Chinese or Japanese characters (Han,
// Hiragana, Katakana) is one word, indexed as its overlapping character
// pairs, so that a two-character word is found inside a longer run.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace store::search {

/// Only the first this many bytes of a folded text are indexed.
inline constexpr std::size_t kMaxIndexedBytes = 64 * 1024;
/// A query of more words than this is refused (the desk says so).
inline constexpr std::size_t kMaxQueryWords = 8;

/// `text` folded (see above). Invalid UTF-8 is repaired first.
std::string fold(std::string_view text);

/// One word of a folded text.
struct Word {
  std::string text;
  std::size_t chars = 0;  // Unicode characters
  bool cjk = false;       // a run of Chinese or Japanese characters
};
/// The words of folded text, in order.
std::vector<Word> words(std::string_view folded);

/// SQLite: the text stored in the trigram index for `doc` (folded, at most
/// kMaxIndexedBytes, then each pair of adjacent CJK characters followed by
/// U+E000, which makes a two-character word a three-character string).
std::string sqlite_text(std::string_view doc);

/// How SQLite looks one query word up: a LIKE pattern over the index's
/// text, which the trigram index answers when it has three characters or
/// more (a CJK pair with its marker has), else by reading every row.
struct SqliteTerm {
  bool indexed = false;
  std::string pattern;  // %...%: words hold no % or _
};
SqliteTerm sqlite_term(const Word& w);

/// PostgreSQL: `doc`'s words as a tsvector literal with positions: words as
/// they are, CJK runs as their overlapping pairs and last character.
std::string pg_vector(std::string_view doc);
/// The tsquery literal for one query word: a word's prefix ('w':*), a CJK
/// run's pairs in a row ('ab' <-> 'bc'), a single CJK character's prefix.
std::string pg_query(const Word& w);

/// The words of a query, folded; at most kMaxQueryWords are used.
std::vector<Word> query_words(std::string_view query);

}  // namespace store::search
