// parse.cc: MIME parsing with GMime 3. GMime decodes RFC 2047 words, RFC 2231
// parameters and transfer encodings; this file picks the body, collects the
// attachments and turns everything into UTF-8 values.
#include <gmime/gmime.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "common/ascii.h"
#include "common/spool.h"
#include "mail/gobject.h"
#include "mail/message.h"
#include "mail/rfc2047.h"
#include "mail/view_stream.h"

namespace mail {

namespace {

constexpr int kMaxDepth = 50;        // MIME nesting we walk; deeper parts are ignored
constexpr std::size_t kCcKept = 50;  // Cc mailboxes read (the desk takes at most 10)

std::string take_gchar(char* s) {
  if (!s) return {};
  std::string r = s;
  g_free(s);
  return r;
}

// The mailboxes of an address list in order, groups opened, at most `max`.
void mailboxes(InternetAddressList* list, std::size_t max, std::vector<Mailbox>& out) {
  if (!list) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && out.size() < max; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (!addr || !*addr) continue;
      Mailbox m;
      m.email = to_valid_utf8(addr);
      const char* name = internet_address_get_name(a);
      if (name) m.name = to_valid_utf8(name);
      // Names decoded from encoded words may carry CR/LF; never keep them.
      for (auto& c : m.name)
        if (c == '\r' || c == '\n' || c == '\t') c = ' ';
      out.push_back(std::move(m));
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), max, out);
    }
  }
}

// A header field's value as it was written (folded, encoded words and all);
// null when the message has no such field.
const char* raw_header(GMimeObject* o, const char* name) {
  GMimeHeaderList* hl = g_mime_object_get_header_list(o);
  GMimeHeader* h = hl ? g_mime_header_list_get_header(hl, name) : nullptr;
  return h ? g_mime_header_get_raw_value(h) : nullptr;
}

// The mailboxes of an address field (at most `max`), display names decoded
// with adjacent encoded words joined first (rfc2047.h).
std::vector<Mailbox> address_list(GMimeObject* o, const char* name, std::size_t max) {
  std::vector<Mailbox> out;
  const char* raw = raw_header(o, name);
  if (!raw) return out;
  std::string joined = join_encoded_words(raw);
  gchar* unfolded = g_mime_utils_header_unfold(joined.c_str());
  InternetAddressList* list = internet_address_list_parse(nullptr, unfolded ? unfolded : "");
  g_free(unfolded);
  mailboxes(list, max, out);
  if (list) g_object_unref(list);
  return out;
}

std::optional<Mailbox> address_field(GMimeObject* o, const char* name) {
  auto list = address_list(o, name, 1);
  if (list.empty()) return std::nullopt;
  return std::move(list.front());
}

