// Files with a responder's note (issue 23): described, stored on the note,
// mailed with the public answer; over the limits nothing is stored or queued.
#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {

struct Answers : Fixture {
  Answers() {
    deliver(game, mail("c@example.org", "first@x"));
    composer.mails.clear();
  }
  static store::AttachmentIn file(std::string name, std::size_t size) {
    store::AttachmentIn a;
    a.filename_sent = std::move(name);
    a.content.assign(size, 'x');
    return a;
  }
  store::NoteIn note(bool internal, std::vector<store::AttachmentIn> files) {
    store::NoteIn n{"agent@acme.example", "responder", "See **attached**.", internal};
    n.attachments = std::move(files);
    return n;
  }
  std::size_t notes() { return st.state().notes.size(); }
};

}  // namespace

TEST_CASE("desk answers: a public answer's files are stored on its note and mailed") {
  Answers f;
  std::size_t before = f.notes();
  CHECK(f.desk.add_note("acme/game#1", f.note(false, {f.file("a.pdf", 10), f.file("b.png", 20)})) ==
        1);
  REQUIRE(f.notes() == before + 1);
  std::int64_t note_id = f.st.state().notes.back().id;
  const auto& att = f.st.state().attachments;
  REQUIRE(att.size() == 2);
  CHECK(att[0].note_id == note_id);
  CHECK(att[0].filename == "safe-a.pdf");
  CHECK(att[0].sha256 == "sha-10");
  CHECK(att[1].size == 20);
  REQUIRE(f.composer.mails.size() == 1);
  CHECK(f.composer.mails[0].kind == MailKind::new_note);
  CHECK(f.composer.mails[0].files == Strings{"safe-a.pdf", "safe-b.png"});
  CHECK(f.composer.mails[0].markdown);
}

TEST_CASE("desk answers: an internal note keeps its files and mails nothing") {
  Answers f;
  CHECK(f.desk.add_note("acme/game#1", f.note(true, {f.file("log.txt", 5)})) == 0);
  CHECK(f.st.state().attachments.size() == 1);
  CHECK(f.composer.mails.empty());
}

TEST_CASE("desk answers: only the answer's mails carry files; closing mails none") {
  Answers f;
  f.desk.add_note("acme/game#1", f.note(false, {f.file("a.pdf", 1)}));
  f.desk.set_state("acme/game#1", "closed");
  REQUIRE(f.composer.mails.size() == 2);
  CHECK(f.composer.mails[1].kind == MailKind::closed);
  CHECK(f.composer.mails[1].files.empty());
  CHECK_FALSE(f.composer.mails[1].markdown);
}

TEST_CASE("desk answers: files over the limits are refused with nothing stored or queued") {
  Answers f;
  f.desk.set_file_limits({100, 1 << 20, 1000});
  CHECK(f.desk.file_limits().bytes() == 100);
  std::size_t notes = f.notes(), outbox = f.st.state().outbox.size();
  CHECK_THROWS_AS(f.desk.add_note("acme/game#1", f.note(false, {f.file("a", 60), f.file("b", 41)})),
                  desk::Invalid);
  CHECK(f.notes() == notes);
  CHECK(f.st.state().attachments.empty());
  CHECK(f.st.state().outbox.size() == outbox);
  CHECK(f.composer.mails.empty());
  // Exactly at the limit is fine.
  CHECK(f.desk.add_note("acme/game#1", f.note(false, {f.file("a", 60), f.file("b", 40)})) == 1);

  // message_size: base64 must fit, with room for the text.
  f.desk.set_file_limits({0, 65536 + 400, 1000});
  CHECK(f.desk.file_limits().bytes() == 300);
  CHECK_THROWS_AS(f.desk.add_note("acme/game#1", f.note(false, {f.file("a", 301)})), desk::Invalid);
  // mime_parts: the files and the answer's own parts.
  f.desk.set_file_limits({0, 1 << 20, 6});
  CHECK_THROWS_AS(f.desk.add_note("acme/game#1",
                                  f.note(false, {f.file("a", 1), f.file("b", 1), f.file("c", 1)})),
                  desk::Invalid);
  CHECK(f.desk.add_note("acme/game#1", f.note(false, {f.file("a", 1), f.file("b", 1)})) == 1);
}

TEST_CASE("desk answers: files on a missing issue store nothing") {
  Answers f;
  CHECK_THROWS_AS(f.desk.add_note("acme/game#9", f.note(false, {f.file("a", 1)})), store::Error);
  CHECK(f.st.state().attachments.empty());
}
