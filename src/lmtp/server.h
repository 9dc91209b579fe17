// server.h: LMTP listener on Boost.Asio: TCP and unix sockets, one coroutine
// per connection, idle timeout, connection cap, graceful drain.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "common/defaults.h"
#include "lmtp/handler.h"
#include "lmtp/session.h"
#include "lmtp/socket_access.h"

namespace lmtp {

struct ServerOptions {
  SessionLimits session;
  std::uint32_t max_connections = common::defaults::connections.value;
  std::chrono::seconds idle_timeout{common::defaults::idle.value};
  std::string hostname = "localhost";
  unsigned socket_mode = common::defaults::socket_mode;
  // Messages that were spooled (larger than session.spool_memory) worked on
  // at once, across all connections; the others wait with their data on
  // disk. Each is mapped from its file, not read back, but its decoded text
  // and attachments are in memory: bounds many large messages arriving
  // together.
  std::uint32_t large_in_memory = 4;
};

class Server {
 public:
  Server(boost::asio::io_context& io, Handler& handler, ServerOptions opts);
  ~Server();

  /// Binds a TCP endpoint. Throws boost::system::system_error.
  void listen_tcp(const std::string& host, std::uint16_t port);
  /// Binds a unix socket, replacing a stale socket file, and gives it the
  /// owner, group and mode of `access` before it listens. Throws on error.
  void listen_unix(const std::string& path, const SocketAccess& access = {});

  /// New options apply to connections accepted from now on (SIGHUP).
  void set_options(ServerOptions opts);

  /// Stops accepting; idle sessions get 421 4.3.2 and are closed; sessions
  /// inside DATA finish their transaction first. `drained` is posted to the
  /// io_context once every accept loop and every session has ended: nothing
  /// of the server is left in the io_context then. Call on the I/O thread.
  void drain(std::function<void()> drained = {});
  /// Closes every connection at once (after the shutdown timeout): a session
  /// waiting for the handler ends as soon as the handler returns, without
  /// writing its replies. Call on the I/O thread, after drain().
  void abort_all();

  /// Sessions open now (refused ones included, until their 421 is written).
  std::size_t connections() const { return live_; }

  /// Log sink: one line per event. Defaults to stderr.
  std::function<void(const std::string&)> log;
  /// When set and true, new connections get 421 4.3.0 at the greeting.
  std::function<bool()> store_down;

  /// Where a spooled message is read back from its file (tens of
  /// milliseconds for 25 MB, page faults included): off the I/O thread.
  /// Unset: on the I/O thread.
  std::optional<boost::asio::any_io_executor> spool_executor;

 private:
  struct Conn;
  template <class Socket>
  boost::asio::awaitable<void> run(Socket sock, std::string peer);
  template <class Acceptor>
  boost::asio::awaitable<void> accept_loop(Acceptor& acc);
  /// Runs `task` on the io_context; logs what it throws and counts it, so
  /// that drain() knows when the last one has ended.
  void spawn(boost::asio::awaitable<void> task, const char* what);
  void task_ended();
  boost::asio::awaitable<bool> wait_for_large_slot(Conn& conn, std::uint32_t slots);
  void release_large_slot();

  boost::asio::io_context& io_;
  Handler& handler_;
  ServerOptions opts_;
  struct Listeners;
  std::unique_ptr<Listeners> listeners_;
  std::list<Conn*> conns_;
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 0;
  std::size_t tasks_ = 0;  // accept loops and sessions not yet ended
  bool draining_ = false;
  std::function<void()> drained_;
  std::uint32_t large_busy_ = 0;  // spooled messages in memory now (I/O thread only)
  std::deque<boost::asio::steady_timer*> large_waiters_;  // spooled messages waiting for a slot
};

}  // namespace lmtp
