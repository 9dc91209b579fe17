// conversation.cc: deskmail reply|note|close|reopen REF, through desk::Desk
// (which decides who is mailed what).
#include <algorithm>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/handlers.h"
#include "cli/json.h"
#include "cli/output.h"
#include "config/config.h"
#include "desk/desk.h"
#include "mail/message.h"

namespace cli::conversation {

namespace {

// The note's text from exactly one of -m TEXT, --file F and "-" (stdin),
// as valid UTF-8 without trailing line ends.
std::string note_text(const Args& a, const std::string& group) {
  std::string text;
  int sources = 0;
  if (auto m = a.get("message")) {
    text = *m;
    ++sources;
  }
  if (auto f = a.get("file")) {
    text = read_file(*f);
    ++sources;
  }
  if (std::find(a.pos.begin() + 1, a.pos.end(), "-") != a.pos.end()) {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
    ++sources;
  }
  if (sources != 1) throw UsageError(group + " needs exactly one of -m TEXT, --file F or -");
  text = mail::to_valid_utf8(text);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) throw UsageError("the text is empty");
  return text;
}

}  // namespace

int note(const Context& ctx) {
  const std::string group(ctx.command.group);
  const Args& a = ctx.args;
  if (a.pos.empty() || a.pos[0].empty()) throw UsageError(group + " needs a REF");
  const std::string& ref = a.pos[0];
  store::NoteIn note;
  note.body = note_text(a, group);
  note.author = acting_as(ctx.cfg, a);
  note.internal = group == "note";
  int n = ctx.desk->add_note(ref, note);
  if (a.json)
    ctx.out << json{{"ref", ref}, {"internal", note.internal}, {"mails_queued", n}}.dump() << "\n";
  else
    ctx.out << (note.internal ? "internal note added to " : "reply added to ") << ref << "; " << n
            << " mail(s) queued\n";
  return 0;
}

int state(const Context& ctx) {
  const std::string group(ctx.command.group);
  const Args& a = ctx.args;
  if (a.pos.empty() || a.pos[0].empty()) throw UsageError(group + " needs a REF");
  const std::string& ref = a.pos[0];
  bool close = group == "close";
  int n = ctx.desk->set_state(ref, close ? "closed" : "opened", acting_as(ctx.cfg, a));
  if (a.json)
    ctx.out << json{{"ref", ref}, {"changed", n >= 0}, {"mails_queued", std::max(n, 0)}}.dump()
            << "\n";
  else if (n < 0)
    ctx.out << ref << " already " << (close ? "closed" : "open") << "\n";
  else
    ctx.out << ref << (close ? " closed; " : " reopened; ") << n << " mail(s) queued\n";
  return 0;
}

}  // namespace cli::conversation
