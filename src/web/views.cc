// views.cc: pages from templates (see views.h).
#include "web/views.h"

#include <cstring>
#include <ctime>
#include <kainjow/mustache.hpp>
#include <map>
#include <memory>
#include <string_view>
#include <tuple>

#include "asset_issue.h"
#include "asset_layout.h"
#include "asset_link.h"
#include "asset_message.h"
#include "asset_queue.h"
#include "asset_queue_row.h"
#include "asset_signin.h"
#include "asset_signin_sent.h"
#include "asset_style.h"
#include "web/form.h"
#include "web/fragment_cache.h"

namespace web::views {

namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;

// kainjow's set() and push_back() copy what they are given: a queue page's
// 50 issues, each an object of a dozen strings, were copied twice over
// (into the list, then the list into the page), ~15 % of the page's CPU
// (perf). These move a list or an object in instead.
void put(data& object, const std::string& key, data&& value) {
  object[key] = std::move(value);
}
// list_value() is the list's own vector (heap-owned, not const itself).
kainjow::mustache::list& items(data& list) {
  return const_cast<kainjow::mustache::list&>(list.list_value());
}
void add(data& list, data&& item) {
  items(list).push_back(std::move(item));
}
// A list of `n` items: data's move constructor is not noexcept, so a vector
// that grows copies what it holds (another 10 % of a queue page's CPU).
data list_of(std::size_t n) {
  data list{data::type::list};
  items(list).reserve(n);
  return list;
}

// A template, or the part of it before (1) or after (2) its `hole` (a
// triple mustache alone on its line): what is poured into a hole is appended to
// the page as it is, not handed through kainjow (which copied a queue
// page's 27 KB through its line buffer, a string stream and its str()
// several times over: a fifth of the page's CPU, and the heap's growing and
// trimming, by perf).
std::string piece(const char* tpl, const char* hole, int part) {
  std::string text(tpl);
  if (part == 0) return text;
  auto at = text.find(hole);
  if (at == std::string::npos) throw std::runtime_error("template: no hole " + std::string(hole));
  return part == 1 ? text.substr(0, at) : text.substr(at + std::strlen(hole));
}

// Each template (piece) is parsed once per handler thread, not at every
// page (a queue page spent ~3 % of its CPU parsing them). A thread of its
// own because rendering may write the template's error state.
void render_into(std::string& out, const data& d, const char* tpl, const char* hole = nullptr,
                 int part = 0) {
  thread_local std::map<std::tuple<const char*, const char*, int>, std::unique_ptr<mustache>>
      compiled;
  auto& m = compiled[{tpl, hole, part}];
  if (!m) m = std::make_unique<mustache>(piece(tpl, hole, part));
  if (m->is_valid()) m->render(d, [&out](const std::string& s) { out += s; });
  if (!m->is_valid()) {  // a render error sticks to the template: parse it anew next time
    std::string error = m->error_message();
    m.reset();
    throw std::runtime_error("template: " + error);
  }
}

std::string render(const char* tpl, const data& d) {
  std::string out;
  render_into(out, d, tpl);
  return out;
}

constexpr const char* kContent = "{{{content}}}";

// The layout around a page's content, which `fill(out)` appends.
template <class Fill>
std::string page_around(const Frame& f, Fill&& fill) {
  data d;
  d.set("title", f.title);
  if (!f.user.empty()) d.set("user", f.user);
  d.set("csrf", f.csrf);
  if (!f.flash.empty()) d.set("flash", f.flash);
  d.set("nav_queue", f.nav_queue);
  d.set("nav_quarantine", f.nav_quarantine);
  std::string out;
  out.reserve(32 * 1024);
  render_into(out, d, kAssetLayout, kContent, 1);
  fill(out);
  render_into(out, d, kAssetLayout, kContent, 2);
  return out;
}

std::string page(const Frame& f, const char* tpl, const data& content) {
  return page_around(f, [&](std::string& out) { render_into(out, content, tpl); });
}

std::string when(long long t, bool iso) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string size_text(long long n) {
  char buf[32];
  if (n < 1024) return std::to_string(n) + " bytes";
  if (n < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", n / 1024.0);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.1f MiB", n / 1048576.0);
  return buf;
}

data options(const std::vector<std::pair<std::string, std::string>>& values,
             const std::string& chosen) {
  data list = list_of(values.size());
  for (const auto& [v, label] : values) {
    data o;
    o.set("value", v);
    o.set("label", label);
    o.set("selected", v == chosen);
    add(list, std::move(o));
  }
  return list;
}

// How a note is told apart: the customer, a public answer, an internal
// note, the bot, or a change the desk recorded.
void note_kind(const store::NoteView& n, data& d) {
  if (n.author_kind == "system") {
    d.set("system", true);
    return;
  }
  d.set("system", false);
  if (n.author_kind == "customer") {
    d.set("cls", n.internal ? "customer internal" : "customer");
    d.set("kind", n.internal ? "Customer · internal" : "Customer");
  } else if (n.internal) {
    d.set("cls", "internal");
    d.set("kind", "Internal note");
  } else {
    d.set("cls", "answer");
    d.set("kind", n.author_kind == "support_bot" ? "Support bot" : "Answer to customer");
  }
}

}  // namespace

