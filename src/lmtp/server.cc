// server.cc: the LMTP listener. Every connection is one coroutine on the
// io_context's single I/O thread; the handler moves store work elsewhere.
#include "lmtp/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <iostream>
#include <vector>

#include "common/fault.h"
#include "common/run_on.h"
#include "lmtp/replies.h"

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace lmtp {

struct Server::Conn {
  std::function<void()> cancel;  // cancels the pending read
  std::function<void()> close;   // closes the socket (abort_all)
  bool reading_idle = false;     // waiting for a command outside DATA
  bool stop = false;             // drain requested
  bool aborted = false;          // abort_all: end without another word
  bool timed_out = false;
};

struct Server::Listeners {
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp;
  std::vector<std::unique_ptr<asio::local::stream_protocol::acceptor>> local;
  std::vector<std::string> paths;
};

Server::Server(asio::io_context& io, Handler& handler, ServerOptions opts)
    : io_(io), handler_(handler), opts_(std::move(opts)), listeners_(new Listeners) {
  log = [](const std::string& s) { std::cerr << s << std::endl; };
}

Server::~Server() {
  for (const auto& p : listeners_->paths) ::unlink(p.c_str());
}

void Server::set_options(ServerOptions opts) {
  opts_ = std::move(opts);
}

void Server::listen_tcp(const std::string& host, std::uint16_t port) {
  asio::ip::tcp::resolver resolver(io_);
  auto results =
      resolver.resolve(host, std::to_string(port),
                       asio::ip::tcp::resolver::passive | asio::ip::tcp::resolver::numeric_service);
  for (const auto& r : results) {
    auto acc = std::make_unique<asio::ip::tcp::acceptor>(io_);
    acc->open(r.endpoint().protocol());
    acc->set_option(asio::socket_base::reuse_address(true));
    if (r.endpoint().address().is_v6()) acc->set_option(asio::ip::v6_only(true));
    acc->bind(r.endpoint());
    acc->listen(asio::socket_base::max_listen_connections);
    auto* a = acc.get();
    listeners_->tcp.push_back(std::move(acc));
    spawn(accept_loop(*a), "accept loop");
    return;  // the first resolved address only: one listen entry, one socket
  }
}

void Server::listen_unix(const std::string& path, const SocketAccess& access) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error(path + " exists and is not a socket; not replacing it");
    ::unlink(path.c_str());
  }
  auto acc = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
  asio::local::stream_protocol::endpoint ep(path);
  acc->open(ep.protocol());
  acc->bind(ep);
  apply_socket_access(path, access, opts_.socket_mode);  // not reachable before listen()
  acc->listen(asio::socket_base::max_listen_connections);
  auto* a = acc.get();
  listeners_->local.push_back(std::move(acc));
  listeners_->paths.push_back(path);
  spawn(accept_loop(*a), "accept loop");
}

void Server::spawn(awaitable<void> task, const char* what) {
  ++tasks_;
  asio::co_spawn(io_, std::move(task), [this, what](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log(std::string(what) + " failed: " + ex.what());
      } catch (...) {
        log(std::string(what) + " failed: unknown exception");
      }
    }
    task_ended();
  });
}

void Server::task_ended() {
  --tasks_;
  if (draining_ && tasks_ == 0 && drained_) asio::post(io_, std::exchange(drained_, nullptr));
}

