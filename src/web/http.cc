// http.cc: the Beast server (see http.h). Modelled on Beast's
// example/advanced/server-flex-awaitable: one coroutine per connection,
// expected errors as values, exceptions caught where the coroutine is
// spawned; a connection's coroutine runs on its worker's one thread (no
// strand needed).
#include "web/http.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <system_error>

#include "web/form.h"

namespace web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

Response plain(int status, std::string text) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text) + "\n";
  return r;
}

// A thread of the server: its own io_context, run by it alone. A
// connection lives on one worker from accept to close, and its requests are
// answered there, on the thread that read them: no hand-off to another
// thread and back (two wake-ups a request, with a futex each, were a
// seventh of deskmail-web's CPU on a queue page).
struct Worker {
  // Before io: a connection's coroutine, destroyed with io, counts itself out.
  std::atomic<std::uint32_t> connections{0};
  std::atomic<bool> answering{false};  // inside the handler now
  asio::io_context io{1};
  // Runs until stop(), with or without a connection on it.
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
};

struct Server::Impl {
  std::vector<config::Listen> listen;
  ServerLimits limits;
  Handler handler;
  std::atomic<std::uint32_t> active{0};          // connections (before workers: see Worker)
  std::vector<std::unique_ptr<Worker>> workers;  // the first also accepts
  std::size_t next = 0;                          // where pick() starts (accept's thread only)
  // After workers: closed before the first worker's context goes.
  std::vector<std::unique_ptr<tcp::acceptor>> tcp_acceptors;
  std::vector<std::unique_ptr<local::acceptor>> unix_acceptors;

  Impl(std::vector<config::Listen> l, ServerLimits lim, Handler h, int threads)
      : listen(std::move(l)), limits(lim), handler(std::move(h)) {
    for (int i = 0; i < std::max(1, threads); ++i) workers.push_back(std::make_unique<Worker>());
  }
  asio::io_context& io() { return workers.front()->io; }

  // The worker for a new connection: one not answering a request now
  // (a slow page holds its thread until the request's deadline), with the
  // fewest connections; ties in turn.
  Worker& pick() {
    Worker* best = nullptr;
    std::uint64_t best_load = 0;
    for (std::size_t k = 0; k < workers.size(); ++k) {
      Worker& w = *workers[(next + k) % workers.size()];
      std::uint64_t load = w.connections.load() + (w.answering.load() ? std::uint64_t{1} << 32 : 0);
      if (!best || load < best_load) best = &w, best_load = load;
    }
    ++next;
    return *best;
  }
};

namespace {

// The handler's answer; a throw becomes 500 (logged).
Response call(const Handler& h, const Request& r) {
  try {
    return h(r);
  } catch (const std::exception& e) {
    std::cerr << "deskmail-web: error: " << r.method << " " << r.target.substr(0, 200) << ": "
              << e.what() << "\n";
  } catch (...) {
    std::cerr << "deskmail-web: error: unknown exception\n";
  }
  return plain(500, "Internal Server Error");
}

// Whether a request may send the upload limit's body; a throw is a no.
bool upload_granted(const std::function<bool(const Request&)>& may, const Request& r) {
  try {
    return may(r);
  } catch (const std::exception& e) {
    std::cerr << "deskmail-web: error: deciding an upload: " << e.what() << "\n";
  }
  return false;
}

Request convert(http::request<http::string_body>& in, const std::string& peer) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  for (const auto& f : in) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, added] = r.headers.emplace(name, std::string(f.value()));
    if (!added) it->second += ", " + std::string(f.value());
  }
  r.body = std::move(in.body());  // a form with files may be 20 MB
  r.peer = peer;
  return r;
}

http::response<http::string_body> to_beast(Response&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "deskmail-web");
  res.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// What the server answers to a request it could not read.
int status_of(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  return 400;
}

