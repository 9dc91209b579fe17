// webhook.h: one forge webhook request, answered (issue 22). The web server
// routes POST /hooks/gitlab, /hooks/github, /hooks/gitea (and /hooks/forgejo)
// here with the raw body and the request's header fields; handle() checks
// the size, parses the body, proves the secret of a binding of the named
// repository, and hands the push or merge to desk::Desk::fix_push.
//
//   413  the body is larger than Limits::body
//   400  malformed: no event header, a body that is no JSON object or lacks
//        what its event needs
//   401  no token or signature, no binding for the repository, or none whose
//        secret matches (the same answer: nothing is told about bindings)
//   404  no such forge in the path
//   503  the store is unavailable (the forge retries)
//   200  done, ignored (another event, another branch) or a replay
//
// Nothing is stored unless the answer is 200.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace desk {
class Desk;
}

namespace forge {

struct Request {
  std::string forge;  // the path's last segment: gitlab, github, gitea, forgejo
  std::map<std::string, std::string> headers;  // field names in lower case
  std::string_view body;                       // the raw bytes, as received
};

struct Response {
  int status = 200;
  std::string text;  // one line for the forge's delivery log
};

struct Limits {
  std::uint64_t body = 5242880;      // deskmail.yaml fixes.webhook_body
  std::size_t commits = 1000;        // fixes.commits_per_push
  std::size_t refs_per_commit = 20;  // fixes.refs_per_commit
};

/// Answers one webhook request (see above). Throws nothing but what the
/// desk throws beyond store::Unavailable (a bug): the caller answers 500.
Response handle(desk::Desk& desk, const Request& request, const Limits& limits);

}  // namespace forge
