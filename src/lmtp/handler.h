// handler.h: the port between the protocol and the application. The daemon
// implements it (delivery::Deliverer); tests implement it in memory.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "lmtp/reply.h"
#include "lmtp/session.h"

namespace lmtp {

/// What the server knows about one connection, for logging.
struct ConnectionInfo {
  std::string id;    // short session id, unique in this process
  std::string peer;  // "127.0.0.1:40000" or "unix"
};

class Handler {
 public:
  virtual ~Handler() = default;

  /// Decides one recipient at RCPT time: 250 2.1.5, 550 5.1.1 or 451 4.3.0.
  /// Must not wait on the calling (I/O) thread for anything slow: a lookup
  /// in a local SQLite file is fine, a network round trip is not.
  virtual boost::asio::awaitable<Reply> check_recipient(const ConnectionInfo& conn,
                                                        const Envelope& env,
                                                        const std::string& address) = 0;

  /// Delivers the message to every accepted recipient. Returns exactly one
  /// reply per env.recipients entry, in order; a 2xx only after that
  /// recipient's data is durably committed. Must not block the I/O thread.
  /// `data` is the message as received (a large one mapped from its spool
  /// file, see common/bytes.h).
  virtual boost::asio::awaitable<std::vector<Reply>> deliver(const ConnectionInfo& conn,
                                                             const Envelope& env,
                                                             common::BytesPtr data) = 0;
};

}  // namespace lmtp
