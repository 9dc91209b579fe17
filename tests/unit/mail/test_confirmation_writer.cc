// The template writer against GMime's composer: what a reader (mail::parse)
// finds in both is the same, and the writer's lines hold RFC 5322's limits.
#include <doctest/doctest.h>

#include "mail/compose.h"
#include "mail/confirmation_writer.h"
#include "mail/message.h"

namespace {

mail::Outgoing sample() {
  mail::Outgoing o;
  o.from = {"Support", "desk@support.example.com"};
  o.to = {"Customer", "customer@example.org"};
  o.reply_to = "desk+reply-0123@support.example.com";
  o.subject = "Re: Printer jams [acme/game#7]";
  o.body = "Thank you!\n\n-- \nStop mail: mailto:desk+reply-0123-unsubscribe@support.example.com\n";
  o.message_id = "deskmail.abc@support.example.com";
  o.in_reply_to = "b@y";
  o.references = {"a@x", "b@y"};
  o.headers = {{"Auto-Submitted", "auto-replied"}, {"List-Unsubscribe", "<mailto:u@x>"}};
  o.date = 1700000000;
  return o;
}

void same_for_a_reader(const mail::Outgoing& o) {
  std::string w = mail::write_plain(o);
  mail::Message a = mail::parse(w), b = mail::parse(mail::compose(o));
  CHECK(a.subject == b.subject);
  REQUIRE(a.from);
  REQUIRE(b.from);
  CHECK(a.from->name == b.from->name);
  CHECK(a.from->email == b.from->email);
  CHECK(a.message_id == b.message_id);
  CHECK(a.in_reply_to == b.in_reply_to);
  CHECK(a.references == b.references);
  // GMime 3.2 labels a body that fits Latin-1 as UTF-8 after converting it
  // (set_text, then set_charset): its non-ASCII bodies read wrongly, so
  // those are compared with the text itself below.
  bool ascii = true;
  for (unsigned char ch : o.body) ascii = ascii && ch < 0x80;
  if (ascii) CHECK(a.text == b.text);
  CHECK(a.automated == b.automated);
  // CRLF lines only, none longer than 998 octets, one empty line ends the header.
  std::size_t pos = 0, longest = 0;
  while (pos < w.size()) {
    auto end = w.find("\r\n", pos);
    REQUIRE(end != std::string::npos);
    CHECK(w.substr(pos, end - pos).find_first_of("\r\n") == std::string::npos);
    longest = std::max(longest, end - pos);
    pos = end + 2;
  }
  CHECK(longest <= 998);
  CHECK(w.find("\r\n\r\n") != std::string::npos);
}

}  // namespace

TEST_CASE("mail::write_plain: a reader finds what GMime's composer would have written") {
  mail::init();
  struct Case {
    const char* what;
    void (*change)(mail::Outgoing&);
  };
  const Case cases[] = {
      {"plain ASCII", [](mail::Outgoing&) {}},
      {"UTF-8 names, subject and body",
       [](mail::Outgoing& o) {
         o.to.name = "Jürgen Müller";
         o.from.name = "Support Ünïcode";
         o.subject = "Re: Drucker klemmt – schon wieder [acme/game#7]";
         o.body = "Grüße, «Jürgen»\nZeile = mit Gleichheitszeichen \n";
       }},
      {"quotes and specials in a name",
       [](mail::Outgoing& o) { o.to.name = "Smith, \"Bob\" <b@x> \\ (boss)"; }},
      {"CR and LF in every header value",
       [](mail::Outgoing& o) {
         o.subject = "line\r\nBcc: victim@example.org\r\n\r\nbody";
         o.to.name = "Eve\r\nBcc: x@y";
         o.headers.emplace_back("X-Deskmail-Ticket", "a\r\nBcc: z@z");
       }},
      {"encoded-word look-alikes",
       [](mail::Outgoing& o) { o.subject = "=?utf-8?q?=41?= =?utf-6?q?"; }},
      {"a long subject folds",
       [](mail::Outgoing& o) {
         o.subject = std::string(40, 'a') + " " + std::string(300, 'b') + " c d e " +
                     std::string(70, 'f') + " ünï " + std::string(50, 'g');
       }},
      {"long body lines, trailing blanks, tabs, CR endings",
       [](mail::Outgoing& o) {
         o.body = std::string(2000, 'x') + "\r\n\tindented \t\r\r.\n" + std::string(100, '=');
       }},
      {"many references",
       [](mail::Outgoing& o) {
         for (int i = 0; i < 40; ++i)
           o.references.push_back("id" + std::to_string(i) + "@host.example");
       }},
      {"an empty body and no name",
       [](mail::Outgoing& o) {
         o.body.clear();
         o.to.name.clear();
       }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    mail::Outgoing o = sample();
    c.change(o);
    same_for_a_reader(o);
  }
}

TEST_CASE("mail::write_plain: no header line from customer text, and the fields once each") {
  mail::init();
  mail::Outgoing o = sample();
  o.subject = "x\nBcc: victim@example.org";
  o.to.name = "y\rTo: other@example.org";
  std::string w = mail::write_plain(o);
  std::string head = w.substr(0, w.find("\r\n\r\n") + 2);
  CHECK(head.find("\r\nBcc:") == std::string::npos);
  CHECK(head.find("\r\nTo: other") == std::string::npos);
  for (const char* f :
       {"\r\nFrom: ", "\r\nTo: ", "\r\nSubject: ", "\r\nDate: ", "\r\nMessage-ID: "}) {
    CAPTURE(f);
    auto at = head.find(f);
    CHECK(at != std::string::npos);
    CHECK(head.find(f, at + 1) == std::string::npos);
  }
  CHECK(head.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
}

TEST_CASE("mail::write_plain: a UTF-8 body reads back as written") {
  mail::init();
  mail::Outgoing o = sample();
  o.body = "Grüße, «Jürgen»\nZeile = mit Gleichheitszeichen und " + std::string(90, 'x') + "\n";
  CHECK(mail::parse(mail::write_plain(o))
            .text.find("Grüße, «Jürgen»\nZeile = mit Gleichheitszeichen und " +
                       std::string(90, 'x')) == 0);
}

TEST_CASE("mail::write_plain: an internationalized address goes through GMime") {
  mail::init();
  mail::Outgoing o = sample();
  o.to.email = "jürgen@bücher.example";
  mail::Message m = mail::parse(mail::write_plain(o));
  CHECK(m.subject == "Re: Printer jams [acme/game#7]");
}