// The body limit for a request: the first prefix of the target that
// matches, the upload limit for a multipart POST to the upload path, else
// the server's.
// Whether a request is a form with files: a multipart POST to the upload
// path (and no prefix of its own).
bool is_upload(const ServerLimits& l, const http::request<http::string_body>& req) {
  std::string_view target = req.target();
  for (const auto& [prefix, size] : l.body_size_under)
    if (target.substr(0, prefix.size()) == prefix) return false;
  std::string_view path = target.substr(0, target.find('?'));
  const std::string_view sfx = l.upload_suffix;
  return l.upload_body_size > 0 && !sfx.empty() && req.method() == http::verb::post &&
         path.size() >= sfx.size() && path.substr(path.size() - sfx.size()) == sfx &&
         is_media_type(req[http::field::content_type], "multipart/form-data");
}

std::uint64_t body_limit(const ServerLimits& l, const http::request<http::string_body>& req) {
  std::string_view target = req.target();
  for (const auto& [prefix, size] : l.body_size_under)
    if (target.substr(0, prefix.size()) == prefix) return size;
  return is_upload(l, req) ? std::max(l.upload_body_size, l.body_size) : l.body_size;
}

// After an error answer: the client may still be sending the body it was
// refused. Closing with unread bytes would reset the connection and could
// take the answer with it, so the sending side is shut and what arrives is
// read and dropped, into a fixed buffer, for at most two seconds.
template <class Stream>
awaitable<void> drain(Stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(asio::socket_base::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  for (;;) {
    auto [ec, n] =
        co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(use_awaitable));
    if (ec) break;
  }
}

template <class Stream>
awaitable<void> serve(Server::Impl& s, Worker& w, Stream stream, std::string peer) {
  struct Count {
    std::atomic<std::uint32_t>& n;
    std::atomic<std::uint32_t>& mine;
    ~Count() { --n, --mine; }
  } count{s.active, w.connections};
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(s.limits.header_size);
    // No limit while the header block is read (the parser would refuse a
    // Content-Length over its default there); the target's limit below.
    parser.body_limit(boost::none);
    // One deadline for the whole request: a client that sends a byte now
    // and then (slowloris) is cut off like one that sends nothing.
    stream.expires_after(s.limits.timeout);
    auto [ec, n] =
        co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (!ec) {
      std::uint64_t limit = body_limit(s.limits, parser.get());
      if (limit > s.limits.body_size && s.limits.may_upload && is_upload(s.limits, parser.get())) {
        Request head = convert(parser.get(), peer);
        w.answering = true;
        bool granted = upload_granted(s.limits.may_upload, head);
        w.answering = false;
        if (!granted) limit = s.limits.body_size;
      }
      auto announced = parser.content_length();
      if (announced && *announced > limit)
        ec = http::error::body_limit;  // refused unread
      else {
        parser.body_limit(limit);
        // curl and others wait for this before a body over 1 KiB.
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go{http::status::continue_, 11};
          auto [cec, cn] = co_await http::async_write(stream, go, asio::as_tuple(use_awaitable));
          ec = cec;
        }
      }
      if (!ec && !parser.is_done()) {
        std::tie(ec, n) =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
      }
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
      break;
    if (ec) {
      int status = status_of(ec);
      std::string why = status == 413   ? "Payload Too Large: the body is over this path's limit"
                        : status == 431 ? "Request Header Fields Too Large"
                                        : "Bad request: " + ec.message();
      auto res = to_beast(plain(status, std::move(why)), 11, false);
      stream.expires_after(std::chrono::seconds(5));
      co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
      co_await drain(stream);
      break;
    }
    auto& msg = parser.get();
    Request req = convert(msg, peer);
    bool keep = msg.keep_alive();
    unsigned version = msg.version();
    w.answering = true;
    Response out = call(s.handler, req);
    w.answering = false;
    auto res = to_beast(std::move(out), version, keep);
    stream.expires_after(s.limits.timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(use_awaitable));
    if (wec || !keep) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::socket_base::shutdown_send, ignored);
}

void log_exception(std::exception_ptr p) {
  if (!p) return;
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    std::cerr << "deskmail-web: connection: " << e.what() << "\n";
  }
}

