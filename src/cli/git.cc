// git.cc: running git(1) without a shell (see git.h).
#include "cli/git.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace cli::git {

namespace {

// Closes a descriptor once, whatever path leaves the scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  return status;
}

}  // namespace

std::optional<std::string> run(const std::string& git_dir, const std::vector<std::string>& args,
                               std::size_t max_output) {
  std::vector<std::string> words{"git", "--git-dir=" + git_dir};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  Fd rd{p[0]}, wr{p[1]};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, wr.fd, 1);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "git", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("cannot run git: ") + std::strerror(rc));
  wr.close();

  std::string out;
  char buf[65536];
  bool too_much = false;
  for (;;) {
    ssize_t n = ::read(rd.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_output) {
      too_much = true;
      ::kill(pid, SIGTERM);
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  rd.close();
  int status = wait_for(pid);
  if (too_much)
    throw std::runtime_error("git " + (args.empty() ? std::string() : args[0]) +
                             " printed more than " + std::to_string(max_output) + " bytes");
  if (WIFSIGNALED(status))
    throw std::runtime_error("git was killed by signal " + std::to_string(WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::vector<Commit> parse_log(const std::string& out) {
  std::vector<Commit> commits;
  std::vector<std::string> fields;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto nul = out.find('\0', pos);
    if (nul == std::string::npos) break;  // truncated: no terminator
    std::string f = out.substr(pos, nul - pos);
    pos = nul + 1;
    // Between records git prints nothing but a line feed may lead a record.
    if (fields.empty() && !f.empty() && f.front() == '\n') f.erase(0, 1);
    fields.push_back(std::move(f));
    if (fields.size() == 4) {
      commits.push_back({fields[0], fields[1], fields[2], fields[3]});
      fields.clear();
    }
  }
  return commits;
}

}  // namespace cli::git
