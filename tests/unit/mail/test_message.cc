// MIME parsing: golden .eml -> .expected cases (tests/golden/), and helpers.
// Set UPDATE_GOLDEN=1 to rewrite the .expected files after a reviewed change.
#include <doctest/doctest.h>
#include <glib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/ascii.h"
#include "mail/message.h"

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string render(const mail::Message& m) {
  std::ostringstream o;
  o << "subject: " << m.subject << "\n";
  o << "title: " << mail::make_title(m.subject, m.text) << "\n";
  if (m.from) o << "from: " << m.from->name << " <" << m.from->email << ">\n";
  if (m.reply_to) o << "reply-to: " << m.reply_to->name << " <" << m.reply_to->email << ">\n";
  o << "message-id: " << m.message_id << "\n";
  o << "text-from-html: " << (m.text_from_html ? "yes" : "no") << "\n";
  for (const auto& a : m.attachments)
    o << "attachment: " << a.filename << " | sent " << a.filename_sent << " | " << a.content_type
      << " | " << a.content.size() << " | " << a.sha256 << "\n";
  for (const auto& p : m.problems) o << "problem: " << p << "\n";
  o << "--- text\n" << m.text << "\n";
  return o.str();
}

}  // namespace

TEST_CASE("mail::parse golden files") {
  std::vector<fs::path> emls;
  for (const auto& e : fs::directory_iterator(GOLDEN_DIR))
    if (e.path().extension() == ".eml") emls.push_back(e.path());
  std::sort(emls.begin(), emls.end());
  REQUIRE(emls.size() >= 7);
  bool update = std::getenv("UPDATE_GOLDEN") != nullptr;
  for (const auto& p : emls) {
    CAPTURE(p.filename().string());
    std::string got = render(mail::parse(read(p)));
    fs::path exp = p;
    exp.replace_extension(".expected");
    if (update) {
      std::ofstream(exp, std::ios::binary) << got;
      continue;
    }
    REQUIRE(fs::exists(exp));
    CHECK(got == read(exp));
  }
}

TEST_CASE("mail::parse: the fixture's title, text and attachment hash") {
  auto m = mail::parse(read(fs::path(GOLDEN_DIR) / "rfc2047-qp-latin1-attachment.eml"));
  CHECK(m.subject == "Drucker defekt: Ärger mit dem Gärtner");
  REQUIRE(m.from);
  CHECK(m.from->name == "Jörg Müller");
  CHECK(m.text.find("Grüße, der Drucker im Büro") == 0);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].content == std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10));
  CHECK(m.attachments[0].sha256 == mail::sha256_hex(m.attachments[0].content));
}

