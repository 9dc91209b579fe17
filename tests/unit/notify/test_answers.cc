// A responder's answer as mailed (issue 23): the MIME structure (text,
// multipart/alternative with the Markdown as HTML, multipart/mixed with the
// files), the files' names and bytes, the threading headers unchanged.
#include <doctest/doctest.h>
#include <gmime/gmime.h>

#include <string>
#include <vector>

#include "mail/compose.h"
#include "mail/message.h"
#include "notify/notify.h"

namespace {

struct Parsed {
  std::string shape;  // "multipart/mixed[multipart/alternative[text/plain,text/html],image/png]"
  std::vector<GMimePart*> leaves;
  GMimeMessage* msg = nullptr;
  ~Parsed() {
    if (msg) g_object_unref(msg);
  }
};

std::string type_of(GMimeObject* o) {
  GMimeContentType* ct = g_mime_object_get_content_type(o);
  return std::string(g_mime_content_type_get_media_type(ct)) + "/" +
         g_mime_content_type_get_media_subtype(ct);
}

void walk(GMimeObject* o, Parsed& p) {
  p.shape += type_of(o);
  if (GMIME_IS_MULTIPART(o)) {
    p.shape += "[";
    int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
    for (int i = 0; i < n; ++i) {
      if (i) p.shape += ",";
      walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), p);
    }
    p.shape += "]";
  } else if (GMIME_IS_PART(o)) {
    p.leaves.push_back(GMIME_PART(o));
  }
}

void parse(const std::string& bytes, Parsed& p) {
  mail::init();
  GMimeStream* s = g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(s);
  p.msg = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(s);
  REQUIRE(p.msg);
  walk(g_mime_message_get_mime_part(p.msg), p);
}

// A leaf's decoded bytes.
std::string content(GMimePart* part) {
  GMimeStream* mem = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(part), mem);
  GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  std::string out(reinterpret_cast<const char*>(arr->data), arr->len);
  g_object_unref(mem);
  return out;
}

store::MailContext answer(std::string_view note) {
  store::MailContext c;
  c.kind = store::MailKind::new_note;
  c.project_path = "acme/game";
  c.iid = 3;
  c.issue_title = "Printer jams";
  c.note_text = note;
  c.note_author = "agent@acme.example";
  c.to_email = "customer@example.org";
  c.reply_key = std::string(32, 'c');
  c.references = {"first@example.org", "latest@example.org"};
  return c;
}

store::AttachmentIn file(std::string name, std::string bytes, std::string type = "") {
  store::AttachmentIn a;
  a.filename_sent = std::move(name);
  a.content = std::move(bytes);
  a.content_type = std::move(type);
  notify::Composer({"desk", "support.example.com", "Support"}).describe(a);
  return a;
}

