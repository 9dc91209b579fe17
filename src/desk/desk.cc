// desk.cc: the desk's rules (see desk.h).
#include "desk/desk.h"

#include "route/route.h"

namespace desk {

bool valid_path(const std::string& p) {
  if (p.empty() || p.size() > 200 || p.front() == '/' || p.back() == '/') return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    auto slash = p.find('/', start);
    std::string seg =
        p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!route::valid_project_key(seg)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

Desk::Desk(store::Store& store, store::Composer* composer) : store_(store), composer_(composer) {}

store::Project Desk::add_project(const ProjectSpec& spec) {
  std::string p = route::lower(spec.path);
  if (!valid_path(p))
    throw Invalid("invalid project path '" + spec.path +
                  "': segments of [a-z0-9._-] separated by '/', like acme/game");
  std::string key = spec.key.empty() ? p : spec.key;
  for (auto& c : key)
    if (c == '/') c = '-';
  key = route::lower(key);
  if (!route::valid_project_key(key) || key.rfind("reply-", 0) == 0)
    throw Invalid("invalid project key '" + key + "' (a-z0-9._-, not starting with reply-)");
  std::vector<std::string> aliases;
  for (const auto& al : spec.aliases) {
    auto c = route::canonical_address(al);
    if (!c) throw Invalid("invalid alias address '" + al + "'");
    aliases.push_back(*c);
  }
  return store_.add_project(p, spec.name.empty() ? p : spec.name, key, aliases);
}

std::vector<store::Project> Desk::projects() { return store_.list_projects(); }

void Desk::set_project_flag(const std::string& path, const std::string& flag, bool on) {
  store_.set_project_flag(path, flag, on);
}

void Desk::add_member(const std::string& path, const std::string& email) {
  auto c = route::canonical_address(email);
  if (!c) throw Invalid("invalid address '" + email + "'");
  store_.add_member(path, *c);
}

bool Desk::remove_member(const std::string& path, const std::string& email) {
  auto c = route::canonical_address(email);
  if (!c) throw Invalid("invalid address '" + email + "'");
  return store_.remove_member(path, *c);
}

void Desk::set_template(const std::string& path, store::MailKind kind, const std::string& subject,
                        const std::string& body) {
  store_.set_template(path, kind, subject, body);
}

std::vector<store::IssueSummary> Desk::issues(const store::IssueFilter& filter) {
  return store_.list_issues(filter);
}

std::optional<store::IssueDetail> Desk::issue(const std::string& ref) {
  return store_.show_issue(ref);
}

int Desk::add_note(const std::string& ref, const store::NoteIn& note) {
  return store_.add_note(ref, note, composer_);
}

int Desk::set_state(const std::string& ref, const std::string& state) {
  return store_.set_state(ref, state, composer_);
}

int Desk::set_spam(const std::string& ref, bool spam) {
  return store_.set_spam(ref, spam, composer_);
}

store::Outcome Desk::deliver(const store::Target& target, const store::Inbound& in) {
  return store_.deliver(target, in, composer_);
}

}  // namespace desk
