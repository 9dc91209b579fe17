// fuzz_config: the configuration loader. Any text gives a Config or a
// config::Error naming file:line:col; nothing else may escape.
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    config::Config c = config::load_string(text, "fuzz.yaml");
    (void)c.base_local();
    (void)c.base_domain();
  } catch (const config::Error&) {
  }
  return 0;
}
