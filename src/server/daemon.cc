// daemon.cc: deskmaild's start, signals and orderly stop.
#include "server/daemon.h"

#include <malloc.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/spool.h"
#include "lmtp/socket_access.h"
#include "mail/message.h"
#include "server/log.h"
#include "server/settings.h"

namespace asio = boost::asio;

namespace server {

namespace {

// Buffers of 1 MiB and more (a large message, its text) are mapped and
// unmapped, never kept in a malloc arena: glibc's default raises this
// threshold to the size of each such buffer freed, after which the next ones
// stayed in the arenas of the parse and store threads, and the daemon kept
// the memory of its largest messages (issue 7). Setting it fixes the trim
// threshold too: up to 4 MiB free at the top of an arena stays, so that
// every 100 KiB message does not fault its pages in again.
void tune_malloc() {
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

// Large messages are spooled there while they arrive: a directory that takes
// no files would turn every one of them into a 451. Say so at start.
bool spool_writable(const std::string& dir) {
  int fd = common::Spool::open_file(dir);
  if (fd < 0) {
    log_line("spool directory " + dir + ": " + std::strerror(errno));
    return false;
  }
  ::close(fd);
  return true;
}

std::unique_ptr<store::Store> open_store(const std::string& path, const config::Config& cfg) {
  try {
    auto st = store::open(cfg.database, cfg.timeouts.store_wait,
                          static_cast<int>(cfg.database_connections));
    int v = st->version();
    if (v == 0) {
      log_line("the database has no schema: run 'deskmail -c " + path + " db init'");
      return nullptr;
    }
    if (v != store::Store::kSchemaVersion) {
      log_line("database schema version " + std::to_string(v) + ", this program needs " +
               std::to_string(store::Store::kSchemaVersion) + ": run 'deskmail -c " + path +
               " db migrate'");
      return nullptr;
    }
    return st;
  } catch (const std::exception& e) {
    log_line(std::string("cannot open the store: ") + e.what());
    return nullptr;
  }
}

}  // namespace

std::unique_ptr<Daemon> Daemon::open(const std::string& config_path, config::Config cfg) {
  tune_malloc();
  configure_log(cfg.log);
  if (!spool_writable(spool_dir(cfg))) return nullptr;
  mail::init();  // GMime: before any thread starts
  auto st = open_store(config_path, cfg);
  if (!st) return nullptr;
  return std::unique_ptr<Daemon>(new Daemon(config_path, std::move(cfg), std::move(st)));
}

Daemon::Daemon(std::string config_path, config::Config cfg, std::unique_ptr<store::Store> st)
    : path_(std::move(config_path)),
      cfg_(std::move(cfg)),
      store_(std::move(st)),
      sqlite_(store_->sqlite()),
      store_pool_(sqlite_ ? 1 : cfg_.database_connections),
      composer_({cfg_.base_local(), cfg_.base_domain(), cfg_.outbound.from_name}),
      deliverer_(store_pool_.get_executor(), parse_pool_.get_executor(), *store_, route_base(cfg_),
                 &composer_),
      metrics_(deliverer_.counters(), instance_name(cfg_)),
      dispatcher_(io_, store_pool_.get_executor(), *store_, outbox_options(cfg_)),
      server_(io_, deliverer_, server_options(cfg_)),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      probe_timer_(io_),
      metrics_timer_(io_),
      shutdown_timer_(io_) {
  if (sqlite_) open_sqlite_helpers();
  deliverer_.log = log_line;
  deliverer_.set_policy(delivery_policy(cfg_));
  deliverer_.on_commit = [this] { asio::post(io_, [this] { dispatcher_.wake(); }); };
  dispatcher_.log = log_line;
  server_.spool_executor = parse_pool_.get_executor();
  server_.log = log_line;
  server_.store_down = [this] { return deliverer_.store_down(); };
}

void Daemon::open_sqlite_helpers() {
  group_.emplace(*sqlite_, 256, [this] {
    if (!checkpointer_ || !checkpointer_->restart_due()) return;
    try {
      sqlite_->checkpoint();
    } catch (const std::exception& e) {
      log_line(std::string("checkpoint before a batch failed: ") + e.what());
    }
  });
  deliverer_.set_group_commit(&*group_);
  dispatcher_.write_through = [this](std::function<void()> work,
                                     std::function<void(std::exception_ptr)> finish) {
    group_->submit(std::move(work), std::move(finish));
  };
  try {
    reader_ = store::open(cfg_.database, std::chrono::milliseconds(200), 1);
    deliverer_.set_reader(reader_.get());
  } catch (const std::exception& e) {
    log_line(std::string("recipient lookups go through the store thread: ") + e.what());
  }
  try {
    auto own = store::open(cfg_.database, cfg_.timeouts.store_wait, 1);
    sqlite_->manual_checkpoints();
    checkpointer_ = std::make_unique<Checkpointer>(std::move(own), log_line);
  } catch (const std::exception& e) {
    log_line(std::string("checkpoints stay with the writer: ") + e.what());
  }
}

int Daemon::run() {
  probe_store();
  if (cfg_.authentication.require == config::Authentication::Require::none)
    log_line(
        "warning: authentication.require is none: a member's reply key alone answers "
        "customers and acts as the desk, without the site's proof of the sender");
  if (!listen()) {
    // Nothing was served: end what started (accept loops, the probe).
    shutdown(0);
    io_.run();
    close();
    return 1;
  }
  wait_signal();
  start_outbox();
  flush_metrics_every();
  log_line(std::string("deskmaild ") + DESKMAIL_VERSION + " ready");
  io_.run();
  close();
  log_line("stopped");
  return 0;
}

bool Daemon::listen() {
  try {
    for (const auto& l : cfg_.listen) {
      if (l.kind == config::Listen::Kind::tcp)
        server_.listen_tcp(l.host, l.port);
      else
        server_.listen_unix(l.path, {l.user, l.group, l.mode});
      log_line("listening on " + l.spec);
    }
    lmtp::give_up_chown_capability();  // every socket has its owner now
    return true;
  } catch (const std::exception& e) {
    log_line(std::string("cannot listen: ") + e.what());
    return false;
  }
}

void Daemon::start_outbox() {
  if (cfg_.outbound.enabled) {
    dispatcher_.start();
    log_line("outbox: relay " + cfg_.outbound.relay_host + ":" +
             std::to_string(cfg_.outbound.relay_port));
  } else {
    log_line("outbox: sending disabled (outbound.enabled: false); mails stay queued");
  }
}

void Daemon::wait_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      wait_signal();
    } else {
      shutdown(sig);  // no further wait: a second SIGTERM changes nothing
    }
  });
}

