// fuzz_search: the search index's text from any bytes (a mail's text, a
// query): folding, words, SQLite's text and PostgreSQL's vector stay valid
// UTF-8 and bounded; SQLite's text (each distinct word once) holds a query
// word exactly when the folded text does.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/search.h"
#include "store/values.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  std::string folded = store::search::fold(in);
  if (!store::is_clean_text(folded)) std::abort();
  for (const auto& w : store::search::words(folded))
    if (w.text.empty() || !store::is_clean_text(w.text)) std::abort();
  std::string t = store::search::sqlite_text(in);
  if (!store::is_clean_text(t)) std::abort();
  std::string v = store::search::pg_vector(in);
  if (!store::is_clean_text(v)) std::abort();
  // The query: the input's first half; the text: all of it, short enough
  // that nothing is cut (folding may double a text's length).
  if (size <= 8192) {
    for (const auto& w : store::search::query_words(in.substr(0, size / 2))) {
      if (w.cjk && w.chars == 2) continue;  // looked up as a pair (which skips marks)
      if ((t.find(w.text) != std::string::npos) != (folded.find(w.text) != std::string::npos))
        std::abort();
    }
  }
  for (const auto& w : store::search::query_words(in)) {
    (void)store::search::sqlite_term(w);
    (void)store::search::pg_query(w);
  }
  return 0;
}
