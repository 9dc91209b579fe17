// dispatcher.cc: the outbox loop.
#include "outbox/dispatcher.h"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>
#include <iostream>
#include <stdexcept>

#include "common/fault.h"
#include "common/run_on.h"

namespace asio = boost::asio;

namespace outbox {

std::int64_t backoff(std::int64_t attempts, std::chrono::seconds base, std::chrono::seconds max) {
  std::int64_t d = base.count();
  for (std::int64_t i = 1; i < attempts && d < max.count(); ++i) d *= 2;
  return std::min<std::int64_t>(d, max.count());
}

std::int64_t lease_seconds(std::chrono::seconds timeout, std::size_t mails) {
  // connect, TLS handshake, greeting, EHLO, STARTTLS, handshake, EHLO,
  // AUTH LOGIN's three steps, QUIT; then per mail MAIL, RCPT, DATA, end of
  // data and RSET; and a new connection should one be lost on the way.
  auto n = static_cast<std::int64_t>(mails);
  return (15 + 5 * n) * timeout.count() + 30;
}

Dispatcher::Dispatcher(asio::io_context& io, asio::any_io_executor store_ex, store::Store& store,
                       Options opts)
    : io_(io), store_ex_(std::move(store_ex)), store_(store), opts_(std::move(opts)), timer_(io) {
  log = [](const std::string& s) { std::cerr << s << std::endl; };
}

void Dispatcher::start() {
  running_ = true;
  auto done = [this](std::exception_ptr e) {
    running_ = false;
    try {
      if (e) std::rethrow_exception(e);
    } catch (const boost::system::system_error& ex) {
      if (!(stopping_ && ex.code() == asio::error::operation_aborted))  // abort() is no failure
        log(std::string("outbox: dispatcher stopped: ") + ex.what());
    } catch (const std::exception& ex) {
      log(std::string("outbox: dispatcher stopped: ") + ex.what());
    }
    if (stopped_) asio::post(io_, std::exchange(stopped_, nullptr));
  };
  asio::co_spawn(io_, release_then_loop(),
                 asio::bind_cancellation_slot(cancel_.slot(), std::move(done)));
}

void Dispatcher::stop(std::function<void()> stopped) {
  stopping_ = true;
  timer_.cancel();
  if (running_)
    stopped_ = std::move(stopped);
  else if (stopped)
    asio::post(io_, std::move(stopped));
}

void Dispatcher::abort() {
  stopping_ = true;
  aborted_ = true;
  timer_.cancel();
  if (running_) cancel_.emit(asio::cancellation_type::terminal);
}

void Dispatcher::wake() {
  woken_ = true;
  timer_.cancel();
}

template <class R>
asio::awaitable<R> Dispatcher::on_store(std::function<R()> fn) {
  if (!write_through) co_return co_await common::run_on<R>(store_ex_, std::move(fn));
  // No deadline of its own, as run_on has none: the hour only bounds a
  // writer that never answers.
  auto r = co_await common::run_deferred<R>(write_through, std::move(fn), std::chrono::hours(1));
  if (!r) throw std::runtime_error("no answer from the store's writer");
  co_return std::move(*r);
}

asio::awaitable<void> Dispatcher::release_then_loop() {
  // Mails this instance claimed before a crash or a kill are due again now,
  // not when their lease runs out.
  try {
    std::string owner = opts_.owner;
    std::function<int()> release = [this, owner] { return store_.release_claims(owner); };
    int n = co_await common::run_on<int>(store_ex_, std::move(release));
    if (n) log("outbox: released " + std::to_string(n) + " mail(s) claimed before a restart");
  } catch (const std::exception& e) {
    log(std::string("outbox: cannot release earlier claims: ") + e.what());
  }
  co_await loop();
}

asio::awaitable<void> Dispatcher::loop() {
  while (!stopping_) {
    woken_ = false;
    std::vector<store::OutboxItem> due;
    try {
      std::int64_t until = std::time(nullptr) + lease_seconds(opts_.timeout, kBatch);
      std::string owner = opts_.owner;
      std::function<std::vector<store::OutboxItem>()> claim = [this, until, owner] {
        return store_.claim_outbox(static_cast<int>(kBatch), until, owner);
      };
      due = co_await on_store<std::vector<store::OutboxItem>>(std::move(claim));
    } catch (const std::exception& e) {
      log(std::string("outbox: cannot read the outbox: ") + e.what());
    }
    if (!due.empty()) co_await send_batch(due);
    if (stopping_) break;
    if (due.size() == kBatch || woken_) continue;  // more may be waiting
    timer_.expires_after(opts_.poll);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// One connection for the batch, then one transaction records every result:
// a crash in between sends each of these mails at most once more, with the
// same Message-ID (DESIGN.md section 6).
asio::awaitable<void> Dispatcher::send_batch(std::vector<store::OutboxItem>& due) {
  std::vector<Envelope> mails;
  mails.reserve(due.size());
  for (auto& item : due) mails.push_back({item.mail_from, item.recipient, std::move(item.content)});
  std::vector<SmtpResult> results =
      co_await smtp_send_all(io_.get_executor(), opts_.relay, opts_.security, opts_.helo,
                             std::move(mails), opts_.timeout, [this] { return !stopping_; });
  if (aborted_) {
    // Recording the results would need the store after the shutdown
    // timeout: the mails stay claimed, and are due again at the next start.
    for (std::size_t i = 0; i < results.size(); ++i)
      log("outbox: id=" + std::to_string(due[i].id) + " to=<" + due[i].recipient +
          "> cancelled by the shutdown; due again at the next start");
    co_return;
  }
  std::int64_t now = std::time(nullptr);
  std::vector<store::OutboxAttempt> attempts;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const SmtpResult& r = results[i];
    if (r.ok) common::fault_point("outbox_sent");
    const auto& item = due[i];
    std::int64_t n = item.attempts + 1;
    bool give_up = !r.ok && !r.permanent && now - item.created_at > opts_.max_age.count();
    std::string error = r.reply;
    if (give_up) error = "gave up after " + std::to_string(n) + " attempts: " + r.reply;
    attempts.push_back({item.id, r.ok, r.permanent || give_up, error,
                        now + backoff(n, opts_.retry_base, opts_.retry_max)});
  }
  // Stopped half-way: the mails not attempted are due again at once.
  std::string release = results.size() < due.size() ? opts_.owner : "";
  try {
    std::function<int()> record = [this, attempts, release] {
      store_.outbox_record(attempts, release);
      return 0;
    };
    co_await on_store<int>(std::move(record));
  } catch (const std::exception& e) {
    log(std::string("outbox: cannot record the result: ") + e.what());
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& a = attempts[i];
    log("outbox: id=" + std::to_string(a.id) + " to=<" + due[i].recipient + "> message-id=<" +
        due[i].message_id + "> kind=" + due[i].kind + " result=" +
        (a.sent        ? "sent"
         : a.permanent ? "failed"
                       : "deferred") +
        " attempts=" + std::to_string(due[i].attempts + 1) + " reply=\"" + results[i].reply + "\"");
  }
}

}  // namespace outbox