template <class Acceptor>
awaitable<void> Server::accept_loop(Acceptor& acc) {
  for (;;) {
    boost::system::error_code ec;
    auto sock = co_await acc.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || draining_) co_return;
    if (ec) {
      log("accept error: " + ec.message());
      // EMFILE and friends: back off briefly instead of spinning.
      asio::steady_timer t(io_, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::string peer = "unix";
    if constexpr (std::is_same_v<decltype(sock), asio::ip::tcp::socket>) {
      boost::system::error_code e2;
      auto ep = sock.remote_endpoint(e2);
      if (!e2) peer = ep.address().to_string() + ":" + std::to_string(ep.port());
      sock.set_option(asio::ip::tcp::no_delay(true), e2);
    }
    spawn(run(std::move(sock), std::move(peer)), "connection task");
  }
}

template <class Socket>
awaitable<void> Server::run(Socket sock, std::string peer) {
  Conn conn;
  conns_.push_back(&conn);
  auto it = std::prev(conns_.end());
  ++live_;
  struct Guard {
    Server* s;
    std::list<Conn*>::iterator it;
    ~Guard() {
      s->conns_.erase(it);
      --s->live_;
    }
  } guard{this, it};

  ConnectionInfo info{"S" + std::to_string(++next_id_), peer};
  ServerOptions opts = opts_;
  boost::system::error_code ec;

  if (live_ > opts.max_connections) {
    std::string msg = reply_for(Event::too_many_connections, opts.hostname).wire();
    co_await asio::async_write(sock, asio::buffer(msg), asio::redirect_error(use_awaitable, ec));
    log("warning: " + info.id + " refused: connection limit " +
        std::to_string(opts.max_connections) + ", reply=\"" + msg.substr(0, 9) + "\"");
    co_return;
  }

  Session session(opts.session, opts.hostname);
  asio::steady_timer timer(io_);
  conn.cancel = [&sock] {
    boost::system::error_code e;
    sock.cancel(e);
  };
  conn.close = [&sock] {
    boost::system::error_code e;
    sock.close(e);
  };

  std::string greeting = session.greeting();
  bool refuse = draining_;
  if (draining_) {
    greeting = reply_for(Event::shutting_down, opts.hostname).wire();
  } else if (store_down && store_down()) {
    // The store failed again and again: the MTA keeps the mail queued
    // instead of running each message into a 451.
    greeting = reply_for(Event::store_unavailable, opts.hostname).wire();
    refuse = true;
    log("warning: " + info.id + " refused: the store is unavailable, reply=\"" +
        greeting.substr(0, 9) + "\"");
  }
  co_await asio::async_write(sock, asio::buffer(greeting), asio::redirect_error(use_awaitable, ec));
  if (ec || refuse) co_return;

  auto flush = [&]() -> awaitable<bool> {
    if (session.output().empty()) co_return true;
    // A peer that never reads would block this write forever: bound it.
    timer.expires_after(opts.idle_timeout);
    timer.async_wait([&](boost::system::error_code e) {
      if (!e && timer.expiry() <= asio::steady_timer::clock_type::now()) {
        conn.timed_out = true;
        boost::system::error_code e2;
        sock.close(e2);
      }
    });
    boost::system::error_code wec;
    co_await asio::async_write(sock, asio::buffer(session.output()),
                               asio::redirect_error(use_awaitable, wec));
    timer.cancel();
    session.output().clear();
    co_return !wec;
  };

  std::array<char, 65536> buf;
  for (;;) {
    if (conn.aborted) co_return;  // the socket is closed: no more work for the handler
    Action act = session.next();
    switch (act.kind) {
      case Action::Kind::need_input: {
        if (!co_await flush()) co_return;
        // After the flush: a drain() while it was writing finds the session
        // here, before its next read (nothing runs between this check and
        // the read's start).
        if (conn.stop && !session.in_data()) {
          session.output() += reply_for(Event::shutting_down, opts.hostname).wire();
          co_await flush();
          co_return;
        }
        conn.reading_idle = !session.in_data();
        conn.timed_out = false;
        timer.expires_after(opts.idle_timeout);
        timer.async_wait([&](boost::system::error_code e) {
          // A stale expiry (the read finished in the same turn) must not
          // cancel the next read: check the deadline again.
          if (!e && timer.expiry() <= asio::steady_timer::clock_type::now()) {
            conn.timed_out = true;
            boost::system::error_code e2;
            sock.cancel(e2);
          }
        });
        std::size_t n = co_await sock.async_read_some(asio::buffer(buf),
                                                      asio::redirect_error(use_awaitable, ec));
        timer.cancel();
        conn.reading_idle = false;
        if (ec == asio::error::operation_aborted) {
          if (conn.timed_out) {
            session.output() += reply_for(Event::idle_timeout, opts.hostname).wire();
            log(info.id + " idle timeout");
          } else {
            session.output() += reply_for(Event::shutting_down, opts.hostname).wire();
          }
          co_await flush();
          co_return;
        }
        if (ec) co_return;  // EOF or reset: an open transaction is simply dropped
        session.receive(std::string_view(buf.data(), n));
        break;
      }
      case Action::Kind::check_recipient: {
        Reply r = co_await handler_.check_recipient(info, session.envelope(), act.address);
        session.recipient_checked(r);
        break;
      }
      case Action::Kind::deliver: {
        // A large message waits, its data on disk, until fewer than
        // large_in_memory others are being parsed and stored.
        // Waiters queue in arrival order; each release wakes the first (it
        // checks again: a message that arrived meanwhile may have the slot).
        bool large = session.data_spooled();
        if (large && !co_await wait_for_large_slot(conn, opts.large_in_memory)) co_return;
        auto release = [this] { release_large_slot(); };
        std::vector<Reply> replies;
        try {
          common::BytesPtr data;
          if (large && spool_executor) {
            // Only this coroutine touches the session, suspended meanwhile.
            // The spool file is mapped, not read back (its last buffer is
            // written out first: file I/O, not for the I/O thread).
            std::function<common::BytesPtr()> read = [&session] { return session.take_bytes(); };
            data = co_await common::run_on<common::BytesPtr>(*spool_executor, std::move(read));
          } else {
            data = session.take_bytes();
          }
          if (!data) {
            // The spool file could not be read back: nothing was stored.
            replies.assign(session.envelope().recipients.size(),
                           reply_for(Event::spool_unreadable));
          } else {
            replies = co_await handler_.deliver(info, session.envelope(), std::move(data));
          }
        } catch (...) {
          if (large) release();
          throw;
        }
        if (large) release();
        session.delivered(replies);
        if (common::fault_due("mid_reply")) {
          // The crash tests: the first half of the replies reach the client.
          const std::string& out = session.output();
          asio::write(sock, asio::buffer(out.data(), out.size() / 2), ec);
          common::fault_die();
        }
        break;
      }
      case Action::Kind::close:
        co_await flush();
        sock.shutdown(asio::socket_base::shutdown_both, ec);
        co_return;
    }
  }
}

// A large message waits, its data on disk, until fewer than large_in_memory
// others are being parsed and stored. Waiters queue in arrival order; each
// release wakes the first (it checks again: a message that arrived meanwhile
// may have the slot). False when the server aborted meanwhile.
awaitable<bool> Server::wait_for_large_slot(Conn& conn, std::uint32_t slots) {
  while (large_busy_ >= std::max<std::uint32_t>(1, slots)) {
    if (conn.aborted) co_return false;
    asio::steady_timer wake(io_, asio::steady_timer::time_point::max());
    large_waiters_.push_back(&wake);
    struct Leave {  // also when the coroutine is destroyed while waiting
      std::deque<asio::steady_timer*>& q;
      asio::steady_timer* t;
      ~Leave() {
        if (auto it = std::find(q.begin(), q.end(), t); it != q.end()) q.erase(it);
      }
    } leave{large_waiters_, &wake};
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  if (conn.aborted) co_return false;
  ++large_busy_;
  co_return true;
}

void Server::release_large_slot() {
  --large_busy_;
  if (!large_waiters_.empty()) {
    asio::steady_timer* first = large_waiters_.front();
    large_waiters_.pop_front();
    first->cancel();
  }
}

void Server::drain(std::function<void()> drained) {
  draining_ = true;
  drained_ = std::move(drained);
  boost::system::error_code ec;
  for (auto& a : listeners_->tcp) a->close(ec);
  for (auto& a : listeners_->local) a->close(ec);
  for (Conn* c : conns_) {
    c->stop = true;
    if (c->reading_idle && c->cancel) c->cancel();
  }
  if (tasks_ == 0 && drained_) asio::post(io_, std::exchange(drained_, nullptr));
}

void Server::abort_all() {
  for (Conn* c : conns_) {
    c->stop = true;
    c->aborted = true;
    if (c->close) c->close();
  }
  // Large messages waiting for a slot give up (they see `aborted`).
  for (asio::steady_timer* t : large_waiters_) t->cancel();
}

}  // namespace lmtp
