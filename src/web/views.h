// views.h: the web desk's pages, rendered from plain values with the
// mustache templates in assets/ (kainjow mustache: every {{value}} is
// HTML-escaped; only whole pages built here go in unescaped). What a
// customer wrote is only ever a {{value}}: shown as text, never as HTML.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace web::views {

/// What every page around its content shows.
struct Frame {
  std::string title;
  std::string user;  // "" when nobody is signed in
  std::string csrf;
  std::string flash;
  bool nav_queue = false, nav_quarantine = false;
};

std::string signin(const Frame& f, long long minutes);
std::string signin_sent(const Frame& f, const std::string& email, long long minutes);
std::string link(const Frame& f, const std::string& token);
std::string message(const Frame& f, const std::string& heading, const std::string& text,
                    const std::string& back = "", const std::string& back_text = "");

struct Queue {
  bool quarantine = false;
  std::vector<std::string> projects;
  std::string project, state, assignee, label, q, sort;
  std::string count;  // "12" or "1000+"
  std::string error;
  std::vector<store::IssueSummary> issues;
  std::string next;  // the next page's URL, "" for none
};
std::string queue(const Frame& f, const Queue& q);

struct Issue {
  store::IssueDetail detail;
  std::vector<std::string> members;
  std::vector<store::Label> labels;
  long long file_bytes = 0;  // the most bytes of files an answer may carry
};
std::string issue(const Frame& f, const Issue& i);

/// The URL of an issue's page: /issue/PATH/IID.
std::string issue_url(const std::string& path, long long iid);
/// The stylesheet.
const char* stylesheet();

}  // namespace web::views
