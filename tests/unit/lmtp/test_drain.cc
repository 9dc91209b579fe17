// lmtp::Server's drain (SIGTERM): idle sessions get 421 4.3.2, and the
// server reports the end of its last task.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <thread>
#include <vector>

#include "lmtp/server.h"

namespace asio = boost::asio;

namespace {

struct NullHandler : lmtp::Handler {
  asio::awaitable<lmtp::Reply> check_recipient(const lmtp::ConnectionInfo&, const lmtp::Envelope&,
                                               const std::string&) override {
    co_return lmtp::Reply{250, "2.1.5", "ok"};
  }
  asio::awaitable<std::vector<lmtp::Reply>> deliver(const lmtp::ConnectionInfo&,
                                                    const lmtp::Envelope& env,
                                                    common::BytesPtr) override {
    co_return std::vector<lmtp::Reply>(env.recipients.size(), lmtp::Reply{250, "2.0.0", "ok"});
  }
};

std::string read_line(asio::local::stream_protocol::socket& s, std::string& buf) {
  std::size_t n = asio::read_until(s, asio::dynamic_buffer(buf), "\r\n");
  std::string l = buf.substr(0, n);
  buf.erase(0, n);
  return l;
}

}  // namespace

TEST_CASE("lmtp: drain answers an idle session 421 4.3.2 and reports when the last task ended") {
  std::string tmpl = "/tmp/deskmail-drain-" + std::string(6, 'X');
  std::string dir = mkdtemp(tmpl.data());
  std::string path = dir + "/lmtp";
  NullHandler handler;
  asio::io_context io(1);
  lmtp::ServerOptions o;
  o.hostname = "mx.test";
  lmtp::Server server(io, handler, o);
  server.log = [](const std::string&) {};
  server.listen_unix(path);
  std::atomic<int> drained{0};
  std::thread srv([&] { io.run(); });  // returns only when nothing of the server is left

  asio::io_context cio;
  asio::local::stream_protocol::socket c(cio);
  c.connect(asio::local::stream_protocol::endpoint(path));
  std::string buf;
  CHECK(read_line(c, buf) == "220 mx.test LMTP deskmail ready\r\n");
  asio::write(c, asio::buffer(std::string("LHLO c\r\n")));
  while (read_line(c, buf).rfind("250 ", 0) != 0) {
  }
  asio::post(io, [&] { server.drain([&] { ++drained; }); });
  CHECK(read_line(c, buf) == "421 4.3.2 mx.test shutting down\r\n");
  srv.join();
  CHECK(drained == 1);
  CHECK(server.connections() == 0);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("lmtp: drain with nothing running reports at once") {
  NullHandler handler;
  asio::io_context io(1);
  lmtp::Server server(io, handler, lmtp::ServerOptions{});
  int drained = 0;
  server.drain([&] { ++drained; });
  io.run();
  CHECK(drained == 1);
}
