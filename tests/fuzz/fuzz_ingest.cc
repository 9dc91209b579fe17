// fuzz_ingest: the whole ingest pipeline short of the database: structural
// limits, loop detection, spam verdict, internal-header stripping, GMime
// parsing, titles, reply trimming, attachments (Deliverer::prepare). The
// first byte picks the policy; the rest is the message. Every field that
// reaches the store must be valid UTF-8 without NUL, and the raw message
// must be the input (or the input less our X-Deskmail- fields).
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "delivery/deliverer.h"
#include "mail/message.h"
#include "store/dialect.h"

namespace {

struct World {
  boost::asio::io_context io;
  std::unique_ptr<store::Store> st;
  std::unique_ptr<delivery::Deliverer> d;
  World() {
    mail::init();
    // A real store, never touched by prepare().
    std::string dir = "/tmp/fuzz-ingest-" + std::string(6, 'X');  // mkdtemp's template
    st = store::open(std::string("sqlite3://db=") + mkdtemp(dir.data()) + "/t.db",
                     std::chrono::milliseconds(100));
    d = std::make_unique<delivery::Deliverer>(io.get_executor(), io.get_executor(), *st,
                                              route::Base{"desk", "support.example.com", '+'});
    d->log = [](const std::string&) {};
  }
};

[[noreturn]] void fail(const char* why, const std::string& value) {
  std::fprintf(stderr, "fuzz_ingest: %s: [%s]\n", why, value.c_str());
  std::abort();
}

void clean(const std::string& s) {
  if (!store::is_clean_text(s)) fail("text that is not clean UTF-8", s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  if (size < 1) return 0;
  delivery::Policy p;
  p.scan.header_size = 4096;
  p.scan.header_count = 100;
  p.scan.line_length = 8192;
  p.scan.mime_depth = 8;
  p.scan.mime_parts = 50;
  p.scan.header_addresses = 50;
  p.scan.received = 20;
  p.spam.action = static_cast<spam::Action>(data[0] % 3);
  p.spam.trust = data[0] & 4 ? spam::Trust::all : spam::Trust::topmost;
  w.d->set_policy(p);
  lmtp::Envelope env;
  env.mail_from = data[0] & 8 ? "" : "sender@example.org";
  env.recipients = {"desk+acme-game@support.example.com"};
  auto msg = common::bytes_of(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  auto prepared = w.d->prepare(env, msg);
  if (!prepared.inbound) return 0;
  const store::Inbound& in = *prepared.inbound;
  for (const auto* s : {&in.author_email, &in.author_name, &in.contact_email, &in.title, &in.body,
                        &in.full_body, &in.message_id, &in.spam_reason})
    clean(*s);
  for (const auto& s : in.thread_ids) clean(s);
  for (const auto& s : in.problems) clean(s);
  for (const auto& a : in.attachments) {
    clean(a.filename);
    clean(a.filename_sent);
    if (a.filename.find('/') != std::string::npos) fail("a path, not a name", a.filename);
  }
  if (in.title.size() > 255) fail("a title over 255 bytes", in.title);
  if (!in.raw || in.raw->size() > msg->size()) fail("a raw message that grew", "");
  return 0;
}