std::string issue_url(const std::string& path, long long iid) {
  return "/issue/" + path + "/" + std::to_string(iid);
}

const char* stylesheet() {
  return kAssetStyle;
}

std::string signin(const Frame& f, long long minutes) {
  data d;
  d.set("csrf", f.csrf);
  d.set("minutes", std::to_string(minutes));
  return page(f, kAssetSignin, d);
}

std::string signin_sent(const Frame& f, const std::string& email, long long minutes) {
  data d;
  d.set("email", email);
  d.set("minutes", std::to_string(minutes));
  return page(f, kAssetSigninSent, d);
}

std::string link(const Frame& f, const std::string& token) {
  data d;
  d.set("csrf", f.csrf);
  d.set("token", token);
  return page(f, kAssetLink, d);
}

std::string message(const Frame& f, const std::string& heading, const std::string& text,
                    const std::string& back, const std::string& back_text) {
  data d;
  d.set("heading", heading);
  d.set("text", text);
  if (!back.empty()) {
    d.set("back", back);
    d.set("back_text", back_text);
  }
  return page(f, kAssetMessage, d);
}

namespace {

// Everything a queue row shows, each value after its length (so that no
// two rows' values can run into each other): the row's key in the cache.
void keyed(std::string& k, std::string_view v) {
  (k += std::to_string(v.size())) += ':';
  k += v;
}

std::string row_key(const store::IssueSummary& s, bool quarantine, const std::string& csrf) {
  std::string k;
  k.reserve(256);
  for (const std::string* v : {&s.state, &s.title, &s.project, &s.ref, &s.author, &s.assignee})
    keyed(k, *v);
  keyed(k, std::to_string(s.iid));
  keyed(k, std::to_string(s.updated_at));
  keyed(k, std::to_string(s.labels.size()));
  for (const auto& l : s.labels) keyed(k, l);
  // The form of a quarantined row carries the session's CSRF token.
  if (quarantine) keyed(k, csrf);
  return k;
}

std::string render_row(const store::IssueSummary& s, bool quarantine, const std::string& csrf) {
  data o;
  o.set("state", s.state);
  o.set("title", s.title.empty() ? std::string("(no subject)") : s.title);
  o.set("url", issue_url(s.project, s.iid));
  o.set("spam_url", issue_url(s.project, s.iid) + "/spam");
  o.set("ref", s.ref);
  o.set("author", s.author);
  o.set("updated", when(s.updated_at, false));
  o.set("updated_iso", when(s.updated_at, true));
  if (s.assignee.empty())
    o.set("assigned_to", false);
  else
    o.set("assigned_to", s.assignee);
  data labels = list_of(s.labels.size());
  for (const auto& l : s.labels) add(labels, data(l));
  put(o, "labels", std::move(labels));
  o.set("quarantine", quarantine);
  o.set("csrf", csrf);
  return render(kAssetQueueRow, o);
}

// A row as rendered before, when nothing it shows has changed since
// (kainjow looks each variable up through a context stack and builds a
// string per piece: fifty rows of a dozen values a page). One
// cache per handler thread (no lock); at most 2 x 1 024 rows. A row of the
// 1 000 000-issue benchmark is about 540 bytes (26 936 a page of 50 with its
// form and layout) and its key some 150: under 2 MiB a thread with the
// maps' own nodes, under 8 MiB for the default four.
const std::string& queue_row(const store::IssueSummary& s, bool quarantine,
                             const std::string& csrf) {
  thread_local FragmentCache rows(1024);
  std::string key = row_key(s, quarantine, csrf);
  if (const std::string* hit = rows.find(key)) return *hit;
  return rows.put(key, render_row(s, quarantine, csrf));
}

}  // namespace

