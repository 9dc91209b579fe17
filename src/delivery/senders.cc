// senders.cc: see senders.h.
#include "delivery/senders.h"

namespace delivery {

// The dedupe key of a message without a Message-ID: its body, and who sent
// it with which header fields (issue 18: two senders' "Please call me back."
// are two messages). Trace fields that a retry by the MTA rewrites
// (Received, Return-Path, results of the site's filters) are left out, so a
// resend of the same message still matches.
std::string without_message_id_key(const lmtp::Envelope& env, const mail::Scan& sc,
                                   const mail::Message& msg) {
  static const char* const kTrace[] = {"received",
                                       "return-path",
                                       "delivered-to",
                                       "x-original-to",
                                       "authentication-results",
                                       "arc-seal",
                                       "arc-message-signature",
                                       "arc-authentication-results"};
  std::string fields = env.mail_from + "\n";
  for (const auto& [name, value] : sc.headers) {
    std::string n = route::lower(name);
    bool trace =
        n.rfind("x-spam", 0) == 0 || n.rfind("x-rspamd", 0) == 0 || n.rfind("x-virus", 0) == 0;
    for (const char* t : kTrace) trace = trace || n == t;
    if (!trace) fields += n + ":" + value + "\n";
  }
  return "body:" + mail::sha256_hex(fields + msg.body_sha256);
}

bool is_daemon_sender(const std::string& sender) {
  std::string local = route::lower(sender.substr(0, sender.rfind('@')));
  return local == "mailer-daemon" || local == "postmaster";
}

// RFC 3834 section 2: never answer the null sender, mailer daemons, or
// addresses that say they take no replies; never answer ourselves.
bool is_automated_sender(const std::string& sender, const route::Base& base) {
  if (sender.empty()) return true;
  std::string s = route::lower(sender);
  auto at = s.rfind('@');
  std::string local = s.substr(0, at);
  std::string domain = at == std::string::npos ? "" : s.substr(at + 1);
  for (const char* p : {"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply",
                        "donotreply", "do-not-reply", "bounce", "bounces"})
    if (local == p || local.rfind(std::string(p) + "+", 0) == 0 ||
        local.rfind(std::string(p) + "-", 0) == 0)
      return true;
  return domain == route::lower(base.domain);
}

}  // namespace delivery
