// multipart/form-data (src/mail/form_data.h): the web desk's answer form
// with files, as browsers send it, and the bodies refused as a whole.
#include <doctest/doctest.h>

#include <string>

#include "mail/form_data.h"

namespace {

const char* const kType = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";
const std::string kDelim = "------WebKitFormBoundary7MA4YWxkTrZu0gW";

// One part as Chromium writes it.
std::string field(const std::string& name, const std::string& value) {
  return kDelim + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
         "\r\n";
}

std::string file(const std::string& filename, const std::string& bytes,
                 const std::string& type = "application/octet-stream") {
  return kDelim + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
         "\"\r\nContent-Type: " + type + "\r\n\r\n" + bytes + "\r\n";
}

std::string closing() {
  return kDelim + "--\r\n";
}

common::FormData parse(const std::string& body, const char* type = kType,
                       std::size_t max_parts = 20) {
  return mail::parse_form_data(type, body, max_parts);
}

// Bytes of every value, CR and LF and NUL and the start of a delimiter
// among them: only the boundary itself ends a part.
std::string binary() {
  std::string b;
  for (int i = 0; i < 256; ++i) b += static_cast<char>(i);
  b += "\r\n--\r\n------WebKitFormBoundary7MA4YWxk\r\n\r";
  b += std::string(3, '\0');
  return b;
}

}  // namespace

TEST_CASE("form-data: the CSRF field, text fields and two files, bytes exact") {
  const std::string bin = binary();
  auto d = parse(field("csrf", "0123abcd") + field("body", "Line 1\r\nLine 2\r\n") +
                 file("report.pdf", "%PDF-1.4 body") + file("raw.bin", bin) +
                 field("kind", "public") + closing());
  REQUIRE(d.refused == "");
  REQUIRE(d.parts.size() == 5);
  CHECK(d.parts[0].name == "csrf");
  CHECK(d.parts[0].content == "0123abcd");
  CHECK_FALSE(d.parts[0].is_file);
  CHECK(d.parts[1].content == "Line 1\r\nLine 2\r\n");  // the delimiter's CRLF is not the value's
  CHECK(d.parts[2].is_file);
  CHECK(d.parts[2].name == "file");
  CHECK(d.parts[2].filename == "report.pdf");
  CHECK(d.parts[2].content == "%PDF-1.4 body");
  CHECK(d.parts[3].filename == "raw.bin");
  CHECK(d.parts[3].content == bin);
  CHECK(d.parts[4].content == "public");
}

TEST_CASE("form-data: the boundary as the Content-Type gives it") {
  SUBCASE("quoted, with RFC 2046's other characters") {
    std::string b = "'()+_,-./:=? x";
    auto d = mail::parse_form_data(
        "multipart/form-data; boundary=\"" + b + "\"",
        "--" + b + "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" + b + "--\r\n", 5);
    REQUIRE(d.refused == "");
    REQUIRE(d.parts.size() == 1);
    CHECK(d.parts[0].content == "1");
  }
  SUBCASE("type in capitals, a preamble and an epilogue") {
    auto d = mail::parse_form_data(
        "Multipart/Form-Data; charset=utf-8; boundary=XyZ",
        "ignored preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
        "--XyZ--\r\nepilogue",
        5);
    REQUIRE(d.refused == "");
    REQUIRE(d.parts.size() == 1);
    CHECK(d.parts[0].content == "v");
  }
  SUBCASE("a boundary string inside a value that is not at a line start") {
    auto d = parse(field("body", "see " + kDelim + " here") + closing());
    REQUIRE(d.refused == "");
    CHECK(d.parts.at(0).content == "see " + kDelim + " here");
  }
  SUBCASE("another type") {
    CHECK(parse(field("a", "1") + closing(),
                "multipart/mixed; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW")
              .refused == "not multipart/form-data");
    CHECK(parse("a=1", "application/x-www-form-urlencoded").refused == "not multipart/form-data");
  }
}

TEST_CASE("form-data: a file input with nothing chosen is left out") {
  auto d = parse(field("csrf", "t") + file("", "") + closing());
  REQUIRE(d.refused == "");
  REQUIRE(d.parts.size() == 1);
  CHECK(d.parts[0].name == "csrf");
  // A chosen file that is empty is a file all the same.
  d = parse(file("empty.txt", "") + closing());
  REQUIRE(d.parts.size() == 1);
  CHECK(d.parts[0].filename == "empty.txt");
  CHECK(d.parts[0].content.empty());
}

