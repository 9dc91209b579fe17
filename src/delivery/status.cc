// status.cc: the status table.
#include "delivery/status.h"

#include <iterator>
#include <string_view>

namespace delivery {

namespace {
struct Row {
  Status status;
  int code;
  const char* enhanced;
  const char* text;  // appended after "<rcpt> "
  const char* name;
  const char* result;  // the deliveries counter's result label (deskmail-web(8), METRICS)
};
constexpr Row kTable[] = {
    {Status::recipient_ok, 250, "2.1.5", "recipient ok", "ok", "accepted"},
    {Status::no_such_recipient, 550, "5.1.1", "no such service desk address", "unknown", "refused"},
    {Status::bad_address, 550, "5.1.3", "bad recipient address syntax", "bad-address", "refused"},
    {Status::store_unavailable, 451, "4.3.0", "temporary failure, try again later", "tempfail",
     "deferred"},
    {Status::created, 250, "2.0.0", "created", "created", "issue"},
    {Status::noted, 250, "2.0.0", "note added", "noted", "reply"},
    {Status::unsubscribed, 250, "2.0.0", "unsubscribed", "unsubscribed", "unsubscribe"},
    {Status::duplicate, 250, "2.0.0", "already delivered", "duplicate", "duplicate"},
    {Status::gone, 550, "5.1.1", "no longer exists", "gone", "refused"},
    {Status::quarantined, 250, "2.0.0", "quarantined as spam", "quarantined", "quarantined"},
    {Status::spam_rejected, 550, "5.7.1", "message refused as spam", "spam-rejected", "refused"},
    {Status::bad_structure, 554, "5.6.0", "message structure refused", "bad-structure", "refused"},
    {Status::too_many_hops, 554, "5.4.6", "too many hops, mail loop?", "loop", "refused"},
    {Status::own_mail, 250, "2.0.0", "dropped: our own mail came back", "own-mail", "dropped"},
    {Status::bounce, 250, "2.0.0", "delivery failure recorded", "bounce", "bounce"},
    {Status::rate_limited, 450, "4.7.1", "too many new requests from this sender, try later",
     "rate-limited", "deferred"},
};

// Every status has its row, in the order of the enum: checked when this
// file compiles, so a status added without a row is a build error.
constexpr bool table_complete() {
  int i = 0;
  for (const auto& r : kTable)
    if (static_cast<int>(r.status) != i++) return false;
  return i == static_cast<int>(kStatusCount);
}
static_assert(table_complete(), "every delivery::Status needs its row in kTable, in enum order");

// A 5xx counts as refused, a 4xx as deferred, and nothing else does.
constexpr bool results_match_codes() {
  for (const auto& r : kTable) {
    std::string_view res = r.result;
    if ((r.code >= 500) != (res == "refused")) return false;
    if ((r.code >= 400 && r.code < 500) != (res == "deferred")) return false;
  }
  return true;
}
static_assert(results_match_codes(), "a row's result must be refused for 5xx, deferred for 4xx");

// What a value outside the enum (a cast from a bad integer) gets: a
// temporary failure, never a 250, so the MTA keeps the mail.
constexpr Row kUnknown = {Status::store_unavailable, 451,        "4.3.0",
                          "internal error",          "internal", "deferred"};

const Row& row_of(Status s) {
  auto i = static_cast<std::size_t>(s);
  return i < std::size(kTable) ? kTable[i] : kUnknown;
}
}  // namespace

lmtp::Reply reply_for(Status s, const std::string& rcpt, const std::string& detail) {
  const Row& r = row_of(s);
  std::string text = "<" + rcpt + ">";
  if (!detail.empty()) text += " " + detail;
  text += std::string(" ") + r.text;
  return {r.code, r.enhanced, text};
}

std::vector<lmtp::Reply> reply_to_all(Status s, const std::vector<std::string>& rcpts) {
  std::vector<lmtp::Reply> out;
  out.reserve(rcpts.size());
  for (const auto& rcpt : rcpts) out.push_back(reply_for(s, rcpt));
  return out;
}

const char* name_of(Status s) {
  return row_of(s).name;
}

const char* result_of(Status s) {
  return row_of(s).result;
}

}  // namespace delivery
