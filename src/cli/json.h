// json.h: the store's records as deskmail's --json output shows them. The
// field names are an interface: scripts and the system tests read them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "notify/notify.h"
#include "store/store.h"

namespace cli {

using json = nlohmann::json;

json issue_json(const store::IssueSummary& s);
/// The summary's fields plus description, notes, attachments, participants
/// (each with the reply address built from `s`).
json issue_detail_json(const store::IssueDetail& d, const notify::Settings& s);
/// `address` is the project's new-issue address (desk+KEY@domain).
json project_json(const store::Project& p, const std::string& address);
json outbox_json(const store::OutboxItem& o);
json label_json(const store::Label& l);

}  // namespace cli
