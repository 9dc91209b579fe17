// Templates, our own Message-IDs and the composition of outbound mail.
#include <doctest/doctest.h>

#include "notify/notify.h"

TEST_CASE("notify::render: placeholders, spaces, unknown names, no re-expansion") {
  std::map<std::string, std::string> v{{"ISSUE_ID", "7"}, {"NOTE_TEXT", "%{ISSUE_ID} stays"}};
  CHECK(notify::render("#%{ISSUE_ID} / #%{ ISSUE_ID }", v) == "#7 / #7");
  CHECK(notify::render("%{NOPE} %{ISSUE_ID", v) == "%{NOPE} %{ISSUE_ID");
  CHECK(notify::render("%{NOTE_TEXT}", v) == "%{ISSUE_ID} stays");
  CHECK(notify::render("100% %{", v) == "100% %{");
}

TEST_CASE("notify::Composer writes the headers DESIGN.md section 6 names") {
  notify::Composer c({"desk", "support.example.com", "Acme Support"});
  store::MailContext ctx;
  ctx.kind = store::MailKind::thank_you;
  ctx.project_path = "acme/game";
  ctx.iid = 3;
  ctx.issue_title = "Drucker \xE2\x80\x93 kaputt\r\nBcc: evil@example.net";
  ctx.to_email = "kunde@example.org";
  ctx.to_name = "J\xC3\xB6rg\r\nBcc: x@y";
  ctx.reply_key = std::string(32, 'a');
  ctx.references = {"orig@example.org"};
  auto m = c.compose(ctx);
  CHECK(m.mail_from == "desk+reply-" + std::string(32, 'a') + "@support.example.com");
  CHECK(m.message_id.find("@support.example.com") != std::string::npos);
  const std::string& b = m.bytes;
  CHECK(b.find("\r\nReply-To: desk+reply-" + std::string(32, 'a') + "@support.example.com\r\n") !=
        std::string::npos);
  CHECK(b.find("Auto-Submitted: auto-replied\r\n") != std::string::npos);
  CHECK(b.find("\r\nIn-Reply-To: <orig@example.org>\r\n") != std::string::npos);
  CHECK(b.find("List-Unsubscribe: <mailto:desk+reply-") != std::string::npos);
  CHECK(b.find("\r\nBcc:") == std::string::npos);
  CHECK(b.find("\nBcc:") == std::string::npos);
  CHECK(b.find("\r\nSubject: Re: Drucker =?") != std::string::npos);  // RFC 2047
  CHECK(b.find("\r\nTo: =?") != std::string::npos);
  // Only CRLF line endings.
  for (std::size_t i = 0; i < b.size(); ++i)
    if (b[i] == '\n') CHECK((i > 0 && b[i - 1] == '\r'));
  CHECK(m.subject.find('\n') == std::string::npos);
}

TEST_CASE("notify: our own Message-IDs are recognised, and only ours") {
  std::string id = notify::new_message_id("support.example.com");
  CHECK(notify::is_own_message_id(id, "support.example.com"));
  CHECK(notify::is_own_message_id("<" + id + ">", "SUPPORT.example.com"));
  CHECK_FALSE(notify::is_own_message_id(id, "other.example"));
  CHECK_FALSE(notify::is_own_message_id("<abc@support.example.com>", "support.example.com"));
  CHECK_FALSE(notify::is_own_message_id("<deskmail.@x>", "support.example.com"));
  CHECK_FALSE(notify::is_own_message_id("", "support.example.com"));
}

// Found by fuzz_compose: GMime took a title like "=?utf-6?q?" for an encoded
// word and folded the Subject into a line without leading white space.
TEST_CASE("notify::Composer: encoded-word look-alikes never break the header") {
  notify::Composer c({"desk", "support.example.com", "Support"});
  store::MailContext ctx;
  ctx.kind = store::MailKind::new_note;
  ctx.issue_title = "=?utf-6?q?";
  ctx.project_path = std::string("x=0Dexa\x7f\xff\n\xff\xff\xff\xff\xff\"Nda>\r\xff\xff\x08", 24) +
                     std::string(10, '\xff') + "\nX: y";
  ctx.iid = 7;
  ctx.to_email = "customer@example.org";
  ctx.to_name = "=?x?b?Bcc: a@b?=";
  ctx.reply_key = "0123456789abcdef0123456789abcdef";
  for (const char* title : {"=?utf-6?q?", "=?", "a =?utf-8?q?=0D=0ABcc:_x@y?= b", "?==?=?"}) {
    ctx.issue_title = title;
    std::string m = c.compose(ctx).bytes;
    std::string head = m.substr(0, m.find("\r\n\r\n") + 2);
    std::size_t pos = 0;
    while (pos < head.size()) {
      auto end = head.find("\r\n", pos);
      std::string line = head.substr(pos, end - pos);
      INFO(title, " | ", line);
      bool field = line.find(':') != std::string::npos && line[0] != ' ' &&
                   line.substr(0, line.find(':')).find(' ') == std::string::npos;
      CHECK((field || line[0] == ' ' || line[0] == '\t'));
      CHECK(line.rfind("X: y", 0) != 0);
      CHECK(line.rfind("Bcc", 0) != 0);
      pos = end + 2;
    }
  }
}

TEST_CASE("notify: the closed mail names the fix only when the desk filled FIX_TITLE") {
  notify::Composer c({"desk", "support.example.com", "Support"});
  store::MailContext ctx;
  ctx.kind = store::MailKind::closed;
  ctx.project_path = "acme/game";
  ctx.iid = 4;
  ctx.issue_title = "Save fails";
  ctx.to_email = "customer@example.org";
  ctx.reply_key = std::string(32, 'b');
  std::string plain = c.compose(ctx).bytes;
  CHECK(plain.find("has been closed.") != std::string::npos);
  CHECK(plain.find("by a fix") == std::string::npos);
  ctx.fix_title = "Make saving atomic";
  ctx.fix_url = "https://git.example.com/game/commit/abc";
  std::string fixed = c.compose(ctx).bytes;
  CHECK(fixed.find("has been closed by a fix:") != std::string::npos);
  CHECK(fixed.find("  Make saving atomic\r\n  https://git.example.com/game/commit/abc\r\n") !=
        std::string::npos);
  // A project's own template uses the placeholders as it likes.
  ctx.template_body = "Fixed: %{FIX_TITLE} <%{FIX_URL}>\n";
  CHECK(c.compose(ctx).bytes.find(
            "Fixed: Make saving atomic <https://git.example.com/game/commit/abc>") !=
        std::string::npos);
}