// `sock` (accepted on the first worker) moved to worker `w`'s context.
template <class Socket>
Socket moved_to(Worker& w, Socket sock) {
  if (&sock.get_executor().context() == &w.io) return sock;
  auto protocol = sock.local_endpoint().protocol();
  auto fd = sock.release();
  return Socket(w.io, protocol, fd);
}

template <class Acceptor, class StreamT>
awaitable<void> accept_loop(Server::Impl& s, Acceptor& a) {
  for (;;) {
    auto [ec, sock] = co_await a.async_accept(asio::as_tuple(use_awaitable));
    if (ec == asio::error::operation_aborted || !a.is_open()) co_return;
    if (ec) continue;  // EMFILE and the like: the next connection may work
    if (s.active.load() >= s.limits.connections) {
      beast::error_code ignored;
      sock.close(ignored);  // over the limit: closed at once, like a full backlog
      continue;
    }
    std::string peer;
    if constexpr (std::is_same_v<StreamT, beast::tcp_stream>) {
      beast::error_code e2;
      auto ep = sock.remote_endpoint(e2);
      if (!e2) {
        auto addr = ep.address();
        if (addr.is_v6() && addr.to_v6().is_v4_mapped())
          addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
        peer = addr.to_string();
      }
    }
    Worker& w = s.pick();
    try {
      sock = moved_to(w, std::move(sock));
    } catch (const boost::system::system_error&) {
      continue;  // reset before it was moved: nothing to serve
    }
    ++s.active, ++w.connections;
    asio::co_spawn(w.io, serve(s, w, StreamT(std::move(sock)), std::move(peer)), log_exception);
  }
}

}  // namespace

Server::Server(std::vector<config::Listen> listen, ServerLimits limits, Handler handler,
               int threads)
    : impl_(std::make_unique<Impl>(std::move(listen), limits, std::move(handler), threads)) {}

Server::~Server() {
  stop();
}

void Server::open() {
  auto& s = *impl_;
  for (const auto& l : s.listen) {
    if (l.kind == config::Listen::Kind::tcp) {
      tcp::resolver resolver(s.io());
      auto results = resolver.resolve(l.host, std::to_string(l.port));
      auto a = std::make_unique<tcp::acceptor>(s.io());
      tcp::endpoint ep = *results.begin();
      a->open(ep.protocol());
      a->set_option(asio::socket_base::reuse_address(true));
      boost::system::error_code ec;
      a->bind(ep, ec);
      if (ec) throw std::system_error(ec, "cannot listen on " + l.spec);
      a->listen();
      s.tcp_acceptors.push_back(std::move(a));
    } else {
      ::unlink(l.path.c_str());
      auto a = std::make_unique<local::acceptor>(s.io());
      a->open();
      boost::system::error_code ec;
      a->bind(local::endpoint(l.path), ec);
      if (ec) throw std::system_error(ec, "cannot listen on " + l.spec);
      a->listen();
      ::chmod(l.path.c_str(), l.mode.value_or(0660));
      s.unix_acceptors.push_back(std::move(a));
    }
  }
}

void Server::run() {
  auto& s = *impl_;
  for (auto& a : s.tcp_acceptors)
    asio::co_spawn(s.io(), accept_loop<tcp::acceptor, beast::tcp_stream>(s, *a), log_exception);
  for (auto& a : s.unix_acceptors)
    asio::co_spawn(s.io(), accept_loop<local::acceptor, beast::basic_stream<local>>(s, *a),
                   log_exception);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < s.workers.size(); ++i)
    threads.emplace_back([w = s.workers[i].get()] { w->io.run(); });
  s.io().run();
  for (auto& t : threads) t.join();
}

void Server::stop() {
  auto& s = *impl_;
  asio::post(s.io(), [&s] {
    boost::system::error_code ec;
    for (auto& a : s.tcp_acceptors) a->close(ec);
    for (auto& a : s.unix_acceptors) a->close(ec);
    for (auto& w : s.workers) w->io.stop();
  });
}

}  // namespace web
