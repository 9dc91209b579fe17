// form_data.cc: multipart/form-data with GMime (see form_data.h). The body
// is given a Content-Type header of its own and read by GMime's parser as
// one MIME part: the boundary scanning, header parsing and RFC 2231
// parameters are GMime's. The body is not copied (a view stream behind the
// header's, concatenated).
#include "mail/form_data.h"

#include <gmime/gmime.h>

#include <string>

#include "mail/gobject.h"
#include "mail/message.h"
#include "mail/view_stream.h"

namespace mail {

namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 5.1.1

// The first of GMime's findings that make the body unusable: a truncated
// or malformed multipart, or any critical one (conflicting parameters, a
// part without headers or content, nesting).
struct Findings {
  std::string first;
};

void on_warning(gint64, GMimeParserWarning code, const gchar*, gpointer user) {
  auto* f = static_cast<Findings*>(user);
  if (!f->first.empty()) return;
  switch (code) {
    case GMIME_WARN_TRUNCATED_MESSAGE:
      f->first = "the body is cut short (no closing delimiter)";
      break;
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_WARN_PART_WITHOUT_CONTENT:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      f->first = "malformed multipart body";
      break;
    default:
      break;  // duplicated or 8-bit header fields and the like: read as they are
  }
}

// RFC 2046 5.1.1's bchars: what a boundary may hold (a space, not last).
bool valid_boundary(const std::string& b) {
  if (b.empty() || b.size() > kMaxBoundary || b.back() == ' ') return false;
  for (unsigned char c : b)
    if (!g_ascii_isalnum(c) && std::string_view("'()+_,-./:=? ").find(c) == std::string_view::npos)
      return false;
  return true;
}

// Delimiter lines in `body` (an upper bound of the parts GMime would make).
std::size_t delimiters(std::string_view body, const std::string& boundary) {
  std::string d = "--" + boundary;
  std::size_t n = 0;
  for (auto at = body.find(d); at != std::string_view::npos; at = body.find(d, at + d.size()))
    if (at == 0 || body[at - 1] == '\n') ++n;
  return n;
}

// The part's bytes, its transfer encoding (deprecated by RFC 7578, still
// honoured) undone.
std::string content_of(GMimePart* part) {
  std::string out;
  GPtr<GMimeStream> s = decoding_stream(part);
  if (!s) return out;
  if (GMimeDataWrapper* w = g_mime_part_get_content(part))
    if (gint64 n = g_mime_stream_length(g_mime_data_wrapper_get_stream(w)); n > 0)
      out.reserve(static_cast<std::size_t>(n));
  char buf[65536];
  for (;;) {
    gssize n = g_mime_stream_read(s.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// One part as a field; "" or why it is refused.
std::string read_part(GMimeObject* obj, common::FormData& out) {
  if (!GMIME_IS_PART(obj)) return "a part is itself multipart";
  GMimeContentDisposition* d = g_mime_object_get_content_disposition(obj);
  const char* kind = d ? g_mime_content_disposition_get_disposition(d) : nullptr;
  if (!kind || g_ascii_strcasecmp(kind, "form-data") != 0) return "a part is no form-data field";
  const char* name = g_mime_content_disposition_get_parameter(d, "name");
  if (!name || !*name) return "a part has no name";
  const char* filename = g_mime_content_disposition_get_parameter(d, "filename");
  common::FormPart p;
  p.name = to_valid_utf8(name);
  p.is_file = filename != nullptr;
  if (filename) p.filename = display_filename(filename);
  p.content = content_of(GMIME_PART(obj));
  if (p.is_file && p.filename.empty() && p.content.empty()) return "";  // nothing chosen
  out.parts.push_back(std::move(p));
  return "";
}

// GMime's reading of a body as a multipart: a header of its own before a
// view of the body (no copy). The streams live as long as the parts read
// from them.
struct Reading {
  std::string header;
  GPtr<GMimeStream> head, rest, eol, whole;
  GPtr<GMimeParser> parser;
  GPtr<GMimeObject> top;
  Findings findings;

  Reading(const std::string& boundary, std::string_view body)
      : header("Content-Type: multipart/form-data; boundary=\"" + boundary + "\"\r\n\r\n"),
        head(g_mime_stream_mem_new_with_buffer(header.data(), header.size())),
        rest(view_stream_new(body.data(), body.size())),
        eol(g_mime_stream_mem_new_with_buffer("\r\n", 2)),
        whole(g_mime_stream_cat_new()) {
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), head.get());
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), rest.get());
    // A closing delimiter at the very end without its line break: GMime
    // would keep the last part's CR as content.
    if (!body.empty() && body.back() != '\n')
      g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), eol.get());
    GMimeParserOptions* opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, on_warning, &findings);
    parser.reset(g_mime_parser_new_with_stream(whole.get()));
    top.reset(g_mime_parser_construct_part(parser.get(), opts));
    g_mime_parser_options_free(opts);
  }
};

}  // namespace

std::string display_filename(std::string_view sent) {
  std::string v = to_valid_utf8(sent);
  auto sep = v.find_last_of("/\\");
  if (sep != std::string::npos) v.erase(0, sep + 1);
  for (auto& c : v)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  return v;
}

common::FormData parse_form_data(std::string_view content_type, std::string_view body,
                                 std::size_t max_parts) {
  init();
  common::FormData out;
  auto refuse = [&](std::string why) {
    out.parts.clear();
    out.refused = std::move(why);
    return out;
  };
  if (content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    return refuse("malformed Content-Type");
  const std::string type_value(content_type);
  GPtr<GMimeContentType> type(g_mime_content_type_parse(nullptr, type_value.c_str()));
  if (!type || !g_mime_content_type_is_type(type.get(), "multipart", "form-data"))
    return refuse("not multipart/form-data");
  const char* b = g_mime_content_type_get_parameter(type.get(), "boundary");
  std::string boundary = b ? b : "";
  if (!valid_boundary(boundary))
    return refuse(
        "no boundary in the Content-Type, or not one of 1 to 70 of RFC 2046's characters");
  if (delimiters(body, boundary) > max_parts + 1)
    return refuse("more than " + std::to_string(max_parts) + " parts");

  Reading r(boundary, body);
  if (!r.findings.first.empty()) return refuse(r.findings.first);
  if (!r.top || !GMIME_IS_MULTIPART(r.top.get())) return refuse("malformed multipart body");
  GMimeMultipart* mp = GMIME_MULTIPART(r.top.get());
  int n = g_mime_multipart_get_count(mp);
  if (n < 0 || static_cast<std::size_t>(n) > max_parts)
    return refuse("more than " + std::to_string(max_parts) + " parts");
  for (int i = 0; i < n; ++i)
    if (std::string why = read_part(g_mime_multipart_get_part(mp, i), out); !why.empty())
      return refuse(std::move(why));
  return out;
}

}  // namespace mail
