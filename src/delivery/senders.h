// senders.h: what the delivery reads of who sent a message before the desk
// sees it: the dedupe key of a message without a Message-ID, and the
// senders that must never be answered (RFC 3834).
#pragma once

#include <string>

#include "lmtp/handler.h"
#include "mail/message.h"
#include "mail/scan.h"
#include "route/route.h"

namespace delivery {

/// The dedupe key of a message without a Message-ID: the envelope sender,
/// the non-trace header fields and the body (issue 18).
std::string without_message_id_key(const lmtp::Envelope& env, const mail::Scan& sc,
                                   const mail::Message& msg);
/// mailer-daemon or postmaster.
bool is_daemon_sender(const std::string& sender);
/// The null sender, daemons, no-reply addresses, and the desk's own domain.
bool is_automated_sender(const std::string& sender, const route::Base& base);

}  // namespace delivery
