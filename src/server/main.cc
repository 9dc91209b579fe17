// main.cc: deskmaild, the LMTP delivery daemon.
//
//   deskmaild -c /etc/deskmail/deskmail.yaml          run in the foreground
//   deskmaild -c FILE --check-config                  validate and exit
//   deskmaild --version
//
// Signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the configuration.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "common/spool.h"
#include "config/config.h"
#include "delivery/deliverer.h"
#include "lmtp/server.h"
#include "mail/message.h"
#include "notify/notify.h"
#include "outbox/dispatcher.h"
#include "store/store.h"

namespace asio = boost::asio;

namespace {

// One write(2) per line, whole: journald and a log pipe never see a line cut
// by another thread's, and a delivery costs one system call for its line
// (iostream wrote prefix, pid, text and newline in five).
void log_line(const std::string& s) {
  static const std::string prefix = "deskmaild[" + std::to_string(getpid()) + "]: ";
  std::string line;
  line.reserve(prefix.size() + s.size() + 1);
  line += prefix;
  line += s;
  line += '\n';
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

int usage(int rc) {
  (rc ? std::cerr : std::cout)
      << "usage: deskmaild [-c FILE] [--check-config] [--version]\n"
         "  -c, --config FILE   configuration (default /etc/deskmail/deskmail.yaml)\n"
         "  -t, --check-config  validate the configuration and exit\n"
         "  -V, --version       print the version and exit\n";
  return rc;
}

lmtp::ServerOptions server_options(const config::Config& c) {
  lmtp::ServerOptions o;
  o.session.message_size = c.limits.message_size;
  o.session.spool_dir = c.spool_directory;
  if (o.session.spool_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    o.session.spool_dir = tmp && *tmp == '/' ? tmp : "/tmp";
  }
  o.session.recipients = c.limits.recipients;
  o.session.bad_commands = c.limits.bad_commands;
  o.session.bare_lf = c.bare_lf == config::BareLf::reject ? lmtp::BareLfPolicy::reject
                                                          : lmtp::BareLfPolicy::normalize;
  o.max_connections = c.limits.connections;
  o.idle_timeout = c.timeouts.idle;
  o.hostname = c.hostname;
  o.socket_mode = c.socket_mode;
  return o;
}

route::Base route_base(const config::Config& c) {
  return {c.base_local(), c.base_domain(), '+'};
}

delivery::Policy delivery_policy(const config::Config& c) {
  delivery::Policy p;
  p.scan.header_size = c.limits.header_size;
  p.scan.header_count = c.limits.header_count;
  p.scan.line_length = c.limits.line_length;
  p.scan.mime_depth = c.limits.mime_depth;
  p.scan.mime_parts = c.limits.mime_parts;
  p.scan.header_addresses = c.limits.header_addresses;
  p.scan.received = c.limits.received;
  p.spam.action = c.spam.action == config::Spam::Action::reject   ? spam::Action::reject
                  : c.spam.action == config::Spam::Action::accept ? spam::Action::accept
                                                                  : spam::Action::quarantine;
  p.spam.threshold = c.spam.threshold;
  p.spam.trust = c.spam.trust_all ? spam::Trust::all : spam::Trust::topmost;
  p.spam.headers = c.spam.headers;
  p.new_issues_per_sender_hour = c.limits.new_issues_per_sender_hour;
  p.confirmations_per_sender_day = c.limits.confirmations_per_sender_day;
  p.spool_dir = server_options(c).session.spool_dir;
  // The store's own waits (lock, statement, connect) end after store_wait;
  // a session gives up on a store that hangs past twice that.
  p.store_deadline =
      2 * std::chrono::duration_cast<std::chrono::milliseconds>(c.timeouts.store_wait) +
      std::chrono::seconds(2);
  return p;
}

outbox::Options outbox_options(const config::Config& c) {
  outbox::Options o;
  o.relay = {c.outbound.relay_host, c.outbound.relay_port};
  o.helo = c.hostname;
  o.retry_base = c.outbound.retry_base;
  o.retry_max = c.outbound.retry_max;
  o.max_age = c.outbound.max_age;
  o.timeout = c.outbound.timeout;
  // Stable across restarts and unique among instances sharing a database
  // (two instances on one host listen on different addresses).
  o.owner = c.hostname + " " + (c.listen.empty() ? std::string() : c.listen.front().spec);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // Buffers of 1 MiB and more (a large message, its text) are mapped and
  // unmapped, never kept in a malloc arena: glibc's default raises this
  // threshold to the size of each such buffer freed, after which the next
  // ones stayed in the arenas of the parse and store threads, and the daemon
  // kept the memory of its largest messages (issue 7). Setting it fixes the
  // trim threshold too: up to 4 MiB free at the top of an arena stays, so
  // that every 100 KiB message does not fault its pages in again.
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
  std::string path = "/etc/deskmail/deskmail.yaml";
  if (const char* env = std::getenv("DESKMAIL_CONFIG")) path = env;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "-t" || a == "--check-config") {
      check = true;
    } else if (a == "-V" || a == "--version") {
      std::cout << "deskmaild " << DESKMAIL_VERSION << "\n";
      return 0;
    } else if (a == "-h" || a == "--help") {
      return usage(0);
    } else {
      std::cerr << "deskmaild: unknown argument '" << a << "'\n";
      return usage(2);
    }
  }

