// fuzz_web: the web desk's request and form parsing path. Any bytes are
// parsed as an HTTP/1.1 request by Beast under deskmail-web's limits, then
// its target (Boost.URL), query and form body (web::parse_form), cookies and
// a download name go through the helpers deskmail-web uses; a
// multipart/form-data body goes through mail::parse_form_data (GMime, as
// deskmail-web's main wires it) and web::form_of_parts. Properties: a
// parsed form holds no NUL; a Content-Disposition never holds CR, LF or a
// quote inside its quoted name; a cookie value never holds ';'; a refused
// multipart body has no parts; a file's display name holds no '/', '\' or
// control character; the parts' bytes together never exceed the body's.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mail/form_data.h"
#include "web/form.h"

namespace http = boost::beast::http;

namespace {

void check_form(std::string_view text) {
  auto f = web::parse_form(text);
  if (!f) return;
  for (const auto& [k, v] : *f)
    if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) std::abort();
}

void check_name(std::string_view name) {
  std::string d = web::content_disposition(name);
  if (d.find_first_of("\r\n") != std::string::npos) std::abort();
  auto open = d.find('"'), close = d.find('"', open + 1);
  if (open == std::string::npos || close == std::string::npos) std::abort();
  if (d.compare(close, 14, "\"; filename*=U") != 0) std::abort();
}

void check_multipart(std::string_view type, std::string_view body) {
  auto d = mail::parse_form_data(type, body, 200);
  if (!d.refused.empty() && !d.parts.empty()) std::abort();
  std::size_t total = 0;
  for (const auto& p : d.parts) {
    total += p.content.size();
    for (unsigned char c : p.filename)
      if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) std::abort();
  }
  if (total > body.size()) std::abort();
  std::vector<common::FormPart> files;
  if (auto f = web::form_of_parts(d.parts, files))
    for (const auto& [k, v] : *f)
      if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check_form(in);
  check_name(in);
  if (auto c = web::cookie(in, "dm_session"); c && c->find(';') != std::string::npos) std::abort();
  (void)web::client_address("10.0.0.1", in, {"10.0.0.1"});

  http::request_parser<http::string_body> parser;
  parser.header_limit(16384);
  parser.body_limit(65536);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(data, size), ec);
  (void)used;
  if (ec || !parser.is_header_done()) return 0;
  auto& req = parser.get();
  auto u = boost::urls::parse_origin_form(req.target());
  if (u) {
    std::string path = u->path();
    (void)path;
    check_form(u->encoded_query());
  }
  check_form(req.body());
  if (auto it = req.find(http::field::content_type);
      it != req.end() && web::is_media_type(it->value(), "multipart/form-data"))
    check_multipart(it->value(), req.body());
  if (auto it = req.find(http::field::cookie); it != req.end())
    (void)web::cookie(it->value(), "dm_pre");
  return 0;
}
