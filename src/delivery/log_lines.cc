// log_lines.cc: deskmaild's delivery log lines (log_lines.h).
#include "delivery/log_lines.h"

namespace delivery {

namespace {

std::string priority(int code) {
  return code >= 400 && code < 500 ? "warning: " : "";
}

std::string reply_field(int code, const std::string& enhanced) {
  return " reply=\"" + std::to_string(code) + " " + enhanced + "\"";
}

}  // namespace

std::string escape_log(const std::string& s) {
  std::string o;
  for (unsigned char c : s) o += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return o;
}

lmtp::Reply with_id(lmtp::Reply r, const std::string& id) {
  if (!id.empty()) r.text += " id=" + id;
  return r;
}

std::vector<lmtp::Reply> with_id(std::vector<lmtp::Reply> rs, const std::string& id) {
  for (auto& r : rs) r = with_id(std::move(r), id);
  return rs;
}

std::string delivery_line(const DeliveryLine& d) {
  return priority(d.code) + d.queue_id + ": session=" + d.session +
         (d.mta_id.empty() ? "" : " mta_id=" + d.mta_id) + " from=<" + escape_log(d.from) +
         "> to=<" + escape_log(d.rcpt) + "> message-id=<" + escape_log(d.message_id) +
         "> size=" + std::to_string(d.size) + " result=" + d.result +
         (d.ref.empty() ? "" : " ref=" + d.ref) + reply_field(d.code, d.enhanced) +
         " ms=" + std::to_string(d.ms) +
         (d.why.empty() ? "" : " detail=\"" + escape_log(d.why) + "\"") +
         (d.proof.empty() ? "" : " proof=\"" + escape_log(d.proof) + "\"");
}

std::string rcpt_refusal_line(const std::string& session, const std::string& from,
                              const std::string& rcpt, const lmtp::Reply& r) {
  return priority(r.code) + "NOQUEUE: session=" + session + " reject: RCPT from=<" +
         escape_log(from) + "> to=<" + escape_log(rcpt) + ">" + reply_field(r.code, r.enhanced) +
         " " + escape_log(r.text);
}

}  // namespace delivery
