// deliverer.cc: recipient checks and per-recipient store transactions.
#include "delivery/deliverer.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <iostream>

#include "common/fault.h"
#include "common/queue_id.h"
#include "common/run_on.h"
#include "delivery/budget.h"
#include "delivery/log_lines.h"
#include "delivery/mta_id.h"
#include "delivery/senders.h"
#include "delivery/status.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "mail/scan.h"
#include "notify/notify.h"

namespace asio = boost::asio;

namespace delivery {

Deliverer::Deliverer(asio::any_io_executor store_executor, asio::any_io_executor work_executor,
                     store::Store& store, route::Base base, store::Composer* composer)
    : store_ex_(std::move(store_executor)),
      work_ex_(std::move(work_executor)),
      store_(store),
      desk_(store, composer),
      base_(std::move(base)) {
  log = [](const std::string& s) { std::cerr << s << std::endl; };
}

void Deliverer::set_policy(Policy p) {
  std::lock_guard lk(base_mu_);
  policy_ = std::move(p);
}

Policy Deliverer::policy() const {
  std::lock_guard lk(base_mu_);
  return policy_;
}

void Deliverer::set_base(route::Base b) {
  std::lock_guard lk(base_mu_);
  base_ = std::move(b);
}

route::Base Deliverer::base() const {
  std::lock_guard lk(base_mu_);
  return base_;
}

std::optional<store::Target> Deliverer::resolve(store::Store& st, const route::Route& r) {
  switch (r.kind) {
    case route::Route::Kind::new_issue: {
      auto t = st.find_project_key(r.key);
      if (t) return t;
      return st.find_alias(r.address);
    }
    case route::Route::Kind::reply:
      return st.find_reply_key(r.key, false);
    case route::Route::Kind::unsubscribe:
      return st.find_reply_key(r.key, true);
    case route::Route::Kind::alias:
      return st.find_alias(r.address);
  }
  return std::nullopt;
}

lmtp::Reply Deliverer::lookup(store::Store& st, const std::string& address) {
  auto r = route::parse(address, base());
  if (!r) return reply_for(Status::bad_address, address);
  bool found = resolve(st, *r).has_value();
  store_result(true);
  return reply_for(found ? Status::recipient_ok : Status::no_such_recipient, address);
}

lmtp::Reply Deliverer::check_now(const std::string& address) {
  try {
    return lookup(store_, address);
  } catch (const std::exception& e) {
    store_result(false);
    log("warning: recipient check for <" + address + "> failed: " + e.what());
    return reply_for(Status::store_unavailable, address);
  }
}

void Deliverer::store_result(bool ok) {
  if (ok) {
    if (failures_.exchange(0) >= kDownAfter) log("store: available again");
  } else if (failures_.fetch_add(1) + 1 == kDownAfter) {
    log("warning: store: " + std::to_string(kDownAfter) +
        " failures in a row; new connections get 421 until it answers again");
  }
}

bool Deliverer::store_down() const {
  return failures_.load() >= kDownAfter;
}

void Deliverer::probe() {
  if (probing_.exchange(true)) return;  // one probe at a time, even if the store hangs
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{probing_};
  try {
    store_.version();
    store_result(true);
  } catch (const std::exception&) {
    store_result(false);
  }
}

namespace {

Status status_of(store::Outcome::Kind k) {
  switch (k) {
    case store::Outcome::Kind::created:
      return Status::created;
    case store::Outcome::Kind::noted:
      return Status::noted;
    case store::Outcome::Kind::unsubscribed:
      return Status::unsubscribed;
    case store::Outcome::Kind::duplicate:
      return Status::duplicate;
    case store::Outcome::Kind::gone:
      return Status::gone;
    case store::Outcome::Kind::quarantined:
      return Status::quarantined;
    case store::Outcome::Kind::bounce:
      return Status::bounce;
    case store::Outcome::Kind::rate_limited:
      return Status::rate_limited;
  }
  return Status::store_unavailable;
}

}  // namespace

namespace {
// Inside a group commit the delivery lines and the outbox wake-up wait for
// the COMMIT: they happen only if it succeeds (set by the work running on the
// writer thread). A wake before the COMMIT sent the dispatcher to wait for the
// writer's connection on the store thread, in front of the next RCPT lookups.
struct Deferred {
  std::vector<std::string> lines;
  std::vector<Status> counted;  // the statuses of those lines
  bool wake = false;
};
thread_local Deferred* t_deferred = nullptr;
}  // namespace

void Deliverer::log_delivery(const lmtp::ConnectionInfo& conn, const lmtp::Envelope& env,
                             const Prepared& p, const std::string& rcpt, Status st,
                             const std::string& ref, const lmtp::Reply& reply,
                             const std::string& why) {
  DeliveryLine d;
  d.queue_id = p.queue_id;
  d.session = conn.id;
  d.mta_id = p.mta_id;
  d.from = env.mail_from;
  d.rcpt = rcpt;
  d.message_id = p.message_id;
  d.size = p.size;
  d.result = name_of(st);
  d.ref = ref;
  d.code = reply.code;
  d.enhanced = reply.enhanced;
  d.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               p.started)
             .count();
  d.why = why;
  if (p.inbound) d.proof = p.inbound->proof;
  std::string line = delivery_line(d);
  if (t_deferred) {
    t_deferred->lines.push_back(std::move(line));
    t_deferred->counted.push_back(st);
  } else {
    log(line);
    counters_.count(st);
  }
}

