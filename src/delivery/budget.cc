// budget.cc: limits.store_per_message (budget.h).
#include "delivery/budget.h"

namespace delivery {

StoreBudget::StoreBudget(std::uint64_t limit, std::shared_ptr<const store::Inbound> in)
    : limit_(limit), in_(std::move(in)) {}

std::uint64_t StoreBudget::text_cost(const store::Inbound& in) {
  std::uint64_t n = in.title.size() + in.body.size();
  if (!in.full_body.empty() && in.full_body != in.body) n += in.full_body.size();
  return n;
}

// The first recipient pays for the attachments, in the order the message has
// them; one that does not fit beside the text stays in the raw message only.
void StoreBudget::trim_attachments() {
  std::uint64_t text = text_cost(*in_);
  std::uint64_t total = text;
  for (const auto& a : in_->attachments) total += a.bytes().size();
  if (limit_ == 0 || total <= limit_) {
    spent_ += total;
    return;
  }
  trimmed_ = std::make_shared<store::Inbound>(*in_);
  trimmed_->attachments.clear();
  spent_ += text;
  for (const auto& a : in_->attachments) {
    std::uint64_t n = a.bytes().size();
    if (spent_ + n <= limit_) {
      trimmed_->attachments.push_back(a);
      spent_ += n;
    } else {
      trimmed_->problems.push_back("attachment " + a.filename + " (" + std::to_string(n) +
                                   " bytes) not stored apart: limits.store_per_message; it is "
                                   "in the raw message");
    }
  }
}

void StoreBudget::make_stub() {
  const store::Inbound& from = trimmed_ ? *trimmed_ : *in_;
  stub_ = std::make_shared<store::Inbound>(from);
  stub_->body =
      "[The text of this message is not stored again here: together with its other "
      "recipients it passed limits.store_per_message. It is kept in the raw message.]";
  stub_->full_body.clear();
  stub_->problems.push_back("text not stored again: limits.store_per_message");
}

const store::Inbound& StoreBudget::next() {
  if (first_) {
    first_ = false;
    trim_attachments();
    return trimmed_ ? *trimmed_ : *in_;
  }
  const store::Inbound& base = trimmed_ ? *trimmed_ : *in_;
  std::uint64_t cost = text_cost(base);
  if (limit_ == 0 || spent_ + cost <= limit_) {
    spent_ += cost;
    return base;
  }
  if (!stub_) make_stub();
  spent_ += text_cost(*stub_);
  return *stub_;
}

}  // namespace delivery
