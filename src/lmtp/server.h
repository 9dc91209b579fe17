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

#include "lmtp/handler.h"
#include "lmtp/session.h"

namespace lmtp {

struct ServerOptions {
  SessionLimits session;
  std::uint32_t max_connections = 200;
  std::chrono::seconds idle_timeout{300};
  std::string hostname = "localhost";
  unsigned socket_mode = 0660;
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
  /// Binds a unix socket, replacing a stale socket file. Throws on error.
  void listen_unix(const std::string& path);

  /// New options apply to connections accepted from now on (SIGHUP).
  void set_options(ServerOptions opts);

  /// Stops accepting; idle sessions get 421 4.3.2 and are closed; sessions
  /// inside DATA finish their transaction first. Call on the I/O thread.
  void drain();
  /// Closes every connection at once (after the shutdown timeout).
  void abort_all();

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
  boost::asio::awaitable<void> accept_loop(Acceptor& acc, bool is_unix);

  boost::asio::io_context& io_;
  Handler& handler_;
  ServerOptions opts_;
  struct Listeners;
  std::unique_ptr<Listeners> listeners_;
  std::list<Conn*> conns_;
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 0;
  bool draining_ = false;
  std::uint32_t large_busy_ = 0;  // spooled messages in memory now (I/O thread only)
  std::deque<boost::asio::steady_timer*> large_waiters_;  // spooled messages waiting for a slot
};

}  // namespace lmtp
