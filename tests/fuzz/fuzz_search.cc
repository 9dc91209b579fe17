// fuzz_search: the search index's text from any bytes (a mail's text, a
// query): folding, words, SQLite's text and PostgreSQL's vector stay valid
// UTF-8 and bounded.
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
  for (const auto& w : store::search::query_words(in)) {
    (void)store::search::sqlite_term(w);
    (void)store::search::pg_query(w);
  }
  return 0;
}
