// session.cc: LMTP state machine. The rules and their sources:
//  - RFC 2033 4.1: HELO/EHLO are not LMTP: 500.
//  - RFC 2033 4.2: DATA without an accepted RCPT: 503; after the data, one
//    reply per accepted RCPT, in order, duplicates included.
//  - RFC 5321 4.1.1.4: only <CRLF>.<CRLF> ends the data; the line before the
//    dot must itself end in CRLF (SMTP smuggling, CVE-2023-51764).
//  - RFC 5321 4.5.2: one leading dot is removed from every data line.
//  - RFC 1870: SIZE= above the limit gets 552 5.3.4 at MAIL; data above the
//    limit is read to the end and then refused per recipient.
#include "lmtp/session.h"

#include <charconv>
#include <cstring>

#include "common/ascii.h"
#include "lmtp/command.h"
#include "lmtp/replies.h"

namespace lmtp {

Session::Session(SessionLimits limits, std::string hostname)
    : limits_(limits),
      hostname_(std::move(hostname)),
      data_(limits.spool_memory, limits.spool_dir) {}

std::string Session::greeting() const {
  return reply_for(Event::greeting, hostname_).wire();
}

void Session::receive(std::string_view bytes) {
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 65536) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  in_.append(bytes);
}

void Session::reply(int code, const char* enhanced, std::string_view text) {
  out_ += Reply{code, enhanced, std::string(text)}.wire();
}

Action Session::bad(int code, const char* enhanced, std::string_view text) {
  if (++bad_count_ >= limits_.bad_commands) {
    reply(code, enhanced, text);
    out_ += reply_for(Event::too_many_errors, hostname_).wire();
    state_ = State::closed;
    return {Action::Kind::close, {}};
  }
  reply(code, enhanced, text);
  return {Action::Kind::need_input, {}};
}

void Session::reset_transaction() {
  env_ = Envelope{};
  data_.clear();
  data_size_ = 0;
  data_too_big_ = false;
  data_bare_ = false;
  at_line_start_ = true;
  prev_crlf_ = true;
  if (state_ != State::fresh && state_ != State::closed) state_ = State::ready;
}

Action Session::next() {
  for (;;) {
    if (state_ == State::closed) return {Action::Kind::close, {}};
    if (awaiting_rcpt_ || state_ == State::delivering) {
      // The server must answer the pending action first; asking again is a bug
      // in the caller, answer it the same way.
      if (awaiting_rcpt_) return {Action::Kind::check_recipient, pending_rcpt_};
      return {Action::Kind::deliver, {}};
    }
    if (state_ == State::data) {
      Action act;
      if (consume_data(act)) return act;
      if (state_ == State::data) return {Action::Kind::need_input, {}};
      continue;  // the data was refused; go on with pipelined commands
    }
    std::string_view rest(in_.data() + in_pos_, in_.size() - in_pos_);
    auto lf = rest.find('\n');
    if (discarding_long_line_) {
      if (lf == std::string_view::npos) {
        in_pos_ = in_.size();
        return {Action::Kind::need_input, {}};
      }
      in_pos_ += lf + 1;
      discarding_long_line_ = false;
      Action a = bad(500, "5.5.2", "Line too long");
      if (a.kind == Action::Kind::close) return a;
      continue;
    }
    if (lf == std::string_view::npos) {
      if (rest.size() >= limits_.command_line) {
        in_pos_ = in_.size();
        discarding_long_line_ = true;
      }
      return {Action::Kind::need_input, {}};
    }
    if (lf + 1 > limits_.command_line) {
      in_pos_ += lf + 1;
      Action a = bad(500, "5.5.2", "Line too long");
      if (a.kind == Action::Kind::close) return a;
      continue;
    }
    std::string_view line = rest.substr(0, lf);
    in_pos_ += lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Action a = command(line);
    if (a.kind != Action::Kind::need_input) return a;
  }
}

