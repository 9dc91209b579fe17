// fuzz_address: the recipient address parser. Any bytes give a route or
// nothing; a route's keys are the lower-case tokens the store looks up.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "route/route.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  route::Base base{"desk", "support.example.com", '+'};
  auto r = route::parse(in, base);
  if (r) {
    for (unsigned char c : r->key)
      if (c >= 'A' && c <= 'Z') std::abort();
    if (r->key.size() > in.size()) std::abort();
  }
  auto c = route::canonical_address(in);
  if (c && c->find_first_of("\r\n") != std::string::npos) std::abort();
  (void)route::valid_project_key(in);
  return 0;
}
