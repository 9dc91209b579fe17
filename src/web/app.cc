// app.cc: routing, sessions and CSRF, and the pages' actions (see app.h).
#include "web/app.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <iostream>
#include <string_view>

#include "web/app_ctx.h"
#include "web/form.h"
#include "web/tokens.h"
#include "web/views.h"

namespace web {

namespace {

constexpr const char* kSessionCookie = "dm_session";
// Before sign-in, forms carry a token equal to this cookie (double submit).
constexpr const char* kPreCookie = "dm_pre";

bool digits(const std::string& s) {
  return !s.empty() && s.size() < 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto slash = s.find('/', start);
    if (slash == std::string::npos) slash = s.size();
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// For the log: at most `n` bytes, control characters as '?' (a decoded
// path or a payload's branch name may hold a line break).
std::string printable(std::string_view s, std::size_t n) {
  std::string out(s.substr(0, n));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

}  // namespace

void add_security_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'self'; img-src 'self'; "
                         "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

App::App(desk::Desk& desk, desk::WebAccess& access, AppSettings settings)
    : desk_(desk), access_(access), s_(std::move(settings)) {}

bool App::may_upload(const Request& r) {
  std::optional<store::Deadline> deadline;
  if (s_.request_timeout.count() > 0) deadline.emplace(s_.request_timeout);
  auto h = [&](const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  if (auto t = cookie(h("cookie"), kSessionCookie); t && looks_like_token(*t))
    if (access_.session(token_hash(*t))) return true;
  // Behind the single sign-on proxy the session may not exist yet.
  return !s_.sso_header.empty() && is_trusted(r.peer, s_.trusted_proxies) &&
         !h(s_.sso_header).empty();
}

Response App::handle(const Request& r) {
  Response out;
  // Every unit of work of this request ends by then (store.h): a slow
  // search cannot keep this handler thread, or SQLite's one connection.
  std::optional<store::Deadline> deadline;
  if (s_.request_timeout.count() > 0) deadline.emplace(s_.request_timeout);
  try {
    Ctx c{r, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    out = [&]() -> Response {
      auto u = boost::urls::parse_origin_form(r.target);
      if (!u) return plain(400, "Bad request: malformed target");
      c.path = u->path();
      if (c.path.find('\0') != std::string::npos) return plain(400, "Bad request");
      auto q = parse_form(u->encoded_query());
      if (!q) return plain(400, "Bad request: malformed query");
      c.query = std::move(*q);
      if (c.path.rfind("/hooks/", 0) == 0) return hook(c);
      if (r.method != "GET" && r.method != "HEAD" && r.method != "POST") {
        auto resp = plain(405, "Method Not Allowed");
        resp.headers.emplace_back("Allow", "GET, HEAD, POST");
        return resp;
      }
      auto h = [&](const char* name) {
        auto it = r.headers.find(name);
        return it == r.headers.end() ? std::string() : it->second;
      };
      c.client = client_address(r.peer, h("x-forwarded-for"), s_.trusted_proxies);
      std::string cookies = h("cookie");
      if (auto t = cookie(cookies, kSessionCookie); t && looks_like_token(*t)) {
        c.session_hash = token_hash(*t);
        c.session = access_.session(c.session_hash);
      }
      if (!c.session && !s_.sso_header.empty() && is_trusted(r.peer, s_.trusted_proxies)) {
        if (auto who = h(s_.sso_header.c_str()); !who.empty()) {
          std::string token = new_token();
          c.session_hash = token_hash(token);
          c.session = access_.open_session(who, c.session_hash, new_token());
          if (c.session)
            c.cookies.push_back(
                set_cookie(kSessionCookie, token, s_.session_lifetime, s_.secure_cookies));
        }
      }
      auto pre = cookie(cookies, kPreCookie);
      bool had_pre = pre && looks_like_token(*pre);
      c.pre = had_pre ? *pre : new_token();
      if (!had_pre) c.cookies.push_back(set_cookie(kPreCookie, c.pre, 86400, s_.secure_cookies));
      if (r.method == "POST") {
        if (auto refused = read_form(c, h("content-type"))) return std::move(*refused);
        const std::string& expected = c.session ? c.session->csrf : (had_pre ? c.pre : "");
        if (!same_token(expected, field(c.form, "csrf")))
          return html(403, views::message(c.frame("Forbidden"), "This form has expired",
                                          "The form was not sent from this desk's page, or "
                                          "your session changed. Go back, reload and try again.",
                                          "/", "Back to the desk"));
      }
      return route(c);
    }();
    for (auto& k : c.cookies) out.headers.emplace_back("Set-Cookie", k);
  } catch (const store::TimedOut& e) {
    std::cerr << "deskmail-web: " << r.method << " " << printable(r.target, 200)
              << ": stopped at the request timeout: " << e.what() << "\n";
    views::Frame frame;
    frame.title = "Too slow";
    out = html(503, views::message(frame, "This took too long",
                                   "The desk stopped this request: it needed more time than a "
                                   "page may take. A narrower filter or a rarer word in the "
                                   "search will be faster. Try again in a moment.",
                                   "/issues", "Back to the queue"));
    out.headers.emplace_back("Retry-After", "5");
  } catch (const store::Unavailable& e) {
    std::cerr << "deskmail-web: store unavailable: " << e.what() << "\n";
    out = plain(503, "The desk's database is unavailable; try again in a moment.");
    out.headers.emplace_back("Retry-After", "10");
  }
  add_security_headers(out);
  bool is_static =
      out.headers.end() != std::find_if(out.headers.begin(), out.headers.end(),
                                        [](const auto& h) { return h.first == "Cache-Control"; });
  if (!is_static) out.headers.emplace_back("Cache-Control", "no-store");
  if (r.method == "HEAD") out.body.clear();
  return out;
}

// The fields of a POST (and a multipart form's files) into c.form and
// c.files; an answer when the body is refused. The CSRF token is one of the
// fields either way, checked right after this and before anything is done.
std::optional<Response> App::read_form(Ctx& c, const std::string& type) {
  if (is_media_type(type, "application/x-www-form-urlencoded")) {
    auto f = parse_form(c.r.body);
    if (!f) return plain(400, "Bad request: malformed form");
    c.form = std::move(*f);
    return std::nullopt;
  }
  if (!is_media_type(type, "multipart/form-data") || !s_.form_data)
    return plain(415, "Unsupported Media Type: forms only");
  // Files are for members only: nobody else's upload is even parsed.
  if (!c.session) return plain(403, "Forbidden: not signed in");
  constexpr std::size_t kFields = 100;
  auto data = s_.form_data(type, c.r.body, kFields + desk_.file_limits().files());
  if (!data.refused.empty()) return plain(400, "Bad request: malformed form: " + data.refused);
  auto f = form_of_parts(data.parts, c.files, kFields);
  if (!f) return plain(400, "Bad request: malformed form");
  c.form = std::move(*f);
  return std::nullopt;
}

Response App::route(Ctx& c) {
  const std::string& p = c.path;
  const bool post = c.r.method == "POST";
  if (p == "/static/style.css" && !post) {
    Response r;
    r.content_type = "text/css; charset=utf-8";
    r.body = views::stylesheet();
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return r;
  }
  if (p.rfind("/static/", 0) == 0) return plain(404, "Not Found");
  if (p == "/") return redirect(c.session ? "/issues" : "/signin");
  if (p == "/signin") return post ? signin_post(c) : signin_get(c);
  if (p == "/signin/link") return post ? link_post(c) : link_get(c);
  if (p == "/signout" && post) return signout(c);
  bool page = p == "/issues" || p == "/quarantine" || p.rfind("/issue/", 0) == 0;
  if (!page)
    return html(404, views::message(c.frame("Not found"), "Not found", "There is no such page.",
                                    "/", "Back to the desk"));
  if (!c.session) {
    if (post) return plain(403, "Forbidden: not signed in");
    return redirect("/signin");
  }
  if (p == "/issues" && !post) return queue(c, false);
  if (p == "/quarantine" && !post) return queue(c, true);
  // /issue/PATH/IID[/raw | /attachment/ID | /ACTION]
  auto seg = split(p.substr(7));
  std::size_t n = seg.size();
  std::size_t iid_at = n;  // where the issue number is
  std::string rest;
  if (n >= 2 && digits(seg[n - 1]) && (n < 4 || seg[n - 2] != "attachment")) {
    iid_at = n - 1;
  } else if (n >= 4 && digits(seg[n - 1]) && seg[n - 2] == "attachment" && digits(seg[n - 3])) {
    iid_at = n - 3;
    rest = "attachment/" + seg[n - 1];
  } else if (n >= 3 && digits(seg[n - 2])) {
    iid_at = n - 2;
    rest = seg[n - 1];
  }
  if (iid_at == n || iid_at == 0)
    return html(404, views::message(c.frame("Not found"), "Not found", "There is no such issue.",
                                    "/issues", "Back to the queue"));
  std::string path;
  for (std::size_t i = 0; i < iid_at; ++i) path += (i ? "/" : "") + seg[i];
  std::string ref = path + "#" + seg[iid_at];
  return post ? issue_post(c, ref, rest) : issue_get(c, ref, rest);
}

// A forge's webhook: POST only; the forge's own proof instead of a session
// and a CSRF token; the handler's status and line as text/plain.
Response App::hook(Ctx& c) {
  if (c.r.method != "POST") {
    auto resp = plain(405, "Method Not Allowed: webhooks are POSTed");
    resp.headers.emplace_back("Allow", "POST");
    return resp;
  }
  auto fwd = c.r.headers.find("x-forwarded-for");
  std::string client =
      client_address(c.r.peer, fwd == c.r.headers.end() ? "" : fwd->second, s_.trusted_proxies);
  forge::Request fr{c.path.substr(7), c.r.headers, c.r.body};
  forge::Response out = forge::handle(desk_, fr, s_.hooks);
  std::cerr << "deskmail-web: hook " << printable(fr.forge, 40) << " client=" << client << ": "
            << out.status << " " << printable(out.text, 300) << "\n";
  return plain(out.status, std::move(out.text));
}

Response App::signin_get(Ctx& c) {
  if (c.session) return redirect("/issues");
  return html(200, views::signin(c.frame("Sign in"), s_.link_lifetime / 60));
}

Response App::signin_post(Ctx& c) {
  std::string email = field(c.form, "email");
  if (email.size() > 254) email.resize(254);
  std::string token = new_token();
  auto result = access_.request_link(email, c.client, token_hash(token),
                                     s_.base_url + "/signin/link?t=" + token);
  static const char* const kNames[] = {"mailed", "not a member", "rate limited", "invalid"};
  std::cerr << "deskmail-web: sign-in link requested from client=" << c.client << ": "
            << kNames[static_cast<int>(result)] << "\n";
  // The same page whatever happened: it tells nobody who is a member.
  return html(200, views::signin_sent(c.frame("Check your mail"), email, s_.link_lifetime / 60));
}

Response App::link_get(Ctx& c) {
  std::string t = field(c.query, "t");
  auto state = looks_like_token(t) ? access_.link_state(token_hash(t)) : desk::LinkState::unknown;
  if (state == desk::LinkState::valid) return html(200, views::link(c.frame("Sign in"), t));
  const char* text =
      state == desk::LinkState::used ? "This sign-in link was used already. Each link works once."
      : state == desk::LinkState::expired ? "This sign-in link has expired. Ask for a new one."
                                          : "This sign-in link is not valid. Ask for a new one.";
  return html(410, views::message(c.frame("Link not valid"), "This link cannot sign you in", text,
                                  "/signin", "Ask for a new link"));
}

Response App::link_post(Ctx& c) {
  std::string t = field(c.form, "t");
  std::string session_token = new_token();
  std::optional<store::WebSession> s;
  if (looks_like_token(t))
    s = access_.redeem(token_hash(t), token_hash(session_token), new_token());
  if (!s)
    return html(410, views::message(c.frame("Link not valid"), "This link cannot sign you in",
                                    "This sign-in link was used already, has expired or is not "
                                    "valid. Ask for a new one.",
                                    "/signin", "Ask for a new link"));
  std::cerr << "deskmail-web: signed in " << s->email << " client=" << c.client << "\n";
  c.cookies.push_back(
      set_cookie(kSessionCookie, session_token, s_.session_lifetime, s_.secure_cookies));
  return redirect("/issues");
}

Response App::signout(Ctx& c) {
  if (!c.session_hash.empty()) access_.sign_out(c.session_hash);
  c.cookies.push_back(set_cookie(kSessionCookie, "", 0, s_.secure_cookies));
  return redirect("/signin");
}

}  // namespace web