void Daemon::reload() {
  try {
    config::Config n = config::load(path_);
    if (n.listen.size() != cfg_.listen.size() || n.database != cfg_.database)
      log_line("reload: listen and database changes take effect at restart");
    server_.set_options(server_options(n));
    dispatcher_.set_options(outbox_options(n));
    deliverer_.set_policy(delivery_policy(n));
    deliverer_.set_base(route_base(n));
    configure_log(n.log);
    n.listen = cfg_.listen;
    n.database = cfg_.database;
    cfg_ = std::move(n);
    log_line("reloaded " + path_);
  } catch (const std::exception& e) {
    log_line(std::string("reload failed, keeping the old configuration: ") + e.what());
  }
}

// While the store is down, ask it every second whether it answers again.
void Daemon::probe_store() {
  probe_timer_.expires_after(std::chrono::seconds(1));
  probe_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (deliverer_.store_down()) asio::post(store_pool_, [this] { deliverer_.probe(); });
    probe_store();
  });
}

// The server and the dispatcher each report when their last task has ended;
// the second report cancels the shutdown timer, and with nothing left to do
// io_.run() returns. Past timeouts.shutdown, the connections still open are
// closed and the mail in flight to the relay is cancelled.
void Daemon::shutdown(int sig) {
  if (stopping_) return;
  stopping_ = true;
  if (sig)
    log_line(std::string("received ") + strsignal(sig) + ", draining " +
             std::to_string(server_.connections()) + " connection(s)");
  probe_timer_.cancel();
  metrics_timer_.cancel();
  signals_.cancel();
  parts_running_ = 2;
  server_.drain([this] { part_stopped(); });
  dispatcher_.stop([this] { part_stopped(); });
  shutdown_timer_.expires_after(cfg_.timeouts.shutdown);
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    log_line("shutdown timeout: closing remaining connections");
    server_.abort_all();
    dispatcher_.abort();
  });
}

void Daemon::part_stopped() {
  if (--parts_running_ == 0) shutdown_timer_.cancel();
}

// After io_.run(): the work the sessions handed off is done (the pools are
// joined), then SQLite's helpers stop, and the stores close, the main one
// last (its close checkpoints the log).
void Daemon::close() {
  parse_pool_.join();
  store_pool_.join();
  if (checkpointer_) checkpointer_->stop();
  if (group_) {
    auto gs = group_->stats();
    group_->stop();
    if (gs.batches)
      log_line("group commit: " + std::to_string(gs.jobs) +
               " jobs (deliveries, outbox claims and records) in " + std::to_string(gs.batches) +
               " transactions, at most " + std::to_string(gs.largest) + " in one");
  }
  flush_metrics_now();
  checkpointer_.reset();
  reader_.reset();
  store_.reset();
}

}  // namespace server
