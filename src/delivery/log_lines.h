// log_lines.h: the text of deskmaild's lines about deliveries and refused
// recipients, and the delivery id at the end of each reply (deskmaild(8),
// LOGGING): one line each, key=value, control characters written as '?'.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lmtp/reply.h"

namespace delivery {

/// `s` with control characters (CR, LF, NUL, DEL, ...) replaced by '?'.
std::string escape_log(const std::string& s);

/// The reply with " id=ID" at the end of its text (nothing for an empty
/// id), so that the MTA's own log line names the delivery.
lmtp::Reply with_id(lmtp::Reply r, const std::string& id);
std::vector<lmtp::Reply> with_id(std::vector<lmtp::Reply> rs, const std::string& id);

/// One recipient's delivery, as logged.
struct DeliveryLine {
  std::string queue_id;    // ours
  std::string session;     // the LMTP connection's id
  std::string mta_id;      // the MTA's queue id, "" when unknown
  std::string from, rcpt;  // envelope
  std::string message_id;
  std::size_t size = 0;
  std::string result;  // the status's name (status.h)
  std::string ref;     // the issue, "" for none
  int code = 0;        // the reply
  std::string enhanced;
  long long ms = 0;
  std::string why;    // detail, "" for none
  std::string proof;  // who the site vouched for, or what was missing (desk/identity.h)
};

/// "ID: session=S mta_id=M from=<> to=<> message-id=<> size=N result=R
/// ref=P reply="250 2.0.0" ms=N detail="..." proof="...""; a 4xx starts "warning: ".
std::string delivery_line(const DeliveryLine& d);

/// Postfix's NOQUEUE form for a recipient refused at RCPT; a 4xx starts
/// "warning: ".
std::string rcpt_refusal_line(const std::string& session, const std::string& from,
                              const std::string& rcpt, const lmtp::Reply& r);

}  // namespace delivery
