// form.h: the small pure pieces of HTTP the web desk needs beyond Beast:
// form bodies and query strings (Boost.URL), the fields and files of a
// multipart/form-data body another library parsed, cookies, the CSRF comparison,
// a safe Content-Disposition, the client's address behind trusted proxies.
// No I/O; unit-tested in tests/unit/web and fuzzed (tests/fuzz/fuzz_web.cc).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/form_data.h"

namespace web {

/// Fields of an application/x-www-form-urlencoded body or a query string,
/// percent- and '+'-decoded. A name given twice keeps every value, in order.
using Form = std::multimap<std::string, std::string>;

/// Parses `text`; nullopt when it is malformed (bad percent-escape), has
/// more than `max_fields` fields, or a name or value that is not UTF-8.
std::optional<Form> parse_form(std::string_view text, std::size_t max_fields = 100);

/// The text fields of a parsed multipart/form-data body as a Form (the
/// rules of parse_form: at most `max_fields`, names and values UTF-8
/// without NUL, else nullopt); its file parts are moved to `files`.
std::optional<Form> form_of_parts(std::vector<common::FormPart>& parts,
                                  std::vector<common::FormPart>& files,
                                  std::size_t max_fields = 100);

/// True when a Content-Type value names `type` ("multipart/form-data"),
/// whatever its case and parameters.
bool is_media_type(std::string_view content_type, std::string_view type);

/// The first value of `name`, or "".
std::string field(const Form& f, const std::string& name);

/// The value of cookie `name` in a Cookie header field, if present.
std::optional<std::string> cookie(std::string_view header, std::string_view name);

/// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure when asked;
/// Max-Age 0 deletes it.
std::string set_cookie(std::string_view name, std::string_view value, long long max_age,
                       bool secure);

/// Compares two tokens in time that depends only on their lengths; false
/// for an empty expected token.
bool same_token(std::string_view expected, std::string_view given);

/// Content-Disposition for a download: always "attachment", an ASCII
/// fallback name without quotes, slashes or controls, and the UTF-8 name
/// percent-encoded (RFC 6266, RFC 8187).
std::string content_disposition(std::string_view filename);

/// The client's address: `peer`, or when `peer` is one of `trusted` the
/// right-most address of X-Forwarded-For that is no trusted proxy.
std::string client_address(const std::string& peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted);

/// True when `peer` is in `trusted`.
bool is_trusted(const std::string& peer, const std::vector<std::string>& trusted);

/// A query string built from name=value pairs (values percent-encoded).
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace web
