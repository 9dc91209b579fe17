// conversation.cc: deskmail reply|note|close|reopen REF, through desk::Desk
// (which decides who is mailed what).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
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

// Each file of --attach, read whole: a refusal (missing, unreadable, a
// directory or other non-file, over the desk's limit) names the file and
// happens before anything is stored. The desk checks the limits again.
std::vector<store::AttachmentIn> read_files(const std::vector<std::string>& paths,
                                            const desk::FileLimits& lim) {
  std::vector<store::AttachmentIn> files;
  std::uint64_t total = 0, max = lim.bytes();
  for (const auto& path : paths) {
    auto refuse = [&](const std::string& why) {
      return std::runtime_error("cannot attach " + path + ": " + why);
    };
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw refuse(std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw refuse("is a directory");
    if (!S_ISREG(st.st_mode)) throw refuse("not a regular file");
    total += static_cast<std::uint64_t>(st.st_size);
    if (total > max)
      throw refuse("the files come to " + std::to_string(total) + " bytes, over the limit of " +
                   std::to_string(max) +
                   " (limits.store_per_message, and limits.message_size once encoded)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw refuse(std::strerror(errno));
    store::AttachmentIn a;
    a.filename_sent = path.substr(path.find_last_of('/') + 1);
    a.content.resize(static_cast<std::size_t>(st.st_size));
    in.read(a.content.data(), static_cast<std::streamsize>(a.content.size()));
    if (in.gcount() != static_cast<std::streamsize>(a.content.size()) || in.peek() != EOF)
      throw refuse("it changed while being read");
    files.push_back(std::move(a));
  }
  return files;
}

// Words after REF other than "-": a second file given to one --attach.
void no_stray_words(const Args& a) {
  for (std::size_t i = 1; i < a.pos.size(); ++i)
    if (a.pos[i] != "-")
      throw UsageError("unexpected argument '" + a.pos[i] + "' (each file needs its own --attach)");
}

}  // namespace

int note(const Context& ctx) {
  const std::string group(ctx.command.group);
  const Args& a = ctx.args;
  if (a.pos.empty() || a.pos[0].empty()) throw UsageError(group + " needs a REF");
  const std::string& ref = a.pos[0];
  no_stray_words(a);
  store::NoteIn note;
  note.body = note_text(a, group);
  note.attachments = read_files(a.all("attach"), ctx.desk->file_limits());
  note.author = acting_as(ctx.cfg, a);
  note.internal = group == "note";
  int n = ctx.desk->add_note(ref, note);
  if (a.json)
    ctx.out << json{{"ref", ref},
                    {"internal", note.internal},
                    {"files", note.attachments.size()},
                    {"mails_queued", n}}
                   .dump()
            << "\n";
  else
    ctx.out << (note.internal ? "internal note added to " : "reply added to ") << ref
            << (note.attachments.empty()
                    ? ""
                    : " with " + std::to_string(note.attachments.size()) + " file(s)")
            << "; " << n << " mail(s) queued\n";
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
