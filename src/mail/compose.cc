// compose.cc: outbound mail with GMime.
#include "mail/compose.h"

#include <gmime/gmime.h>

#include <memory>

#include "mail/gobject.h"

namespace mail {

namespace {

// A message id or address usable inside <...>: no spaces, brackets or controls.
std::string id_safe(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    if (c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != ',') out += static_cast<char>(c);
  return out.substr(0, 250);
}

}  // namespace

std::string header_safe(std::string_view s, std::size_t max) {
  std::string v = to_valid_utf8(s);
  std::string out;
  bool space = false;
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  if (out.size() > max) {
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;
    out.resize(n);
  }
  return out;
}

namespace {

// Text GMime encodes itself (subject, display names): whatever looks like
// the start of an encoded word is broken up first. Given a lone
// "=?utf-6?q?", GMime 3.2 folded the Subject into a line without leading
// white space, a header line of its own (found by fuzz_compose).
std::string phrase_safe(std::string_view s) {
  std::string v = header_safe(s), out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += v[i];
    if (v[i] == '=' && i + 1 < v.size() && v[i + 1] == '?') out += ' ';
  }
  return out;
}

// Every line of the header is a field ("Name: ...") or a continuation
// (leading white space), and the header ends with an empty line.
bool header_well_formed(const std::string& m) {
  std::size_t pos = 0;
  while (pos < m.size()) {
    auto end = m.find("\r\n", pos);
    if (end == std::string::npos) return false;
    if (end == pos) return true;
    char c = m[pos];
    if (c != ' ' && c != '\t') {
      auto colon = m.find(':', pos);
      if (colon == std::string::npos || colon >= end || colon == pos) return false;
      for (std::size_t i = pos; i < colon; ++i) {
        auto u = static_cast<unsigned char>(m[i]);
        if (u <= 0x20 || u >= 0x7f) return false;
      }
    }
    pos = end + 2;
  }
  return false;
}

std::string ascii_only(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

std::string compose_once(const Outgoing& o);

// One text part, quoted-printable UTF-8 (GMime keeps lines short).
GPtr<GMimeObject> text_part(const char* subtype, const std::string& text) {
  GMimeTextPart* part = g_mime_text_part_new_with_subtype(subtype);
  g_mime_text_part_set_text(part, text.c_str());
  g_mime_text_part_set_charset(part, "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  return GPtr<GMimeObject>(GMIME_OBJECT(part));
}

// One file, base64, as an attachment with its name (Content-Disposition
// filename and Content-Type name).
GPtr<GMimeObject> file_part(const OutFile& f) {
  std::string type =
      valid_content_type(f.content_type) ? f.content_type : std::string("application/octet-stream");
  auto slash = type.find('/');
  GMimePart* part =
      g_mime_part_new_with_type(type.substr(0, slash).c_str(), type.substr(slash + 1).c_str());
  GPtr<GMimeObject> owner(GMIME_OBJECT(part));
  std::string name = sanitize_filename(f.filename);
  if (name.empty()) name = "attachment";
  g_mime_part_set_filename(part, header_safe(name, 200).c_str());
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(
      reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size()));
  GPtr<GMimeDataWrapper> data(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, data.get());
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  // Text in UTF-8 says so: without a charset, readers take it as US-ASCII
  // (RFC 2045 5.2) and show its letters as question marks.
  if (type.rfind("text/", 0) == 0 && g_utf8_validate_len(f.bytes.data(), f.bytes.size(), nullptr))
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
  return owner;
}

GPtr<GMimeObject> multipart(const char* subtype) {
  return GPtr<GMimeObject>(GMIME_OBJECT(g_mime_multipart_new_with_subtype(subtype)));
}

// The body as compose.h's table says.
GPtr<GMimeObject> body_part(const Outgoing& o) {
  GPtr<GMimeObject> text = text_part("plain", lf_text(o.body));
  if (!o.html.empty()) {
    GPtr<GMimeObject> alt = multipart("alternative");
    g_mime_multipart_add(GMIME_MULTIPART(alt.get()), text.get());
    GPtr<GMimeObject> html = text_part("html", lf_text(o.html));
    g_mime_multipart_add(GMIME_MULTIPART(alt.get()), html.get());
    text = std::move(alt);
  }
  if (o.files.empty()) return text;
  GPtr<GMimeObject> mixed = multipart("mixed");
  g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), text.get());
  for (const auto& f : o.files) {
    GPtr<GMimeObject> part = file_part(f);
    g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), part.get());
  }
  return mixed;
}

}  // namespace

std::string compose(const Outgoing& o) {
  std::string m = compose_once(o);
  if (header_well_formed(m)) return m;
  // Defence in depth: should GMime still fold something into a broken
  // header, send plain ASCII words without display names instead.
  Outgoing plain = o;
  plain.subject = ascii_only(o.subject);
  plain.from.name.clear();
  plain.to.name.clear();
  return compose_once(plain);
}

namespace {

std::string compose_once(const Outgoing& o) {
  init();
  GPtr<GMimeMessage> msg(g_mime_message_new(TRUE));
  GMimeObject* obj = GMIME_OBJECT(msg.get());
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_FROM, phrase_safe(o.from.name).c_str(),
                             id_safe(o.from.email).c_str());
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_TO, phrase_safe(o.to.name).c_str(),
                             id_safe(o.to.email).c_str());
  if (!o.reply_to.empty())
    g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_REPLY_TO, nullptr,
                               id_safe(o.reply_to).c_str());
  g_mime_message_set_subject(msg.get(), phrase_safe(o.subject).c_str(), "utf-8");
  GDateTime* dt = g_date_time_new_from_unix_utc(o.date ? o.date : std::time(nullptr));
  g_mime_message_set_date(msg.get(), dt);
  g_date_time_unref(dt);
  g_mime_message_set_message_id(msg.get(), id_safe(o.message_id).c_str());
  if (!o.in_reply_to.empty())
    g_mime_object_set_header(obj, "In-Reply-To", ("<" + id_safe(o.in_reply_to) + ">").c_str(),
                             nullptr);
  if (!o.references.empty()) {
    std::string refs;
    for (const auto& r : o.references) {
      std::string id = id_safe(r);
      if (id.empty()) continue;
      refs += (refs.empty() ? "<" : " <") + id + ">";
    }
    if (!refs.empty()) g_mime_object_set_header(obj, "References", refs.c_str(), nullptr);
  }

  GPtr<GMimeObject> body = body_part(o);
  g_mime_message_set_mime_part(msg.get(), body.get());

  GMimeFormatOptions* fo = g_mime_format_options_clone(nullptr);
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  // File names: RFC 2231 (name*=utf-8''...) for those that need encoding.
  g_mime_format_options_set_param_encoding_method(fo, GMIME_PARAM_ENCODING_METHOD_RFC2231);
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_object_write_to_stream(obj, fo, mem.get());
  g_mime_format_options_free(fo);
  GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  // The extra headers are ours and ASCII (List-Unsubscribe, Auto-Submitted,
  // ...): written raw in front, because GMime would fold a long unstructured
  // value into encoded words, which List-Unsubscribe must not be.
  std::string head;
  for (const auto& [name, value] : o.headers) {
    std::string n, v = header_safe(value);
    for (unsigned char c : header_safe(name, 76))
      if (c > 0x20 && c < 0x7f && c != ':') n += static_cast<char>(c);
    if (n.empty()) continue;
    head += n + ": " + v + "\r\n";
  }
  return head + std::string(reinterpret_cast<const char*>(arr->data), arr->len);
}

}  // namespace

}  // namespace mail
