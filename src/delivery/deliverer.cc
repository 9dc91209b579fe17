// deliverer.cc: recipient checks and per-recipient store transactions.
#include "delivery/deliverer.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <iostream>

#include "delivery/status.h"
#include "mail/message.h"

namespace asio = boost::asio;

namespace delivery {

Deliverer::Deliverer(asio::any_io_executor store_executor, store::Store& store, route::Base base)
    : store_ex_(std::move(store_executor)), store_(store), base_(std::move(base)) {
  log = [](const std::string& s) { std::cerr << s << std::endl; };
}

void Deliverer::set_base(route::Base b) {
  std::lock_guard lk(base_mu_);
  base_ = std::move(b);
}

route::Base Deliverer::base() const {
  std::lock_guard lk(base_mu_);
  return base_;
}

std::optional<store::Target> Deliverer::resolve(const route::Route& r) {
  switch (r.kind) {
    case route::Route::Kind::new_issue: {
      auto t = store_.find_project_key(r.key);
      if (t) return t;
      return store_.find_alias(r.address);
    }
    case route::Route::Kind::reply:
      return store_.find_reply_key(r.key, false);
    case route::Route::Kind::unsubscribe:
      return store_.find_reply_key(r.key, true);
    case route::Route::Kind::alias:
      return store_.find_alias(r.address);
  }
  return std::nullopt;
}

lmtp::Reply Deliverer::check_now(const std::string& address) {
  auto r = route::parse(address, base());
  if (!r) return reply_for(Status::bad_address, address);
  try {
    if (!resolve(*r)) return reply_for(Status::no_such_recipient, address);
    return reply_for(Status::recipient_ok, address);
  } catch (const std::exception& e) {
    log("recipient check for <" + address + "> failed: " + e.what());
    return reply_for(Status::store_unavailable, address);
  }
}

namespace {

std::string escape_log(const std::string& s) {
  std::string o;
  for (unsigned char c : s) o += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return o;
}

}  // namespace

std::vector<lmtp::Reply> Deliverer::deliver_now(const lmtp::ConnectionInfo& conn,
                                                const lmtp::Envelope& env,
                                                const std::string& data) {
  auto started = std::chrono::steady_clock::now();
  auto raw = std::make_shared<const std::string>(data);
  mail::Message msg = mail::parse(*raw);

  store::Inbound in;
  in.dedupe_key = msg.message_id.empty() ? "body:" + msg.body_sha256 : "mid:" + msg.message_id;
  in.mail_from = env.mail_from;
  if (msg.from) {
    in.author_email = msg.from->email;
    in.author_name = msg.from->name;
  } else {
    in.author_email = env.mail_from;
  }
  in.contact_email = msg.reply_to ? msg.reply_to->email : in.author_email;
  in.title = mail::make_title(msg.subject, msg.text);
  in.body = msg.text;
  in.message_id = msg.message_id;
  in.problems = msg.problems;
  for (auto& a : msg.attachments)
    in.attachments.push_back(
        {a.filename_sent, a.filename, a.content_type, a.sha256, std::move(a.content)});
  in.raw = raw;
  in.raw_sha256 = mail::sha256_hex(*raw);

  route::Base b = base();
  std::vector<lmtp::Reply> replies;
  replies.reserve(env.recipients.size());
  for (const auto& rcpt : env.recipients) {
    Status st = Status::store_unavailable;
    std::string ref, why;
    try {
      auto r = route::parse(rcpt, b);
      std::optional<store::Target> t;
      if (r) t = resolve(*r);
      if (!t) {
        st = Status::gone;
      } else {
        store::Outcome o = store_.deliver(*t, in);
        ref = o.ref;
        switch (o.kind) {
          case store::Outcome::Kind::created:
            st = Status::created;
            break;
          case store::Outcome::Kind::noted:
            st = Status::noted;
            break;
          case store::Outcome::Kind::unsubscribed:
            st = Status::unsubscribed;
            break;
          case store::Outcome::Kind::duplicate:
            st = Status::duplicate;
            break;
          case store::Outcome::Kind::gone:
            st = Status::gone;
            break;
        }
      }
    } catch (const std::exception& e) {
      st = Status::store_unavailable;
      why = e.what();
    }
    replies.push_back(reply_for(st, rcpt, ref));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    log(conn.id + ": from=<" + escape_log(env.mail_from) + "> to=<" + escape_log(rcpt) +
        "> message-id=<" + escape_log(msg.message_id) + "> size=" + std::to_string(data.size()) +
        " result=" + name_of(st) + (ref.empty() ? "" : " ref=" + ref) + " reply=\"" +
        std::to_string(replies.back().code) + " " + replies.back().enhanced + "\"" +
        " ms=" + std::to_string(ms) + (why.empty() ? "" : " error=\"" + escape_log(why) + "\""));
  }
  return replies;
}

namespace {

// Runs `fn` on the store executor and resumes the caller on its own executor
// with the result (or the exception). A plain initiation, not a coroutine
// lambda: GCC 12 double-destroys captures of coroutine lambdas spawned inside
// a co_await expression.
template <class R>
asio::awaitable<R> on_executor(asio::any_io_executor ex, std::function<R()> fn) {
  auto init = [ex, fn = std::move(fn)](auto handler) mutable {
    asio::post(ex, [fn = std::move(fn), handler = std::move(handler)]() mutable {
      std::exception_ptr ep;
      R result{};
      try {
        result = fn();
      } catch (...) {
        ep = std::current_exception();
      }
      auto hex = asio::get_associated_executor(handler);
      asio::dispatch(hex, [h = std::move(handler), ep, result = std::move(result)]() mutable {
        std::move(h)(ep, std::move(result));
      });
    });
  };
  R r = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, R)>(
      std::move(init), asio::use_awaitable);
  co_return r;
}

}  // namespace

asio::awaitable<lmtp::Reply> Deliverer::check_recipient(const lmtp::ConnectionInfo&,
                                                        const lmtp::Envelope&,
                                                        const std::string& address) {
  std::function<lmtp::Reply()> work = [this, address] { return check_now(address); };
  lmtp::Reply r = co_await on_executor<lmtp::Reply>(store_ex_, std::move(work));
  co_return r;
}

asio::awaitable<std::vector<lmtp::Reply>> Deliverer::deliver(const lmtp::ConnectionInfo& conn,
                                                             const lmtp::Envelope& env,
                                                             std::shared_ptr<std::string> data) {
  std::function<std::vector<lmtp::Reply>()> work = [this, conn, env, data] {
    try {
      return deliver_now(conn, env, *data);
    } catch (const std::exception& ex) {
      log(conn.id + ": delivery failed before any commit: " + ex.what());
      std::vector<lmtp::Reply> r;
      for (const auto& rcpt : env.recipients)
        r.push_back(reply_for(Status::store_unavailable, rcpt));
      return r;
    }
  };
  std::vector<lmtp::Reply> r =
      co_await on_executor<std::vector<lmtp::Reply>>(store_ex_, std::move(work));
  co_return r;
}

}  // namespace delivery
