// The answer form with files (issue 23): web::App over the in-memory store
// with the real multipart parser (mail::parse_form_data), as deskmail-web's
// main wires it. The CSRF field is checked before anything is stored; the
// files reach Desk::add_note as `deskmail reply --attach` gives them.
#include <doctest/doctest.h>

#include "../desk/fixture.h"
#include "desk/web_access.h"
#include "mail/form_data.h"
#include "web/app.h"
#include "web/form.h"
#include "web/tokens.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {

const std::string kBoundary = "----WebKitFormBoundaryQ1w2E3r4";

struct Upload : Fixture {
  desk::WebAccess access{st, &composer, desk::SignInPolicy{900, 3600, 3, 5}};
  web::App app{desk, access, settings()};
  std::string token = web::new_token(), csrf = web::new_token();

  static web::AppSettings settings() {
    web::AppSettings s;
    s.base_url = "http://desk.test";
    s.form_data = mail::parse_form_data;
    return s;
  }

  Upload() {
    access.set_clock([this] { return now; });
    desk.add_member("acme/game", "alice@example.com");
    deliver(game, mail("customer@example.org", "first@x"));
    composer.mails.clear();
    REQUIRE(access.open_session("alice@example.com", web::token_hash(token), csrf));
  }

  static std::string part(const std::string& name, const std::string& value) {
    return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
           value + "\r\n";
  }
  static std::string file(const std::string& filename, const std::string& bytes) {
    return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
           filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
  }
  static std::string end() { return "--" + kBoundary + "--\r\n"; }

  web::Response post(const std::string& body,
                     const std::string& target = "/issue/acme/game/1/note") {
    web::Request r;
    r.method = "POST";
    r.target = target;
    r.headers["cookie"] = "dm_session=" + token;
    r.headers["content-type"] = "multipart/form-data; boundary=" + kBoundary;
    r.body = body;
    r.peer = "127.0.0.1";
    return app.handle(r);
  }

  std::size_t notes() { return st.state().notes.size(); }
};

}  // namespace

TEST_CASE("web upload: a public answer with two files is stored and mailed with them") {
  Upload u;
  std::size_t before = u.notes();
  auto r = u.post(Upload::part("csrf", u.csrf) + Upload::part("body", "See the files.") +
                  Upload::file("C:\\\\fakepath\\\\report.pdf", "%PDF") + Upload::file("", "") +
                  Upload::file("log.txt", std::string("a\0b\r\n", 5)) +
                  Upload::part("kind", "public") + Upload::end());
  CHECK(r.status == 303);
  REQUIRE(u.notes() == before + 1);
  CHECK(u.st.state().notes.back().row.body == "See the files.");
  CHECK_FALSE(u.st.state().notes.back().row.internal);
  const auto& att = u.st.state().attachments;
  REQUIRE(att.size() == 2);                     // the empty file input is no file
  CHECK(att[0].filename == "safe-report.pdf");  // the display name only
  CHECK(att[1].size == 5);
  REQUIRE(u.composer.mails.size() == 1);
  CHECK(u.composer.mails[0].kind == MailKind::new_note);
  CHECK(u.composer.mails[0].to == "customer@example.org");
  CHECK(u.composer.mails[0].files == Strings{"safe-report.pdf", "safe-log.txt"});
}

TEST_CASE("web upload: an internal note keeps its file and mails no one") {
  Upload u;
  auto r =
      u.post(Upload::part("csrf", u.csrf) + Upload::part("body", "Model number inside.") +
             Upload::file("photo.jpg", "JFIF") + Upload::part("kind", "internal") + Upload::end());
  CHECK(r.status == 303);
  CHECK(u.st.state().notes.back().row.internal);
  CHECK(u.st.state().attachments.size() == 1);
  CHECK(u.composer.mails.empty());
  CHECK(u.outbox(MailKind::new_note).empty());
}

