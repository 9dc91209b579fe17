// http.h: the web desk's HTTP/1.1 server on Boost.Beast over Asio
// coroutines. It reads one request at a time per connection (keep-alive),
// bounds the header block, the body and the time each takes, and answers
// what it cannot parse itself (400, 408 by closing, 413, 431). The header
// block is read first: the body's limit depends on the target (and, for a
// form with files, on its Content-Type), and a body
// announced larger than it is refused (413) before a byte of it is read. Each request
// is handed as a plain Request to the Handler on the thread that read it:
// the server runs one io_context per thread, a connection stays on one of
// them, and a new connection goes to a thread not inside the Handler, with
// the fewest connections. A slow request (up to the store's deadline)
// holds the other connections of its thread; the threads' other
// connections and new ones are served. Handing each request to a pool and
// back cost two thread wake-ups a request, a seventh of the CPU.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace web {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as sent: path and query
  std::map<std::string, std::string> headers;  // names in lower case; repeated fields joined ", "
  std::string body;
  std::string peer;  // the connection's address ("" for a unix socket)
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

struct ServerLimits {
  std::uint32_t header_size = 16384;
  std::uint64_t body_size = 1048576;
  // Another body limit for the targets under a prefix (the forges'
  // webhooks under "/hooks/"); the first prefix that matches wins.
  std::vector<std::pair<std::string, std::uint64_t>> body_size_under;
  // Another body limit for a form with files: a multipart/form-data POST to
  // a path ending in `upload_suffix` ("/note", the answer form). 0: none
  // (such a request has body_size).
  std::string upload_suffix;
  std::uint64_t upload_body_size = 0;
  std::chrono::seconds timeout{30};
  std::uint32_t connections = 256;
  // Asked (like the Handler, with the header block only) before the
  // upload limit is granted: a stranger's multipart POST keeps body_size,
  // so no one without a session can make the server hold 20 MB a
  // connection. Unset: granted.
  std::function<bool(const Request&)> may_upload;
};

/// Listens on `listen` until stop(); run() blocks on `threads` threads,
/// each answering its own connections' requests.
class Server {
 public:
  Server(std::vector<config::Listen> listen, ServerLimits limits, Handler handler, int threads);
  ~Server();
  /// Binds every listener (throws std::system_error naming the address).
  void open();
  /// Serves until stop() (from a signal handler thread or another thread).
  void run();
  void stop();

  struct Impl;  // http.cc

 private:
  std::unique_ptr<Impl> impl_;
};

/// A minimal response with the status's reason as the text (used for the
/// errors the server answers itself, and by the handler's fallbacks).
Response plain(int status, std::string text);

}  // namespace web
