// spam.h: the spam verdict that the site's own filter wrote into the headers
// (DESIGN.md section 7): SpamAssassin, Rspamd and Exim's spam ACL. Only the
// instances the site's MTA added are trusted: by default the topmost of each
// field, because a filter prepends its fields above whatever the sender wrote.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/defaults.h"

namespace spam {

enum class Action { quarantine, reject, accept };
enum class Trust { topmost, all };

struct Policy {
  Action action = Action::quarantine;
  double threshold = common::defaults::spam_threshold;
  Trust trust = Trust::topmost;
  /// Fields to read (case-insensitive); empty: all known fields.
  std::vector<std::string> headers;
};

struct Verdict {
  bool spam = false;
  std::optional<double> score;
  std::string reason;  // which field decided, for the log and the issue
};

/// Known fields: X-Spam-Flag, X-Spam-Status, X-Spam-Score, X-Spam-Level,
/// X-Spam, X-Rspamd-Action, X-Spamd-Result, X-Spam-Bar.
const std::vector<std::string>& known_headers();

/// `headers`: the message's top-level fields in order, values unfolded.
Verdict assess(const std::vector<std::pair<std::string, std::string>>& headers, const Policy& p);

}  // namespace spam
