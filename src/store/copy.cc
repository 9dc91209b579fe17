// copy.cc: 'deskmail db copy': every row of one store into another, for
// moving a desk from SQLite to PostgreSQL (or back). Columns are read from
// the source's catalogue, so a new column in a migration needs no change
// here; binary columns travel as hex.
#include <soci/soci.h>

#include "common/ascii.h"
#include "store/connection.h"
#include "store/search_index.h"

namespace store {

namespace {

// Parents before children: the target checks foreign keys.
// The search index is not copied: its form differs between the dialects; it
// is built again in the target.
const char* const kTables[] = {
    "project",       "project_alias", "project_member", "project_template",   "raw_message",
    "issue",         "participant",   "note",           "attachment_content", "attachment",
    "dedupe",        "message_ref",   "outbox",         "fix_hook",           "fix_commit",
    "hook_delivery", "label",         "issue_label",    "metric_counter"};

enum class Kind { integer, text, blob };
struct Column {
  std::string name;
  Kind kind;
};

Kind kind_of(std::string type) {
  common::lower_in_place(type);
  if (type.find("int") != std::string::npos) return Kind::integer;
  if (type == "blob" || type == "bytea") return Kind::blob;
  return Kind::text;
}

std::vector<Column> columns(Connection& c, const std::string& table) {
  std::vector<Column> out;
  soci::session& sql = c.session();
  if (c.dialect() == Dialect::sqlite) {
    soci::rowset<soci::row> rs = sql.prepare << "PRAGMA table_info(" + table + ")";
    for (const auto& r : rs) out.push_back({r.get<std::string>(1), kind_of(r.get<std::string>(2))});
  } else {
    std::string t = table;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT column_name, data_type FROM information_schema.columns WHERE "
                        "table_schema = current_schema() AND table_name = :t ORDER BY "
                        "ordinal_position",
         soci::use(t));
    for (const auto& r : rs) out.push_back({r.get<std::string>(0), kind_of(r.get<std::string>(1))});
  }
  if (out.empty()) throw Error("table " + table + " is missing");
  return out;
}

long long copy_table(Connection& from, Connection& to, const std::string& table) {
  std::vector<Column> cols = columns(from, table);
  std::string select = "SELECT ", insert = "INSERT INTO " + table + " (", values;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const auto& col = cols[i];
    std::string sep = i ? ", " : "";
    if (col.kind == Kind::blob)
      select += sep + (from.dialect() == Dialect::sqlite ? "hex(" + col.name + ")"
                                                         : "encode(" + col.name + ", 'hex')");
    else
      select += sep + col.name;
    insert += sep + col.name;
    std::string param = "v" + std::to_string(i);
    values +=
        sep + (col.kind == Kind::blob ? blob_param(to.dialect(), param.c_str()) : ":" + param);
  }
  select += " FROM " + table;
  insert += ") VALUES (" + values + ")";

  // One prepared INSERT, its variables refilled for each row.
  std::vector<long long> ints(cols.size());
  std::vector<std::string> texts(cols.size());
  std::vector<soci::indicator> inds(cols.size());
  soci::statement ins(to.session());
  ins.alloc();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].kind == Kind::integer)
      ins.exchange(soci::use(ints[i], inds[i]));
    else
      ins.exchange(soci::use(texts[i], inds[i]));
  }
  ins.prepare(insert);
  ins.define_and_bind();

  long long n = 0;
  soci::rowset<soci::row> rs = from.session().prepare << select;
  for (const auto& r : rs) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      inds[i] = r.get_indicator(i) == soci::i_null ? soci::i_null : soci::i_ok;
      if (inds[i] == soci::i_null) continue;
      switch (cols[i].kind) {
        case Kind::integer:
          ints[i] = row_int(r, i);
          break;
        case Kind::text:
          texts[i] = clean_text(r.get<std::string>(i));
          break;
        case Kind::blob:
          texts[i] = r.get<std::string>(i);
          if (to.dialect() == Dialect::sqlite) texts[i] = from_hex(texts[i]);
          break;
      }
    }
    ins.execute(true);
    ++n;
  }
  // PostgreSQL: the identity sequence continues after the copied ids.
  if (to.dialect() == Dialect::postgresql && cols.front().name == "id")
    to.session() << "SELECT setval(pg_get_serial_sequence('" + table +
                        "', 'id'), COALESCE(max(id), 0) + 1, false) FROM " + table;
  return n;
}

}  // namespace

std::vector<std::pair<std::string, long long>> copy(const std::string& from_conn,
                                                    const std::string& to_conn,
                                                    std::chrono::milliseconds wait) {
  auto from = connect(from_conn, wait);
  auto to = connect(to_conn, wait);
  // A copy is one long transaction, not a delivery: no statement timeout.
  for (Connection* c : {from.get(), to.get()})
    if (c->dialect() == Dialect::postgresql) c->session() << "SET statement_timeout = 0";
  int fv = from->version();
  if (fv != Store::kSchemaVersion)
    throw Error("the source database is at schema version " + std::to_string(fv) + ", not " +
                std::to_string(Store::kSchemaVersion) + ": run 'deskmail db migrate' on it first");
  if (to->version() == 0) to->init();
  if (to->version() != Store::kSchemaVersion)
    throw Error("the target database is at schema version " + std::to_string(to->version()));
  for (const char* t : {"project", "issue", "outbox"}) {
    long long n = 0;
    to->session() << std::string("SELECT count(*) FROM ") + t, soci::into(n);
    if (n) throw Error(std::string("the target database is not empty (table ") + t + ")");
  }
  std::vector<std::pair<std::string, long long>> out;
  // One transaction on each side: a consistent snapshot of the source (the
  // daemon may keep running), and all rows or none in the target.
  soci::session& src = from->session();
  soci::session& dst = to->session();
  src << (from->dialect() == Dialect::postgresql ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                                                 : "BEGIN");
  dst << (to->dialect() == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  try {
    // PostgreSQL: a row at a time, the tally's trigger would update one row
    // of it a million times in one transaction; it is counted once instead.
    bool pg = to->dialect() == Dialect::postgresql;
    if (pg) dst << "ALTER TABLE issue DISABLE TRIGGER issue_tally_insert";
    for (const char* t : kTables) out.emplace_back(t, copy_table(*from, *to, t));
    if (pg) {
      dst << "DELETE FROM issue_tally";
      dst << "INSERT INTO issue_tally (project_id, state, spam, n) SELECT project_id, state, spam, "
             "count(*) FROM issue GROUP BY project_id, state, spam";
      dst << "ALTER TABLE issue ENABLE TRIGGER issue_tally_insert";
    }
    rebuild_search_index(dst, to->dialect());
    dst << "COMMIT";
  } catch (...) {
    try {
      dst << "ROLLBACK";
    } catch (...) {
    }
    try {
      src << "ROLLBACK";
    } catch (...) {
    }
    throw;
  }
  src << "ROLLBACK";
  return out;
}

}  // namespace store
