// status.cc: the status table.
#include "delivery/status.h"

namespace delivery {

namespace {
struct Row {
  Status status;
  int code;
  const char* enhanced;
  const char* text;  // appended after "<rcpt> "
  const char* name;
};
constexpr Row kTable[] = {
    {Status::recipient_ok, 250, "2.1.5", "recipient ok", "ok"},
    {Status::no_such_recipient, 550, "5.1.1", "no such service desk address", "unknown"},
    {Status::bad_address, 550, "5.1.3", "bad recipient address syntax", "bad-address"},
    {Status::store_unavailable, 451, "4.3.0", "temporary failure, try again later", "tempfail"},
    {Status::created, 250, "2.0.0", "created", "created"},
    {Status::noted, 250, "2.0.0", "note added", "noted"},
    {Status::unsubscribed, 250, "2.0.0", "unsubscribed", "unsubscribed"},
    {Status::duplicate, 250, "2.0.0", "already delivered", "duplicate"},
    {Status::gone, 550, "5.1.1", "no longer exists", "gone"},
    {Status::quarantined, 250, "2.0.0", "quarantined as spam", "quarantined"},
    {Status::spam_rejected, 550, "5.7.1", "message refused as spam", "spam-rejected"},
    {Status::bad_structure, 554, "5.6.0", "message structure refused", "bad-structure"},
    {Status::too_many_hops, 554, "5.4.6", "too many hops, mail loop?", "loop"},
    {Status::own_mail, 250, "2.0.0", "dropped: our own mail came back", "own-mail"},
    {Status::bounce, 250, "2.0.0", "delivery failure recorded", "bounce"},
    {Status::rate_limited, 450, "4.7.1", "too many new requests from this sender, try later",
     "rate-limited"},
};
}  // namespace

lmtp::Reply reply_for(Status s, const std::string& rcpt, const std::string& detail) {
  for (const auto& r : kTable)
    if (r.status == s) {
      std::string text = "<" + rcpt + ">";
      if (!detail.empty()) text += " " + detail;
      text += std::string(" ") + r.text;
      return {r.code, r.enhanced, text};
    }
  return {451, "4.3.0", "<" + rcpt + "> internal error"};
}

const char* name_of(Status s) {
  for (const auto& r : kTable)
    if (r.status == s) return r.name;
  return "?";
}

}  // namespace delivery