Deliverer::Prepared Deliverer::prepare(const lmtp::Envelope& env, common::BytesPtr data) const {
  Prepared p;
  p.started = std::chrono::steady_clock::now();
  p.size = data->size();
  route::Base b = base();
  Policy pol = policy();
  auto decided = [&](Status st, std::string why) {
    p.decided = st;
    p.why = std::move(why);
    return std::move(p);
  };

  // 1. Structure, in bounded time and memory, before GMime sees anything.
  mail::Scan sc = mail::scan(*data, pol.scan);  // releases a mapped message as it goes
  p.message_id = mail::header_safe(mail::first_header(sc, "Message-ID"), 200);
  p.mta_id = mta_queue_id(mail::first_header(sc, "Received"));
  if (sc.verdict == mail::Scan::Verdict::too_many_hops)
    return decided(Status::too_many_hops, sc.detail);
  if (sc.verdict != mail::Scan::Verdict::ok) return decided(Status::bad_structure, sc.detail);

  // 2. Our own mail coming back (our loop header, or one of our Message-IDs).
  std::string loop = mail::header_safe(mail::first_header(sc, notify::kLoopHeader));
  if (route::lower(loop) == route::lower(b.domain) ||
      notify::is_own_message_id(p.message_id, b.domain))
    return decided(Status::own_mail, "loop");

  // 3. The site filter's verdict, from the fields it added.
  spam::Verdict verdict = spam::assess(sc.headers, pol.spam);
  if (verdict.spam && pol.spam.action == spam::Action::reject)
    return decided(Status::spam_rejected, verdict.reason);
  bool quarantine = verdict.spam && pol.spam.action == spam::Action::quarantine;
  if (quarantine) p.why = verdict.reason;

  // 4. Our internal headers never come from outside. The scan already knows
  // the top-level field names: copy the message only when one must go.
  bool internal = false;
  for (const auto& [name, value] : sc.headers)
    if (route::lower(name).rfind(route::lower(notify::kInternalPrefix), 0) == 0) internal = true;
  common::BytesPtr raw = data;
  if (internal) raw = common::bytes_of(mail::strip_headers(data->view(), notify::kInternalPrefix));
  mail::ParseOptions po;
  po.spool_dir = pol.spool_dir;
  po.text_limit = pol.text_per_message;
  p.store_per_message = pol.store_per_message;
  mail::Message msg = mail::parse(*raw, po);
  p.message_id = msg.message_id;
  std::string ctype = route::lower(mail::first_header(sc, "Content-Type"));

  auto in = std::make_shared<store::Inbound>();
  in->dedupe_key =
      msg.message_id.empty() ? without_message_id_key(env, sc, msg) : "mid:" + msg.message_id;
  in->mail_from = env.mail_from;
  if (msg.from) {
    in->author_email = msg.from->email;
    in->author_name = msg.from->name;
  } else {
    in->author_email = env.mail_from;
  }
  in->contact_email = msg.reply_to ? msg.reply_to->email : in->author_email;
  in->title = mail::make_title(msg.subject, msg.text);
  in->body = mail::trim_reply(msg.text);
  // Nothing trimmed (the trimmed text is a prefix): one copy, not two.
  if (in->body.size() == msg.text.size())
    in->body = std::move(msg.text);  // full_body "" = the same as body
  else
    in->full_body = std::move(msg.text);
  for (auto& m : msg.cc)
    if (!is_automated_sender(m.email, b))
      in->cc.emplace_back(std::move(m.email), std::move(m.name));
  in->thread_ids = std::move(msg.references);
  if (!msg.in_reply_to.empty()) in->thread_ids.push_back(msg.in_reply_to);
  in->automated = msg.automated || env.mail_from.empty() || is_daemon_sender(env.mail_from);
  in->never_answer = in->automated || is_automated_sender(env.mail_from, b) ||
                     (msg.from && is_automated_sender(msg.from->email, b));
  in->bounce = ctype.rfind("multipart/report", 0) == 0;
  in->spam = quarantine;
  in->spam_reason =
      mail::to_valid_utf8(verdict.reason);  // header bytes as sent (found by fuzz_ingest)
  in->new_issues_per_sender_hour = pol.new_issues_per_sender_hour;
  in->confirmations_per_sender_day = pol.confirmations_per_sender_day;
  in->confirmations_per_hour = pol.confirmations_per_hour;
  desk::Proof proof = desk::verify_author(sc.headers, in->author_email, pol.auth);
  in->author_proven = proof.proven;
  in->proof = std::move(proof.why);
  in->message_id = msg.message_id;
  in->problems = std::move(msg.problems);
  if (internal) in->problems.push_back("X-Deskmail- headers from outside removed");
  for (auto& a : msg.attachments)
    in->attachments.push_back({std::move(a.filename_sent), std::move(a.filename),
                               std::move(a.content_type), std::move(a.sha256), std::move(a.content),
                               std::move(a.spooled)});
  in->raw = raw;
  in->raw_sha256 = mail::sha256_hex(raw->view(), raw.get());
  p.inbound = std::move(in);
  return p;
}

