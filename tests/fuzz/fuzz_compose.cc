// fuzz_compose: the outbound composer with arbitrary titles, names, notes,
// addresses, templates and references, and the same input once more as a
// confirmation (mail::write_plain, the template writer) and through
// mail::write_plain directly with arbitrary addresses and extra fields. Whatever a customer or
// responder wrote, the result must be exactly one well-formed message: CRLF lines of at most 998
// octets, header fields only from the set the composer writes for well-behaved input, each once,
// and a body.
//
// Answers (issue 23): the first byte's bit 3 makes the note Markdown, with
// an HTML part that never carries an active tag the note wrote; bit 4
// attaches a file whose name, type and bytes are fuzzed, and that file comes
// back whole from deskmail's own parser (its SHA-256), with its parts'
// headers held to the same line rules.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/ascii.h"
#include "mail/compose.h"
#include "mail/confirmation_writer.h"
#include "mail/markdown.h"
#include "mail/message.h"
#include "notify/notify.h"

namespace {

[[noreturn]] void fail(const char* why, const std::string& m) {
  std::fprintf(stderr, "fuzz_compose: %s in:\n%s\n", why, m.c_str());
  std::abort();
}

std::map<std::string, int> header_names(const std::string& m) {
  std::map<std::string, int> names;
  std::size_t pos = 0;
  bool ended = false;
  while (pos < m.size()) {
    auto end = m.find("\r\n", pos);
    if (end == std::string::npos) fail("a line not ended by CRLF", m);
    std::string line = m.substr(pos, end - pos);
    if (line.find_first_of("\r\n") != std::string::npos) fail("a bare CR or LF", m);
    if (line.size() > 998) fail("a line over 998 octets", m);
    pos = end + 2;
    if (ended) continue;
    if (line.empty()) {
      ended = true;
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // folded
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) fail("a header line without a name", m);
    std::string name = line.substr(0, colon);
    for (unsigned char c : name)
      if (c <= 0x20 || c >= 0x7f) fail("a header name with a bad octet", m);
    common::lower_in_place(name);
    ++names[name];
  }
  if (!ended) fail("no end of header", m);
  return names;
}

notify::Composer& composer() {
  static bool init = (mail::init(), true);
  (void)init;
  static notify::Composer c({"desk", "support.example.com", "Support"});
  return c;
}

store::MailContext benign(store::MailKind kind) {
  store::MailContext c;
  c.kind = kind;
  c.project_path = "acme/game";
  c.project_name = "Game";
  c.iid = 7;
  c.issue_title = "Printer jams";
  c.issue_description = "It jams.";
  c.issue_state = "opened";
  c.note_text = "Try paper.";
  c.note_author = "agent@acme.example";
  c.to_email = "customer@example.org";
  c.to_name = "Customer";
  c.reply_key = "0123456789abcdef0123456789abcdef";
  c.references = {"a@x", "b@y"};
  return c;
}

const std::set<std::string>& allowed() {
  static std::set<std::string> names = [] {
    std::set<std::string> s;
    for (auto k : {store::MailKind::thank_you, store::MailKind::new_note, store::MailKind::closed,
                   store::MailKind::reopened, store::MailKind::member_new_issue,
                   store::MailKind::member_note})
      for (const auto& [n, count] : header_names(composer().compose(benign(k)).bytes)) s.insert(n);
    return s;
  }();
  return names;
}

// The note's HTML, which the text/html part carries between escaped
// template text: no tag that would run or fetch anything.
void check_html(const std::string& note, const std::string& m) {
  std::string html = mail::markdown_to_html(note);
  common::lower_in_place(html);
  for (const char* tag : {"<script", "<iframe", "<style", "<object", "<embed", "<form", "<svg",
                          "<input", "<textarea", "<base", "<meta", "<link"})
    if (html.find(tag) != std::string::npos) fail(("an active tag " + std::string(tag)).c_str(), m);
}

void check_file(const store::AttachmentIn& f, const std::string& m) {
  mail::Message parsed = mail::parse(std::string_view(m));
  if (parsed.attachments.size() != 1) fail("not exactly one attachment", m);
  if (parsed.attachments[0].sha256 != f.sha256) fail("the file's bytes changed", m);
  if (f.filename.empty() || f.filename.find_first_of("/\r\n") != std::string::npos)
    fail("an unsafe file name", f.filename);
}

}  // namespace

