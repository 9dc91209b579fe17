// hooks.cc: repositories bound to projects, and the commits and webhook
// deliveries already acted on (issue 22).
#include "store/sql_repos.h"

namespace store {

namespace {
constexpr const char* kColumns =
    "SELECT h.id, h.project_id, p.path, h.forge, h.repo, h.branch, h.commit_url, h.secret, "
    "h.created_at FROM fix_hook h JOIN project p ON p.id = h.project_id ";
}  // namespace

std::int64_t SqlHooks::add(const HookBinding& b) {
  long long pid = b.project_id, t = b.created_at, id = 0;
  std::string forge = clean_text(b.forge), repo = clean_text(b.repo), branch = clean_text(b.branch),
              url = clean_text(b.commit_url), secret = clean_text(b.secret);
  int n = 0;
  db_.run("SELECT count(*) FROM fix_hook WHERE project_id = :p AND forge = :f AND repo = :r",
          soci::into(n), soci::use(pid), soci::use(forge), soci::use(repo));
  if (n) throw Error("the project already has a " + forge + " hook for " + repo);
  db_.run(
      "INSERT INTO fix_hook (project_id, forge, repo, branch, commit_url, secret, created_at) "
      "VALUES (:p, :f, :r, :b, :u, :s, :t) RETURNING id",
      soci::use(pid), soci::use(forge), soci::use(repo), soci::use(branch), soci::use(url),
      soci::use(secret), soci::use(t), soci::into(id));
  return id;
}

namespace {
// Runs a kColumns query and collects its rows.
template <class... E>
std::vector<HookBinding> collect(Db& db, const std::string& query, E&&... uses) {
  std::vector<HookBinding> out;
  HookBinding b;
  long long id = 0, pid = 0, at = 0;
  db.each(
      query,
      [&] {
        b.id = id;
        b.project_id = pid;
        b.created_at = at;
        out.push_back(b);
      },
      std::forward<E>(uses)..., soci::into(id), soci::into(pid), soci::into(b.project_path),
      soci::into(b.forge), soci::into(b.repo), soci::into(b.branch), soci::into(b.commit_url),
      soci::into(b.secret), soci::into(at));
  return out;
}
}  // namespace

std::vector<HookBinding> SqlHooks::list(std::optional<std::int64_t> project_id) {
  if (!project_id) return collect(db_, std::string(kColumns) + "ORDER BY p.path, h.forge, h.repo");
  long long pid = *project_id;
  return collect(db_, std::string(kColumns) + "WHERE h.project_id = :p ORDER BY h.forge, h.repo",
                 soci::use(pid));
}

bool SqlHooks::remove(std::int64_t project_id, const std::string& forge_in,
                      const std::string& repo_in) {
  long long pid = project_id, gone = 0;
  std::string forge = forge_in, repo = repo_in;
  soci::indicator ind = soci::i_null;
  db_.run("DELETE FROM fix_hook WHERE project_id = :p AND forge = :f AND repo = :r RETURNING id",
          soci::use(pid), soci::use(forge), soci::use(repo), soci::into(gone, ind));
  return db_.got_data() && ind == soci::i_ok;
}

std::vector<HookBinding> SqlHooks::find(const std::string& forge_in, const std::string& repo_in) {
  std::string forge = forge_in, repo = repo_in;
  return collect(db_, std::string(kColumns) + "WHERE h.forge = :f AND h.repo = :r ORDER BY p.path",
                 soci::use(forge), soci::use(repo));
}

bool SqlHooks::claim_commit(const std::string& commit_in, std::int64_t issue_id,
                            const std::string& action_in, std::int64_t at) {
  std::string commit = clean_text(commit_in), action = action_in;
  long long iid = issue_id, t = at, claimed = 0;
  soci::indicator ind = soci::i_null;
  db_.run(
      "INSERT INTO fix_commit (commit_sha, issue_id, action, created_at) VALUES (:c, :i, :a, :t) "
      "ON CONFLICT (commit_sha, issue_id) DO NOTHING RETURNING 1",
      soci::use(commit), soci::use(iid), soci::use(action), soci::use(t), soci::into(claimed, ind));
  return db_.got_data() && ind == soci::i_ok;
}

bool SqlHooks::claim_delivery(std::int64_t hook_id, const std::string& delivery_in,
                              std::int64_t at) {
  std::string delivery = clean_text(delivery_in);
  long long hid = hook_id, t = at, claimed = 0;
  soci::indicator ind = soci::i_null;
  db_.run(
      "INSERT INTO hook_delivery (hook_id, delivery, created_at) VALUES (:h, :d, :t) "
      "ON CONFLICT (hook_id, delivery) DO NOTHING RETURNING 1",
      soci::use(hid), soci::use(delivery), soci::use(t), soci::into(claimed, ind));
  return db_.got_data() && ind == soci::i_ok;
}

}  // namespace store