std::vector<lmtp::Reply> Deliverer::commit(const lmtp::ConnectionInfo& conn,
                                           const lmtp::Envelope& env, const Prepared& p) {
  std::vector<lmtp::Reply> replies;
  replies.reserve(env.recipients.size());
  if (!p.inbound) {
    // Decided before anything could be stored: the same answer for everyone.
    for (const auto& rcpt : env.recipients) {
      replies.push_back(with_id(reply_for(p.decided, rcpt), p.queue_id));
      log_delivery(conn, env, p, rcpt, p.decided, "", replies.back(), p.why);
    }
    return replies;
  }
  route::Base b = base();
  int mails = 0;
  StoreBudget budget(p.store_per_message, p.inbound);
  for (const auto& rcpt : env.recipients) {
    Status st = Status::store_unavailable;
    std::string ref, why = p.why;
    try {
      auto r = route::parse(rcpt, b);
      std::optional<store::Target> t;
      if (r) t = resolve(store_, *r);
      if (!t) {
        st = Status::gone;
      } else {
        store::Outcome o = desk_.deliver(*t, budget.next());
        ref = o.ref;
        mails += o.mails;
        st = status_of(o.kind);
      }
      store_result(true);
    } catch (const std::exception& e) {
      st = Status::store_unavailable;
      why = e.what();
      if (dynamic_cast<const store::Unavailable*>(&e)) store_result(false);
    }
    replies.push_back(with_id(reply_for(st, rcpt, ref), p.queue_id));
    log_delivery(conn, env, p, rcpt, st, ref, replies.back(), why);
  }
  // Wake the dispatcher only when there is something to send: every wake
  // costs it an outbox query on the store thread.
  if (mails > 0 && on_commit) {
    if (t_deferred)
      t_deferred->wake = true;
    else
      on_commit();
  }
  return replies;
}

