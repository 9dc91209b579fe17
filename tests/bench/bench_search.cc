// bench_search: the search of `issue list --search` on a desk of N issues
// (default 1 000 000), against its peer measured in the same run: the same
// words looked for with a plain LIKE over every title and description (what
// a desk without the index would do).
//
//   bench_search [N] [CONNECTION]    (default: a new SQLite file in /tmp)
//
// The issues are written through the store's repositories (title and
// description indexed in the same transaction, as a delivery does), 10 000
// per transaction; each text holds words from a fixed vocabulary (English,
// Russian, Japanese), and a few marked words whose counts are known.
#include <soci/soci.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "desk/desk.h"
#include "store/search.h"
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const std::vector<std::string> kWords = {
    "printer", "password", "login",  "invoice", "refund",   "server",   "timeout", "update",
    "crash",   "screen",   "mobile", "account", "payment",  "delivery", "error",   "network",
    "пароль",  "счёт",     "ошибка", "сервер",  "доставка", "обновление", "サーバー", "ログイン",
    "接続",    "東京",     "請求書", "エラー",  "résumé",   "facture",  "über",    "straße"};

std::string text(std::mt19937& rng, int words) {
  std::string s;
  std::uniform_int_distribution<std::size_t> pick(0, kWords.size() - 1);
  std::uniform_int_distribution<int> num(0, 99999);
  for (int i = 0; i < words; ++i) {
    s += (i ? " " : "") + kWords[pick(rng)];
    if (i % 4 == 3) s += " w" + std::to_string(num(rng));  // a rarer token
  }
  return s;
}

void fill(store::Store& st, std::int64_t project_id, long n) {
  std::mt19937 rng(42);
  auto t = Clock::now();
  for (long done = 0; done < n;) {
    long batch = std::min<long>(10000, n - done);
    st.transact([&](store::Tx& tx) {
      for (long i = 0; i < batch; ++i) {
        long k = done + i;
        auto num = tx.projects().next_iid(project_id);
        store::NewIssue row;
        row.project_id = project_id;
        row.iid = num->first;
        row.title = text(rng, 4);
        row.description = text(rng, 24);
        // Marked words: "zebracorn" in every 100 000th issue, "кенгуру" in
        // every 10 000th, "月曜" in every 1 000th.
        if (k % 100000 == 7) row.description += " zebracorn";
        if (k % 10000 == 3) row.description += " кенгуру";
        if (k % 1000 == 5) row.title += " 月曜日";
        row.author_email = "c" + std::to_string(k % 5000) + "@example.org";
        row.created_at = 1'700'000'000 + k;
        tx.issues().add(row);
      }
    });
    done += batch;
    if (done % 100000 == 0 || done == n)
      std::printf("  filled %ld issues (%.0f s)\n", done, ms_since(t) / 1000);
    std::fflush(stdout);
  }
}

// What the index adds to a delivery of a 4 KiB text (SQLite): folding it
// and writing its FTS row, against writing the same bytes as a plain row,
// in one transaction each, same run.
void index_cost(const std::string& conn) {
  if (conn.rfind("sqlite3://", 0) != 0) return;
  std::mt19937 rng(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 2000; ++i) texts.push_back(text(rng, 450));  // about 4 KiB
  soci::session sql(conn);
  sql << "CREATE TEMP TABLE plain_bench (id INTEGER PRIMARY KEY, t TEXT)";
  auto t = Clock::now();
  sql << "BEGIN";
  for (auto& s : texts) sql << "INSERT INTO plain_bench (t) VALUES (:t)", soci::use(s);
  sql << "COMMIT";
  double plain = ms_since(t);
  t = Clock::now();
  double fold = 0;
  sql << "BEGIN";
  long long id = 0;
  for (auto& s : texts) {
    auto f0 = Clock::now();
    std::string indexed = store::search::sqlite_text(s);
    fold += ms_since(f0);
    ++id;
    sql << "INSERT INTO search_text (issue_id, text) VALUES (:i, :t)", soci::use(id),
        soci::use(indexed);
  }
  sql << "ROLLBACK";
  double indexed = ms_since(t);
  std::printf(
      "index cost per 4 KiB text: %.0f us (folding %.0f us, FTS row %.0f us); a plain row of "
      "the same text: %.0f us\n",
      indexed * 1000 / texts.size(), fold * 1000 / texts.size(),
      (indexed - fold) * 1000 / texts.size(), plain * 1000 / texts.size());
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::stol(argv[1]) : 1'000'000;
  std::string dir;
  std::string conn;
  if (argc > 2) {
    conn = argv[2];
  } else {
    char tmpl[] = "/tmp/deskmail-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    conn = "sqlite3://db=" + dir + "/bench.db";
  }
  auto st = store::open(conn, std::chrono::milliseconds(600000), 1);
  st->init();
  desk::Desk desk(*st, nullptr);
  desk.add_project({"acme/game", "Game", "", {}});
  std::int64_t pid = st->list_projects().front().id;
  std::printf("bench_search: %ld issues in %s\n", n, conn.c_str());
  index_cost(conn);
  fill(*st, pid, n);

  struct Query {
    std::string words, like;
  };
  const std::vector<Query> queries = {
      {"zebracorn", "%zebracorn%"},  {"кенгуру", "%кенгуру%"},   {"月曜", "%月曜%"},
      {"printer", "%printer%"},      {"zebracorn printer", ""},  {"w12345", "%w12345%"}};
  soci::session sql(conn);
  std::printf("%-20s %10s %12s %14s %14s\n", "search", "found", "index (ms)", "first 50 (ms)",
              "LIKE scan (ms)");
  for (const auto& q : queries) {
    store::IssueFilter f;
    f.search = q.words;
    auto t = Clock::now();
    auto all = desk.issues(f);
    double index_ms = ms_since(t);
    f.limit = 50;
    t = Clock::now();
    desk.issues(f);
    double first_ms = ms_since(t);
    std::string like_ms = "-";
    if (!q.like.empty()) {
      long long count = 0;
      std::string pattern = q.like;
      t = Clock::now();
      sql << "SELECT count(*) FROM issue WHERE title || ' ' || description LIKE :p",
          soci::use(pattern), soci::into(count);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f (%lld)", ms_since(t), count);
      like_ms = buf;
    }
    std::printf("%-20s %10zu %12.1f %14.1f %14s\n", q.words.c_str(), all.size(), index_ms,
                first_ms, like_ms.c_str());
  }
  st.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