TEST_CASE("mail::sha256_hex: FIPS 180-2 vectors, whole and in release steps") {
  CHECK(mail::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(mail::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // One million 'a' crosses the 1 MiB step only with more: 3 MiB of them,
  // hashed through a Bytes (in memory: release() does nothing) and whole.
  common::Bytes big(std::string(3u << 20, 'a'));
  CHECK(mail::sha256_hex(big.view(), &big) == mail::sha256_hex(std::string(3u << 20, 'a')));
  CHECK(mail::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("mail::parse: a large attachment decodes into a file of its own, byte for byte") {
  std::string payload;
  for (int i = 0; i < 6000; ++i) payload += static_cast<char>((i * 7919 + (i >> 7)) % 256);
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(payload.data()), payload.size());
  std::string raw =
      "From: a@example.org\r\nSubject: att\r\nMessage-ID: <att@x>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "hi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
      "filename=x.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      std::string(b64) + "\r\n--b--\r\n";
  g_free(b64);
  common::Bytes bytes(raw);
  std::string tmpl = "/tmp/deskmail-parse-" + std::string(6, 'X');  // mkdtemp's template
  std::string dir = mkdtemp(tmpl.data());
  mail::ParseOptions po;
  po.spool_dir = dir;
  po.spool_over = 1000;
  auto m = mail::parse(bytes, po);
  REQUIRE(m.attachments.size() == 1);
  const auto& a = m.attachments[0];
  REQUIRE(a.spooled);
  CHECK(a.spooled->mapped());
  CHECK(a.content.empty());
  CHECK(a.bytes() == payload);
  CHECK(a.sha256 == mail::sha256_hex(payload));
  // Without a directory, or under the threshold: in memory, the same bytes.
  for (auto opts : {mail::ParseOptions{}, mail::ParseOptions{dir, 10000}}) {
    auto mm = mail::parse(bytes, opts);
    REQUIRE(mm.attachments.size() == 1);
    CHECK_FALSE(mm.attachments[0].spooled);
    CHECK(mm.attachments[0].content == payload);
    CHECK(mm.attachments[0].sha256 == a.sha256);
  }
  // No file can be made there: a temporary failure, thrown, not a message
  // stored without its attachment.
  po.spool_dir = dir + "/missing";
  CHECK_THROWS_AS(mail::parse(bytes, po), std::runtime_error);
  rmdir(dir.c_str());
}

TEST_CASE("mail::parse survives what is not a message") {
  for (std::string s : {std::string(), std::string("\r\n"), std::string("To::\no"),
                        std::string("\x00\x01\x02", 3), std::string(1000, '\n'),
                        std::string("Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n")}) {
    auto m = mail::parse(s);
    CHECK(mail::make_title(m.subject, m.text).size() > 0);
  }
}

TEST_CASE("mail::sanitize_filename") {
  struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"report.pdf", "report.pdf"},
      {"../../etc/passwd", "passwd"},
      {"..\\..\\boot.ini", "boot.ini"},
      {"/etc/shadow", "shadow"},
      {"...hidden", "hidden"},
      {"", "attachment"},
      {"..", "attachment"},
      {"a\x01"
       "b\nc.txt",
       "a_b_c.txt"},
      {"what?.txt", "what_.txt"},
      {"Résumé.png", "Résumé.png"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(mail::sanitize_filename(c.in) == c.out);
  }
  CHECK(mail::sanitize_filename(std::string(1000, 'a')).size() == 200);
}

TEST_CASE("mail::make_title") {
  CHECK(mail::make_title("  Hello\r\n\tworld ", "") == "Hello world");
  CHECK(mail::make_title("", "") == "(no subject)");
  CHECK(mail::make_title("", "short body") == "short body");
  std::string t = mail::make_title("", std::string(30, 'a') + " " + std::string(40, 'b'));
  CHECK(t == std::string(30, 'a') + "…");
  CHECK(mail::make_title(std::string(400, 'x'), "").size() == 255);
}

TEST_CASE("mail::html_to_text") {
  CHECK(mail::html_to_text("<p>a &amp; b</p><p>c</p>") == "a & b\n\nc");
  CHECK(mail::html_to_text("x<script>evil()</script>y") == "xy");
  CHECK(mail::html_to_text("one<br>two") == "one\ntwo");
  CHECK(mail::html_to_text("&#x263A;&#9731;") == "☺☃");
  CHECK(mail::html_to_text("<a href=\"javascript:x\">link</a>") == "link");
}

TEST_CASE("mail::to_valid_utf8 repairs and drops NUL") {
  CHECK(mail::to_valid_utf8(std::string("a\0b", 3)) == "ab");
  CHECK(mail::to_valid_utf8("caf\xe9") == "caf\xef\xbf\xbd");
}

TEST_CASE("mail::parse keeps at most 1 MiB of text per part, and says so") {
  std::string big;
  for (int i = 0; i < 40000; ++i)
    big += "line " + std::to_string(i) + " of a very long mail body\r\n";
  REQUIRE(big.size() > (2u << 20) / 2);
  // Quoted-printable, so that the cut happens after decoding.
  auto m = mail::parse(
      "Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
      big + big);
  CHECK(m.text.size() <= (1u << 20));
  CHECK(m.text.size() > 900000);  // 1 MiB decoded, less the CRs of CRLF
  CHECK(m.text.rfind("line 0 of a very long mail body", 0) == 0);
  bool noted = false;
  for (const auto& p : m.problems) noted = noted || p.find("1 MiB cut") != std::string::npos;
  CHECK(noted);
  auto small = mail::parse("Subject: small\r\n\r\nshort body\r\n");
  for (const auto& p : small.problems) CHECK(p.find("cut") == std::string::npos);
}

// Found by fuzz_ingest: GLib's error quoted the raw bytes of an unknown
// charset name into a problem line that was not UTF-8.
TEST_CASE("mail::parse: problem lines are UTF-8 even for a binary charset name") {
  auto m = mail::parse(
      std::string("Subject: x\r\nContent-Type: text/plain; charset=x-\xf6\xbc\x90\x8b\r\n"
                  "Content-Transfer-Encoding: 8bit\r\n\r\n\xff\xfe text\r\n"));
  REQUIRE_FALSE(m.problems.empty());
  for (const auto& p : m.problems)
    CHECK(g_utf8_validate(p.data(), static_cast<gssize>(p.size()), nullptr));
}

TEST_CASE("mail::parse: the text allowance is per message, not per part") {
  // 22 inline text/plain parts of 100 000 bytes each, under a 1 MiB allowance.
  std::string raw =
      "From: a@b.example\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=XX\r\n\r\n";
  for (int i = 0; i < 22; ++i)
    raw += "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
           std::string(100000, 'a' + i % 26) + "\r\n";
  raw += "--XX--\r\n";
  auto bytes = common::bytes_of(raw);
  mail::Message m = mail::parse(*bytes);
  CHECK(m.text.size() <= (std::size_t{1} << 20));
  CHECK(m.text.size() > 1000000);
  CHECK(std::count(m.problems.begin(), m.problems.end(),
                   "text longer than 1 MiB cut there; the whole message is kept as received") == 1);
  // A smaller allowance, cut at a character boundary.
  mail::ParseOptions opts;
  opts.text_limit = 5;
  auto cyr = common::bytes_of(
      "From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nЗаказ\r\n");
  mail::Message c = mail::parse(*cyr, opts);
  CHECK(c.text == "За");
  CHECK(c.problems.back() ==
        "text longer than 5 bytes cut there; the whole message is kept as received");
}
