// deskmaild's own parts: its command line, the LMTP layer's reply table
// (every reply the server writes by itself goes through Reply::wire()), and
// the server's drain, which reports the end of its last task.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <initializer_list>
#include <thread>
#include <vector>

#include "lmtp/replies.h"
#include "lmtp/server.h"
#include "server/command_line.h"

namespace asio = boost::asio;

namespace {

server::Invocation parse(std::initializer_list<const char*> args, const char* env = nullptr) {
  std::vector<const char*> argv{"deskmaild"};
  argv.insert(argv.end(), args.begin(), args.end());
  return server::parse_command_line(static_cast<int>(argv.size()), argv.data(), env);
}

}  // namespace

TEST_CASE("deskmaild: command line") {
  using A = server::Invocation::Action;
  CHECK(parse({}).action == A::run);
  CHECK(parse({}).config == "/etc/deskmail/deskmail.yaml");
  CHECK(parse({}, "/env.yaml").config == "/env.yaml");
  CHECK(parse({"-c", "/x.yaml"}, "/env.yaml").config == "/x.yaml");
  CHECK(parse({"--config", "/x.yaml", "-t"}).action == A::check_config);
  CHECK(parse({"--check-config", "-c", "/y"}).config == "/y");
  CHECK(parse({"-V"}).action == A::version);
  CHECK(parse({"--help"}).action == A::help);
  auto bad = parse({"-c"});  // no file after -c
  CHECK(bad.action == A::bad_argument);
  CHECK(bad.bad == "-c");
  CHECK(parse({"--verbose"}).bad == "--verbose");
}

TEST_CASE("lmtp: the server's own replies come from the table, scrubbed") {
  using lmtp::Event;
  CHECK(lmtp::reply_for(Event::greeting, "mx.test").wire() ==
        "220 mx.test LMTP deskmail ready\r\n");
  CHECK(lmtp::reply_for(Event::shutting_down, "mx.test").wire() ==
        "421 4.3.2 mx.test shutting down\r\n");
  CHECK(lmtp::reply_for(Event::too_many_connections, "mx").wire() ==
        "421 4.3.2 mx too many connections, try again later\r\n");
  CHECK(lmtp::reply_for(Event::store_unavailable, "mx").wire() ==
        "421 4.3.0 mx mail store unavailable, try again later\r\n");
  CHECK(lmtp::reply_for(Event::idle_timeout, "mx").wire() ==
        "421 4.4.2 mx timeout, closing connection\r\n");
  CHECK(lmtp::reply_for(Event::too_many_errors, "mx").wire() ==
        "421 4.7.0 mx too many errors, closing connection\r\n");
  CHECK(lmtp::reply_for(Event::closing, "mx").wire() == "221 2.0.0 mx closing connection\r\n");
  CHECK(lmtp::reply_for(Event::spool_unreadable).wire() ==
        "451 4.3.0 Cannot read the spooled message, try again later\r\n");
  CHECK(lmtp::reply_for(Event::spool_failed).wire() ==
        "451 4.3.0 Cannot spool the message, try again later\r\n");
  CHECK(lmtp::reply_for(Event::reply_missing).wire() == "451 4.3.0 Temporary internal error\r\n");
  // A host name with a line break cannot end the reply early.
  CHECK(lmtp::reply_for(Event::shutting_down, "a\r\n250 b").wire() ==
        "421 4.3.2 a  250 b shutting down\r\n");
}

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
