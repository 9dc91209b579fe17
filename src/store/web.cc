// web.cc: sign-in links and sessions of the web desk (issue 21), by the
// SHA-256 of their tokens.
#include "store/sql_repos.h"

namespace store {

void SqlWeb::add_link(const std::string& token_hash, const std::string& email_in,
                      const std::string& client_in, std::int64_t at, std::int64_t expires_at) {
  std::string h = token_hash, email = clean_text(email_in), client = clean_text(client_in);
  long long t = at, e = expires_at;
  db_.run(
      "INSERT INTO web_link (token_hash, email, client, created_at, expires_at) "
      "VALUES (:h, :e, :c, :t, :x)",
      soci::use(h), soci::use(email), soci::use(client), soci::use(t), soci::use(e));
}

std::int64_t SqlWeb::links_for_email(const std::string& email_in, std::int64_t since_in) {
  std::string email = email_in;
  long long since = since_in, n = 0;
  db_.run("SELECT count(*) FROM web_link WHERE email = :e AND created_at > :s", soci::into(n),
          soci::use(email), soci::use(since));
  return n;
}

std::int64_t SqlWeb::links_from_client(const std::string& client_in, std::int64_t since_in) {
  std::string client = client_in;
  long long since = since_in, n = 0;
  db_.run("SELECT count(*) FROM web_link WHERE client = :c AND created_at > :s", soci::into(n),
          soci::use(client), soci::use(since));
  return n;
}

std::optional<WebLink> SqlWeb::link(const std::string& token_hash) {
  std::string h = token_hash;
  WebLink l;
  long long created = 0, expires = 0, used = 0;
  soci::indicator ind = soci::i_null;
  db_.run("SELECT email, created_at, expires_at, used_at FROM web_link WHERE token_hash = :h",
          soci::into(l.email), soci::into(created), soci::into(expires), soci::into(used, ind),
          soci::use(h));
  if (!db_.got_data()) return std::nullopt;
  l.created_at = created;
  l.expires_at = expires;
  if (ind == soci::i_ok) l.used_at = used;
  return l;
}

std::optional<std::string> SqlWeb::use_link(const std::string& token_hash, std::int64_t at) {
  std::string h = token_hash, email;
  long long t = at, t2 = at;
  soci::indicator ind = soci::i_null;
  db_.run(
      "UPDATE web_link SET used_at = :t WHERE token_hash = :h AND used_at IS NULL AND "
      "expires_at > :t2 RETURNING email",
      soci::use(t), soci::use(h), soci::use(t2), soci::into(email, ind));
  if (!db_.got_data() || ind != soci::i_ok) return std::nullopt;
  return email;
}

void SqlWeb::add_session(const std::string& token_hash, const WebSession& s) {
  std::string h = token_hash, email = clean_text(s.email), csrf = s.csrf;
  long long created = s.created_at, expires = s.expires_at;
  db_.run(
      "INSERT INTO web_session (token_hash, email, csrf, created_at, expires_at) "
      "VALUES (:h, :e, :c, :t, :x)",
      soci::use(h), soci::use(email), soci::use(csrf), soci::use(created), soci::use(expires));
}

std::optional<WebSession> SqlWeb::session(const std::string& token_hash, std::int64_t at) {
  std::string h = token_hash;
  long long t = at, created = 0, expires = 0;
  WebSession s;
  db_.run(
      "SELECT email, csrf, created_at, expires_at FROM web_session WHERE token_hash = :h AND "
      "expires_at > :t",
      soci::into(s.email), soci::into(s.csrf), soci::into(created), soci::into(expires),
      soci::use(h), soci::use(t));
  if (!db_.got_data()) return std::nullopt;
  s.created_at = created;
  s.expires_at = expires;
  return s;
}

void SqlWeb::remove_session(const std::string& token_hash) {
  std::string h = token_hash;
  db_.run("DELETE FROM web_session WHERE token_hash = :h", soci::use(h));
}

std::int64_t SqlWeb::purge(std::int64_t before) {
  long long b = before, n = 0, m = 0;
  db_.run("SELECT count(*) FROM web_session WHERE expires_at < :b", soci::into(n), soci::use(b));
  db_.run("DELETE FROM web_session WHERE expires_at < :b", soci::use(b));
  db_.run("SELECT count(*) FROM web_link WHERE expires_at < :b", soci::into(m), soci::use(b));
  db_.run("DELETE FROM web_link WHERE expires_at < :b", soci::use(b));
  return n + m;
}

}  // namespace store