// The transfer encoding decoded: at most `limit` bytes (`*cut` says there
// was more).
std::string decoded_content(GMimePart* part, std::size_t limit, bool* cut) {
  GPtr<GMimeStream> filtered = decoding_stream(part);
  if (!filtered) return {};
  std::string out;
  char buf[65536];
  while (out.size() <= limit) {
    gssize n = g_mime_stream_read(filtered.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (out.size() > limit) {
    out.resize(limit);
    if (cut) *cut = true;
  }
  return out;
}

// The part's content with its transfer encoding decoded, as an attachment:
// in memory, or past opts.spool_over and with a spool directory in a file of
// its own, mapped (the spool a large message arrives in; a 25 MB attachment
// decoded into memory cost its size and a doubling buffer).
void decode_attachment(GMimePart* part, const ParseOptions& opts, Attachment& a) {
  common::Spool spool(opts.spool_dir.empty() ? 0 : opts.spool_over, opts.spool_dir);
  if (GPtr<GMimeStream> filtered = decoding_stream(part)) {
    char buf[65536];
    for (;;) {
      gssize n = g_mime_stream_read(filtered.get(), buf, sizeof buf);
      if (n <= 0) break;
      spool.append(std::string_view(buf, static_cast<std::size_t>(n)));
    }
  }
  if (!spool.spooled() && !spool.failed()) {
    a.content = spool.take();
    a.sha256 = sha256_hex(a.content);
    return;
  }
  a.spooled = spool.take_bytes();
  if (!a.spooled) throw std::runtime_error("cannot spool a large attachment in " + opts.spool_dir);
  a.sha256 = sha256_hex(a.spooled->view(), a.spooled.get());
}

// Notes that the message's text was cut at `limit` bytes (once per message).
void note_cut(Message& msg, std::size_t limit) {
  std::string line = "text longer than " +
                     (limit >= (std::size_t{1} << 20) && limit % (std::size_t{1} << 20) == 0
                          ? std::to_string(limit >> 20) + " MiB"
                          : std::to_string(limit) + " bytes") +
                     " cut there; the whole message is kept as received";
  for (const auto& p : msg.problems)
    if (p == line) return;
  msg.problems.push_back(line);
}

// Removes a UTF-8 sequence that a cut left incomplete at the end of `v`.
void drop_partial_utf8(std::string& v) {
  std::size_t n = v.size(), back = 0;
  while (back < 4 && back < n && (static_cast<unsigned char>(v[n - 1 - back]) & 0xC0) == 0x80)
    ++back;
  if (back == n) return;
  unsigned char lead = static_cast<unsigned char>(v[n - 1 - back]);
  std::size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (want > back + 1) v.resize(n - 1 - back);
}

// `v` cut to at most `n` bytes, at a character boundary (valid UTF-8 in).
void cut_utf8(std::string& v, std::size_t n) {
  if (v.size() <= n) return;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  v.resize(n);
}

std::string text_of(GMimePart* part, Message& msg, std::size_t limit, std::size_t cap) {
  // Decode the transfer encoding, then convert from the declared charset.
  // Working on bytes (not g_mime_text_part_get_text's C string) keeps text
  // after a NUL; an unknown charset is read as UTF-8 and repaired. At most
  // `limit`, what is left of the message's text allowance (`cap`): a 25 MB
  // text body cost ten times its size in copies (decoded, converted,
  // repaired, trimmed, stored, quoted in mail), and 22 text parts of 1 MiB
  // each made a 22 MB description.
  bool cut = false;
  std::string bytes = decoded_content(part, limit, &cut);
  const char* cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  if (cut) {
    note_cut(msg, cap);
    if (!cs || !*cs || common::iequals(cs, "utf-8")) drop_partial_utf8(bytes);
  }
  std::string converted;
  bool done = false;
  if (cs && *cs && !common::iequals(cs, "utf-8") && !common::iequals(cs, "us-ascii")) {
    const char* name = g_mime_charset_iconv_name(cs);
    gsize out_len = 0;
    GError* err = nullptr;
    gchar* out = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", name, nullptr,
                           &out_len, &err);
    if (out) {
      converted.assign(out, out_len);
      g_free(out);
      done = true;
    } else {
      msg.problems.push_back(std::string("charset '") + to_valid_utf8(cs) +
                             "' could not be converted: " +
                             (err ? to_valid_utf8(err->message) : std::string("unknown error")));
      if (err) g_error_free(err);
    }
  }
  if (!done) converted = std::move(bytes);
  std::string v = to_valid_utf8(converted);
  if (v != converted) msg.problems.push_back("invalid UTF-8 or NUL in text repaired");
  if (v.size() > limit) {  // a charset conversion can make it longer
    cut_utf8(v, limit);
    note_cut(msg, cap);
  }
  return v;
}

std::string extension_for(const std::string& type) {
  static const struct {
    const char* t;
    const char* e;
  } map[] = {{"image/png", ".png"},       {"image/jpeg", ".jpg"}, {"image/gif", ".gif"},
             {"application/pdf", ".pdf"}, {"text/plain", ".txt"}, {"text/html", ".html"},
             {"message/rfc822", ".eml"}};
  for (const auto& m : map)
    if (type == m.t) return m.e;
  return ".bin";
}

struct Walker {
  Message& msg;
  const ParseOptions& opts;
  std::string plain, html;
  bool have_plain = false, have_html = false;
  int parts = 0;
  std::size_t text_left = opts.text_limit;  // of the message's text allowance

  // The next text part, within what is left of the allowance.
  std::string next_text(GMimePart* part) {
    if (text_left == 0) {
      note_cut(msg, opts.text_limit);
      return {};
    }
    std::string t = text_of(part, msg, text_left, opts.text_limit);
    text_left -= std::min(text_left, t.size());
    return t;
  }

  Attachment named(const std::string& sent, const std::string& type) const {
    Attachment a;
    a.filename_sent = to_valid_utf8(sent);
    a.filename = sanitize_filename(
        sent.empty() ? "part-" + std::to_string(parts) + extension_for(type) : sent);
    a.content_type = type;
    return a;
  }

  void add_attachment(const std::string& sent, const std::string& type, std::string content) {
    Attachment a = named(sent, type);
    a.sha256 = sha256_hex(content);
    a.content = std::move(content);
    msg.attachments.push_back(std::move(a));
  }

  void walk(GMimeObject* obj, int depth) {
    if (!obj) return;
    ++parts;
    if (depth > kMaxDepth) {
      msg.problems.push_back("MIME nesting deeper than " + std::to_string(kMaxDepth) + " ignored");
      return;
    }
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    std::string type = ct ? take_gchar(g_mime_content_type_get_mime_type(ct)) : "text/plain";
    common::lower_in_place(type);

    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      int n = g_mime_multipart_get_count(mp);
      if (type == "multipart/alternative") {
        // Walk all alternatives: the plain one wins over the html one below.
      }
      for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), depth + 1);
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      // An attached message: kept whole as an .eml attachment.
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      std::string bytes;
      if (inner) {
        GPtr<GMimeStream> mem(g_mime_stream_mem_new());
        g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
        GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
        bytes.assign(reinterpret_cast<const char*>(arr->data), arr->len);
      }
      const char* fn = g_mime_object_get_content_disposition_parameter(obj, "filename");
      add_attachment(fn ? fn : "message.eml", "message/rfc822", std::move(bytes));
      return;
    }
    if (!GMIME_IS_PART(obj)) return;
    GMimePart* part = GMIME_PART(obj);
    const char* fn = g_mime_part_get_filename(part);
    // Text is the customer's words unless it is explicitly an attachment
    // (Python's email.get_body() decides the same way); other types are
    // attachments when they say so or carry a file name.
    bool is_attachment = g_mime_part_is_attachment(part) || (!GMIME_IS_TEXT_PART(obj) && fn && *fn);
    if (!is_attachment && GMIME_IS_TEXT_PART(obj)) {
      if (type == "text/html") {
        if (!have_html) {
          // Kept only when there is no plain text: not charged to it.
          html = text_of(part, msg, opts.text_limit, opts.text_limit);
          have_html = true;
          return;
        }
      } else if (type == "text/plain" || type == "text/enriched" || type == "text/markdown") {
        if (!have_plain) {
          plain = next_text(part);
          have_plain = true;
          return;
        }
        // A second inline text part (e.g. a signature or a forwarded text)
        // is part of what the customer wrote: append it.
        if (text_left <= 2) {  // the blank line between parts counts too
          note_cut(msg, opts.text_limit);
          return;
        }
        text_left -= 2;
        std::string more = next_text(part);
        if (!more.empty()) plain += "\n\n" + more;
        return;
      }
    }
    Attachment a = named(fn ? fn : "", type);
    decode_attachment(part, opts, a);
    msg.attachments.push_back(std::move(a));
  }
};

