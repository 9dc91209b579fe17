// blobs.cc: raw messages and attachments, the large bytes of a delivery.
//
// SQLite: a large value is not bound whole. SQLite would copy it into the row
// record first (a 25 MB message cost 26 MB more); a zeroblob of its size is
// inserted and the bytes are written into it in pieces (sqlite/blob.h).
//
// PostgreSQL: SOCI 4 binds text only, so bytea went as hex, twice its size,
// built and then copied on the way (twelve 5 MB messages at once: +174 MiB).
// From kBlobInPieces on, the INSERT goes through libpq on the same
// connection, inside the same transaction, the bytes a binary parameter read
// where they are.
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>

#include <cstring>

#include "store/sql_repos.h"
#include "store/sqlite/blob.h"

namespace store {

namespace {

constexpr std::size_t kBlobInPieces = 256 * 1024;

// Runs `sql` with `text` as $1..$n (nullopt: NULL) and `bytes` as $n+1; the
// first column of the first row that came back, if any. Errors are thrown as
// SOCI's, with their SQLSTATE, for classify().
std::optional<long long> pg_exec_binary(soci::session& session, const char* sql,
                                        const std::vector<std::optional<std::string>>& text,
                                        std::string_view bytes) {
  auto* be = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& t : text) {
    values.push_back(t ? t->c_str() : nullptr);
    lengths.push_back(0);
    formats.push_back(0);
  }
  values.push_back(bytes.data());
  lengths.push_back(static_cast<int>(bytes.size()));
  formats.push_back(1);
  std::unique_ptr<PGresult, void (*)(PGresult*)> r(
      PQexecParams(be->conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                   lengths.data(), formats.data(), 0),
      PQclear);
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(be->conn_);
    // Errors libpq makes itself carry no SQLSTATE: a lost connection is class
    // 08 for classify(), anything else an internal error.
    if (!state || std::strlen(state) != 5)
      state = PQstatus(be->conn_) == CONNECTION_BAD ? "08006" : "XX000";
    throw soci::postgresql_soci_error(msg, state);
  }
  if (st == PGRES_TUPLES_OK && PQntuples(r.get()) > 0) return std::stoll(PQgetvalue(r.get(), 0, 0));
  return std::nullopt;
}

}  // namespace

bool SqlBlobs::in_pieces(std::string_view bytes) const {
  return db_.dialect == Dialect::sqlite && bytes.size() >= kBlobInPieces;
}

bool SqlBlobs::pg_binary(std::string_view bytes) const {
  return db_.dialect == Dialect::postgresql && bytes.size() >= kBlobInPieces;
}

std::int64_t SqlBlobs::raw(const Inbound& in, std::int64_t at) {
  if (!in.raw) return 0;
  std::string sha = in.raw_sha256, from = in.mail_from;
  long long size = static_cast<long long>(in.raw->size()), t = at;
  long long id = 0;
  std::string_view raw = in.raw->view();
  if (in_pieces(raw)) {
    if (db_.run("INSERT INTO raw_message (sha256, mail_from, size, received_at, content) "
                "VALUES (:h, :f, :s, :t, zeroblob(:n)) ON CONFLICT (sha256) DO NOTHING "
                "RETURNING id",
                soci::use(sha), soci::use(from), soci::use(size), soci::use(t), soci::use(size),
                soci::into(id))) {
      sqlite::write_blob(db_.sql, "raw_message", "content", id, raw, in.raw.get());
      return id;
    }
  } else if (pg_binary(raw)) {
    if (auto got = pg_exec_binary(
            db_.sql,
            "INSERT INTO raw_message (sha256, mail_from, size, received_at, content) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING RETURNING id",
            {sha, from, std::to_string(size), std::to_string(t)}, raw))
      return *got;
  } else {
    // Small messages only (a mapped one is large): the string in memory.
    std::string hex, copy;
    const std::string* plain = in.raw->string();
    if (!plain) plain = &(copy = in.raw->copy());
    if (db_.dialect != Dialect::sqlite) hex = to_hex(*plain);
    const std::string& content = db_.dialect == Dialect::sqlite ? *plain : hex;
    if (db_.run("INSERT INTO raw_message (sha256, mail_from, size, content, received_at) "
                "VALUES (:h, :f, :s, " +
                    blob_param(db_.dialect, "c") +
                    ", :t) ON CONFLICT (sha256) DO NOTHING RETURNING id",
                soci::use(sha), soci::use(from), soci::use(size), soci::use(content), soci::use(t),
                soci::into(id)))
      return id;
  }
  // Stored before (the same message to another recipient, or again).
  db_.run("SELECT id FROM raw_message WHERE sha256 = :h", soci::into(id), soci::use(sha));
  return id;
}

