// issue_tally.cc: the queue's count from the tally (see issue_tally.h).
#include "store/issue_tally.h"

#include <string>

namespace store {

std::optional<std::int64_t> tallied_count(Db& db, const IssueFilter& f) {
  if (f.assignee || !f.labels.empty() || f.search) return std::nullopt;
  std::string q =
      "SELECT COALESCE(SUM(t.n), 0) FROM issue_tally t JOIN project p ON p.id = t.project_id "
      "WHERE 1 = 1";
  if (f.project) q += " AND p.path = :project";
  if (f.state) q += " AND t.state = :state";
  if (f.only_spam)
    q += " AND t.spam = 1";
  else if (!f.include_spam)
    q += " AND t.spam = 0";
  if (!f.projects.empty()) {
    q += " AND p.path IN (";
    for (std::size_t n = 0; n < f.projects.size(); ++n)
      q += (n ? ", :pp" : ":pp") + std::to_string(n);
    q += ")";
  }
  long long n = 0;
  std::string project = f.project.value_or(""), state = f.state.value_or("");
  std::vector<std::string> projects = f.projects;
  db.st.each_bound(
      q,
      [&](soci::statement& st) {
        st.exchange(soci::into(n));
        if (f.project) st.exchange(soci::use(project, "project"));
        if (f.state) st.exchange(soci::use(state, "state"));
        for (std::size_t k = 0; k < projects.size(); ++k)
          st.exchange(soci::use(projects[k], "pp" + std::to_string(k)));
      },
      [] {});
  return n;
}

}  // namespace store
