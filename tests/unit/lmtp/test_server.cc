// lmtp::Server over a real unix socket with a handler that takes its time:
// at most large_in_memory spooled messages are handed on at once (the rest
// wait with their data on disk); small messages are not held back.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <thread>

#include "lmtp/server.h"

namespace asio = boost::asio;

namespace {

struct SlowHandler : lmtp::Handler {
  int now = 0, most = 0, done = 0;  // all on the server's one thread
  std::size_t bytes = 0;

  asio::awaitable<lmtp::Reply> check_recipient(const lmtp::ConnectionInfo&, const lmtp::Envelope&,
                                               const std::string&) override {
    co_return lmtp::Reply{250, "2.1.5", "ok"};
  }

  asio::awaitable<std::vector<lmtp::Reply>> deliver(const lmtp::ConnectionInfo&,
                                                    const lmtp::Envelope& env,
                                                    common::BytesPtr data) override {
    ++now;
    most = std::max(most, now);
    bytes += data->size();
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(60));
    co_await t.async_wait(asio::use_awaitable);
    --now;
    ++done;
    co_return std::vector<lmtp::Reply>(env.recipients.size(), lmtp::Reply{250, "2.0.0", "ok"});
  }
};

// One client: a whole transaction with `size` bytes of data; the last reply.
std::string send_one(const std::string& path, std::size_t size) {
  asio::io_context io;
  asio::local::stream_protocol::socket s(io);
  s.connect(asio::local::stream_protocol::endpoint(path));
  std::string in;
  auto line = [&] {
    std::size_t n = asio::read_until(s, asio::dynamic_buffer(in), "\r\n");
    std::string l = in.substr(0, n);
    in.erase(0, n);
    return l;
  };
  auto reply = [&] {  // the last line of a (multi-line) reply
    for (;;) {
      std::string l = line();
      if (l.size() < 4 || l[3] != '-') return l;
    }
  };
  reply();  // greeting
  std::string body(size, 'x');
  for (std::size_t i = 76; i < body.size(); i += 78) body.replace(i, 2, "\r\n");
  std::string out = "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<d@e>\r\nDATA\r\n";
  asio::write(s, asio::buffer(out));
  for (int i = 0; i < 4; ++i) reply();
  asio::write(s, asio::buffer(body + "\r\n.\r\nQUIT\r\n"));
  std::string r = reply();
  reply();  // 221
  return r;
}

struct Run {
  SlowHandler handler;
  std::vector<std::string> replies;
  Run(std::size_t clients, std::size_t size, bool read_back_elsewhere = false) {
    std::string tmpl = "/tmp/deskmail-server-" + std::string(6, 'X');  // mkdtemp's template
    std::string dir = mkdtemp(tmpl.data());
    std::string path = dir + "/lmtp";
    asio::io_context io(1);
    lmtp::ServerOptions o;
    o.session.spool_memory = 4096;
    o.session.spool_dir = dir;
    o.large_in_memory = 2;
    lmtp::Server server(io, handler, o);
    asio::thread_pool reader(1);
    if (read_back_elsewhere) server.spool_executor = reader.get_executor();
    server.listen_unix(path);
    std::thread srv([&] { io.run(); });
    replies.resize(clients);
    std::vector<std::thread> cs;
    for (std::size_t i = 0; i < clients; ++i)
      cs.emplace_back([&, i] { replies[i] = send_one(path, size); });
    for (auto& t : cs) t.join();
    // Stop accepting and let every session end, so that io.run() returns
    // with no coroutine frame left pointing into the server.
    asio::post(io, [&] { server.drain(); });
    srv.join();
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
};

}  // namespace

TEST_CASE("server: at most large_in_memory spooled messages are handed on at once") {
  Run r(8, 200 * 1024, true);  // each spooled: over spool_memory, read back on a pool
  for (const auto& rep : r.replies) CHECK(rep.rfind("250", 0) == 0);
  CHECK(r.handler.done == 8);
  CHECK(r.handler.most == 2);
  CHECK(r.handler.bytes >= 8 * 200 * 1024);
}

TEST_CASE("server: small messages are not held back") {
  Run r(8, 1000);  // under spool_memory: all at once
  for (const auto& rep : r.replies) CHECK(rep.rfind("250", 0) == 0);
  CHECK(r.handler.done == 8);
  CHECK(r.handler.most > 2);
}
