// confirmation_writer.cc: outbound text mail by a fixed template writer.
#include "mail/confirmation_writer.h"

#include <gmime/gmime.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "mail/message.h"

namespace mail {

namespace {

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// An address or message id usable inside <...>, as compose() makes it.
std::string angle_safe(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    if (c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != ',') out += static_cast<char>(c);
  return out.substr(0, 250);
}

// header_safe, and whatever looks like the start of an encoded word broken
// up, so that a decoder shows the text as it was written.
std::string text_safe(std::string_view s) {
  std::string v = header_safe(s), out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += v[i];
    if (v[i] == '=' && i + 1 < v.size() && v[i + 1] == '?') out += ' ';
  }
  return out;
}

std::string gmime_encoded(const std::string& v, bool phrase) {
  char* e = phrase ? g_mime_utils_header_encode_phrase(nullptr, v.c_str(), "utf-8")
                   : g_mime_utils_header_encode_text(nullptr, v.c_str(), "utf-8");
  std::string out = e ? e : "";
  g_free(e);
  // GMime folds nothing here, but never let a line break through.
  return header_safe(out, 4000);
}

// RFC 5322 3.2.3: a display name of atext and spaces as it is, other
// printable ASCII as a quoted-string, anything else as encoded words.
std::string phrase(std::string_view name) {
  std::string v = text_safe(name);
  if (v.empty()) return v;
  if (!printable_ascii(v)) return gmime_encoded(v, true);
  constexpr std::string_view atext = "!#$%&'*+-/=?^_`{|}~ ";
  bool atom = true;
  for (unsigned char c : v)
    if (!std::isalnum(c) && atext.find(static_cast<char>(c)) == std::string_view::npos)
      atom = false;
  if (atom) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + '"';
}

std::string mailbox(const Mailbox& m) {
  std::string p = phrase(m.name), a = angle_safe(m.email);
  return p.empty() ? a : p + " <" + a + ">";
}

// "Name: value", folded at spaces before a line passes 78 octets. Every
// word is at most 900 octets (header_safe), so no line passes 998.
void field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ':';
  std::size_t line = name.size() + 1;
  std::size_t pos = 0;
  while (pos < value.size()) {
    auto sp = value.find(' ', pos);
    if (sp == std::string_view::npos) sp = value.size();
    std::string_view word = value.substr(pos, sp - pos);
    pos = sp + 1;
    if (word.empty()) continue;
    if (line > name.size() + 1 && line + 1 + word.size() > 78) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += word;
    line += 1 + word.size();
  }
  out += "\r\n";
}

std::string rfc5322_date(std::time_t t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// RFC 2045 6.7: quoted-printable over LF-separated lines, CRLF out, soft
// line breaks keep every line at most 76 octets.
void quoted_printable(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::size_t len = 0;
    for (std::size_t i = pos; i < nl; ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      bool last = i + 1 == nl;
      bool plain = (c >= 0x21 && c <= 0x7e && c != '=') || ((c == ' ' || c == '\t') && !last);
      std::size_t w = plain ? 1 : 3;
      if (len + w > 75) {
        out += "=\r\n";
        len = 0;
      }
      if (plain) {
        out += static_cast<char>(c);
      } else {
        out += '=';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
      len += w;
    }
    out += "\r\n";
    pos = nl + 1;
  }
}

}  // namespace

std::string write_plain(const Outgoing& o) {
  for (const std::string* a : {&o.from.email, &o.to.email, &o.reply_to})
    if (!printable_ascii(*a)) return compose(o);
  if (angle_safe(o.from.email).empty() || angle_safe(o.to.email).empty()) return compose(o);
  std::string m;
  m.reserve(1024 + o.body.size() * 11 / 10);
  // Our own fields (List-Unsubscribe, Auto-Submitted ...) as compose() writes them.
  for (const auto& [name, value] : o.headers) {
    std::string n;
    for (unsigned char c : header_safe(name, 76))
      if (c > 0x20 && c < 0x7f && c != ':') n += static_cast<char>(c);
    if (n.empty()) continue;
    m += n + ": " + header_safe(value) + "\r\n";
  }
  field(m, "From", mailbox(o.from));
  field(m, "To", mailbox(o.to));
  if (!angle_safe(o.reply_to).empty()) field(m, "Reply-To", angle_safe(o.reply_to));
  std::string subject = text_safe(o.subject);
  field(m, "Subject", printable_ascii(subject) ? subject : gmime_encoded(subject, false));
  field(m, "Date", rfc5322_date(o.date ? o.date : std::time(nullptr)));
  field(m, "Message-ID", "<" + angle_safe(o.message_id) + ">");
  if (!angle_safe(o.in_reply_to).empty())
    field(m, "In-Reply-To", "<" + angle_safe(o.in_reply_to) + ">");
  std::string refs;
  for (const auto& r : o.references) {
    std::string id = angle_safe(r);
    if (!id.empty()) refs += (refs.empty() ? "<" : " <") + id + ">";
  }
  if (!refs.empty()) field(m, "References", refs);
  m += "MIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n"
       "\r\n";
  quoted_printable(m, lf_text(o.body));
  return m;
}

}  // namespace mail