std::string strip_brackets(const char* s) {
  if (!s) return {};
  std::string v = s;
  while (!v.empty() && (v.front() == ' ' || v.front() == '<')) v.erase(0, 1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '>')) v.pop_back();
  return to_valid_utf8(v);
}

// The hash that stands in for a missing Message-ID when deduplicating: it
// covers what follows the header block, so a retry with rewritten trace
// headers still matches.
std::string body_hash(std::string_view raw, const common::Bytes* owner) {
  std::size_t hdr_end = raw.find("\r\n\r\n");
  std::size_t skip = 4;
  if (hdr_end == std::string_view::npos) {
    hdr_end = raw.find("\n\n");
    skip = 2;
  }
  if (owner) owner->release(owner->size());  // the finds may have read it all
  return sha256_hex(hdr_end == std::string_view::npos ? raw : raw.substr(hdr_end + skip), owner);
}

Message parse_impl(std::string_view raw, const common::Bytes* owner, const ParseOptions& opts);

}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

Message parse(std::string_view raw) {
  return parse_impl(raw, nullptr, ParseOptions{});
}

Message parse(const common::Bytes& raw, const ParseOptions& opts) {
  return parse_impl(raw.view(), &raw, opts);
}

namespace {

Message parse_impl(std::string_view raw, const common::Bytes* owner, const ParseOptions& opts) {
  init();
  Message msg;
  // A header block that runs into the body without an empty line (RFC 5322
  // 2.1 says there must be one): the first line that is neither a field nor
  // a continuation starts the body, as in Python's email parser.
  std::string fixed;
  std::string_view input = raw;
  {
    std::size_t pos = 0;
    while (pos < raw.size()) {
      auto nl = raw.find('\n', pos);
      std::size_t end = nl == std::string_view::npos ? raw.size() : nl + 1;
      std::string_view line = raw.substr(pos, end - pos);
      std::string_view c = line;
      while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.remove_suffix(1);
      if (c.empty()) break;
      bool continuation = c.front() == ' ' || c.front() == '\t';
      auto colon = c.find(':');
      bool field = colon != std::string_view::npos && colon > 0 &&
                   c.substr(0, colon).find_first_of(" \t") == std::string_view::npos;
      if (!continuation && !field && pos > 0 && c.rfind("From ", 0) != 0) {
        fixed.reserve(raw.size() + 2);
        fixed.append(raw.substr(0, pos));
        fixed.append("\r\n");
        fixed.append(raw.substr(pos));
        input = fixed;
        owner = nullptr;  // GMime reads the copy; the hashes below still read `raw`
        msg.problems.push_back("no empty line after the header block");
        break;
      }
      pos = end;
    }
  }
  const common::Bytes* hash_owner = input.data() == raw.data() ? owner : nullptr;
  GPtr<GMimeStream> stream(view_stream_new(input.data(), input.size(), owner));  // no copy
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GPtr<GMimeMessage> m(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!m) {
    msg.body_sha256 = body_hash(raw, hash_owner);
    msg.problems.push_back("not a parseable message; stored as raw text");
    std::string_view text = raw;
    if (text.size() > opts.text_limit) {
      text = text.substr(0, opts.text_limit);
      note_cut(msg, opts.text_limit);
    }
    msg.text = to_valid_utf8(text);
    return msg;
  }
  GMimeObject* top = GMIME_OBJECT(m.get());
  // Subject and names from the raw fields: GMime alone loses the text of a
  // character split across encoded words (rfc2047.h).
  if (const char* s = raw_header(top, "Subject")) msg.subject = decode_header_text(s);
  msg.from = address_field(top, "From");
  msg.reply_to = address_field(top, "Reply-To");
  msg.cc = address_list(top, "Cc", kCcKept);
  if (!msg.from) msg.problems.push_back("no usable From address");
  msg.message_id = strip_brackets(g_mime_message_get_message_id(m.get()));
  if (msg.message_id.empty()) msg.body_sha256 = body_hash(raw, hash_owner);
  if (msg.message_id.empty()) msg.problems.push_back("no Message-ID");
  msg.in_reply_to = strip_brackets(g_mime_object_get_header(top, "In-Reply-To"));
  if (const char* refs = g_mime_object_get_header(top, "References")) {
    GMimeReferences* r = g_mime_references_parse(nullptr, refs);
    if (r) {
      int n = g_mime_references_length(r);
      for (int i = 0; i < n && i < 100; ++i)
        msg.references.push_back(to_valid_utf8(g_mime_references_get_message_id(r, i)));
      g_mime_references_free(r);
    }
  }

  // RFC 3834: mail a program sent must never be answered automatically.
  auto header = [&](const char* name) -> std::string {
    const char* v = g_mime_object_get_header(top, name);
    std::string r = v ? v : "";
    common::lower_in_place(r);
    auto b = r.find_first_not_of(" \t");
    return b == std::string::npos ? "" : r.substr(b);
  };
  std::string auto_submitted = header("Auto-Submitted");
  std::string precedence = header("Precedence");
  if ((!auto_submitted.empty() && auto_submitted.rfind("no", 0) != 0) ||
      precedence.rfind("bulk", 0) == 0 || precedence.rfind("junk", 0) == 0 ||
      precedence.rfind("list", 0) == 0 || g_mime_object_get_header(top, "X-Autoreply") ||
      g_mime_object_get_header(top, "X-Autorespond") ||
      g_mime_object_get_header(top, "X-Auto-Response-Suppress") ||
      g_mime_object_get_header(top, "List-Id"))
    msg.automated = true;

  Walker w{msg, opts, {}, {}};
  w.walk(g_mime_message_get_mime_part(m.get()), 0);
  if (w.have_plain) {
    msg.text = w.plain;
  } else if (w.have_html) {
    msg.text = html_to_text(w.html);
    msg.text_from_html = true;
  }
  // Normalize line endings of the stored text to LF: CRLF and a lone CR
  // become LF. Copied in runs between CRs (a byte at a time was 3 % of the
  // CPU for 100 KiB messages); text without CR is not copied at all.
  std::string_view src = msg.text;
  if (src.find('\r') != std::string_view::npos) {
    std::string t;
    t.reserve(src.size());
    std::size_t p = 0;
    for (;;) {
      auto r = src.find('\r', p);
      if (r == std::string_view::npos) {
        t.append(src.substr(p));
        break;
      }
      t.append(src.substr(p, r - p));
      if (r + 1 >= src.size() || src[r + 1] != '\n') t += '\n';  // CRLF: its LF follows
      p = r + 1;
    }
    msg.text = std::move(t);
  }
  while (!msg.text.empty() && (msg.text.back() == '\n' || msg.text.back() == ' '))
    msg.text.pop_back();
  return msg;
}

}  // namespace

}  // namespace mail
