// daemon_metrics.cc: deskmaild's delivery counters written to the store
// (deskmail-web(8), METRICS). Every Daemon::kMetricsEvery, when something
// was counted, the changes go to this instance's rows in a transaction of
// their own: on SQLite a job of the group commit (a savepoint in the next
// batch: no COMMIT and no fsync of its own, a few microseconds of SQL), on
// PostgreSQL a store thread's. Never inside a delivery's transaction, never
// before a 250. What a crash loses is at most the last interval's counts.
#include <boost/asio/post.hpp>
#include <ctime>
#include <memory>

#include "server/daemon.h"
#include "server/log.h"

namespace asio = boost::asio;

namespace server {

void Daemon::flush_metrics_every() {
  metrics_timer_.expires_after(kMetricsEvery);
  metrics_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    flush_metrics();
    flush_metrics_every();
  });
}

void Daemon::flush_metrics() {
  if (metrics_.pending().empty() || metrics_flushing_.exchange(true)) return;
  auto deltas = std::make_shared<std::vector<store::MetricCount>>();
  auto ok = std::make_shared<bool>(false);
  auto work = [this, deltas, ok] {
    try {
      *deltas = metrics_.write(*store_, std::time(nullptr));
      *ok = true;
    } catch (const std::exception& e) {
      if (!metrics_failed_.exchange(true))
        log_line(std::string("warning: metrics: counters not written, kept for later: ") +
                 e.what());
    }
  };
  auto finish = [this, deltas, ok](std::exception_ptr failed) {
    if (*ok && !failed) {
      metrics_.written(*deltas);
      if (metrics_failed_.exchange(false)) log_line("metrics: counters written again");
    }
    metrics_flushing_ = false;
  };
  if (group_) {
    group_->submit(std::move(work), std::move(finish));
  } else {
    asio::post(store_pool_, [work = std::move(work), finish = std::move(finish)] {
      work();
      finish(nullptr);
    });
  }
}

// At the end, after the pools and the group commit stopped: what the last
// deliveries counted, on the calling thread.
void Daemon::flush_metrics_now() {
  try {
    metrics_.flush(*store_, std::time(nullptr));
  } catch (const std::exception& e) {
    log_line(std::string("warning: metrics: the last counts were not written: ") + e.what());
  }
}

}  // namespace server
