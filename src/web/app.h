// app.h: the web desk's pages and actions: routing, the session and its
// CSRF token, the security header fields on every response, and the calls
// into the desk (desk::WebAccess for who sees what, desk::Desk for every
// change: an answer from the browser is the same answer as `deskmail reply`).
//
//   GET  /                        -> /issues or /signin
//   GET  /signin, POST /signin    the address form; "check your mail" (the same for anyone)
//   GET  /signin/link?t=T         a button; POST /signin/link uses the link up
//   POST /signout
//   GET  /issues, /quarantine     the queue (filters, keyset pages)
//   GET  /issue/PATH/IID          the thread; .../attachment/ID, .../raw
//   POST /issue/PATH/IID/{note,state,assign,labels,spam}
//                                 (forms url-encoded; note's also multipart with files)
//   GET  /static/style.css
//   POST /hooks/{gitlab,github,gitea,forgejo}   a forge's webhook (forge::handle):
//                                 no session, no CSRF token: its secret or
//                                 signature proves it; text/plain answers
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/form_data.h"
#include "desk/desk.h"
#include "desk/web_access.h"
#include "forge/webhook.h"
#include "web/http.h"

namespace web {

/// Parses a multipart/form-data body given its Content-Type value and the
/// most parts it may have (mail::parse_form_data: the web library knows no
/// MIME, deskmail-web's main hands it the parser).
using FormDataParser =
    std::function<common::FormData(std::string_view, std::string_view, std::size_t)>;

struct AppSettings {
  std::string base_url;  // links in mail; Secure cookies when https
  std::vector<std::string> trusted_proxies;
  std::string sso_header;  // lower case; "" for none
  long long session_lifetime = 43200, link_lifetime = 900;
  unsigned page_size = 50;
  /// The most one request may spend in the store (store::Deadline); past
  /// it the request is answered 503 with Retry-After. Zero: no limit.
  std::chrono::milliseconds request_timeout{5000};
  bool secure_cookies = false;
  forge::Limits hooks;  // fixes.webhook_body, commits_per_push, refs_per_commit
  /// The answer form's files (multipart/form-data); null: such forms are
  /// refused (415).
  FormDataParser form_data;
};

class App {
 public:
  App(desk::Desk& desk, desk::WebAccess& access, AppSettings settings);
  /// Answers one request (thread-safe: the desk and store are).
  Response handle(const Request& r);
  /// Whether a request (its header block) comes from a signed-in member,
  /// by session cookie or the trusted proxy's header: only they may send a
  /// body up to the answer form's file limit (web::ServerLimits::may_upload).
  bool may_upload(const Request& r);

 private:
  struct Ctx;
  std::optional<Response> read_form(Ctx& c, const std::string& type);
  Response route(Ctx& c);
  Response hook(Ctx& c);
  Response signin_get(Ctx& c);
  Response signin_post(Ctx& c);
  Response link_get(Ctx& c);
  Response link_post(Ctx& c);
  Response signout(Ctx& c);
  Response queue(Ctx& c, bool quarantine);
  Response issue_get(Ctx& c, const std::string& ref, const std::string& rest);
  Response issue_post(Ctx& c, const std::string& ref, const std::string& action);

  desk::Desk& desk_;
  desk::WebAccess& access_;
  AppSettings s_;
};

/// The security header fields every response carries (CSP without
/// unsafe-inline, frame and referrer policy, nosniff).
void add_security_headers(Response& r);

}  // namespace web