std::vector<lmtp::Reply> Deliverer::deliver_now(const lmtp::ConnectionInfo& conn,
                                                const lmtp::Envelope& env, common::BytesPtr data) {
  Prepared p = prepare(env, std::move(data));
  p.queue_id = common::new_queue_id();
  return commit(conn, env, p);
}

asio::awaitable<lmtp::Reply> Deliverer::check_recipient(const lmtp::ConnectionInfo& conn,
                                                        const lmtp::Envelope& env,
                                                        const std::string& address) {
  lmtp::Reply r = co_await answer_recipient(address);
  // Postfix's "NOQUEUE: reject: RCPT": every refusal has its line, a
  // temporary one as a warning (deskmaild(8), LOGGING).
  if (r.code >= 400) {
    log(rcpt_refusal_line(conn.id, env.mail_from, address, r));
    // The refusals lookup() and check_now() answer: 550 5.1.3, 550 5.1.1, 451.
    counters_.count(r.code < 500            ? Status::store_unavailable
                    : r.enhanced == "5.1.3" ? Status::bad_address
                                            : Status::no_such_recipient);
  }
  co_return r;
}

asio::awaitable<lmtp::Reply> Deliverer::answer_recipient(const std::string& address) {
  if (reader_) {
    std::optional<lmtp::Reply> answer;
    try {
      answer = lookup(*reader_, address);
    } catch (const std::exception&) {
      // Busy or broken: the store thread answers, as without a reader.
    }
    if (answer) co_return *answer;
  }
  std::function<lmtp::Reply()> work = [this, address] { return check_now(address); };
  auto r =
      co_await common::run_on_for<lmtp::Reply>(store_ex_, std::move(work), policy().store_deadline);
  if (r) co_return *r;
  store_result(false);
  log("warning: recipient check for <" + address + "> failed: no answer from the store in time");
  co_return reply_for(Status::store_unavailable, address);
}

