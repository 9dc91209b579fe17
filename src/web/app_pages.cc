// app_pages.cc: the queue and an issue's page and actions (see app.h).
#include <algorithm>
#include <charconv>
#include <iostream>

#include "desk/tracker.h"
#include "web/app_ctx.h"
#include "web/form.h"
#include "web/views.h"

namespace web {

namespace {

constexpr std::int64_t kCountCap = 1000;

// "KEY.ID" of the keyset cursor.
std::optional<std::pair<std::int64_t, std::int64_t>> cursor(const std::string& s) {
  auto dot = s.find('.');
  if (dot == std::string::npos) return std::nullopt;
  std::int64_t a = 0, b = 0;
  auto r1 = std::from_chars(s.data(), s.data() + dot, a);
  auto r2 = std::from_chars(s.data() + dot + 1, s.data() + s.size(), b);
  if (r1.ec != std::errc() || r1.ptr != s.data() + dot || r2.ec != std::errc() ||
      r2.ptr != s.data() + s.size())
    return std::nullopt;
  return std::make_pair(a, b);
}

const char* done_text(const std::string& done) {
  if (done == "answer") return "Answer sent to the customer.";
  if (done == "note") return "Internal note added.";
  if (done == "closed") return "Issue closed.";
  if (done == "opened") return "Issue reopened.";
  if (done == "assigned") return "Assignee saved.";
  if (done == "labels") return "Labels saved.";
  if (done == "spam") return "Quarantine updated.";
  return "";
}

// The answer form's files (its "file" inputs) as the desk takes them, as
// `deskmail reply --attach` gives them: the display name and the bytes; the
// desk describes them (type from the name) and checks its limits.
std::vector<store::AttachmentIn> attachments(std::vector<common::FormPart>& files) {
  std::vector<store::AttachmentIn> out;
  for (auto& f : files) {
    if (f.name != "file") continue;
    store::AttachmentIn a;
    a.filename_sent = std::move(f.filename);
    a.content = std::move(f.content);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Response App::queue(Ctx& c, bool quarantine) {
  views::Queue v;
  v.quarantine = quarantine;
  v.project = field(c.query, "project");
  v.state = quarantine ? "all" : field(c.query, "state");
  if (v.state.empty()) v.state = "opened";
  v.assignee = field(c.query, "assignee");
  v.label = field(c.query, "label");
  v.q = field(c.query, "q");
  v.sort = field(c.query, "sort") == "created" ? "created" : "updated";
  store::IssueFilter f;
  if (!v.project.empty()) f.project = v.project;
  if (v.state == "opened" || v.state == "closed") f.state = v.state;
  if (v.assignee == "none")
    f.assignee = "";
  else if (v.assignee == "me")
    f.assignee = c.email();
  else if (!v.assignee.empty())
    f.assignee = v.assignee;
  if (!v.label.empty()) f.labels = {v.label};
  if (!v.q.empty()) f.search = v.q;
  f.sort = v.sort == "created" ? store::IssueSort::created : store::IssueSort::updated;
  f.only_spam = quarantine;
  f.limit = s_.page_size + 1;
  std::string after = field(c.query, "after");
  if (!after.empty()) f.after = cursor(after);
  int status = 200;
  try {
    auto page = access_.queue_page(c.email(), f, kCountCap + 1);
    v.projects = std::move(page.projects);
    v.issues = std::move(page.issues);
    v.count = page.count > kCountCap ? "1000+" : std::to_string(page.count);
  } catch (const desk::Invalid& e) {
    v.projects = access_.projects_of(c.email());
    v.error = e.what();
    v.count = "0";
    status = 400;
  }
  if (v.issues.size() > s_.page_size) {
    v.issues.resize(s_.page_size);
    const auto& last = v.issues.back();
    auto key = v.sort == "created" ? last.created_at : last.updated_at;
    v.next = std::string(quarantine ? "/quarantine" : "/issues") +
             query_string({{"project", v.project},
                           {"state", quarantine ? "" : v.state},
                           {"assignee", v.assignee},
                           {"label", v.label},
                           {"q", v.q},
                           {"sort", v.sort},
                           {"after", std::to_string(key) + "." + std::to_string(last.id)}});
  }
  auto frame = c.frame(quarantine ? "Quarantine" : "Queue");
  frame.nav_queue = !quarantine;
  frame.nav_quarantine = quarantine;
  return html(status, views::queue(frame, v));
}

Response App::issue_get(Ctx& c, const std::string& ref, const std::string& rest) {
  auto not_found = [&] {
    return html(404, views::message(c.frame("Not found"), "Not found", "There is no such issue.",
                                    "/issues", "Back to the queue"));
  };
  if (rest == "raw") {
    auto raw = access_.raw_message(c.email(), ref);
    if (!raw) return not_found();
    Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(*raw);
    return r;
  }
  if (rest.rfind("attachment/", 0) == 0) {
    std::int64_t id = 0;
    std::string n = rest.substr(11);
    std::from_chars(n.data(), n.data() + n.size(), id);
    auto a = access_.attachment(c.email(), ref, id);
    if (!a) return not_found();
    Response r;
    // Never rendered by the browser, whatever the sender said it was.
    r.content_type = "application/octet-stream";
    r.headers.emplace_back("Content-Disposition", content_disposition(a->first.filename));
    r.body = std::move(a->second);
    return r;
  }
  if (!rest.empty()) return not_found();
  auto page = access_.issue_page(c.email(), ref);
  if (!page) return not_found();
  views::Issue v;
  v.detail = std::move(page->detail);
  v.members = std::move(page->members);
  v.labels = std::move(page->labels);
  v.file_bytes = static_cast<long long>(desk_.file_limits().bytes());
  auto frame = c.frame(v.detail.summary.title + " · " + v.detail.summary.ref);
  frame.flash = done_text(field(c.query, "done"));
  return html(200, views::issue(frame, v));
}

Response App::issue_post(Ctx& c, const std::string& ref, const std::string& action) {
  if (!access_.may_see(c.email(), ref))
    return html(404, views::message(c.frame("Not found"), "Not found", "There is no such issue.",
                                    "/issues", "Back to the queue"));
  auto parsed = store::parse_ref(ref);
  std::string back = views::issue_url(parsed->first, parsed->second);
  std::string done;
  try {
    if (action == "note") {
      std::string body = field(c.form, "body");
      if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        return html(400, views::message(c.frame("Nothing to send"), "Nothing to send",
                                        "The answer was empty.", back, "Back to the issue"));
      store::NoteIn note;
      note.author = c.email();
      note.body = body;
      note.internal = field(c.form, "kind") != "public";
      note.attachments = attachments(c.files);
      int mails = desk_.add_note(ref, note);
      std::cerr << "deskmail-web: " << c.email() << " " << (note.internal ? "note" : "answer")
                << " on " << ref << " with " << note.attachments.size() << " file(s): " << mails
                << " mail(s) queued\n";
      done = note.internal ? "note" : "answer";
    } else if (action == "state") {
      std::string state = field(c.form, "state");
      if (state != "closed" && state != "opened") return plain(400, "Bad request: state");
      desk_.set_state(ref, state, c.email());
      done = state;
    } else if (action == "assign") {
      desk_.assign(ref, field(c.form, "assignee"), c.email());
      done = "assigned";
    } else if (action == "labels") {
      auto d = access_.issue(c.email(), ref);
      std::vector<std::string> want, add, remove;
      for (auto [it, end] = c.form.equal_range("label"); it != end; ++it)
        want.push_back(it->second);
      for (const auto& w : want)
        if (std::find(d->summary.labels.begin(), d->summary.labels.end(), w) ==
            d->summary.labels.end())
          add.push_back(w);
      for (const auto& h : d->summary.labels)
        if (std::find(want.begin(), want.end(), h) == want.end()) remove.push_back(h);
      desk_.relabel(ref, add, remove, c.email());
      done = "labels";
    } else if (action == "spam") {
      desk_.set_spam(ref, field(c.form, "spam") == "1");
      if (field(c.form, "back") == "quarantine") return redirect("/quarantine");
      done = "spam";
    } else {
      return plain(404, "Not Found");
    }
  } catch (const desk::Invalid& e) {
    return html(
        400, views::message(c.frame("Not done"), "Not done", e.what(), back, "Back to the issue"));
  }
  return redirect(back + "?done=" + done);
}

}  // namespace web
