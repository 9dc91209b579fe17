// The LMTP state machine driven from memory: whole scripts, and the same
// scripts fed one byte at a time.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "lmtp/session.h"

namespace {

struct Result {
  std::string out;
  std::vector<std::string> messages;  // data of each delivery
  std::vector<bool> mapped;           // ... left in its spool file
  std::vector<std::vector<std::string>> envelopes;
  bool closed = false;
};

// Runs a session over `input`: recipients containing "unknown" are refused
// with 550, everything else accepted; each delivery gets one 250 per rcpt,
// except recipients containing "fail", which get 451.
Result drive(const std::string& input, lmtp::SessionLimits lim = {}, std::size_t chunk = 0) {
  lmtp::Session s(lim, "test.example");
  Result r;
  r.out = s.greeting();
  std::size_t pos = 0;
  for (;;) {
    auto a = s.next();
    if (a.kind == lmtp::Action::Kind::need_input) {
      r.out += s.output();
      s.output().clear();
      if (pos >= input.size()) break;
      std::size_t n = chunk ? std::min(chunk, input.size() - pos) : input.size() - pos;
      s.receive(std::string_view(input).substr(pos, n));
      pos += n;
    } else if (a.kind == lmtp::Action::Kind::check_recipient) {
      if (a.address.find("unknown") != std::string::npos)
        s.recipient_checked({550, "5.1.1", "<" + a.address + "> unknown"});
      else
        s.recipient_checked({250, "2.1.5", "<" + a.address + "> ok"});
    } else if (a.kind == lmtp::Action::Kind::deliver) {
      common::BytesPtr b = s.take_bytes();
      REQUIRE(b);
      r.messages.push_back(b->copy());
      r.mapped.push_back(b->mapped());
      r.envelopes.push_back(s.envelope().recipients);
      std::vector<lmtp::Reply> replies;
      for (const auto& rc : s.envelope().recipients)
        replies.push_back(rc.find("fail") != std::string::npos
                              ? lmtp::Reply{451, "4.3.0", "<" + rc + "> tempfail"}
                              : lmtp::Reply{250, "2.0.0", "<" + rc + "> delivered"});
      s.delivered(replies);
    } else {
      r.out += s.output();
      s.output().clear();
      r.closed = true;
      break;
    }
  }
  return r;
}

std::vector<std::string> codes(const std::string& out) {
  std::vector<std::string> c;
  std::size_t p = 0;
  while (p < out.size()) {
    auto e = out.find("\r\n", p);
    std::string line = out.substr(p, e - p);
    if (line.size() >= 4 && line[3] == ' ') c.push_back(line.substr(0, 3));
    p = e + 2;
  }
  return c;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

}  // namespace

TEST_CASE("session: command sequences give the right reply codes") {
  struct {
    const char* name;
    std::string input;
    const char* expect;  // space-separated final reply codes, greeting first
  } cases[] = {
      {"plain delivery",
       "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
       "220 250 250 250 354 250 221"},
      {"HELO is not LMTP", "HELO x\r\n", "220 500"},
      {"EHLO is not LMTP", "EHLO x\r\n", "220 500"},
      {"MAIL before LHLO", "MAIL FROM:<a@b>\r\n", "220 503"},
      {"RCPT before MAIL", "LHLO x\r\nRCPT TO:<a@b>\r\n", "220 250 503"},
      {"DATA without MAIL", "LHLO x\r\nDATA\r\n", "220 250 503"},
      {"DATA without accepted RCPT", "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<unknown@e>\r\nDATA\r\n",
       "220 250 250 550 503"},
      {"nested MAIL", "LHLO x\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n", "220 250 250 503"},
      {"null sender", "LHLO x\r\nMAIL FROM:<>\r\n", "220 250 250"},
      {"SIZE over limit", "LHLO x\r\nMAIL FROM:<a@b> SIZE=999999999\r\n", "220 250 552"},
      {"bad SIZE", "LHLO x\r\nMAIL FROM:<a@b> SIZE=abc\r\n", "220 250 501"},
      {"unknown MAIL param", "LHLO x\r\nMAIL FROM:<a@b> FOO=1\r\n", "220 250 555"},
      {"RCPT param refused", "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<a@b> NOTIFY=NEVER\r\n",
       "220 250 250 555"},
      {"bad MAIL syntax", "LHLO x\r\nMAIL FROM:a@b\r\n", "220 250 501"},
      {"LHLO without name", "LHLO\r\n", "220 501"},
      {"unknown command", "LHLO x\r\nFOO\r\n", "220 250 500"},
      {"unimplemented", "LHLO x\r\nSTARTTLS\r\n", "220 250 502"},
      {"RSET and NOOP", "LHLO x\r\nMAIL FROM:<a@b>\r\nRSET\r\nNOOP\r\nRCPT TO:<a@b>\r\n",
       "220 250 250 250 250 503"},
      {"VRFY", "VRFY a\r\n", "220 252"},
      {"bare LF commands accepted", "LHLO x\nNOOP\n", "220 250 250"},
      {"DATA with argument", "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<a@b>\r\nDATA x\r\n",
       "220 250 250 250 501"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(join(codes(drive(c.input).out)) == c.expect);
    // Byte by byte gives the same replies.
    CHECK(join(codes(drive(c.input, {}, 1).out)) == c.expect);
  }
}

TEST_CASE("session: LHLO advertises exactly the extensions of DESIGN.md section 3") {
  lmtp::SessionLimits lim;
  lim.message_size = 12345;
  auto r = drive("LHLO x\r\n", lim);
  CHECK(r.out.find("250-PIPELINING\r\n") != std::string::npos);
  CHECK(r.out.find("250-ENHANCEDSTATUSCODES\r\n") != std::string::npos);
  CHECK(r.out.find("250-8BITMIME\r\n") != std::string::npos);
  CHECK(r.out.find("250-SMTPUTF8\r\n") != std::string::npos);
  CHECK(r.out.find("250 SIZE 12345\r\n") != std::string::npos);
  CHECK(r.out.find("CHUNKING") == std::string::npos);
  CHECK(r.out.find("STARTTLS") == std::string::npos);
}

TEST_CASE("session: one reply per accepted recipient, in order, duplicates included") {
  std::string in =
      "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<one@d>\r\nRCPT TO:<unknown@d>\r\n"
      "RCPT TO:<fail@d>\r\nRCPT TO:<one@d>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  for (std::size_t chunk : {0, 1, 7}) {
    auto r = drive(in, {}, chunk);
    CHECK(join(codes(r.out)) == "220 250 250 250 550 250 250 354 250 451 250 221");
    REQUIRE(r.envelopes.size() == 1);
    CHECK(r.envelopes[0] == std::vector<std::string>{"one@d", "fail@d", "one@d"});
  }
}

TEST_CASE("session: dot-unstuffing and the data as received") {
  auto r = drive(
      "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n"
      "Subject: x\r\n\r\n..leading dot\r\n.\r\n");
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0] == "Subject: x\r\n\r\n.leading dot\r\n");
}