asio::awaitable<std::vector<lmtp::Reply>> Deliverer::deliver(const lmtp::ConnectionInfo& conn,
                                                             const lmtp::Envelope& env,
                                                             common::BytesPtr data) {
  // Scanning, MIME parsing and hashing never run on the store thread (the
  // one SQLite writer), which only ever waits for SQL: a 20 MB message being
  // parsed holds up nobody's RCPT or COMMIT. A message up to kParseInline is
  // parsed on the session's thread, a larger one on the work executor so
  // that the other sessions go on. The parsed message goes straight to the
  // store (the group commit's queue, or the store executor): the session's
  // thread is woken once, with the replies (issues 7 and 24: each thread hop
  // is a futex wake and two context switches).
  const std::string qid = common::new_queue_id();
  const std::string who = qid + ": session=" + conn.id + " ";  // the lines below start so
  // What the lines of a delivery that never got parsed say (the store hangs).
  Prepared unprepared;
  unprepared.started = std::chrono::steady_clock::now();
  unprepared.size = data->size();
  unprepared.queue_id = qid;
  auto prepared = std::make_shared<std::shared_ptr<Prepared>>();
  auto deferred = std::make_shared<Deferred>();
  bool grouped = group_ != nullptr;
  std::function<std::vector<lmtp::Reply>()> work = [this, conn, env, prepared, deferred, grouped,
                                                    qid] {
    if (!*prepared) {
      deferred->counted.insert(deferred->counted.end(), env.recipients.size(),
                               Status::store_unavailable);
      return with_id(reply_to_all(Status::store_unavailable, env.recipients), qid);
    }
    struct Defer {
      explicit Defer(Deferred* d) { t_deferred = d; }
      ~Defer() { t_deferred = nullptr; }
    } defer(grouped ? deferred.get() : nullptr);
    try {
      return commit(conn, env, **prepared);
    } catch (const std::exception& ex) {
      return tempfail_all(conn, env, **prepared,
                          std::string("delivery failed before any commit: ") + ex.what());
    }
  };
  auto prepare_now = [this, env, data, prepared, qid, who] {
    try {
      auto p = std::make_shared<Prepared>(prepare(env, data));
      p->queue_id = qid;
      p->handed = std::chrono::steady_clock::now();
      *prepared = std::move(p);
    } catch (const std::exception& ex) {
      log("warning: " + who + "message could not be prepared, 451: " + ex.what());
    }
    common::fault_point("after_parse");
  };
  // Hands the prepared message to the store: the group commit's queue, or
  // the store executor; a message refused before the store needs neither.
  auto to_store = [this, prepared](std::function<void()> store_work,
                                   std::function<void(std::exception_ptr)> finish) {
    // Refused before the store (structure, loop, spam) or not parsed: the
    // answers need no store, and no place in a group commit.
    if (!*prepared || !(*prepared)->inbound) {
      asio::post(work_ex_, [store_work = std::move(store_work), finish = std::move(finish)] {
        store_work();
        finish(nullptr);
      });
    } else if (group_) {
      group_->submit(std::move(store_work), std::move(finish));
    } else {
      asio::post(store_ex_, [store_work = std::move(store_work), finish = std::move(finish)] {
        store_work();
        finish(nullptr);
      });
    }
  };
  auto submit = [this, data, prepare_now, to_store](
                    std::function<void()> store_work,
                    std::function<void(std::exception_ptr)> finish) {
    // A small message is parsed here, on the session's thread (a 4 KiB one
    // in well under a millisecond): one thread hop fewer per message, each
    // a futex wake and two context switches (issue 24).
    if (data->size() <= kParseInline) {
      prepare_now();
      to_store(std::move(store_work), std::move(finish));
      return;
    }
    asio::post(work_ex_, [prepare_now, to_store, store_work = std::move(store_work),
                          finish = std::move(finish)]() mutable {
      prepare_now();
      to_store(std::move(store_work), std::move(finish));
    });
  };
  std::optional<std::vector<lmtp::Reply>> done;
  std::exception_ptr failed;
  try {
    done = co_await common::run_deferred<std::vector<lmtp::Reply>>(
        std::move(submit), std::move(work), policy().store_deadline);
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    // The shared COMMIT failed (disk full, I/O error): nothing of this
    // message was stored, whatever its savepoints said.
    std::string what = "unknown error";
    try {
      std::rethrow_exception(failed);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    store_result(false);
    co_return tempfail_all(conn, env, *prepared ? **prepared : unprepared,
                           "the group commit failed, nothing stored: " + what);
  }
  if (done) {
    for (const auto& l : deferred->lines) log(l);
    for (Status st : deferred->counted) counters_.count(st);
    if (*prepared && (*prepared)->inbound)
      counters_.observe_store(std::chrono::steady_clock::now() - (*prepared)->handed);
    if (deferred->wake && on_commit) on_commit();
    co_return *done;
  }
  // The store hangs: the MTA hears 451 now. Should the transaction still
  // commit later, the MTA's retry finds it and gets 250 "already delivered".
  store_result(false);
  co_return tempfail_all(conn, env, unprepared, "no answer from the store in time");
}

std::vector<lmtp::Reply> Deliverer::tempfail_all(const lmtp::ConnectionInfo& conn,
                                                 const lmtp::Envelope& env, const Prepared& p,
                                                 const std::string& why) {
  std::vector<lmtp::Reply> replies;
  for (const auto& rcpt : env.recipients) {
    replies.push_back(with_id(reply_for(Status::store_unavailable, rcpt), p.queue_id));
    log_delivery(conn, env, p, rcpt, Status::store_unavailable, "", replies.back(), why);
  }
  return replies;
}

}  // namespace delivery
