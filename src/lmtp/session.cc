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

void Session::reply(Event e, std::string_view detail) {
  out_ += reply_for(e, hostname_, detail).wire();
}

Action Session::bad(Event e, std::string_view detail) {
  if (++bad_count_ >= limits_.bad_commands) {
    reply(e, detail);
    reply(Event::too_many_errors);
    state_ = State::closed;
    return {Action::Kind::close, {}};
  }
  reply(e, detail);
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
      Action a = bad(Event::line_too_long);
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
      Action a = bad(Event::line_too_long);
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
    if (ch == '\0' || ch == '\r') return bad(Event::invalid_character);
  Command cmd = parse_command(line);
  switch (cmd.verb) {
    case Verb::lhlo: {
      if (cmd.args.empty() || cmd.args.find(' ') != std::string::npos)
        return bad(Event::lhlo_syntax);
      reset_transaction();
      state_ = State::ready;
      out_ += lhlo_reply(hostname_, limits_.message_size);
      return {Action::Kind::need_input, {}};
    }
    case Verb::helo:
    case Verb::ehlo:
      return bad(Event::use_lhlo);
    case Verb::mail: {
      if (state_ == State::fresh) return bad(Event::lhlo_first);
      if (state_ != State::ready) return bad(Event::nested_mail);
      auto p = parse_path_args(cmd.args, "FROM:");
      if (!p) return bad(Event::mail_syntax);
      Envelope env;
      env.mail_from = p->path;
      for (const auto& prm : p->params) {
        if (prm.keyword == "SIZE") {
          std::uint64_t n = 0;
          auto [ptr, ec] =
              std::from_chars(prm.value.data(), prm.value.data() + prm.value.size(), n);
          if (!prm.has_value || ec != std::errc() || ptr != prm.value.data() + prm.value.size())
            return bad(Event::bad_size);
          if (n > limits_.message_size) {
            reply(Event::too_big);
            return {Action::Kind::need_input, {}};
          }
        } else if (prm.keyword == "BODY") {
          std::string v = common::upper(prm.value);
          if (v == "8BITMIME")
            env.body_8bit = true;
          else if (v != "7BIT")
            return bad(Event::bad_body);
        } else if (prm.keyword == "SMTPUTF8" && !prm.has_value) {
          env.smtputf8 = true;
        } else {
          return bad(Event::unsupported_param, prm.keyword);
        }
      }
      reset_transaction();
      env_ = std::move(env);
      state_ = State::mail;
      reply(Event::sender_ok);
      return {Action::Kind::need_input, {}};
    }
    case Verb::rcpt: {
      if (state_ != State::mail) return bad(Event::need_mail);
      auto p = parse_path_args(cmd.args, "TO:");
      if (!p || p->path.empty()) return bad(Event::rcpt_syntax);
      if (!p->params.empty())
        return bad(Event::unsupported_param, p->params.front().keyword);
      if (env_.recipients.size() >= limits_.recipients) {
        reply(Event::too_many_recipients);
        return {Action::Kind::need_input, {}};
      }
      awaiting_rcpt_ = true;
      pending_rcpt_ = p->path;
      return {Action::Kind::check_recipient, pending_rcpt_};
    }
    case Verb::data:
      if (state_ == State::fresh) return bad(Event::lhlo_first);
      if (state_ != State::mail) return bad(Event::need_mail);
      if (!cmd.args.empty()) return bad(Event::data_syntax);
      if (env_.recipients.empty()) return bad(Event::no_recipients);
      state_ = State::data;
      data_.clear();
      reply(Event::start_data);
      return {Action::Kind::need_input, {}};
    case Verb::rset:
      reset_transaction();
      reply(Event::ok);
      return {Action::Kind::need_input, {}};
    case Verb::noop:
      reply(Event::ok);
      return {Action::Kind::need_input, {}};
    case Verb::quit:
      reply(Event::closing);
      state_ = State::closed;
      return {Action::Kind::close, {}};
    case Verb::vrfy:
      reply(Event::cannot_vrfy);
      return {Action::Kind::need_input, {}};
    case Verb::unimplemented:
      return bad(Event::not_offered);
    case Verb::unknown:
      break;
  }
  return bad(Event::unrecognized);
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
          reply(Event::too_big);
        reset_transaction();
        return false;
      }
      if (data_.failed()) {
        // The spool file could not be written (disk full): try again later.
        for (std::size_t i = 0; i < env_.recipients.size(); ++i)
          reply(Event::spool_failed);
        reset_transaction();
        return false;
      }
      if (data_bare_ && limits_.bare_lf == BareLfPolicy::reject) {
        for (std::size_t i = 0; i < env_.recipients.size(); ++i)
          reply(Event::bare_line_end);
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
      reply(Event::reply_missing);
  }
  reset_transaction();
}

}  // namespace lmtp
