// limits.store_per_message: what one message adds across its recipients
// (delivery/budget.h).
#include <doctest/doctest.h>

#include "delivery/budget.h"

namespace {

std::shared_ptr<store::Inbound> message(std::size_t text, std::vector<std::size_t> attachments) {
  auto in = std::make_shared<store::Inbound>();
  in->title = "t";
  in->body = std::string(text, 'x');
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    store::AttachmentIn a;
    a.filename = "a" + std::to_string(i);
    a.sha256 = std::to_string(i);
    a.content = std::string(attachments[i], 'y');
    in->attachments.push_back(std::move(a));
  }
  return in;
}

}  // namespace

TEST_CASE("store budget: the text once per recipient, the attachments once, then a stub") {
  auto in = message(1000, {5000});
  delivery::StoreBudget b(10000, in);
  CHECK(&b.next() == in.get());  // 1001 + 5000
  CHECK(&b.next() == in.get());  // + 1001
  CHECK(&b.next() == in.get());
  CHECK(&b.next() == in.get());  // 9004
  const store::Inbound& stub = b.next();  // 10005 would not fit
  CHECK(&stub != in.get());
  CHECK(stub.body.find("limits.store_per_message") != std::string::npos);
  CHECK(stub.body.size() < 300);
  CHECK(stub.full_body.empty());
  CHECK(stub.attachments.size() == 1);  // their bytes are stored already: only rows
  CHECK(stub.problems.back() == "text not stored again: limits.store_per_message");
  CHECK(stub.title == in->title);
  CHECK(&b.next() == &stub);  // the same stub for the rest
  CHECK(b.spent() <= 10000 + 2 * 300);
}

TEST_CASE("store budget: an attachment that does not fit stays in the raw message") {
  auto in = message(100, {3000, 9000, 2000});
  delivery::StoreBudget b(6000, in);
  const store::Inbound& first = b.next();
  REQUIRE(first.attachments.size() == 2);
  CHECK(first.attachments[0].filename == "a0");
  CHECK(first.attachments[1].filename == "a2");
  REQUIRE(first.problems.size() == 1);
  CHECK(first.problems[0].find("attachment a1 (9000 bytes) not stored apart") == 0);
  CHECK(first.body == in->body);
  CHECK(in->attachments.size() == 3);  // the message itself is left as it came
}

TEST_CASE("store budget: 0 is no limit") {
  auto in = message(1 << 20, {1 << 20});
  delivery::StoreBudget b(0, in);
  for (int i = 0; i < 100; ++i) CHECK(&b.next() == in.get());
}