TEST_CASE("session: a second transaction on the same connection (Exim sends no RSET)") {
  std::string one = "MAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\nx\r\n.\r\n";
  auto r = drive("LHLO x\r\n" + one + one);
  CHECK(r.messages.size() == 2);
  CHECK(join(codes(r.out)) == "220 250 250 250 354 250 250 250 354 250");
}

TEST_CASE("session: the smuggling variants never end DATA early") {
  // Each variant tries to end the data with something other than CRLF.CRLF
  // and start a second transaction. Only one message may come out, and it
  // must contain the smuggled text.
  const char* variants[] = {"\n.\n",   "\n.\r\n", "\r\n.\n",       "\r.\r",        "\r.\r\n",
                            "\r\n.\r", "\n.\r",   "\r\n\x00.\r\n", "\r\n.\x00\r\n"};
  for (auto policy : {lmtp::BareLfPolicy::normalize, lmtp::BareLfPolicy::reject}) {
    int idx = 0;
    for (const char* v : variants) {
      CAPTURE(idx);
      std::string var(v, idx == 7 || idx == 8 ? 6 : std::char_traits<char>::length(v));
      ++idx;
      std::string in =
          "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n"
          "Subject: first\r\n\r\nbody" +
          var +
          "MAIL FROM:<evil@x>\r\nRCPT TO:<d@e>\r\nDATA\r\nSubject: smuggled\r\n\r\n"
          "x\r\n.\r\nQUIT\r\n";
      lmtp::SessionLimits lim;
      lim.bare_lf = policy;
      auto r = drive(in, lim);
      bool bare = var.find('\0') == std::string::npos;
      if (policy == lmtp::BareLfPolicy::reject && bare) {
        CHECK(r.messages.empty());
        CHECK(join(codes(r.out)) == "220 250 250 250 354 554 221");
      } else {
        REQUIRE(r.messages.size() == 1);
        CHECK(r.messages[0].find("Subject: smuggled") != std::string::npos);
        CHECK(join(codes(r.out)) == "220 250 250 250 354 250 221");
      }
    }
  }
}

