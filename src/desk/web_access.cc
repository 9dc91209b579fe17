// web_access.cc: sign-in and visibility rules of the web desk (see web_access.h).
#include "desk/web_access.h"

#include <algorithm>
#include <ctime>

#include "desk/desk.h"
#include "desk/tracker.h"
#include "route/route.h"

namespace desk {

namespace {

// Not projects().list(): that counts every issue of every project, 0.2 s a
// request on 1 000 000 issues (tests/bench/web_bench.py).
bool is_member(store::Tx& tx, const std::string& email) {
  return !tx.projects().member_paths(email).empty();
}

std::vector<std::string> member_projects(store::Tx& tx, const std::string& email) {
  return tx.projects().member_paths(email);
}

std::string canonical(const std::string& email) {
  auto c = route::canonical_address(email);
  return c ? *c : std::string();
}

}  // namespace

WebAccess::WebAccess(store::Store& store, store::Composer* composer, SignInPolicy policy)
    : store_(store),
      composer_(composer),
      policy_(policy),
      now_([] { return std::int64_t(std::time(nullptr)); }) {}

LinkRequest WebAccess::request_link(const std::string& email_in, const std::string& client,
                                    const std::string& token_hash, const std::string& link) {
  std::string email = canonical(email_in);
  if (email.empty() || email.size() > 254) return LinkRequest::invalid;
  const std::int64_t now = now_(), hour_ago = now - 3600;
  return store_.transact([&](store::Tx& tx) {
    auto& web = tx.web();
    bool limited = (policy_.links_per_address_hour &&
                    web.links_for_email(email, hour_ago) >= policy_.links_per_address_hour) ||
                   (policy_.links_per_client_hour &&
                    web.links_from_client(client, hour_ago) >= policy_.links_per_client_hour);
    web.add_link(token_hash, email, client, now, now + policy_.link_lifetime);
    if (limited) return LinkRequest::rate_limited;
    if (!is_member(tx, email)) return LinkRequest::not_member;
    if (composer_) {
      store::MailContext ctx;
      ctx.kind = store::MailKind::sign_in;
      ctx.to_email = email;
      ctx.note_text = link;
      tx.outbox().add(store::MailKind::sign_in, 0, email, composer_->compose(ctx), now);
    }
    return LinkRequest::mailed;
  });
}

LinkState WebAccess::link_state(const std::string& token_hash) {
  auto l = store_.read([&](store::Tx& tx) { return tx.web().link(token_hash); });
  if (!l) return LinkState::unknown;
  if (l->used_at) return LinkState::used;
  if (l->expires_at <= now_()) return LinkState::expired;
  return LinkState::valid;
}

std::optional<store::WebSession> WebAccess::redeem(const std::string& link_hash,
                                                   const std::string& session_hash,
                                                   const std::string& csrf) {
  const std::int64_t now = now_();
  return store_.transact([&](store::Tx& tx) -> std::optional<store::WebSession> {
    auto email = tx.web().use_link(link_hash, now);
    if (!email) return std::nullopt;
    if (!is_member(tx, *email)) return std::nullopt;  // the link stays used
    store::WebSession s{*email, csrf, now, now + policy_.session_lifetime};
    tx.web().add_session(session_hash, s);
    return s;
  });
}

std::optional<store::WebSession> WebAccess::open_session(const std::string& email_in,
                                                         const std::string& session_hash,
                                                         const std::string& csrf) {
  std::string email = canonical(email_in);
  if (email.empty()) return std::nullopt;
  const std::int64_t now = now_();
  return store_.transact([&](store::Tx& tx) -> std::optional<store::WebSession> {
    if (!is_member(tx, email)) return std::nullopt;
    store::WebSession s{email, csrf, now, now + policy_.session_lifetime};
    tx.web().add_session(session_hash, s);
    return s;
  });
}

std::optional<store::WebSession> WebAccess::session(const std::string& session_hash) {
  const std::int64_t now = now_();
  return store_.read([&](store::Tx& tx) -> std::optional<store::WebSession> {
    auto s = tx.web().session(session_hash, now);
    if (!s || !is_member(tx, s->email)) return std::nullopt;
    return s;
  });
}

void WebAccess::sign_out(const std::string& session_hash) {
  const std::int64_t now = now_();
  store_.transact([&](store::Tx& tx) {
    tx.web().remove_session(session_hash);
    tx.web().purge(now);
  });
}

std::vector<std::string> WebAccess::projects_of(const std::string& email) {
  return store_.read([&](store::Tx& tx) { return member_projects(tx, email); });
}

namespace {

// `f` (checked) narrowed to `mine`, the member's projects.
store::IssueFilter narrowed(store::IssueFilter f, std::vector<std::string> mine) {
  if (f.project) {
    if (std::find(mine.begin(), mine.end(), *f.project) == mine.end())
      mine.clear();
    else
      mine = {*f.project};
  }
  // No project of the member's: a filter that selects nothing.
  if (mine.empty()) mine = {std::string()};
  f.projects = std::move(mine);
  return f;
}

}  // namespace

WebAccess::QueuePage WebAccess::queue_page(const std::string& email,
                                           const store::IssueFilter& filter, std::int64_t cap) {
  auto checked = checked_filter(filter);
  return store_.read([&](store::Tx& tx) {
    QueuePage page;
    page.projects = member_projects(tx, email);
    auto f = narrowed(checked, page.projects);
    page.issues = tx.issues().list(f);
    page.count = tx.issues().count(f, cap);
    return page;
  });
}

std::optional<std::int64_t> WebAccess::issue_id(store::Tx& tx, const std::string& email,
                                                const std::string& ref) {
  auto parsed = store::parse_ref(ref);
  if (!parsed) return std::nullopt;
  auto mine = member_projects(tx, email);
  if (std::find(mine.begin(), mine.end(), parsed->first) == mine.end()) return std::nullopt;
  return tx.issues().find(parsed->first, parsed->second);
}

bool WebAccess::may_see(const std::string& email, const std::string& ref) {
  return store_.read([&](store::Tx& tx) { return issue_id(tx, email, ref).has_value(); });
}

std::optional<store::IssueDetail> WebAccess::issue(const std::string& email,
                                                   const std::string& ref) {
  return store_.read([&](store::Tx& tx) -> std::optional<store::IssueDetail> {
    if (!issue_id(tx, email, ref)) return std::nullopt;
    auto parsed = store::parse_ref(ref);
    return tx.issues().detail(parsed->first, parsed->second);
  });
}

std::optional<WebAccess::IssuePage> WebAccess::issue_page(const std::string& email,
                                                          const std::string& ref) {
  return store_.read([&](store::Tx& tx) -> std::optional<IssuePage> {
    if (!issue_id(tx, email, ref)) return std::nullopt;
    auto parsed = store::parse_ref(ref);
    auto detail = tx.issues().detail(parsed->first, parsed->second);
    auto project = tx.projects().id_of(parsed->first);
    if (!detail || !project) return std::nullopt;
    IssuePage page;
    page.detail = std::move(*detail);
    page.members = tx.projects().members(*project);
    page.labels = tx.labels().list(*project);
    return page;
  });
}

std::optional<std::pair<store::AttachmentView, std::string>> WebAccess::attachment(
    const std::string& email, const std::string& ref, std::int64_t attachment_id) {
  return store_.read(
      [&](store::Tx& tx) -> std::optional<std::pair<store::AttachmentView, std::string>> {
        auto id = issue_id(tx, email, ref);
        if (!id) return std::nullopt;
        return tx.blobs().attachment(*id, attachment_id);
      });
}

std::optional<std::string> WebAccess::raw_message(const std::string& email,
                                                  const std::string& ref) {
  return store_.read([&](store::Tx& tx) -> std::optional<std::string> {
    auto id = issue_id(tx, email, ref);
    if (!id) return std::nullopt;
    return tx.blobs().issue_raw(*id);
  });
}

}  // namespace desk
