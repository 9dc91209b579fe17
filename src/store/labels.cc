// labels.cc: a project's labels and the labels on its issues.
#include "store/sql_repos.h"

namespace store {

std::vector<Label> SqlLabels::list(std::int64_t project_id) {
  std::vector<Label> out;
  long long pid = project_id, id = 0;
  Label l;
  db_.each(
      "SELECT id, name, colour FROM label WHERE project_id = :p ORDER BY name_key, name",
      [&] {
        l.id = id;
        out.push_back(l);
      },
      soci::into(id), soci::into(l.name), soci::into(l.colour), soci::use(pid));
  return out;
}

std::int64_t SqlLabels::add(std::int64_t project_id, const std::string& name_in,
                            const std::string& key_in, const std::string& colour_in) {
  long long pid = project_id, n = 0, id = 0;
  std::string name = clean_text(name_in), key = clean_text(key_in), colour = clean_text(colour_in);
  db_.run("SELECT count(*) FROM label WHERE project_id = :p AND name_key = :k", soci::into(n),
          soci::use(pid), soci::use(key));
  if (n) throw Error("the project has a label " + name_in + " already");
  db_.run(
      "INSERT INTO label (project_id, name, name_key, colour) VALUES (:p, :n, :k, :c) "
      "RETURNING id",
      soci::use(pid), soci::use(name), soci::use(key), soci::use(colour), soci::into(id));
  return id;
}

void SqlLabels::remove(std::int64_t label_id) {
  long long id = label_id;
  db_.run("DELETE FROM issue_label WHERE label_id = :l", soci::use(id));
  db_.run("DELETE FROM label WHERE id = :l", soci::use(id));
}

std::vector<std::int64_t> SqlLabels::on_issue(std::int64_t issue_id) {
  std::vector<std::int64_t> out;
  long long issue = issue_id, id = 0;
  db_.each(
      "SELECT label_id FROM issue_label WHERE issue_id = :i ORDER BY label_id",
      [&] { out.push_back(id); }, soci::into(id), soci::use(issue));
  return out;
}

void SqlLabels::attach(std::int64_t issue_id, std::int64_t label_id) {
  long long issue = issue_id, id = label_id;
  db_.run(
      "INSERT INTO issue_label (issue_id, label_id) VALUES (:i, :l) ON CONFLICT DO NOTHING",
      soci::use(issue), soci::use(id));
}

void SqlLabels::detach(std::int64_t issue_id, std::int64_t label_id) {
  long long issue = issue_id, id = label_id;
  db_.run("DELETE FROM issue_label WHERE issue_id = :i AND label_id = :l", soci::use(issue),
          soci::use(id));
}

}  // namespace store
