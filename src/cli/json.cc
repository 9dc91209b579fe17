// json.cc: the store's records as --json output (see json.h).
#include "cli/json.h"

namespace cli {

json issue_json(const store::IssueSummary& s) {
  return json{{"ref", s.ref},
              {"project", s.project},
              {"iid", s.iid},
              {"title", s.title},
              {"state", s.state},
              {"author", s.author},
              {"spam", s.spam},
              {"created_at", s.created_at},
              {"updated_at", s.updated_at},
              {"assignee", s.assignee.empty() ? json(nullptr) : json(s.assignee)},
              {"labels", s.labels}};
}

json issue_detail_json(const store::IssueDetail& d, const notify::Settings& s) {
  json j = issue_json(d.summary);
  j["description"] = d.description;
  j["problems"] = d.problems;
  j["notes"] = json::array();
  for (const auto& n : d.notes)
    j["notes"].push_back(json{{"author_kind", n.author_kind},
                              {"author", n.author},
                              {"body", n.body},
                              {"full_body", n.full_body},
                              {"spam", n.spam},
                              {"internal", n.internal},
                              {"verified", n.verified},
                              {"problems", n.problems},
                              {"created_at", n.created_at}});
  j["attachments"] = json::array();
  for (const auto& at : d.attachments)
    j["attachments"].push_back(json{{"filename", at.filename},
                                    {"content_type", at.content_type},
                                    {"size", at.size},
                                    {"sha256", at.sha256}});
  j["participants"] = json::array();
  for (const auto& p : d.participants)
    j["participants"].push_back(json{{"email", p.email},
                                     {"reply_address", notify::reply_address(s, p.reply_key)},
                                     {"subscribed", p.subscribed},
                                     {"bouncing", p.bouncing},
                                     {"role", p.role}});
  return j;
}

json project_json(const store::Project& p, const std::string& address) {
  return json{{"path", p.path},
              {"name", p.name},
              {"key", p.key},
              {"address", address},
              {"aliases", p.aliases},
              {"enabled", p.enabled},
              {"confirmation", p.confirmation},
              {"notify_members", p.notify_members},
              {"reopen_on_reply", p.reopen_on_reply},
              {"cc_participants", p.cc_participants},
              {"disclose_fixes", p.disclose_fixes},
              {"members", p.members},
              {"notify_off", p.muted},
              {"issues", p.issues}};
}

json outbox_json(const store::OutboxItem& o) {
  return json{{"id", o.id},
              {"to", o.recipient},
              {"subject", o.subject},
              {"kind", o.kind},
              {"state", o.state},
              {"attempts", o.attempts},
              {"last_error", o.last_error},
              {"message_id", o.message_id},
              {"created_at", o.created_at},
              {"next_attempt_at", o.next_attempt_at}};
}

json label_json(const store::Label& l) {
  return json{{"name", l.name}, {"colour", l.colour}};
}

}  // namespace cli