std::string queue(const Frame& f, const Queue& q) {
  data d;
  d.set("heading", q.quarantine ? "Quarantine" : "Queue");
  d.set("action", q.quarantine ? "/quarantine" : "/issues");
  d.set("quarantine", q.quarantine);
  data projects = list_of(q.projects.size());
  for (const auto& p : q.projects) {
    data o;
    o.set("path", p);
    o.set("selected", p == q.project);
    add(projects, std::move(o));
  }
  put(d, "projects", std::move(projects));
  put(d, "states", options({{"opened", "Open"}, {"closed", "Closed"}, {"all", "Any"}}, q.state));
  put(d, "sorts", options({{"updated", "Last activity"}, {"created", "Newest"}}, q.sort));
  d.set("assignee", q.assignee);
  d.set("label", q.label);
  d.set("q", q.q);
  d.set("count", q.count);
  d.set("noun", q.count == "1" ? "issue" : "issues");
  if (!q.error.empty()) d.set("error", q.error);
  d.set("empty", q.issues.empty());
  d.set("filtered", !q.project.empty() || !q.assignee.empty() || !q.label.empty() || !q.q.empty());
  if (!q.next.empty()) d.set("next", q.next);
  constexpr const char* kRows = "{{{rows}}}";
  return page_around(f, [&](std::string& out) {
    render_into(out, d, kAssetQueue, kRows, 1);
    for (const auto& s : q.issues) out += queue_row(s, q.quarantine, f.csrf);
    render_into(out, d, kAssetQueue, kRows, 2);
  });
}

std::string issue(const Frame& f, const Issue& i) {
  const auto& s = i.detail.summary;
  data d;
  d.set("project", s.project);
  d.set("title", s.title.empty() ? std::string("(no subject)") : s.title);
  d.set("ref", s.ref);
  d.set("state", s.state);
  d.set("open", s.state != "closed");
  d.set("spam", s.spam);
  d.set("author", s.author);
  d.set("created", when(s.created_at, false));
  d.set("created_iso", when(s.created_at, true));
  d.set("description", i.detail.description);
  d.set("base", issue_url(s.project, s.iid));
  d.set("csrf", f.csrf);
  data notes = list_of(i.detail.notes.size());
  for (const auto& n : i.detail.notes) {
    data o;
    note_kind(n, o);
    o.set("author", n.author.empty() ? std::string("desk") : n.author);
    o.set("body", n.body);
    o.set("unverified", !n.verified);
    o.set("at", when(n.created_at, false));
    o.set("at_iso", when(n.created_at, true));
    add(notes, std::move(o));
  }
  put(d, "notes", std::move(notes));
  data members = list_of(i.members.size());
  for (const auto& m : i.members) {
    data o;
    o.set("email", m);
    o.set("selected", m == s.assignee);
    add(members, std::move(o));
  }
  put(d, "members", std::move(members));
  data labels = list_of(i.labels.size());
  for (const auto& l : i.labels) {
    data o;
    o.set("name", l.name);
    bool on = false;
    for (const auto& have : s.labels) on = on || have == l.name;
    o.set("on", on);
    add(labels, std::move(o));
  }
  put(d, "labels", std::move(labels));
  d.set("has_labels", !i.labels.empty());
  data parts = list_of(i.detail.participants.size());
  for (const auto& p : i.detail.participants) {
    data o;
    o.set("email", p.email);
    o.set("role", p.role);
    o.set("subscribed", p.subscribed);
    add(parts, std::move(o));
  }
  put(d, "participants", std::move(parts));
  data atts = list_of(i.detail.attachments.size());
  for (const auto& a : i.detail.attachments) {
    data o;
    o.set("name", a.filename);
    o.set("size", size_text(a.size));
    o.set("url", issue_url(s.project, s.iid) + "/attachment/" + std::to_string(a.id));
    add(atts, std::move(o));
  }
  put(d, "attachments", std::move(atts));
  d.set("file_limit", size_text(i.file_bytes));
  return page(f, kAssetIssue, d);
}

}  // namespace web::views