bool has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("answers: text only is one text/plain part, Markdown adds the HTML alternative") {
  notify::Composer c({"desk", "support.example.com", "Support"});
  auto ctx = answer("Please **restart**.\n\n<script>alert(1)</script>");
  ctx.note_markdown = false;
  Parsed plain;
  parse(c.compose(ctx).bytes, plain);
  CHECK(plain.shape == "text/plain");

  ctx.note_markdown = true;
  std::string bytes = c.compose(ctx).bytes;
  Parsed p;
  parse(bytes, p);
  CHECK(p.shape == "multipart/alternative[text/plain,text/html]");
  REQUIRE(p.leaves.size() == 2);
  std::string text = content(p.leaves[0]), html = content(p.leaves[1]);
  CHECK(has(text, "Please **restart**.\r\n\r\n<script>alert(1)</script>\r\n"));  // as written
  CHECK(has(html, "<strong>restart</strong>"));
  CHECK(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_FALSE(has(html, "<script"));
  CHECK(has(html, "<meta charset=\"utf-8\">"));
  // The template's footer is text in the HTML too, escaped.
  CHECK(has(html, "Reply to this email to answer. Ticket acme/game#3."));
  CHECK(has(html, "mailto:desk+reply-" + std::string(32, 'c') + "-unsubscribe@"));
  // Threading headers as before.
  CHECK(has(bytes, "\r\nIn-Reply-To: <latest@example.org>\r\n"));
  CHECK(has(bytes, "\r\nReferences: <first@example.org> <latest@example.org>\r\n"));
  CHECK(has(bytes, "Auto-Submitted: auto-generated\r\n"));
}

TEST_CASE("answers: files make multipart/mixed around the alternative, bytes and names intact") {
  notify::Composer c({"desk", "support.example.com", "Support"});
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  std::string binary;
  for (int i = 0; i < 70000; ++i) binary += static_cast<char>(i * 7 % 256);
  std::vector<store::AttachmentIn> files{file("screen shot.png", png),
                                         file("Schöne Grüße – отчёт.bin", binary)};
  CHECK(files[0].content_type == "image/png");
  CHECK(files[1].content_type == "application/octet-stream");
  CHECK(files[0].sha256 == mail::sha256_hex(png));
  auto ctx = answer("See the *files*.");
  ctx.note_markdown = true;
  ctx.files = files;
  std::string bytes = c.compose(ctx).bytes;
  Parsed p;
  parse(bytes, p);
  CHECK(p.shape ==
        "multipart/mixed[multipart/alternative[text/plain,text/html],image/png,"
        "application/octet-stream]");
  REQUIRE(p.leaves.size() == 4);
  CHECK(content(p.leaves[2]) == png);
  CHECK(content(p.leaves[3]) == binary);
  CHECK(std::string(g_mime_part_get_filename(p.leaves[2])) == "screen shot.png");
  CHECK(std::string(g_mime_part_get_filename(p.leaves[3])) == "Schöne Grüße – отчёт.bin");
  CHECK(g_mime_part_get_content_encoding(p.leaves[3]) == GMIME_CONTENT_ENCODING_BASE64);
  // RFC 2231 for the name that needs it; attachments, not inline.
  CHECK(has(bytes, "filename*0*=UTF-8''Sch%C3%B6ne%20Gr%C3%BC%C3%9Fe"));
  CHECK(has(bytes, "Content-Disposition: attachment; filename=\"screen shot.png\""));
  // mail::parse (what deskmail itself reads) finds them alike.
  mail::Message m = mail::parse(std::string_view(bytes));
  REQUIRE(m.attachments.size() == 2);
  CHECK(m.attachments[1].filename == "Schöne Grüße – отчёт.bin");
  CHECK(m.attachments[1].sha256 == files[1].sha256);

  // UTF-8 text files say so; others have no charset.
  auto txt = file("notes.txt", "stroka \xD1\x81\n");
  auto latin = file("latin.txt", "caf\xE9\n");
  std::vector<store::AttachmentIn> texts{txt, latin};
  auto tctx = answer("x");
  tctx.files = texts;
  Parsed t;
  parse(c.compose(tctx).bytes, t);
  REQUIRE(t.leaves.size() == 3);
  const char* cs1 = g_mime_object_get_content_type_parameter(GMIME_OBJECT(t.leaves[1]), "charset");
  CHECK((cs1 && std::string(cs1) == "utf-8"));
  CHECK(g_mime_object_get_content_type_parameter(GMIME_OBJECT(t.leaves[2]), "charset") == nullptr);
  CHECK(content(t.leaves[2]) == "caf\xE9\n");

  // Files without Markdown: mixed around the single text part.
  ctx.note_markdown = false;
  Parsed q;
  parse(c.compose(ctx).bytes, q);
  CHECK(q.shape == "multipart/mixed[text/plain,image/png,application/octet-stream]");
}

TEST_CASE("answers: hostile file names and types stay inside their parameter") {
  auto a = file("../../etc/pass\r\nBcc: x@y\".sh", "x", "text/plain\r\nX-Evil: 1");
  CHECK(a.filename.find_first_of("/\r\n") == std::string::npos);
  CHECK(a.content_type == "application/octet-stream");  // the given type was malformed
  CHECK(file("a.PDF", "x").content_type == "application/pdf");
  CHECK(file("a.pdf", "x", "Text/Plain").content_type == "text/plain");
  CHECK(file("", "x").filename == "attachment");
  auto ctx = answer("x");
  std::vector<store::AttachmentIn> files{a};
  ctx.files = files;
  std::string bytes =
      notify::Composer({"desk", "support.example.com", "Support"}).compose(ctx).bytes;
  CHECK_FALSE(has(bytes, "\nBcc:"));
  CHECK_FALSE(has(bytes, "\nX-Evil"));
  Parsed p;
  parse(bytes, p);
  CHECK(p.shape == "multipart/mixed[text/plain,application/octet-stream]");
  CHECK(content(p.leaves[1]) == "x");
}

TEST_CASE("answers: content types by extension, else application/octet-stream") {
  CHECK(mail::guess_content_type("report.xlsx") ==
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  CHECK(mail::guess_content_type("x.JPG") == "image/jpeg");
  CHECK(mail::guess_content_type("README") == "application/octet-stream");
  CHECK(mail::guess_content_type("x.") == "application/octet-stream");
  CHECK(mail::guess_content_type("x.exe") == "application/octet-stream");
  CHECK(mail::valid_content_type("image/svg+xml"));
  CHECK_FALSE(mail::valid_content_type("image/"));
  CHECK_FALSE(mail::valid_content_type("text/plain; charset=x"));
  CHECK_FALSE(mail::valid_content_type("a b/c"));
}
