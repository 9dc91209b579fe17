// memory_outbox.h: the outbox repository over memory::State (memory_store.cc
// only): rows queued, claimed under a lease, sent, failed and retried.
#pragma once

#include <algorithm>

#include "memory_store.h"

namespace memory::detail {

class Outbox final : public store::OutboxRepo {
 public:
  explicit Outbox(State& s) : s_(s) {}
  OutboxRow* row(std::int64_t id) {
    auto it = std::find_if(s_.outbox.begin(), s_.outbox.end(),
                           [&](const OutboxRow& r) { return r.id == id; });
    return it == s_.outbox.end() ? nullptr : &*it;
  }
  void add(store::MailKind kind, std::int64_t issue_id, const std::string& recipient,
           const store::OutMail& mail, std::int64_t at) override {
    OutboxRow r;
    r.id = s_.next_id++;
    r.issue_id = issue_id;
    r.kind = store::mail_kind_name(kind);
    r.recipient = recipient;
    r.mail = mail;
    r.next_attempt_at = r.created_at = at;
    s_.outbox.push_back(r);
  }
  std::int64_t count_to(const std::string& recipient, store::MailKind kind,
                        std::int64_t since) override {
    std::int64_t n = 0;
    for (const auto& r : s_.outbox)
      n +=
          r.recipient == recipient && r.kind == store::mail_kind_name(kind) && r.created_at > since;
    return n;
  }
  std::int64_t count_unsolicited(std::int64_t since) override {
    std::int64_t n = 0;
    for (const auto& r : s_.outbox) n += r.mail.unsolicited && r.created_at > since;
    return n;
  }
  std::int64_t count_for(std::int64_t issue_id, store::MailKind kind) override {
    std::int64_t n = 0;
    for (const auto& r : s_.outbox)
      n += r.issue_id == issue_id && r.kind == store::mail_kind_name(kind);
    return n;
  }
  std::vector<store::OutboxItem> claim(int limit, std::int64_t lease_until,
                                       const std::string& owner) override {
    std::vector<store::OutboxItem> out;
    for (auto& r : s_.outbox) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (r.state != "pending" || r.next_attempt_at > s_.now) continue;
      r.next_attempt_at = lease_until;
      r.claimed_by = owner;
      out.push_back(item(r));
      out.back().content = r.mail.bytes;
    }
    return out;
  }
  int release(const std::string& owner) override {
    int n = 0;
    for (auto& r : s_.outbox)
      if (r.state == "pending" && r.claimed_by == owner && r.next_attempt_at > s_.now) {
        r.next_attempt_at = s_.now;
        r.claimed_by.clear();
        ++n;
      }
    return n;
  }
  void sent(std::int64_t id) override {
    auto* r = row(id);
    r->state = "sent";
    r->sent_at = s_.now;
    ++r->attempts;
    r->last_error.clear();
    r->claimed_by.clear();
  }
  void failed(std::int64_t id, const std::string& error, bool permanent,
              std::int64_t next) override {
    auto* r = row(id);
    r->state = permanent ? "failed" : "pending";
    ++r->attempts;
    r->last_error = error;
    r->next_attempt_at = next;
    r->claimed_by.clear();
  }
  std::vector<store::OutboxItem> list(const std::optional<std::string>& state) override {
    std::vector<store::OutboxItem> out;
    for (const auto& r : s_.outbox)
      if (!state || r.state == *state) out.push_back(item(r));
    return out;
  }
  bool retry(std::int64_t id) override {
    auto* r = row(id);
    if (!r || r->state == "sent") return false;
    r->state = "pending";
    r->next_attempt_at = s_.now;
    return true;
  }

 private:
  static store::OutboxItem item(const OutboxRow& r) {
    store::OutboxItem o;
    o.id = r.id;
    o.kind = r.kind;
    o.recipient = r.recipient;
    o.mail_from = r.mail.mail_from;
    o.subject = r.mail.subject;
    o.message_id = r.mail.message_id;
    o.state = r.state;
    o.last_error = r.last_error;
    o.attempts = r.attempts;
    o.next_attempt_at = r.next_attempt_at;
    o.created_at = r.created_at;
    o.sent_at = r.sent_at;
    return o;
  }
  State& s_;
};

}  // namespace memory::detail