Action Session::command(std::string_view line) {
  for (char ch : line)
    if (ch == '\0' || ch == '\r') return bad(500, "5.5.2", "Syntax error: invalid character");
  Command cmd = parse_command(line);
  switch (cmd.verb) {
    case Verb::lhlo: {
      if (cmd.args.empty() || cmd.args.find(' ') != std::string::npos)
        return bad(501, "5.5.4", "Syntax: LHLO hostname");
      reset_transaction();
      state_ = State::ready;
      out_ += "250-" + hostname_ + "\r\n";
      out_ += "250-PIPELINING\r\n";
      out_ += "250-ENHANCEDSTATUSCODES\r\n";
      out_ += "250-8BITMIME\r\n";
      out_ += "250-SMTPUTF8\r\n";
      out_ += "250 SIZE " + std::to_string(limits_.message_size) + "\r\n";
      return {Action::Kind::need_input, {}};
    }
    case Verb::helo:
    case Verb::ehlo:
      return bad(500, "5.5.1", "This is an LMTP server: use LHLO (RFC 2033)");
    case Verb::mail: {
      if (state_ == State::fresh) return bad(503, "5.5.1", "Send LHLO first");
      if (state_ != State::ready) return bad(503, "5.5.1", "Nested MAIL command");
      auto p = parse_path_args(cmd.args, "FROM:");
      if (!p) return bad(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
      Envelope env;
      env.mail_from = p->path;
      for (const auto& prm : p->params) {
        if (prm.keyword == "SIZE") {
          std::uint64_t n = 0;
          auto [ptr, ec] =
              std::from_chars(prm.value.data(), prm.value.data() + prm.value.size(), n);
          if (!prm.has_value || ec != std::errc() || ptr != prm.value.data() + prm.value.size())
            return bad(501, "5.5.4", "Invalid SIZE parameter");
          if (n > limits_.message_size) {
            reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
            return {Action::Kind::need_input, {}};
          }
        } else if (prm.keyword == "BODY") {
          std::string v = common::upper(prm.value);
          if (v == "8BITMIME")
            env.body_8bit = true;
          else if (v != "7BIT")
            return bad(501, "5.5.4", "Invalid BODY parameter");
        } else if (prm.keyword == "SMTPUTF8" && !prm.has_value) {
          env.smtputf8 = true;
        } else {
          return bad(555, "5.5.4", "Unsupported parameter " + prm.keyword);
        }
      }
      reset_transaction();
      env_ = std::move(env);
      state_ = State::mail;
      reply(250, "2.1.0", "Ok");
      return {Action::Kind::need_input, {}};
    }
    case Verb::rcpt: {
      if (state_ != State::mail) return bad(503, "5.5.1", "Need MAIL command first");
      auto p = parse_path_args(cmd.args, "TO:");
      if (!p || p->path.empty()) return bad(501, "5.5.4", "Syntax: RCPT TO:<address>");
      if (!p->params.empty())
        return bad(555, "5.5.4", "Unsupported parameter " + p->params.front().keyword);
      if (env_.recipients.size() >= limits_.recipients) {
        reply(452, "4.5.3", "Too many recipients");
        return {Action::Kind::need_input, {}};
      }
      awaiting_rcpt_ = true;
      pending_rcpt_ = p->path;
      return {Action::Kind::check_recipient, pending_rcpt_};
    }
    case Verb::data:
      if (state_ == State::fresh) return bad(503, "5.5.1", "Send LHLO first");
      if (state_ != State::mail) return bad(503, "5.5.1", "Need MAIL command first");
      if (!cmd.args.empty()) return bad(501, "5.5.4", "DATA takes no arguments");
      if (env_.recipients.empty()) return bad(503, "5.5.1", "No valid recipients");
      state_ = State::data;
      data_.clear();
      reply(354, "", "Start mail input; end with <CRLF>.<CRLF>");
      return {Action::Kind::need_input, {}};
    case Verb::rset:
      reset_transaction();
      reply(250, "2.0.0", "Ok");
      return {Action::Kind::need_input, {}};
    case Verb::noop:
      reply(250, "2.0.0", "Ok");
      return {Action::Kind::need_input, {}};
    case Verb::quit:
      out_ += reply_for(Event::closing, hostname_).wire();
      state_ = State::closed;
      return {Action::Kind::close, {}};
    case Verb::vrfy:
      reply(252, "2.5.2", "Cannot VRFY; send some mail");
      return {Action::Kind::need_input, {}};
    case Verb::unimplemented:
      return bad(502, "5.5.1", "Command not offered by this server");
    case Verb::unknown:
      break;
  }
  return bad(500, "5.5.2", "Command unrecognized");
}

void Session::recipient_checked(const Reply& r) {
  if (!awaiting_rcpt_) return;
  awaiting_rcpt_ = false;
  if (r.positive()) env_.recipients.push_back(pending_rcpt_);
  out_ += r.wire();
  pending_rcpt_.clear();
}

void Session::append_data_line(std::string_view line) {
  // `line` is one piece of data ending in '\n', or a chunk of a long line.
  bool bare = false;
  std::size_t n = line.size();
  bool plain = n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n' &&
               !std::memchr(line.data(), '\r', n - 2) && !std::memchr(line.data(), '\n', n - 2);
  if (!plain) {  // the common "text CRLF" line needs no byte-by-byte look
    for (std::size_t i = 0; i < n; ++i) {
      if (line[i] == '\n' && (i == 0 || line[i - 1] != '\r')) bare = true;
      if (line[i] == '\r' && (i + 1 >= n || line[i + 1] != '\n')) bare = true;
    }
  }
  if (bare) data_bare_ = true;
  std::uint64_t add = line.size();
  data_size_ += add;
  if (data_size_ > limits_.message_size) {
    data_too_big_ = true;
    data_.clear();
  }
  if (data_too_big_) return;
  if (!bare || limits_.bare_lf == BareLfPolicy::reject) {
    data_.append(line);
  } else {
    append_normalized(line);
  }
  // The limit holds for what is kept, too: normalizing bare CR and LF can
  // double the data (found by fuzz_lmtp_session).
  if (data_.size() > limits_.message_size) {
    data_too_big_ = true;
    data_.clear();
  }
}

// Every bare CR or LF becomes CRLF.
void Session::append_normalized(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\r') {
      data_.append("\r\n");
      if (i + 1 < line.size() && line[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      data_.append("\r\n");
    } else {
      data_.append(c);
    }
  }
}

bool Session::consume_data(Action& act) {
  for (;;) {
    std::string_view rest(in_.data() + in_pos_, in_.size() - in_pos_);
    if (rest.empty()) return false;
    auto lf = rest.find('\n');
    std::string_view piece;
    bool complete = lf != std::string_view::npos;
    if (complete) {
      piece = rest.substr(0, lf + 1);
    } else {
      // A long line without LF: it cannot be the terminator once it has more
      // than three bytes, so pass it on instead of buffering it all. Keep a
      // trailing CR back, its LF may be in the next read.
      if (rest.size() < 64 * 1024) return false;
      std::size_t n = rest.size();
      if (rest[n - 1] == '\r') --n;
      piece = rest.substr(0, n);
    }
    if (at_line_start_ && complete && prev_crlf_ && piece == ".\r\n") {
      in_pos_ += piece.size();
      if (data_too_big_) {
        for (std::size_t i = 0; i < env_.recipients.size(); ++i)
          reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
        reset_transaction();
        return false;
      }
      if (data_.failed()) {
        // The spool file could not be written (disk full): try again later.
        for (std::size_t i = 0; i < env_.recipients.size(); ++i)
          out_ += reply_for(Event::spool_failed).wire();
        reset_transaction();
        return false;
      }
      if (data_bare_ && limits_.bare_lf == BareLfPolicy::reject) {
        for (std::size_t i = 0; i < env_.recipients.size(); ++i)
          reply(554, "5.6.0", "Message contains bare CR or LF (RFC 5321 2.3.8)");
        reset_transaction();
        return false;
      }
      state_ = State::delivering;
      act = {Action::Kind::deliver, {}};
      return true;
    }
    in_pos_ += piece.size();
    std::string_view body = piece;
    if (at_line_start_ && !body.empty() && body.front() == '.') body.remove_prefix(1);
    append_data_line(body);
    at_line_start_ = complete;
    if (complete)
      prev_crlf_ = piece.size() >= 2 && piece[piece.size() - 2] == '\r';
    else
      prev_crlf_ = false;
  }
}

void Session::delivered(const std::vector<Reply>& replies) {
  if (state_ != State::delivering) return;
  for (std::size_t i = 0; i < env_.recipients.size(); ++i) {
    if (i < replies.size())
      out_ += replies[i].wire();
    else
      out_ += reply_for(Event::reply_missing).wire();
  }
  reset_transaction();
}

}  // namespace lmtp