TEST_CASE("form-data: a file's name is a display name only") {
  struct Case {
    const char* sent;
    const char* shown;
  };
  // In a quoted string a backslash escapes the next character (RFC 7230
  // 3.2.6, as GMime reads it): a Windows path arrives with doubled ones.
  for (auto c :
       {Case{"C:\\\\Users\\\\eve\\\\report.pdf", "report.pdf"}, Case{"../../etc/passwd", "passwd"},
        Case{"/abs/path/x.txt", "x.txt"}, Case{"dir\\\\", ""},
        Case{"Zo\xc3\xab \xe2\x82\xac.txt", "Zo\xc3\xab \xe2\x82\xac.txt"},
        Case{"a\tb\x01"
             "c.txt",
             "a_b_c.txt"},
        Case{"bad\xff.txt", "bad\xc3\xbf.txt"} /* not UTF-8: GMime reads Latin-1 */}) {
    CAPTURE(c.sent);
    auto d = parse(file(c.sent, "x") + closing());
    REQUIRE(d.refused == "");
    REQUIRE(d.parts.size() == 1);
    CHECK(d.parts[0].filename == c.shown);
  }
  // RFC 2231's filename* (not what browsers send, but GMime reads it).
  auto d = parse(kDelim +
                 "\r\nContent-Disposition: form-data; name=\"file\"; "
                 "filename*=UTF-8''%E2%82%AC%2Fx.txt\r\n\r\nx\r\n" +
                 closing());
  REQUIRE(d.parts.size() == 1);
  CHECK(d.parts[0].filename == "x.txt");
  CHECK(mail::display_filename("a/b\\c\x7f") == "c_");
}

TEST_CASE("form-data: bodies refused as a whole, each with its reason") {
  struct Case {
    const char* label;
    std::string type, body, why;
  };
  std::string ok = field("csrf", "t") + closing();
  for (const auto& c : {
           Case{"a part without a name", kType,
                field("csrf", "t") + kDelim + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n" +
                    closing(),
                "a part has no name"},
           Case{"a part with an empty name", kType,
                kDelim + "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n" + closing(),
                "a part has no name"},
           Case{"a part without Content-Disposition", kType,
                kDelim + "\r\nContent-Type: text/plain\r\n\r\nx\r\n" + closing(),
                "a part is no form-data field"},
           Case{"an attachment, not form-data", kType,
                kDelim + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n" + closing(),
                "a part is no form-data field"},
           Case{"a part that is multipart itself", kType,
                kDelim +
                    "\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: "
                    "multipart/mixed; "
                    "boundary=in\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n\r\n" +
                    closing(),
                "a part is itself multipart"},
           Case{"truncated: no closing delimiter", kType,
                field("csrf", "t") + kDelim +
                    "\r\nContent-Disposition: form-data; name=\"file\"; "
                    "filename=\"a.bin\"\r\n\r\nhalf of it",
                "the body is cut short (no closing delimiter)"},
           Case{"truncated inside a part's header", kType,
                field("csrf", "t") + kDelim + "\r\nContent-Disposition: form-da",
                "the body is cut short (no closing delimiter)"},
           Case{"empty body", kType, "", "the body is cut short (no closing delimiter)"},
           Case{"missing boundary", "multipart/form-data", ok,
                "no boundary in the Content-Type, or not one of 1 to 70 of RFC 2046's characters"},
           Case{"empty boundary", "multipart/form-data; boundary=\"\"", ok,
                "no boundary in the Content-Type, or not one of 1 to 70 of RFC 2046's characters"},
           Case{"boundary over 70", "multipart/form-data; boundary=" + std::string(71, 'b'), ok,
                "no boundary in the Content-Type, or not one of 1 to 70 of RFC 2046's characters"},
           Case{"boundary with a quote", "multipart/form-data; boundary=\"a\\\"b\"", ok,
                "no boundary in the Content-Type, or not one of 1 to 70 of RFC 2046's characters"},
           Case{"CR in the type", std::string("multipart/form-data; boundary=a\r\nX: y"), ok,
                "malformed Content-Type"},
       }) {
    CAPTURE(c.label);
    auto d = mail::parse_form_data(c.type, c.body, 20);
    CHECK(d.refused == c.why);
    CHECK(d.parts.empty());
  }
}

TEST_CASE("form-data: at most max_parts parts") {
  std::string body;
  for (int i = 0; i < 5; ++i) body += field("f" + std::to_string(i), "v");
  body += closing();
  CHECK(parse(body, kType, 5).parts.size() == 5);
  CHECK(parse(body, kType, 4).refused == "more than 4 parts");
}
