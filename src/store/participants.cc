// participants.cc: participants, notes, and the dedupe keys of deliveries.
#include "store/search_index.h"
#include "store/sql_repos.h"

namespace store {

std::int64_t SqlParticipants::add(std::int64_t issue_id, const Participant& p,
                                  const std::string& role_in, std::int64_t at) {
  long long issue = issue_id, t = at, id = 0;
  std::string role = role_in;
  db_.run(
      "INSERT INTO participant (issue_id, email, name, role, reply_key, created_at) "
      "VALUES (:i, :e, :n, :r, :k, :t) RETURNING id",
      soci::use(issue), soci::use(p.email), soci::use(p.name), soci::use(role),
      soci::use(p.reply_key), soci::use(t), soci::into(id));
  return id;
}

Participant SqlParticipants::ensure(std::int64_t issue_id, const Participant& in,
                                    const std::string& role_in, std::int64_t at) {
  long long issue = issue_id, t = at;
  std::string e = in.email, role = role_in, name = in.name, key = in.reply_key;
  db_.run(
      "INSERT INTO participant (issue_id, email, name, role, reply_key, created_at) VALUES "
      "(:i, :e, :n, :r, :k, :t) ON CONFLICT (issue_id, email) DO NOTHING",
      soci::use(issue), soci::use(e), soci::use(name), soci::use(role), soci::use(key),
      soci::use(t));
  Participant p;
  long long id = 0;
  db_.run("SELECT id, email, name, reply_key FROM participant WHERE issue_id = :i AND email = :e",
          soci::into(id), soci::into(p.email), soci::into(p.name), soci::into(p.reply_key),
          soci::use(issue), soci::use(e));
  p.id = id;
  return p;
}

std::optional<std::int64_t> SqlParticipants::find(std::int64_t issue_id, const std::string& email) {
  long long issue = issue_id, id = 0;
  std::string e = email;
  db_.run("SELECT id FROM participant WHERE issue_id = :i AND email = :e", soci::into(id),
          soci::use(issue), soci::use(e));
  if (!db_.got_data()) return std::nullopt;
  return id;
}

std::optional<std::pair<Participant, std::string>> SqlParticipants::get(std::int64_t id_in) {
  long long id = id_in;
  Participant p;
  std::string role;
  db_.run("SELECT email, name, reply_key, role FROM participant WHERE id = :p", soci::into(p.email),
          soci::into(p.name), soci::into(p.reply_key), soci::into(role), soci::use(id));
  if (!db_.got_data()) return std::nullopt;
  p.id = id;
  return std::make_pair(p, role);
}

std::vector<Participant> SqlParticipants::subscribed(std::int64_t issue_id,
                                                     const std::string& role) {
  std::vector<Participant> out;
  long long issue = issue_id, id = 0;
  std::string r = role;
  Participant p;
  db_.each(
      "SELECT id, email, name, reply_key FROM participant WHERE issue_id = :i "
      "AND role = :r AND subscribed = 1 ORDER BY id",
      [&] {
        p.id = id;
        out.push_back(p);
      },
      soci::into(id), soci::into(p.email), soci::into(p.name), soci::into(p.reply_key),
      soci::use(issue), soci::use(r));
  return out;
}

void SqlParticipants::unsubscribe(std::int64_t id) {
  long long part = id;
  db_.run("UPDATE participant SET subscribed = 0 WHERE id = :p", soci::use(part));
}

void SqlParticipants::bounced(std::int64_t id) {
  long long part = id;
  db_.run("UPDATE participant SET bouncing = 1, bounces = bounces + 1 WHERE id = :p",
          soci::use(part));
}

std::int64_t SqlNotes::add(const NewNote& n) {
  long long issue = n.issue_id, part = n.participant_id, raw_id = n.raw_message_id,
            t = n.created_at, internal = n.internal ? 1 : 0, spam = n.spam ? 1 : 0,
            verified = n.verified ? 1 : 0, id = 0;
  soci::indicator part_ind = part ? soci::i_ok : soci::i_null;
  soci::indicator raw_ind = raw_id ? soci::i_ok : soci::i_null;
  // The text before reply trimming, only when it differs: stored once
  // otherwise (issue 18); the readers take body for an empty full_body.
  const std::string none;
  const std::string& full = n.full_body == n.body ? none : n.full_body;
  db_.run(
      "INSERT INTO note (issue_id, author_kind, author, participant_id, body, full_body, "
      "internal, message_id, raw_message_id, problems, created_at, spam, verified) VALUES (:i, :k, :a, "
      ":p, :b, :f, :in, :m, :r, :pr, :t, :spam, :v) RETURNING id",
      soci::use(issue), soci::use(n.author_kind), soci::use(n.author), soci::use(part, part_ind),
      soci::use(n.body), soci::use(full), soci::use(internal), soci::use(n.message_id),
      soci::use(raw_id, raw_ind), soci::use(n.problems), soci::use(t), soci::use(spam),
      soci::use(verified), soci::into(id));
  if (!n.system) index_text(db_, n.issue_id, n.body);
  return id;
}

bool SqlDedupe::claim(const std::string& scope_in, const std::string& key, std::int64_t at) {
  // A second instance inserting the same key waits on it until this
  // transaction ends, then finds it.
  std::string scope = scope_in, dkey = key, pending_ref;
  long long t = at, claimed = 0;
  soci::indicator claimed_ind = soci::i_null;
  db_.run(
      "INSERT INTO dedupe (scope, dkey, ref, created_at) VALUES (:s, :k, :r, :t) "
      "ON CONFLICT (scope, dkey) DO NOTHING RETURNING 1",
      soci::use(scope), soci::use(dkey), soci::use(pending_ref), soci::use(t),
      soci::into(claimed, claimed_ind));
  return db_.got_data() && claimed_ind == soci::i_ok;
}

std::string SqlDedupe::ref(const std::string& scope_in, const std::string& key) {
  std::string scope = scope_in, dkey = key, prior;
  db_.run("SELECT ref FROM dedupe WHERE scope = :s AND dkey = :k", soci::into(prior),
          soci::use(scope), soci::use(dkey));
  return prior;
}

void SqlDedupe::set_ref(const std::string& scope_in, const std::string& key,
                        const std::string& ref_in) {
  std::string scope = scope_in, dkey = key, ref = ref_in;
  db_.run("UPDATE dedupe SET ref = :r WHERE scope = :s AND dkey = :k", soci::use(ref),
          soci::use(scope), soci::use(dkey));
}

}  // namespace store
