// webhook.cc: answering a forge webhook (see webhook.h).
#include "forge/webhook.h"

#include <vector>

#include "desk/desk.h"
#include "forge/payload.h"
#include "forge/verify.h"

namespace forge {

namespace {

std::string header(const Request& r, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = r.headers.find(n);
    if (it != r.headers.end() && !it->second.empty()) return it->second;
  }
  return "";
}

// The header fields each forge sends: event, secret or signature, delivery id.
struct Fields {
  std::string event, proof, delivery;
};

Fields fields(Forge f, const Request& r) {
  switch (f) {
    case Forge::gitlab:
      return {header(r, {"x-gitlab-event"}), header(r, {"x-gitlab-token"}),
              header(r, {"x-gitlab-event-uuid", "x-gitlab-webhook-uuid"})};
    case Forge::github:
      return {header(r, {"x-github-event"}), header(r, {"x-hub-signature-256"}),
              header(r, {"x-github-delivery"})};
    case Forge::gitea:
      return {header(r, {"x-gitea-event", "x-forgejo-event"}),
              header(r, {"x-gitea-signature", "x-forgejo-signature"}),
              header(r, {"x-gitea-delivery", "x-forgejo-delivery"})};
  }
  return {};
}

bool proven(Forge f, const Fields& h, const std::string& secret, std::string_view body) {
  if (f == Forge::gitlab) return token_matches(h.proof, secret);
  return signature_matches(h.proof, f == Forge::github ? "sha256=" : "", secret, body);
}

std::string summary(const desk::FixResult& r) {
  return std::to_string(r.closed) + " closed, " + std::to_string(r.noted) + " noted, " +
         std::to_string(r.seen) + " seen before, " + std::to_string(r.missing) + " unknown, " +
         std::to_string(r.mails) + " mails";
}

}  // namespace

Response handle(desk::Desk& desk, const Request& req, const Limits& limits) {
  auto f = forge_from(req.forge);
  if (!f) return {404, "no such forge: use /hooks/gitlab, /hooks/github or /hooks/gitea"};
  if (req.body.size() > limits.body)
    return {413, "the body is larger than " + std::to_string(limits.body) + " bytes"};
  Fields h = fields(*f, req);
  if (h.proof.empty()) return {401, "no secret token or signature"};
  if (h.event.empty()) return {400, "no event header"};
  Event e;
  try {
    e = parse(*f, h.event, req.body, limits.commits);
  } catch (const BadPayload& bad) {
    return {400, bad.what()};
  }
  try {
    std::vector<std::int64_t> ok;
    if (!e.push.repo.empty())
      for (const auto& b : desk.find_hooks(e.push.forge, e.push.repo))
        if (proven(*f, h, b.secret, req.body)) ok.push_back(b.id);
    if (ok.empty()) return {401, "not authorised for this repository"};
    if (e.kind == Event::Kind::other) return {200, "ignored: " + h.event.substr(0, 100)};
    e.push.delivery = h.delivery.substr(0, 200);
    e.push.only_hooks = ok;
    desk::FixResult r = desk.fix_push(e.push, limits.refs_per_commit);
    if (r.replay) return {200, "already seen: delivery " + e.push.delivery};
    if (r.bindings == 0) return {200, "ignored: branch " + e.push.branch.substr(0, 200)};
    return {200, summary(r)};
  } catch (const store::Unavailable&) {
    return {503, "the desk's database is unavailable; try again later"};
  }
}

}  // namespace forge
