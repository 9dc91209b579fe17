// load.h: what the unit tests ask of the config loader (config/config.h).
#pragma once

#include <string>

#include "config/config.h"

namespace unit {

/// The loader's error for the YAML `text` (named t.yaml), "" when it loads.
inline std::string config_error(const std::string& text) {
  try {
    config::load_string(text, "t.yaml");
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace unit
