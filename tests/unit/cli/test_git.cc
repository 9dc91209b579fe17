// The post-receive hook's reading of `git log -z` output (cli/git.h), and
// running git itself without a shell.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cli/git.h"

using namespace std::string_literals;

TEST_CASE("cli::git::parse_log: records of four NUL-separated fields") {
  std::string out = "aaa\0Jane Dev\0jane@x\0Fix it\n\nFixes desk#1\n\0"
                    "\nbbb\0Bob\0bob@x\0Second\n\0"s;
  auto cs = cli::git::parse_log(out);
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].sha == "aaa");
  CHECK(cs[0].author_name == "Jane Dev");
  CHECK(cs[0].author_email == "jane@x");
  CHECK(cs[0].message == "Fix it\n\nFixes desk#1\n");
  CHECK(cs[1].sha == "bbb");  // the line feed git puts between records is not part of it
  CHECK(cs[1].message == "Second\n");
  // A truncated last record is dropped, never read past the end.
  CHECK(cli::git::parse_log("ccc\0Carol\0c@x"s).empty());
  CHECK(cli::git::parse_log("ccc\0Carol\0c@x\0no end"s).empty());
  CHECK(cli::git::parse_log("").empty());
}

TEST_CASE("cli::git::run: output, a failing command, the output bound") {
  std::string tmpl = "/tmp/deskmail-git-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl.data());
  std::string repo = (dir / "r.git").string();
  REQUIRE(cli::git::run(repo, {"init", "-q", "--bare", repo}, 4096));
  auto head = cli::git::run(repo, {"symbolic-ref", "HEAD"}, 4096);
  REQUIRE(head);
  CHECK(head->rfind("refs/heads/", 0) == 0);
  // A missing config key: git exits 1, run() says nullopt.
  CHECK_FALSE(cli::git::run(repo, {"config", "--get", "deskmail.branch"}, 4096));
  // More output than allowed: an error, not a large buffer.
  CHECK_THROWS_AS(cli::git::run(repo, {"help", "-a"}, 16), std::runtime_error);
  std::filesystem::remove_all(dir);
}
