// participants.cc: responders adding and removing an issue's participants
// (deskmail issue participant add|remove; desk.h).
#include "common/ascii.h"
#include "desk/conversation.h"
#include "desk/desk.h"
#include "desk/mailer.h"

namespace desk {

namespace {

// An address a responder may add: one '@', something on each side, no
// white space or control characters, no angle brackets.
bool plausible_address(const std::string& e) {
  auto at = e.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= e.size() || e.find('@', at + 1) != e.npos)
    return false;
  if (e.size() > 254) return false;
  for (unsigned char c : e)
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return false;
  return true;
}

}  // namespace

bool Desk::add_participant(const std::string& ref, const std::string& email) {
  if (!plausible_address(email)) throw Invalid("not a mail address: " + email);
  std::string domain = email.substr(email.find('@') + 1);
  if (!own_domain_.empty() && common::iequals(domain, own_domain_))
    throw Invalid(email + " is the desk's own address");
  return store_.transact([&](store::Tx& tx) {
    std::int64_t id = issue_id_of(tx, ref);
    store::IssueRow issue = tx.issues().get(id);
    for (const auto& m : tx.projects().members(issue.project.id))
      if (same_address(m, email))
        throw Invalid(email + " is a member of " + issue.project.path + ": members get mail as members");
    if (tx.addresses().alias(email)) throw Invalid(email + " is the desk's own address");
    if (tx.participants().find(id, email)) return false;
    tx.participants().add(id, {0, email, "", store::random_key()}, "cc", now_());
    return true;
  });
}

bool Desk::remove_participant(const std::string& ref, const std::string& email) {
  return store_.transact([&](store::Tx& tx) {
    auto p = tx.participants().find(issue_id_of(tx, ref), email);
    if (!p) return false;
    tx.participants().unsubscribe(*p);
    return true;
  });
}

}  // namespace desk
