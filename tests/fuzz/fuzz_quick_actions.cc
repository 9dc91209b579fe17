// fuzz_quick_actions: the command lines of a member's reply (mail from
// strangers until proven). Any bytes give actions whose body is the end of
// the input, at most one problem per line plus the limits, and label names
// that are valid.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "desk/quick_actions.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  auto qa = desk::parse_quick_actions(in);
  if (qa.body.size() > in.size() || in.compare(in.size() - qa.body.size(), qa.body.size(), qa.body))
    std::abort();
  if (qa.problems.size() > desk::kMaxQuickActions + 3) std::abort();
  for (const auto* names : {&qa.label, &qa.unlabel})
    for (const auto& n : *names)
      if (!desk::valid_label(n)) std::abort();
  if (qa.assign && qa.assign->find_first_of("\r\n") != std::string::npos) std::abort();
  return 0;
}
