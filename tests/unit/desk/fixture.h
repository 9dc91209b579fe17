// fixture.h: a desk over the in-memory store, a composer that records who
// was mailed what, and a clock the test moves.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "desk/desk.h"
#include "memory_store.h"

namespace desk_test {

struct Mail {
  store::MailKind kind;
  std::string to, note, author, reply_key, message_id;
  std::vector<std::string> refs;
  std::vector<std::string> files = {};  // the files' names, in order
  bool markdown = false;
};

struct Recorder : store::Composer {
  std::vector<Mail> mails;
  bool fail = false;  // throw from compose(): the unit of work must keep nothing
  store::OutMail compose(const store::MailContext& ctx) override {
    if (fail) throw std::runtime_error("composer failed");
    std::string mid = "out" + std::to_string(mails.size() + 1) + "@desk.test";
    Mail m{ctx.kind, ctx.to_email,  std::string(ctx.note_text), ctx.note_author, ctx.reply_key,
           mid,      ctx.references};
    for (const auto& f : ctx.files) m.files.push_back(f.filename);
    m.markdown = ctx.note_markdown;
    mails.push_back(std::move(m));
    return {"Re: " + ctx.issue_title, mid, "desk@desk.test", "Subject: x\r\n\r\nbody\r\n"};
  }
  // A file as notify::Composer would describe it, simply.
  void describe(store::AttachmentIn& a) override {
    a.filename = "safe-" + a.filename_sent;
    if (a.content_type.empty()) a.content_type = "application/octet-stream";
    a.sha256 = "sha-" + std::to_string(a.bytes().size());
  }
};

struct Fixture {
  memory::MemoryStore st;
  Recorder composer;
  desk::Desk desk{st, &composer};
  std::int64_t now = 1'700'000'000;
  store::Target game;

  Fixture() {
    desk.set_clock([this] { return now; });
    desk.add_project({"acme/game", "Game", "", {"help@acme.example"}});
    game = *st.find_project_key("acme-game");
  }

  static store::Inbound mail(const std::string& from, const std::string& mid,
                             const std::string& body = "hello") {
    store::Inbound in;
    in.dedupe_key = "mid:" + mid;
    in.mail_from = from;
    in.author_email = from;
    in.contact_email = from;
    in.title = "t " + mid;
    in.body = body;
    in.message_id = mid;
    in.raw = common::bytes_of("Subject: t\r\n\r\n" + body);
    in.raw_sha256 = "sha-" + mid;
    return in;
  }

  store::Outcome deliver(const store::Target& t, const store::Inbound& in) {
    return desk.deliver(t, in);
  }

  /// The reply address (as a Target) of `email` on issue `ref`.
  store::Target reply_of(const std::string& ref, const std::string& email, bool unsub = false) {
    auto d = st.show_issue(ref);
    REQUIRE(d);
    for (const auto& p : d->participants)
      if (p.email == email) return *st.find_reply_key(p.reply_key, unsub);
    FAIL("no participant " << email << " on " << ref);
    return {};
  }

  /// Recipients of the outbox rows of `kind`, in order.
  std::vector<std::string> outbox(store::MailKind kind) {
    std::vector<std::string> out;
    for (const auto& r : st.state().outbox)
      if (r.kind == store::mail_kind_name(kind)) out.push_back(r.recipient);
    return out;
  }

  const memory::IssueRow& issue(int iid) {
    for (const auto& i : st.state().issues)
      if (i.row.iid == iid) return i;
    FAIL("no issue #" << iid);
    return st.state().issues.front();
  }
};

using Strings = std::vector<std::string>;

}  // namespace desk_test
