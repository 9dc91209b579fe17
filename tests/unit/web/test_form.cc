// The web desk's pure helpers (src/web/form.h, tokens.h): forms and
// queries, cookies, the CSRF comparison, Content-Disposition, the client
// address behind trusted proxies.
#include <doctest/doctest.h>

#include "web/form.h"
#include "web/tokens.h"

using web::Form;

TEST_CASE("web: form bodies decode percent-escapes and '+', keep repeated names") {
  auto f = web::parse_form("csrf=ab12&body=Hello+there%21%0D%0Aline+2&label=a&label=b&empty=&flag");
  REQUIRE(f);
  CHECK(web::field(*f, "csrf") == "ab12");
  CHECK(web::field(*f, "body") == "Hello there!\r\nline 2");
  CHECK(f->count("label") == 2);
  CHECK(web::field(*f, "empty") == "");
  CHECK(f->count("flag") == 1);
  CHECK(web::field(*f, "missing") == "");
  CHECK(web::field(*web::parse_form("a=%2B1"), "a") == "+1");
  CHECK(web::parse_form("")->empty());
  CHECK(web::field(*web::parse_form("q=Zo%C3%AB"), "q") == "Zo\xc3\xab");
}

TEST_CASE("web: malformed forms are refused as a whole") {
  struct Case {
    const char* label;
    std::string text;
  };
  for (const auto& c :
       {Case{"bad escape", "a=%zz"}, Case{"cut escape", "a=%4"}, Case{"NUL", "a=x%00y"},
        Case{"invalid UTF-8", "a=%ff%fe"}, Case{"cut UTF-8", "a=%c3"}}) {
    CAPTURE(c.label);
    CHECK_FALSE(web::parse_form(c.text));
  }
  std::string many;
  for (int i = 0; i < 101; ++i) many += "a=1&";
  CHECK_FALSE(web::parse_form(many));
  CHECK(web::parse_form(many, 200));
}

TEST_CASE("web: cookies by name, and Set-Cookie with the right attributes") {
  CHECK(web::cookie("a=1; dm_session=abc; b=2", "dm_session") == "abc");
  CHECK(web::cookie("dm_session=\"q\"", "dm_session") == "q");
  CHECK_FALSE(web::cookie("xdm_session=abc", "dm_session"));
  CHECK_FALSE(web::cookie("", "dm_session"));
  CHECK_FALSE(web::cookie(";;;=;", "dm_session"));
  CHECK(web::set_cookie("dm_session", "t", 60, false) ==
        "dm_session=t; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
  CHECK(web::set_cookie("dm_session", "t", 0, true) ==
        "dm_session=t; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
}

TEST_CASE("web: CSRF tokens compare equal only when equal and not empty") {
  std::string t = web::new_token();
  CHECK(web::same_token(t, t));
  CHECK_FALSE(web::same_token(t, t.substr(1)));
  CHECK_FALSE(web::same_token(t, std::string(64, '0')));
  CHECK_FALSE(web::same_token("", ""));
  CHECK(web::looks_like_token(t));
  CHECK(t != web::new_token());
  CHECK_FALSE(web::looks_like_token(t.substr(1)));
  CHECK_FALSE(web::looks_like_token(std::string(64, 'G')));
  // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
  CHECK(web::token_hash("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("web: Content-Disposition is always an attachment with a harmless name") {
  CHECK(web::content_disposition("report.pdf") ==
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  std::string d = web::content_disposition("../../etc/\"passwd\"\r\nX: y");
  CHECK(d.rfind("attachment; filename=\"", 0) == 0);
  CHECK(d.find('\r') == std::string::npos);
  CHECK(d.find('\n') == std::string::npos);
  CHECK(d.find("/") == std::string::npos);
  CHECK(d.find("filename=\"_.._etc__passwd___X: y\"") != std::string::npos);
  CHECK(web::content_disposition("Zo\xc3\xab.txt").find("filename*=UTF-8''Zo%C3%AB.txt") !=
        std::string::npos);
  CHECK(web::content_disposition("").find("filename=\"attachment\"") != std::string::npos);
}

TEST_CASE("web: the client's address is taken from X-Forwarded-For only behind a trusted proxy") {
  std::vector<std::string> trusted{"10.0.0.1", "10.0.0.2"};
  CHECK(web::client_address("192.0.2.7", "203.0.113.9", trusted) == "192.0.2.7");
  CHECK(web::client_address("10.0.0.1", "203.0.113.9", trusted) == "203.0.113.9");
  CHECK(web::client_address("10.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2", trusted) ==
        "203.0.113.9");
  CHECK(web::client_address("10.0.0.1", "", trusted) == "10.0.0.1");
  CHECK(web::is_trusted("10.0.0.2", trusted));
  CHECK_FALSE(web::is_trusted("10.0.0.3", trusted));
}

TEST_CASE("web: query strings encode their values and leave out empty ones") {
  CHECK(web::query_string({{"q", "a b&c"}, {"state", ""}, {"after", "12.3"}}) ==
        "?q=a%20b%26c&after=12.3");
  CHECK(web::query_string({}) == "");
}
