// outbox.cc: the transactional outbox (DESIGN.md section 6): rows queued in
// the transaction that causes them, claimed, leased and marked by the
// dispatchers.
#include <algorithm>

#include "store/sql_repos.h"

namespace store {

void SqlOutbox::add(MailKind kind, std::int64_t issue_id, const std::string& recipient,
                    const OutMail& m, std::int64_t at) {
  std::string k = mail_kind_name(kind), rcpt = recipient;
  long long t = at, issue = issue_id;
  long long unsolicited = m.unsolicited ? 1 : 0;
  // 0: a mail about no issue (a web desk sign-in link).
  soci::indicator issue_ind = issue_id != 0 ? soci::i_ok : soci::i_null;
  std::string content = blob_value(db_.dialect, m.bytes), subject = clean_text(m.subject);
  db_.run(
      "INSERT INTO outbox (kind, issue_id, recipient, mail_from, subject, message_id, "
      "content, next_attempt_at, created_at, unsolicited) VALUES (:k, :i, :r, :f, :s, :m, " +
          blob_param(db_.dialect, "c") + ", :n, :t, :u)",
      soci::use(k), soci::use(issue, issue_ind), soci::use(rcpt), soci::use(m.mail_from),
      soci::use(subject), soci::use(m.message_id), soci::use(content), soci::use(t), soci::use(t),
      soci::use(unsolicited));
}

std::int64_t SqlOutbox::count_to(const std::string& recipient, MailKind kind,
                                 std::int64_t since_in) {
  long long since = since_in, n = 0;
  std::string e = recipient, k = mail_kind_name(kind);
  db_.run("SELECT count(*) FROM outbox WHERE recipient = :r AND kind = :k AND created_at > :s",
          soci::into(n), soci::use(e), soci::use(k), soci::use(since));
  return n;
}

std::int64_t SqlOutbox::count_unsolicited(std::int64_t since_in) {
  long long since = since_in, n = 0;
  db_.run("SELECT count(*) FROM outbox WHERE unsolicited = 1 AND created_at > :s", soci::into(n),
          soci::use(since));
  return n;
}

std::int64_t SqlOutbox::count_for(std::int64_t issue_id, MailKind kind) {
  long long issue = issue_id, n = 0;
  std::string k = mail_kind_name(kind);
  db_.run("SELECT count(*) FROM outbox WHERE issue_id = :i AND kind = :k", soci::into(n),
          soci::use(issue), soci::use(k));
  return n;
}

std::vector<OutboxItem> SqlOutbox::claim(int limit, std::int64_t lease_until,
                                         const std::string& owner) {
  std::vector<OutboxItem> out;
  long long t = now(), lim = limit, until = lease_until;
  std::string pending = "pending", who = owner;
  // PostgreSQL: rows another instance is claiming right now are skipped, not
  // waited for. The lease moves the row out of everyone's reach until the
  // send is over; the claim names its owner for release().
  std::string q =
      "UPDATE outbox SET next_attempt_at = :u, claimed_by = :o WHERE id IN (SELECT id "
      "FROM outbox WHERE state = :s AND next_attempt_at <= :t ORDER BY id LIMIT :l" +
      std::string(db_.dialect == Dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : "") +
      ") RETURNING id, kind, recipient, mail_from, subject, message_id, attempts, "
      "created_at, " +
      blob_column(db_.dialect, "content");
  OutboxItem o;
  long long id = 0, attempts = 0, created = 0;
  std::string content;
  db_.each(
      q,
      [&] {
        OutboxItem item = o;
        item.id = id;
        item.attempts = attempts;
        item.created_at = created;
        item.content = blob_bytes(db_.dialect, std::move(content));
        item.state = pending;
        out.push_back(std::move(item));
      },
      soci::use(until), soci::use(who), soci::use(pending), soci::use(t), soci::use(lim),
      soci::into(id), soci::into(o.kind), soci::into(o.recipient), soci::into(o.mail_from),
      soci::into(o.subject), soci::into(o.message_id), soci::into(attempts), soci::into(created),
      soci::into(content));
  std::sort(out.begin(), out.end(),
            [](const OutboxItem& a, const OutboxItem& b) { return a.id < b.id; });
  return out;
}

int SqlOutbox::release(const std::string& owner) {
  long long t = now(), n = 0;
  std::string who = owner, pending = "pending";
  db_.run(
      "SELECT count(*) FROM outbox WHERE state = :s AND claimed_by = :o AND next_attempt_at > :t",
      soci::into(n), soci::use(pending), soci::use(who), soci::use(t));
  db_.run(
      "UPDATE outbox SET next_attempt_at = :t, claimed_by = '' WHERE state = :s AND "
      "claimed_by = :o AND next_attempt_at > :t2",
      soci::use(t), soci::use(pending), soci::use(who), soci::use(t));
  return static_cast<int>(n);
}

void SqlOutbox::sent(std::int64_t id_in) {
  long long id = id_in, t = now();
  std::string sent = "sent", empty;
  db_.run(
      "UPDATE outbox SET state = :s, sent_at = :t, attempts = attempts + 1, last_error = :e, "
      "claimed_by = '' WHERE id = :i",
      soci::use(sent), soci::use(t), soci::use(empty), soci::use(id));
}

void SqlOutbox::failed(std::int64_t id_in, const std::string& error, bool permanent,
                       std::int64_t next_in) {
  long long id = id_in, next = next_in;
  std::string st = permanent ? "failed" : "pending", e = clean_text(error);
  db_.run(
      "UPDATE outbox SET state = :s, attempts = attempts + 1, last_error = :e, "
      "next_attempt_at = :n, claimed_by = '' WHERE id = :i",
      soci::use(st), soci::use(e), soci::use(next), soci::use(id));
}

std::vector<OutboxItem> SqlOutbox::list(const std::optional<std::string>& state) {
  std::vector<OutboxItem> out;
  std::string st = state.value_or("");
  std::string q =
      "SELECT id, kind, recipient, mail_from, subject, message_id, state, attempts, last_error, "
      "next_attempt_at, created_at, COALESCE(sent_at, 0) FROM outbox";
  if (state) q += " WHERE state = :s";
  q += " ORDER BY id";
  OutboxItem o;
  long long id = 0, attempts = 0, next = 0, created = 0, sent = 0;
  db_.st.each_bound(
      q,
      [&](soci::statement& s) {
        s.exchange(soci::into(id));
        s.exchange(soci::into(o.kind));
        s.exchange(soci::into(o.recipient));
        s.exchange(soci::into(o.mail_from));
        s.exchange(soci::into(o.subject));
        s.exchange(soci::into(o.message_id));
        s.exchange(soci::into(o.state));
        s.exchange(soci::into(attempts));
        s.exchange(soci::into(o.last_error));
        s.exchange(soci::into(next));
        s.exchange(soci::into(created));
        s.exchange(soci::into(sent));
        if (state) s.exchange(soci::use(st, "s"));
      },
      [&] {
        OutboxItem item = o;
        item.id = id;
        item.attempts = attempts;
        item.next_attempt_at = next;
        item.created_at = created;
        item.sent_at = sent;
        out.push_back(std::move(item));
      });
  return out;
}

bool SqlOutbox::retry(std::int64_t id_in) {
  long long id = id_in, t = now();
  int n = 0;
  db_.run("SELECT count(*) FROM outbox WHERE id = :i AND state <> 'sent'", soci::into(n),
          soci::use(id));
  if (!n) return false;
  std::string pending = "pending";
  db_.run("UPDATE outbox SET state = :s, next_attempt_at = :t WHERE id = :i", soci::use(pending),
          soci::use(t), soci::use(id));
  return true;
}

}  // namespace store
