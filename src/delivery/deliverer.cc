// deliverer.cc: recipient checks and per-recipient store transactions.
#include "delivery/deliverer.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <iostream>

#include "common/run_on.h"
#include "delivery/status.h"
#include "mail/message.h"

namespace asio = boost::asio;

namespace delivery {

Deliverer::Deliverer(asio::any_io_executor store_executor, store::Store& store, route::Base base,
                     store::Composer* composer)
    : store_ex_(std::move(store_executor)),
      store_(store),
      composer_(composer),
      base_(std::move(base)) {
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
  in.full_body = msg.text;
  in.body = mail::trim_reply(msg.text);
  in.thread_ids = msg.references;
  if (!msg.in_reply_to.empty()) in.thread_ids.push_back(msg.in_reply_to);
  in.automated = msg.automated || env.mail_from.empty() || is_daemon_sender(env.mail_from);
  in.never_answer = in.automated || is_automated_sender(env.mail_from, base()) ||
                    (msg.from && is_automated_sender(msg.from->email, base()));
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
        store::Outcome o = store_.deliver(*t, in, composer_);
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
  if (on_commit) on_commit();
  return replies;
}

asio::awaitable<lmtp::Reply> Deliverer::check_recipient(const lmtp::ConnectionInfo&,
                                                        const lmtp::Envelope&,
                                                        const std::string& address) {
  std::function<lmtp::Reply()> work = [this, address] { return check_now(address); };
  lmtp::Reply r = co_await common::run_on<lmtp::Reply>(store_ex_, std::move(work));
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
      co_await common::run_on<std::vector<lmtp::Reply>>(store_ex_, std::move(work));
  co_return r;
}

}  // namespace delivery