TEST_CASE("session: normalize turns bare LF and bare CR into CRLF") {
  lmtp::SessionLimits lim;
  auto r = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\na\nb\rc\r\n.\r\n", lim);
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0] == "a\r\nb\r\nc\r\n");
}

TEST_CASE("session: data over the size limit is read to the end, then 552 per recipient") {
  lmtp::SessionLimits lim;
  lim.message_size = 1000;
  std::string big(5000, 'x');
  auto r = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nRCPT TO:<f@e>\r\nDATA\r\n" + big +
                     "\r\n.\r\nNOOP\r\n",
                 lim);
  CHECK(r.messages.empty());
  CHECK(join(codes(r.out)) == "220 250 250 250 250 354 552 552 250");
}

// Found by fuzz_lmtp_session: 700 bare LFs (700 bytes on the wire, under
// the limit) became 1 400 bytes of CRLF, over it.
TEST_CASE("session: the size limit holds after bare LFs are normalized") {
  lmtp::SessionLimits lim;
  lim.message_size = 1000;
  std::string bare(700, '\n');
  auto r =
      drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n" + bare + "end\r\n.\r\n", lim);
  CHECK(r.messages.empty());
  CHECK(join(codes(r.out)) == "220 250 250 250 354 552");
  auto ok = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n" +
                      std::string(400, '\n') + "end\r\n.\r\n",
                  lim);
  REQUIRE(ok.messages.size() == 1);
  CHECK(ok.messages[0].size() == 805);
}

TEST_CASE("session: a long line in DATA is passed on, not buffered whole") {
  std::string line(300000, 'y');
  auto r = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n" + line + "\r\n.\r\n", {},
                 4096);
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0] == line + "\r\n");
}

// Beyond spool_memory the data goes to an unlinked file and comes back exact:
// the same bytes, in a string of exactly their size, whatever the chunking.
TEST_CASE("session: large data is spooled to a file and read back exactly") {
  std::string tmpl = "/tmp/deskmail-spool-" + std::string(6, 'X');  // mkdtemp's template
  std::string dir = mkdtemp(tmpl.data());
  lmtp::SessionLimits lim;
  lim.spool_memory = 1000;
  lim.spool_dir = dir;
  std::string body, expect;
  for (int i = 0; i < 3000; ++i) {
    std::string line = "line " + std::to_string(i) + (i % 7 ? "\r\n" : "\n");  // some bare LFs
    if (i % 11 == 0) line = "." + line;                                        // dot-stuffed
    body += line;
    std::string kept = i % 11 == 0 ? line.substr(1) : line;
    if (i % 7 == 0) kept = kept.substr(0, kept.size() - 1) + "\r\n";
    expect += kept;
  }
  std::string one = "MAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n" + body + ".\r\n";
  for (std::size_t chunk : {std::size_t(0), std::size_t(1), std::size_t(777)}) {
    CAPTURE(chunk);
    auto r = drive("LHLO x\r\n" + one + one, lim, chunk);
    REQUIRE(r.messages.size() == 2);
    CHECK(r.messages[0] == expect);
    CHECK(r.messages[1] == expect);
    CHECK(r.mapped == std::vector<bool>{true, true});
  }
  // No spool directory to write to: 451 for each recipient, nothing handed on.
  lim.spool_dir = dir + "/missing";
  auto r = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nRCPT TO:<f@e>\r\nDATA\r\n" + body +
                     ".\r\nNOOP\r\n",
                 lim);
  CHECK(r.messages.empty());
  CHECK(join(codes(r.out)) == "220 250 250 250 250 354 451 451 250");
  // Under spool_memory nothing touches the directory.
  auto small = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\nhi\r\n.\r\n", lim);
  REQUIRE(small.messages.size() == 1);
  CHECK(small.messages[0] == "hi\r\n");
  CHECK_FALSE(small.mapped[0]);
  rmdir(dir.c_str());
}

