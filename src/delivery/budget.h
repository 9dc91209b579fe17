// budget.h: what one message may add to the database across all its
// recipients (limits.store_per_message, issue 18).
//
// A message is stored once (raw_message, by its SHA-256) and its attachments
// once (attachment_content), whatever the number of recipients; what grows
// with them is its text, kept again in each issue or note. The budget counts
// the attachments once and the text once per recipient. A recipient whose
// copy no longer fits gets the same delivery with a short stub instead of the
// text, and a problem line; an attachment that does not fit at all is left in
// the raw message. Nothing is refused: the message is accepted whole.
#pragma once

#include <cstdint>
#include <memory>

#include "store/values.h"

namespace delivery {

class StoreBudget {
 public:
  /// `limit` 0: no limit.
  StoreBudget(std::uint64_t limit, std::shared_ptr<const store::Inbound> in);

  /// The Inbound for the next recipient, and its cost charged.
  const store::Inbound& next();

  /// Bytes charged so far (text per recipient, attachments once).
  std::uint64_t spent() const { return spent_; }

  /// The cost of one copy of the message's text.
  static std::uint64_t text_cost(const store::Inbound& in);

 private:
  void trim_attachments();
  void make_stub();

  std::uint64_t limit_;
  std::uint64_t spent_ = 0;
  std::shared_ptr<const store::Inbound> in_;
  std::shared_ptr<store::Inbound> trimmed_;  // attachments that fit (first recipient)
  std::shared_ptr<store::Inbound> stub_;     // the text not kept again
  bool first_ = true;
};

}  // namespace delivery
