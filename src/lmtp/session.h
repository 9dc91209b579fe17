// session.h: the LMTP protocol state machine (RFC 2033). No I/O, no SQL.
//
// The server feeds it received bytes and asks it what to do next: read more,
// decide a recipient, deliver a message, or close. Replies are appended to an
// output buffer that the server writes when the session needs more input, so
// pipelined commands (RFC 2920) get their replies in one write.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/defaults.h"
#include "common/spool.h"
#include "lmtp/replies.h"
#include "lmtp/reply.h"

namespace lmtp {

enum class BareLfPolicy { normalize, reject };

/// Defaults from common/defaults.h (the daemon sets them from the config).
struct SessionLimits {
  std::uint64_t message_size = common::defaults::message_size.value;
  std::uint32_t recipients = common::defaults::recipients.value;
  std::uint32_t bad_commands = common::defaults::bad_commands.value;
  std::size_t command_line = 4096;  // bytes including CRLF
  BareLfPolicy bare_lf = BareLfPolicy::normalize;
  // Message data beyond this many bytes goes to an unlinked file in
  // spool_dir while it arrives (0: always in memory).
  std::size_t spool_memory = 1 << 20;
  std::string spool_dir = "/tmp";
};

/// The envelope of one transaction, handed to the handler with the data.
struct Envelope {
  std::string mail_from;  // "" for the null sender <>
  bool smtputf8 = false;
  bool body_8bit = false;
  std::vector<std::string> recipients;  // accepted ones, in RCPT order, duplicates kept
};

/// What the server must do next.
struct Action {
  enum class Kind {
    need_input,       // write pending output, then read and call receive()
    check_recipient,  // ask the handler about `address`, then call recipient_checked()
    deliver,          // hand envelope() and take_bytes() over, then call delivered()
    close,            // write pending output, then close the connection
  } kind = Kind::need_input;
  std::string address;
};

class Session {
 public:
  Session(SessionLimits limits, std::string hostname);

  /// The 220 greeting line.
  std::string greeting() const;

  /// Appends received bytes.
  void receive(std::string_view bytes);
  /// The peer closed its side: whatever is buffered is dropped.
  bool input_pending() const { return !in_.empty(); }

  /// Processes buffered input until an action is needed.
  Action next();

  /// Result of a check_recipient action: a 2xx accepts the recipient.
  void recipient_checked(const Reply& reply);
  /// Result of a deliver action: exactly one reply per accepted recipient.
  void delivered(const std::vector<Reply>& replies);

  const Envelope& envelope() const { return env_; }
  /// The message as received, dot-unstuffed, CRLF line endings, moved out:
  /// in memory, or (past spool_memory) its spool file mapped. Null when the
  /// spool could not be read back.
  common::BytesPtr take_bytes() { return data_.take_bytes(); }
  /// True when the data went to a spool file (it is larger than spool_memory).
  bool data_spooled() const { return data_.spooled(); }

  /// Output waiting to be written; the server clears it after writing.
  std::string& output() { return out_; }

  /// True between the end of a DATA command and its replies: the server must
  /// not interrupt the session for shutdown then.
  bool in_data() const { return state_ == State::data || state_ == State::delivering; }
  /// True while a transaction (MAIL..DATA) is open.
  bool in_transaction() const { return state_ != State::fresh && state_ != State::ready; }

 private:
  enum class State { fresh, ready, mail, data, delivering, closed };

  Action command(std::string_view line);
  bool consume_data(Action& act);
  // Replies from the table (lmtp/replies.h); `detail` follows its text.
  void reply(Event e, std::string_view detail = {});
  Action bad(Event e, std::string_view detail = {});
  void reset_transaction();
  void append_data_line(std::string_view line);
  void append_normalized(std::string_view line);

  SessionLimits limits_;
  std::string hostname_;
  State state_ = State::fresh;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string out_;
  std::uint32_t bad_count_ = 0;
  bool discarding_long_line_ = false;

  Envelope env_;
  std::string pending_rcpt_;
  bool awaiting_rcpt_ = false;

  // DATA state
  common::Spool data_;
  std::uint64_t data_size_ = 0;
  bool data_too_big_ = false;
  bool data_bare_ = false;
  bool at_line_start_ = true;
  bool prev_crlf_ = true;
};

}  // namespace lmtp
