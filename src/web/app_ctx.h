// app_ctx.h: one request as the App's handlers see it (app.cc and
// app_pages.cc only), and the small responses they share.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "web/app.h"
#include "web/form.h"
#include "web/views.h"

namespace web {

struct App::Ctx {
  const Request& r;
  std::string path;
  Form query, form;
  std::vector<common::FormPart> files;  // a multipart form's file inputs
  std::string client;
  std::optional<store::WebSession> session;
  std::string session_hash;
  std::string pre;  // the anonymous CSRF token (cookie value)
  std::vector<std::string> cookies;

  views::Frame frame(std::string title) const {
    views::Frame f;
    f.title = std::move(title);
    if (session) {
      f.user = session->email;
      f.csrf = session->csrf;
    } else {
      f.csrf = pre;
    }
    return f;
  }
  const std::string& email() const { return session->email; }
};

inline Response html(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

inline Response redirect(const std::string& to) {
  Response r;
  r.status = 303;
  r.headers.emplace_back("Location", to);
  r.content_type = "text/plain; charset=utf-8";
  r.body = "See " + to + "\n";
  return r;
}

}  // namespace web