// An attachment's bytes, once per SHA-256 (schema 7): the same file in
// another issue, or the same message to another recipient, adds only its
// attachment row.
void SqlBlobs::content(const AttachmentIn& a) {
  std::string sha = a.sha256;
  std::string_view bytes = a.bytes();
  long long size = static_cast<long long>(bytes.size());
  if (in_pieces(bytes)) {
    long long rowid = 0;
    if (db_.run("INSERT INTO attachment_content (sha256, size, content) VALUES (:h, :s, "
                "zeroblob(:z)) ON CONFLICT (sha256) DO NOTHING RETURNING rowid",
                soci::use(sha), soci::use(size), soci::use(size), soci::into(rowid)))
      sqlite::write_blob(db_.sql, "attachment_content", "content", rowid, bytes, a.spooled.get());
    return;
  }
  if (pg_binary(bytes)) {
    pg_exec_binary(db_.sql,
                   "INSERT INTO attachment_content (sha256, size, content) VALUES ($1, $2, $3) "
                   "ON CONFLICT (sha256) DO NOTHING",
                   {sha, std::to_string(size)}, bytes);
    return;
  }
  long long known = 0;
  db_.run("SELECT count(*) FROM attachment_content WHERE sha256 = :h", soci::into(known),
          soci::use(sha));
  if (known) return;  // not even copied into a string
  // Small ones only (a spooled one is large): the string in memory.
  std::string hex, copy;
  const std::string* plain = a.spooled ? &(copy = std::string(bytes)) : &a.content;
  if (db_.dialect != Dialect::sqlite) hex = to_hex(*plain);
  const std::string& content = db_.dialect == Dialect::sqlite ? *plain : hex;
  db_.run("INSERT INTO attachment_content (sha256, size, content) VALUES (:h, :s, " +
              blob_param(db_.dialect, "c") + ") ON CONFLICT (sha256) DO NOTHING",
          soci::use(sha), soci::use(size), soci::use(content));
}

void SqlBlobs::attachments(const std::vector<AttachmentIn>& list, std::int64_t issue_id_in,
                           std::int64_t note_id_in) {
  long long issue_id = issue_id_in, note_id = note_id_in;
  soci::indicator note_ind = note_id != 0 ? soci::i_ok : soci::i_null;
  for (const auto& a : list) {
    content(a);
    std::string sent = a.filename_sent, fn = a.filename, ct = a.content_type, sha = a.sha256;
    long long size = static_cast<long long>(a.bytes().size());
    db_.run(
        "INSERT INTO attachment (issue_id, note_id, filename_sent, filename, content_type, "
        "size, sha256) VALUES (:i, :n, :fs, :f, :ct, :s, :h)",
        soci::use(issue_id), soci::use(note_id, note_ind), soci::use(sent), soci::use(fn),
        soci::use(ct), soci::use(size), soci::use(sha));
  }
}

std::optional<std::pair<AttachmentView, std::string>> SqlBlobs::attachment(
    std::int64_t issue_id_in, std::int64_t attachment_id) {
  long long issue_id = issue_id_in, id = attachment_id, size = 0;
  AttachmentView a;
  std::string content;
  db_.run("SELECT a.filename, a.content_type, a.size, a.sha256, " +
              blob_column(db_.dialect, "c.content") +
              " FROM attachment a JOIN attachment_content c ON c.sha256 = a.sha256 "
              "WHERE a.id = :a AND a.issue_id = :i",
          soci::into(a.filename), soci::into(a.content_type), soci::into(size),
          soci::into(a.sha256), soci::into(content), soci::use(id), soci::use(issue_id));
  if (!db_.got_data()) return std::nullopt;
  a.id = attachment_id;
  a.size = size;
  return std::make_pair(std::move(a), blob_bytes(db_.dialect, std::move(content)));
}

std::optional<std::string> SqlBlobs::issue_raw(std::int64_t issue_id_in) {
  long long issue_id = issue_id_in;
  std::string content;
  db_.run("SELECT " + blob_column(db_.dialect, "r.content") +
              " FROM issue i JOIN raw_message r ON r.id = i.raw_message_id WHERE i.id = :i",
          soci::into(content), soci::use(issue_id));
  if (!db_.got_data()) return std::nullopt;
  return blob_bytes(db_.dialect, std::move(content));
}

}  // namespace store
