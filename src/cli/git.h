// git.h: running git(1) for the post-receive hook: no shell, the arguments
// as given, standard output read into memory up to a bound.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cli::git {

/// Runs `git --git-dir=GIT_DIR ARGS...` with standard input from /dev/null
/// and its standard error passed through. Returns what it printed, or
/// nullopt when it exited with a status other than 0. Throws
/// std::runtime_error when git cannot be started, is killed, or prints more
/// than `max_output` bytes.
std::optional<std::string> run(const std::string& git_dir, const std::vector<std::string>& args,
                               std::size_t max_output);

/// One commit as `git log -z --format=%H%x00%an%x00%ae%x00%B` prints it.
struct Commit {
  std::string sha, author_name, author_email, message;
};

/// The format string for log(), and the parser of its output (records of
/// four NUL-separated fields, each record ended by NUL). A truncated last
/// record is dropped.
inline constexpr const char* kLogFormat = "--format=%H%x00%an%x00%ae%x00%B";
std::vector<Commit> parse_log(const std::string& out);

}  // namespace cli::git