namespace {
long resident_pages() {
  long size = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f) {
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident;
}
}  // namespace

TEST_CASE("spool: a spooled message is mapped, and release() drops its pages, not its bytes") {
  std::string tmpl = "/tmp/deskmail-spool-" + std::string(6, 'X');  // mkdtemp's template
  std::string dir = mkdtemp(tmpl.data());
  std::string expect;
  for (int i = 0; expect.size() < (8u << 20); ++i)
    expect += "line " + std::to_string(i) + " of a message that is spooled\r\n";
  expect += "a tail still in memory\r\n";
  common::Spool spool(1 << 20, dir);
  for (std::size_t off = 0; off < expect.size(); off += 4000)
    spool.append(std::string_view(expect).substr(off, 4000));
  REQUIRE(spool.spooled());
  common::BytesPtr b = spool.take_bytes();
  REQUIRE(b);
  CHECK(b->mapped());
  CHECK(spool.size() == 0);
  REQUIRE(b->size() == expect.size());
  long page = sysconf(_SC_PAGESIZE);
  long before = resident_pages();
  CHECK(b->view() == expect);  // reads every page: they become resident
  long touched = resident_pages();
  CHECK((touched - before) * page > (6 << 20));
  b->release(b->size());
  long released = resident_pages();
  CHECK((touched - released) * page > (6 << 20));
  CHECK(b->view() == expect);  // read again from the file: unchanged
  b->release(b->size() / 2);
  CHECK(b->view() == expect);
  // The next message in the same spool starts empty; a small one stays a string.
  spool.append("small\r\n");
  auto s = spool.take_bytes();
  REQUIRE(s);
  CHECK_FALSE(s->mapped());
  s->release(s->size());
  CHECK(s->view() == "small\r\n");
  REQUIRE(s->string());
  CHECK(*s->string() == "small\r\n");
  rmdir(dir.c_str());
}

TEST_CASE("session: command line limit and the bad command cap") {
  std::string longline(5000, 'A');
  auto r = drive("LHLO x\r\n" + longline + "\r\nNOOP\r\n");
  CHECK(join(codes(r.out)) == "220 250 500 250");
  // Without any LF at all, the buffer stays bounded and the reply comes
  // once the line ends.
  r = drive(std::string(100000, 'B') + "\r\nNOOP\r\n", {}, 1000);
  CHECK(join(codes(r.out)) == "220 500 250");

  std::string bad;
  for (int i = 0; i < 12; ++i) bad += "FOO\r\n";
  r = drive(bad);
  CHECK(r.closed);
  CHECK(join(codes(r.out)) == "220 500 500 500 500 500 500 500 500 500 500 421");
}

TEST_CASE("session: too many recipients get 452 4.5.3") {
  lmtp::SessionLimits lim;
  lim.recipients = 2;
  auto r = drive("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<a@d>\r\nRCPT TO:<b@d>\r\nRCPT TO:<c@d>\r\n",
                 lim);
  CHECK(join(codes(r.out)) == "220 250 250 250 250 452");
  CHECK(r.out.find("452 4.5.3") != std::string::npos);
}

TEST_CASE("session: MAIL parameters reach the envelope") {
  lmtp::Session s({}, "h");
  s.receive("LHLO x\r\nMAIL FROM:<jörg@b> BODY=8BITMIME SMTPUTF8\r\n");
  CHECK(s.next().kind == lmtp::Action::Kind::need_input);
  CHECK(s.envelope().mail_from == "jörg@b");
  CHECK(s.envelope().smtputf8);
  CHECK(s.envelope().body_8bit);
}
