// fuzz_fix: what a push or a forge webhook hands deskmail (issue 22): the
// reference parser over a commit message, the webhook payload parser of each
// forge and event, and the signature check. Any bytes give references to
// allowed projects only (each issue once, at most the limit), a parsed event
// or BadPayload, and a yes or no.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "desk/fix_refs.h"
#include "forge/payload.h"
#include "forge/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> allowed{"acme/game", "acme/web"};
  auto refs = desk::find_refs(in, allowed, 20, "acme/game");
  if (refs.size() > 20) std::abort();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (std::find(allowed.begin(), allowed.end(), refs[i].path) == allowed.end()) std::abort();
    if (refs[i].iid <= 0) std::abort();
    for (std::size_t j = 0; j < i; ++j)
      if (refs[j].path == refs[i].path && refs[j].iid == refs[i].iid) std::abort();
  }
  struct Kind {
    forge::Forge forge;
    const char* event;
  };
  for (auto k : {Kind{forge::Forge::gitlab, "Push Hook"}, Kind{forge::Forge::gitlab, "Merge Request Hook"},
                 Kind{forge::Forge::github, "push"}, Kind{forge::Forge::github, "pull_request"},
                 Kind{forge::Forge::gitea, "push"}}) {
    try {
      auto e = forge::parse(k.forge, k.event, in, 5);
      if (e.push.commits.size() > 5) std::abort();
      if (e.kind != forge::Event::Kind::other && (e.push.repo.empty() || e.push.branch.empty()))
        std::abort();
      for (const auto& c : e.push.commits)
        if (c.id.empty()) std::abort();
    } catch (const forge::BadPayload&) {
    }
  }
  (void)forge::signature_matches(in, "sha256=", "secret", in);
  (void)forge::token_matches(in, "secret");
  return 0;
}