TEST_CASE("web upload: without the CSRF field, or with a wrong one, nothing is stored") {
  Upload u;
  std::size_t before = u.notes(), queued = u.st.state().outbox.size();
  for (const std::string& csrf_part :
       {std::string(), Upload::part("csrf", std::string(64, '0')), Upload::part("csrf", "")}) {
    auto r = u.post(csrf_part + Upload::part("body", "forged") + Upload::file("x.bin", "x") +
                    Upload::part("kind", "public") + Upload::end());
    CHECK(r.status == 403);
  }
  // A file input named csrf is no token either.
  auto r = u.post(Upload::part("body", "forged") + "--" + kBoundary +
                  "\r\nContent-Disposition: form-data; name=\"csrf\"; "
                  "filename=\"t\"\r\n\r\n" +
                  u.csrf + "\r\n" + Upload::part("kind", "public") + Upload::end());
  CHECK(r.status == 403);
  CHECK(u.notes() == before);
  CHECK(u.st.state().attachments.empty());
  CHECK(u.st.state().outbox.size() == queued);
}

TEST_CASE("web upload: malformed bodies and files over the desk's limits store nothing") {
  Upload u;
  std::size_t before = u.notes(), queued = u.st.state().outbox.size();
  // Cut short: no closing delimiter.
  auto r = u.post(Upload::part("csrf", u.csrf) + Upload::part("body", "x") +
                  Upload::file("a.bin", "half"));
  CHECK(r.status == 400);
  CHECK(r.body.find("cut short") != std::string::npos);
  // Over the files' limit (the desk's rule, as for the CLI).
  desk::FileLimits small;
  small.store_per_message = 10;
  u.desk.set_file_limits(small);
  r = u.post(Upload::part("csrf", u.csrf) + Upload::part("body", "x") +
             Upload::file("big.bin", std::string(11, 'x')) + Upload::part("kind", "public") +
             Upload::end());
  CHECK(r.status == 400);
  CHECK(r.body.find("more than the 10") != std::string::npos);
  CHECK(u.notes() == before);
  CHECK(u.st.state().attachments.empty());
  CHECK(u.st.state().outbox.size() == queued);
  // A text field that is not UTF-8.
  r = u.post(Upload::part("csrf", u.csrf) + Upload::part("body", "\xff") + Upload::end());
  CHECK(r.status == 400);
}

TEST_CASE("web upload: the other forms still take url-encoded bodies only where they did") {
  Upload u;
  // A multipart form to another action works like its url-encoded twin.
  auto r = u.post(Upload::part("csrf", u.csrf) + Upload::part("state", "closed") + Upload::end(),
                  "/issue/acme/game/1/state");
  CHECK(r.status == 303);
  CHECK(u.issue(1).state == "closed");
  // Without a parser, multipart is refused as before.
  web::AppSettings s = Upload::settings();
  s.form_data = nullptr;
  web::App bare{u.desk, u.access, s};
  web::Request q;
  q.method = "POST";
  q.target = "/issue/acme/game/1/note";
  q.headers["cookie"] = "dm_session=" + u.token;
  q.headers["content-type"] = "multipart/form-data; boundary=" + kBoundary;
  q.body = Upload::part("csrf", u.csrf) + Upload::end();
  CHECK(bare.handle(q).status == 415);
}

TEST_CASE("web: form_of_parts keeps text fields as a Form and moves the files out") {
  std::vector<common::FormPart> parts{{"csrf", false, "", "t"},
                                      {"file", true, "a.txt", "A"},
                                      {"label", false, "", "x"},
                                      {"label", false, "", "y"}};
  std::vector<common::FormPart> files;
  auto f = web::form_of_parts(parts, files);
  REQUIRE(f);
  CHECK(web::field(*f, "csrf") == "t");
  CHECK(f->count("label") == 2);
  CHECK(f->count("file") == 0);
  REQUIRE(files.size() == 1);
  CHECK(files[0].content == "A");
  std::vector<common::FormPart> bad{{"body", false, "", std::string("a\0b", 3)}};
  CHECK_FALSE(web::form_of_parts(bad, files));
  std::vector<common::FormPart> many(3, common::FormPart{"a", false, "", "1"});
  CHECK_FALSE(web::form_of_parts(many, files, 2));
  CHECK(web::is_media_type("Multipart/Form-Data; boundary=x", "multipart/form-data"));
  CHECK(web::is_media_type(" application/x-www-form-urlencoded ",
                           "application/x-www-form-urlencoded"));
  CHECK_FALSE(web::is_media_type("multipart/form-datax", "multipart/form-data"));
}
