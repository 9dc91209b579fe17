// check.cc: 'deskmail db check': the invariants every committed delivery
// keeps, one count per invariant, and on SQLite the database file itself.
#include "store/sql_repos.h"
#include "store/sqlite/pragmas.h"

namespace store {

namespace {
// Each query counts rows that break one invariant.
const struct {
  const char* what;
  const char* sql;
} kChecks[] = {
    {"dedupe rows left without a result (a delivery stored in part)",
     "SELECT count(*) FROM dedupe WHERE ref = ''"},
    {"issues without their raw message", "SELECT count(*) FROM issue WHERE raw_message_id IS NULL"},
    {"raw messages no issue or note refers to",
     "SELECT count(*) FROM raw_message r WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE "
     "i.raw_message_id = r.id) AND NOT EXISTS (SELECT 1 FROM note n WHERE n.raw_message_id = "
     "r.id)"},
    {"new-issue dedupe rows naming no issue",
     "SELECT count(*) FROM dedupe d WHERE d.scope LIKE 'project:%' AND NOT EXISTS (SELECT 1 "
     "FROM issue i JOIN project p ON p.id = i.project_id WHERE d.ref = p.path || '#' || "
     "CAST(i.iid AS TEXT))"},
    {"projects whose last number is below an issue's number",
     "SELECT count(*) FROM project p WHERE p.last_iid < (SELECT COALESCE(max(iid), 0) FROM "
     "issue i WHERE i.project_id = p.id)"},
    {"attachments of a missing issue or note",
     "SELECT count(*) FROM attachment a WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE i.id = "
     "a.issue_id) OR (a.note_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM note n WHERE n.id = "
     "a.note_id))"},
    {"attachments whose bytes are missing, or of another size",
     "SELECT count(*) FROM attachment a WHERE NOT EXISTS (SELECT 1 FROM attachment_content c "
     "WHERE c.sha256 = a.sha256 AND c.size = a.size)"},
    {"attachment bytes no attachment refers to",
     "SELECT count(*) FROM attachment_content c WHERE NOT EXISTS (SELECT 1 FROM attachment a "
     "WHERE a.sha256 = c.sha256)"},
    {"notes, participants or message refs of a missing issue",
     "SELECT (SELECT count(*) FROM note n WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE i.id = "
     "n.issue_id)) + (SELECT count(*) FROM participant p WHERE NOT EXISTS (SELECT 1 FROM issue "
     "i WHERE i.id = p.issue_id)) + (SELECT count(*) FROM message_ref m WHERE NOT EXISTS "
     "(SELECT 1 FROM issue i WHERE i.id = m.issue_id))"},
    {"participants with a malformed reply key",
     "SELECT count(*) FROM participant WHERE length(reply_key) <> 32"},
    {"outbox rows in an unknown state, or sent without a time",
     "SELECT count(*) FROM outbox WHERE state NOT IN ('pending', 'sent', 'failed') OR (state = "
     "'sent' AND sent_at IS NULL)"},
    {"labels on an issue of another project",
     "SELECT count(*) FROM issue_label il JOIN label l ON l.id = il.label_id JOIN issue i ON "
     "i.id = il.issue_id WHERE l.project_id <> i.project_id"},
    {"labels whose copy of their issue's order and state is stale (migration 15's triggers)",
     "SELECT count(*) FROM issue_label il JOIN issue i ON i.id = il.issue_id WHERE il.updated_at "
     "<> i.updated_at OR il.created_at <> i.created_at OR il.state <> i.state OR il.spam <> "
     "i.spam OR il.assignee <> i.assignee"},
    {"outbox rows of a missing issue",
     "SELECT count(*) FROM outbox o WHERE o.issue_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
     "issue i WHERE i.id = o.issue_id)"},
    {"project counts (issue_tally) that differ from the issues",
     "SELECT (SELECT count(*) FROM (SELECT project_id, state, spam, count(*) AS c FROM issue "
     "GROUP BY project_id, state, spam) a LEFT JOIN issue_tally t ON t.project_id = "
     "a.project_id AND t.state = a.state AND t.spam = a.spam WHERE t.n IS NULL OR t.n <> a.c) + "
     "(SELECT count(*) FROM issue_tally t WHERE t.n <> 0 AND NOT EXISTS (SELECT 1 FROM issue i "
     "WHERE i.project_id = t.project_id AND i.state = t.state AND i.spam = t.spam))"},
};
}  // namespace

std::vector<std::string> SqlChecks::problems() {
  std::vector<std::string> problems;
  for (const auto& c : kChecks) {
    long long n = 0;
    db_.run(c.sql, soci::into(n));
    if (n) problems.push_back(std::to_string(n) + " " + c.what);
  }
  // Every issue has its title and description in the search index (one
  // pass over each: db check runs on large desks too).
  long long unindexed = 0;
  db_.run(
      std::string("SELECT (SELECT count(*) FROM issue) - (SELECT count(DISTINCT issue_id) FROM ") +
          (db_.dialect == Dialect::sqlite ? "search_text)" : "search_doc)"),
      soci::into(unindexed));
  if (unindexed)
    problems.push_back(std::to_string(unindexed) + " issues missing from the search index");
  long long bad_size = 0;
  db_.run(
      std::string("SELECT count(*) FROM attachment_content WHERE size <> ") +
          (db_.dialect == Dialect::sqlite ? "length(CAST(content AS BLOB))" : "length(content)"),
      soci::into(bad_size));
  if (bad_size)
    problems.push_back(std::to_string(bad_size) + " attachments whose size is not their length");
  if (db_.dialect == Dialect::sqlite)
    for (auto& p : sqlite::file_problems(db_.sql)) problems.push_back(std::move(p));
  return problems;
}

}  // namespace store
