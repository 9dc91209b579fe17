// The SQLite database file and its -wal and -shm: mode 0660 whatever the
// umask (issue 18: dpkg's umask left the database world-readable).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/sqlite/database_file.h"
#include "store/store.h"

namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the umask for the scope of a test, then puts the old one back.
struct Umask {
  mode_t old;
  explicit Umask(mode_t m) : old(::umask(m)) {}
  ~Umask() { ::umask(old); }
};

}  // namespace

TEST_CASE("sqlite database_path: the file a connection string names") {
  using store::sqlite::database_path;
  CHECK(database_path("sqlite3://db=/var/lib/deskmail/deskmail.db") ==
        "/var/lib/deskmail/deskmail.db");
  CHECK(database_path("sqlite3:///var/lib/d.db") == "/var/lib/d.db");
  CHECK(database_path("sqlite3://timeout=5 db=/x/d.db synchronous=full") == "/x/d.db");
  CHECK(database_path("sqlite3://dbname=\"/x/my desk.db\" timeout=5") == "/x/my desk.db");
  CHECK(database_path("sqlite3://db=:memory:").empty());
  CHECK(database_path("sqlite3://db=file:x.db?mode=ro").empty());
  CHECK(database_path("postgresql://host=db1 dbname=desk").empty());
  CHECK(database_path("sqlite3://timeout=5").empty());
}

TEST_CASE("sqlite database file: 0660 under any umask, and the -wal and -shm follow it") {
  std::string tmpl = "/tmp/deskmail-unit-" + std::string(6, 'X');
  fs::path dir = ::mkdtemp(tmpl.data());
  for (mode_t umask : {mode_t{022}, mode_t{077}, mode_t{0}}) {
    CAPTURE(umask);
    Umask scope(umask);
    fs::path db = dir / ("d" + std::to_string(umask) + ".db");
    {
      auto st = store::open("sqlite3://db=" + db.string(), std::chrono::milliseconds(5000));
      st->init();
      // The connection is open: the log and the shared index exist now.
      CHECK(mode_of(db) == 0660);
      CHECK(mode_of(db.string() + "-wal") == 0660);
      CHECK(mode_of(db.string() + "-shm") == 0660);
    }
    CHECK(mode_of(db) == 0660);
  }
  SUBCASE("an existing file keeps its mode") {
    fs::path db = dir / "kept.db";
    store::sqlite::create_database_file(db.string());
    fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
    store::sqlite::create_database_file(db.string());
    CHECK(mode_of(db) == 0600);
  }
  SUBCASE("made by root, the file gets its directory's owner and group") {
    if (::geteuid() == 0) {
      fs::path sub = dir / "owned";
      fs::create_directory(sub);
      REQUIRE(::chown(sub.c_str(), 65534, 65534) == 0);  // nobody:nogroup
      store::sqlite::create_database_file((sub / "d.db").string());
      struct stat st {};
      REQUIRE(::stat((sub / "d.db").c_str(), &st) == 0);
      CHECK(st.st_uid == 65534);
      CHECK(st.st_gid == 65534);
      CHECK((st.st_mode & 07777) == 0660);
    }
  }
  SUBCASE("a directory that does not exist is left to SQLite to report") {
    store::sqlite::create_database_file((dir / "no" / "such.db").string());
    CHECK_FALSE(fs::exists(dir / "no"));
  }
  fs::remove_all(dir);
}
