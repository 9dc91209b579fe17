// form_data.h: a multipart/form-data body (RFC 7578) as plain values: the
// web desk's answer form with files (issue 23). mail::parse_form_data
// fills it with GMime; web reads it without knowing MIME (deskmail-web's
// main hands the one to the other).
#pragma once

#include <string>
#include <vector>

namespace common {

/// One field of the form.
struct FormPart {
  std::string name;      // the field's name (Content-Disposition "name"), UTF-8
  bool is_file = false;  // it had a "filename" parameter: a file input
  /// A file's display name only: valid UTF-8, no path (what follows the last
  /// '/' or '\'), control characters replaced by '_'. "" when none was given.
  std::string filename;
  std::string content;  // the bytes as sent (a transfer encoding undone)
};

/// The parsed body, or why it was refused as a whole.
struct FormData {
  std::vector<FormPart> parts;  // in the order sent
  std::string refused;          // "" when parsed
};

}  // namespace common
