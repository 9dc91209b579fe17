// fuzz_lmtp_session: the LMTP state machine fed an arbitrary byte stream, cut
// into reads at arbitrary points. Checks what every session keeps true:
// output is whole CRLF lines of replies, and the session never loops.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lmtp/session.h"

namespace {

void check_output(const std::string& out) {
  // Every reply line: three digits, ' ' or '-', text, CRLF; no bare CR or LF.
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto end = out.find("\r\n", pos);
    if (end == std::string::npos) std::abort();
    std::string_view line(out.data() + pos, end - pos);
    if (line.size() < 3 || line.find_first_of("\r\n") != std::string_view::npos) std::abort();
    for (int i = 0; i < 3; ++i)
      if (line[i] < '0' || line[i] > '9') std::abort();
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') std::abort();
    pos = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  lmtp::SessionLimits limits;
  limits.message_size = 4096;
  limits.recipients = 5;
  // The first byte picks the bare-LF policy and how the stream is cut.
  if (size == 0) return 0;
  limits.bare_lf = data[0] & 1 ? lmtp::BareLfPolicy::reject : lmtp::BareLfPolicy::normalize;
  std::size_t chunk = 1 + (data[0] >> 1);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  lmtp::Session s(limits, "fuzz.test");
  std::size_t pos = 0;
  int steps = 0;
  for (;;) {
    if (++steps > 1000000) std::abort();  // a loop that never asks for input
    lmtp::Action a = s.next();
    switch (a.kind) {
      case lmtp::Action::Kind::need_input:
        check_output(s.output());
        s.output().clear();
        if (pos >= in.size()) return 0;
        s.receive(in.substr(pos, chunk));
        pos += chunk;
        break;
      case lmtp::Action::Kind::check_recipient:
        // Alternate acceptance and refusal by the address's length.
        s.recipient_checked(a.address.size() % 3 ? lmtp::Reply{250, "2.1.5", "ok"}
                                                 : lmtp::Reply{550, "5.1.1", "no"});
        break;
      case lmtp::Action::Kind::deliver: {
        common::BytesPtr body = s.take_bytes();
        std::size_t size = body ? body->size() : 0;
        if (size > limits.message_size) {
          std::fprintf(stderr, "fuzz_lmtp_session: %zu bytes of data over the limit of %llu\n",
                       size, static_cast<unsigned long long>(limits.message_size));
          std::abort();
        }
        std::vector<lmtp::Reply> replies(s.envelope().recipients.size(),
                                         lmtp::Reply{250, "2.0.0", "stored"});
        s.delivered(replies);
        break;
      }
      case lmtp::Action::Kind::close:
        check_output(s.output());
        return 0;
    }
  }
}
