// status.h: every delivery outcome and the one reply it maps to (the single
// status table; compare Postfix's cleanup_stat_map[]).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lmtp/reply.h"

namespace delivery {

enum class Status {
  recipient_ok,       // RCPT accepted
  no_such_recipient,  // unknown project, reply key, alias or domain
  bad_address,        // not an address at all
  store_unavailable,  // database down, locked past the wait, or failed
  created,            // new issue committed
  noted,              // reply committed as a note
  unsubscribed,       // participant unsubscribed
  duplicate,          // already delivered earlier: nothing new stored
  gone,               // target vanished between RCPT and DATA
  quarantined,        // stored, flagged spam: hidden, never answered
  spam_rejected,      // spam.action reject
  bad_structure,      // a structural limit (header size/count, nesting, parts, line)
  too_many_hops,      // more than limits.received Received: fields
  own_mail,           // our own mail came back: dropped, nothing stored
  bounce,             // a DSN to a reply address: participant marked bouncing
  rate_limited,       // too many new issues from this sender: try later
};
/// How many statuses there are (the last one's value + 1).
inline constexpr std::size_t kStatusCount = static_cast<std::size_t>(Status::rate_limited) + 1;

/// The reply for a status; `rcpt` and `detail` fill in the text. Every
/// status has its row (a missing one fails the build); a value outside the
/// enum gets 451 4.3.0 "internal error".
lmtp::Reply reply_for(Status s, const std::string& rcpt, const std::string& detail = "");

/// The same status for every recipient, in order (one answer for all: a
/// message refused before the store, or a store that failed them all).
std::vector<lmtp::Reply> reply_to_all(Status s, const std::vector<std::string>& rcpts);

/// Short name for the log ("created", "tempfail", ...; "internal" outside the enum).
const char* name_of(Status s);

/// The result a delivery counts as (deskmail-web(8), METRICS): "issue",
/// "reply", "unsubscribe", "bounce", "duplicate", "quarantined", "dropped",
/// "refused" (5xx), "deferred" (4xx); "accepted" for an accepted RCPT.
const char* result_of(Status s);

}  // namespace delivery
