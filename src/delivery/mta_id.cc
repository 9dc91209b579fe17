// mta_id.cc: the MTA's queue id from the topmost Received: field.
#include "delivery/mta_id.h"

#include <cctype>

namespace delivery {

namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

}  // namespace

std::string mta_queue_id(std::string_view v) {
  // The clauses before the ';' that starts the date (RFC 5321 4.4).
  auto semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(0, semi);
  int depth = 0;  // inside a comment "( ... )" the word "id" is not the clause
  for (std::size_t i = 0; i + 2 < v.size(); ++i) {
    char c = v[i];
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (depth > 0 || !(i == 0 || space(v[i - 1]))) continue;
    if ((v[i] != 'i' && v[i] != 'I') || (v[i + 1] != 'd' && v[i + 1] != 'D') || !space(v[i + 2]))
      continue;
    std::size_t j = i + 2;
    while (j < v.size() && space(v[j])) ++j;
    std::string id;
    while (j < v.size() && id_char(v[j]) && id.size() < 64) id += v[j++];
    if (j < v.size() && !space(v[j]) && !id.empty() && id_char(v[j])) return "";  // too long
    return id;
  }
  return "";
}

}  // namespace delivery