void check(const store::OutMail& m);
void write_plain_directly(const std::vector<std::string>& f);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // Fields separated by NUL bytes, in this order.
  std::vector<std::string> f(14);
  std::size_t i = 0;
  for (std::size_t k = 1; k < size; ++k) {
    if (data[k] == 0 && i + 1 < f.size())
      ++i;
    else
      f[i] += static_cast<char>(data[k]);
  }
  store::MailContext c = benign(static_cast<store::MailKind>(data[0] % 6));
  c.note_markdown = (data[0] & 0x08) != 0;
  std::vector<store::AttachmentIn> files;
  if ((data[0] & 0x10) && c.kind == store::MailKind::new_note) {  // files go with answers only
    store::AttachmentIn a;
    a.filename_sent = f[11];
    a.content_type = f[12];
    a.content = f[13];
    composer().describe(a);
    files.push_back(std::move(a));
    c.files = files;
  }
  c.issue_title = f[0];
  c.issue_description = f[1];
  c.note_text = f[2];
  c.note_author = f[3];
  c.to_email = f[4].empty() ? c.to_email : f[4];
  c.to_name = f[5];
  c.project_name = f[6];
  c.template_subject = f[7];
  c.template_body = f[8];
  c.references = {f[9]};
  c.project_path = f[10].empty() ? c.project_path : f[10];
  store::OutMail m = composer().compose(c);
  check(m);
  if (c.note_markdown) check_html(f[2], m.bytes);
  if (!files.empty()) check_file(files[0], m.bytes);
  c.kind = store::MailKind::thank_you;  // the template writer
  check(composer().compose(c));
  write_plain_directly(f);
  return 0;
}

// One composed mail: well-formed, only allowed fields, each once.
void check(const store::OutMail& m) {
  auto names = header_names(m.bytes);
  for (const auto& [n, count] : names) {
    if (!allowed().count(n)) fail(("an injected field " + n).c_str(), m.bytes);
    if (count != 1) fail(("a field twice: " + n).c_str(), m.bytes);
  }
  for (const char* must : {"from", "to", "subject", "date", "message-id"})
    if (!names.count(must)) fail(must, m.bytes);
  if (m.message_id.empty() || m.message_id.find_first_of("<>\r\n ") != std::string::npos)
    fail("a bad Message-ID", m.message_id);
}

// The writer on its own: addresses, Reply-To, references and an extra field
// from the input. Whatever they hold, one well-formed message with each of
// the writer's fields once, and nothing but them.
void write_plain_directly(const std::vector<std::string>& f) {
  mail::Outgoing o;
  o.from = {f[5], f[4].empty() ? "desk@support.example.com" : f[4]};
  o.to = {f[3], f[10].empty() ? "customer@example.org" : f[10]};
  o.reply_to = f[6];
  o.subject = f[0];
  o.body = f[2];
  o.message_id = f[1].empty() ? "id@x" : f[1];
  o.in_reply_to = f[9];
  o.references = {f[9], f[7]};
  o.headers = {{"Auto-Submitted", "auto-replied"}, {"X-Deskmail-Ticket", f[8]}};
  o.date = 1700000000;
  std::string m = mail::write_plain(o);
  static const std::set<std::string> writer = {"auto-submitted",
                                               "x-deskmail-ticket",
                                               "from",
                                               "to",
                                               "reply-to",
                                               "subject",
                                               "date",
                                               "message-id",
                                               "in-reply-to",
                                               "references",
                                               "mime-version",
                                               "content-type",
                                               "content-transfer-encoding"};
  for (const auto& [n, count] : header_names(m)) {
    if (!writer.count(n)) fail(("an injected field " + n).c_str(), m);
    if (count != 1) fail(("a field twice: " + n).c_str(), m);
  }
}