  config::Config cfg;
  try {
    cfg = config::load(path);
  } catch (const config::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (check) {
    std::cout << path << ": ok\n";
    return 0;
  }

  // Large messages are spooled there while they arrive: a directory that
  // takes no files would turn every one of them into a 451. Say so now.
  {
    std::string dir = server_options(cfg).session.spool_dir;
    int fd = common::Spool::open_file(dir);
    if (fd < 0) {
      log_line("spool directory " + dir + ": " + std::strerror(errno));
      return 1;
    }
    ::close(fd);
  }

  // GMime must be initialised before any thread starts.
  mail::init();

  std::unique_ptr<store::Store> st;
  try {
    st = store::open(cfg.database, cfg.timeouts.store_wait,
                     static_cast<int>(cfg.database_connections));
    int v = st->version();
    if (v == 0) {
      log_line("the database has no schema: run 'deskmail -c " + path + " db init'");
      return 1;
    }
    if (v != store::Store::kSchemaVersion) {
      log_line("database schema version " + std::to_string(v) + ", this program needs " +
               std::to_string(store::Store::kSchemaVersion) + ": run 'deskmail -c " + path +
               " db migrate'");
      return 1;
    }
  } catch (const std::exception& e) {
    log_line(std::string("cannot open the store: ") + e.what());
    return 1;
  }

  asio::io_context io(1);
  // One store thread per database connection: SQLite has one writer, one
  // thread; PostgreSQL takes database_connections transactions at once.
  bool sqlite = cfg.database.rfind("sqlite3://", 0) == 0;
  asio::thread_pool store_pool(sqlite ? 1 : cfg.database_connections);
  // The composer's settings are fixed at start: a reload changes the base
  // address for routing, and new mails use the names of the running process.
  notify::Composer composer({cfg.base_local(), cfg.base_domain(), cfg.outbound.from_name});
  // Scanning and MIME parsing: off the I/O thread and off the store thread.
  asio::thread_pool parse_pool(2);
  delivery::Deliverer deliverer(store_pool.get_executor(), parse_pool.get_executor(), *st,
                                route_base(cfg), &composer);
  // SQLite's log starts over from its beginning only when a write begins
  // after every frame is in the database. The checkpoint thread below never
  // gets there while the writer runs batch after batch: under steady load
  // the log grew without end (12 000 4 KiB messages: a 689 MB log beside a
  // 135 MB database; every page read looked through all of its index).
  // When it has grown past kWalRestartFrames, the writer checkpoints the
  // few frames left itself before its next batch, and that batch starts the
  // log over.
  constexpr long long kWalRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  std::atomic<bool> wal_restart{false};
  // SQLite's single writer: concurrent deliveries share one durable COMMIT.
  std::optional<delivery::GroupCommit> group;
  // and RCPT lookups on the session's thread through a reading connection
  // of their own (no hop to the store thread and back).
  std::unique_ptr<store::Store> reader;
  if (sqlite) {
    group.emplace(*st, 256, [&] {
      if (!wal_restart.exchange(false)) return;
      try {
        st->checkpoint();
      } catch (const std::exception& e) {
        log_line(std::string("checkpoint before a batch failed: ") + e.what());
      }
    });
    deliverer.set_group_commit(&*group);
    try {
      reader = store::open(cfg.database, std::chrono::milliseconds(200), 1);
      deliverer.set_reader(reader.get());
    } catch (const std::exception& e) {
      log_line(std::string("recipient lookups go through the store thread: ") + e.what());
    }
  }
  // SQLite: the write-ahead log is copied into the database by a thread of
  // its own (PASSIVE, four times a second), not by the writer's COMMIT: that
  // copy fsyncs the database file, a stall for every delivery in the batch.
  std::unique_ptr<store::Store> checkpointer;
  std::thread checkpoint_thread;
  std::mutex checkpoint_mu;
  std::condition_variable checkpoint_cv;
  bool checkpoint_stop = false;
  if (sqlite) {
    try {
      checkpointer = store::open(cfg.database, cfg.timeouts.store_wait, 1);
      st->manual_checkpoints();
      checkpoint_thread = std::thread([&] {
        auto last_log = std::chrono::steady_clock::time_point{};
        bool hurry = false;  // the log is long: copy the next part at once
        std::unique_lock lk(checkpoint_mu);
        while (!checkpoint_cv.wait_for(lk, std::chrono::milliseconds(hurry ? 0 : 250),
                                       [&] { return checkpoint_stop; })) {
          lk.unlock();
          hurry = false;
          try {
            auto t0 = std::chrono::steady_clock::now();
            store::Store::WalFrames f = checkpointer->checkpoint();
            if (f.log >= kWalRestartFrames) {
              // The writer stalls while it copies what was written since this
              // pass began: hand over only once a pass is short (copying 250
              // ms of 100 KiB messages in the writer cost a fifth of the rate).
              // Past four times the limit, hand over anyway: the log's size is
              // bounded also when passes never get short.
              if (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(5) ||
                  f.log >= 4 * kWalRestartFrames)
                wal_restart = true;
              else
                hurry = true;
            }
          } catch (const std::exception& e) {
            auto now = std::chrono::steady_clock::now();
            if (now - last_log > std::chrono::minutes(1)) {
              log_line(std::string("checkpoint failed: ") + e.what());
              last_log = now;
            }
          }
          lk.lock();
        }
      });
    } catch (const std::exception& e) {
      log_line(std::string("checkpoints stay with the writer: ") + e.what());
    }
  }
  deliverer.log = log_line;
  deliverer.set_policy(delivery_policy(cfg));
  outbox::Dispatcher dispatcher(io, store_pool.get_executor(), *st, outbox_options(cfg));
  dispatcher.log = log_line;
  deliverer.on_commit = [&io, &dispatcher] {
    asio::post(io, [&dispatcher] { dispatcher.wake(); });
  };
  lmtp::Server server(io, deliverer, server_options(cfg));
  server.spool_executor = parse_pool.get_executor();
  server.log = log_line;
  server.store_down = [&deliverer] { return deliverer.store_down(); };
  // While the store is down, ask it every second whether it answers again.
  asio::steady_timer probe_timer(io);
  std::function<void()> probe_store;
  probe_store = [&] {
    probe_timer.expires_after(std::chrono::seconds(1));
    probe_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (deliverer.store_down()) asio::post(store_pool, [&deliverer] { deliverer.probe(); });
      probe_store();
    });
  };
  probe_store();

  try {
    for (const auto& l : cfg.listen) {
      if (l.kind == config::Listen::Kind::tcp)
        server.listen_tcp(l.host, l.port);
      else
        server.listen_unix(l.path);
      log_line("listening on " + l.spec);
    }
  } catch (const std::exception& e) {
    log_line(std::string("cannot listen: ") + e.what());
    return 1;
  }

  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  bool stopping = false;
  std::function<void()> wait_signal;
  wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        try {
          config::Config n = config::load(path);
          if (n.listen.size() != cfg.listen.size() || n.database != cfg.database)
            log_line("reload: listen and database changes take effect at restart");
          server.set_options(server_options(n));
          dispatcher.set_options(outbox_options(n));
          deliverer.set_policy(delivery_policy(n));
          deliverer.set_base(route_base(n));
          auto keep_listen = cfg.listen;
          auto keep_db = cfg.database;
          cfg = n;
          cfg.listen = keep_listen;
          cfg.database = keep_db;
          log_line("reloaded " + path);
        } catch (const std::exception& e) {
          log_line(std::string("reload failed, keeping the old configuration: ") + e.what());
        }
        wait_signal();
        return;
      }
      if (stopping) return;
      stopping = true;
      log_line(std::string("received ") + strsignal(sig) + ", draining " +
               std::to_string(server.connections()) + " connection(s)");
      server.drain();
      dispatcher.stop();
      probe_timer.cancel();
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            auto deadline = std::chrono::steady_clock::now() + cfg.timeouts.shutdown;
            asio::steady_timer t(io);
            bool aborted = false;
            while (server.connections() > 0) {
              if (!aborted && std::chrono::steady_clock::now() >= deadline) {
                log_line("shutdown timeout: closing remaining connections");
                server.abort_all();
                aborted = true;
                deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
              } else if (aborted && std::chrono::steady_clock::now() >= deadline) {
                break;
              }
              t.expires_after(std::chrono::milliseconds(50));
              co_await t.async_wait(asio::use_awaitable);
            }
            signals.cancel();
            io.stop();
          },
          asio::detached);
    });
  };
  wait_signal();

  if (cfg.outbound.enabled) {
    dispatcher.start();
    log_line("outbox: relay " + cfg.outbound.relay_host + ":" +
             std::to_string(cfg.outbound.relay_port));
  } else {
    log_line("outbox: sending disabled (outbound.enabled: false); mails stay queued");
  }
  log_line(std::string("deskmaild ") + DESKMAIL_VERSION + " ready");
  io.run();
  parse_pool.join();
  store_pool.join();
  if (checkpoint_thread.joinable()) {
    {
      std::lock_guard lk(checkpoint_mu);
      checkpoint_stop = true;
    }
    checkpoint_cv.notify_all();
    checkpoint_thread.join();
  }
  if (group) {
    auto gs = group->stats();
    group->stop();
    if (gs.batches)
      log_line("group commit: " + std::to_string(gs.jobs) + " deliveries in " +
               std::to_string(gs.batches) + " transactions, at most " + std::to_string(gs.largest) +
               " in one");
  }
  // Close the database cleanly, then leave without unwinding: connection
  // coroutine frames still owned by the io_context point into the server.
  checkpointer.reset();
  reader.reset();
  st.reset();  // the last connection: SQLite checkpoints the log as it closes
  log_line("stopped");
  std::fflush(nullptr);
  std::_Exit(0);
}
