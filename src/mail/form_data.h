// form_data.h: multipart/form-data bodies (RFC 7578), the web desk's answer
// form with files, parsed by GMime into plain values (common/form_data.h).
// The web library knows no MIME: deskmail-web's main hands it this parser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/form_data.h"

namespace mail {

/// Parses `body` as multipart/form-data, given the request's Content-Type
/// value (which names the boundary). Never throws for bad input. Refused as
/// a whole (FormData::refused says why, no parts) when the type is not
/// multipart/form-data; when it has no boundary, or one that is not 1 to 70
/// of RFC 2046's characters (5.1.1); when the body has more than `max_parts` parts, is cut
/// short (no closing delimiter) or is otherwise malformed as GMime reads it;
/// when a part is no "form-data" field with a name (RFC 7578 4.2) or is
/// itself multipart. A file input with nothing chosen (a part with
/// filename="" and no bytes, as browsers send it) is left out.
common::FormData parse_form_data(std::string_view content_type, std::string_view body,
                                 std::size_t max_parts);

/// A file's display name from the name a browser sent: valid UTF-8, what
/// follows the last '/' or '\', control characters replaced by '_'.
std::string display_filename(std::string_view sent);

}  // namespace mail
