// main.cc: deskmail-web, the responders' desk in the browser
// (deskmail-web(8)). Reads the arguments and deskmail.yaml, opens the store
// and the desk, and serves web::App on the web: listeners until SIGTERM.
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "config/config.h"
#include "desk/desk.h"
#include "desk/web_access.h"
#include "mail/form_data.h"
#include "mail/message.h"
#include "setup/desk_setup.h"
#include "store/store.h"
#include "web/app.h"
#include "web/http.h"
#include "web/metrics.h"

namespace {

void usage(std::ostream& out) {
  out << "usage: deskmail-web [-c FILE] [--check-config] [--version]\n"
         "  -c FILE         the configuration (default $DESKMAIL_CONFIG or "
         "/etc/deskmail/deskmail.yaml)\n"
         "  --check-config  load the configuration and the web: section, then exit\n";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("DESKMAIL_CONFIG");
  std::string path = env && *env ? env : "/etc/deskmail/deskmail.yaml";
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") {
      std::cout << "deskmail-web " << DESKMAIL_VERSION << "\n";
      return 0;
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--check-config") {
      check_only = true;
    } else if ((a == "-c" || a == "--config") && i + 1 < argc) {
      path = argv[++i];
    } else {
      std::cerr << "deskmail-web: unknown argument '" << a << "'\n";
      usage(std::cerr);
      return 64;
    }
  }
  config::Config cfg;
  try {
    cfg = config::load(path);
  } catch (const config::Error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  if (cfg.web.listen.empty() || cfg.web.base_url.empty()) {
    std::cerr << "deskmail-web: " << path << ": web.listen and web.base_url are required\n";
    return 2;
  }
  if (check_only) {
    std::cout << "ok: " << path << ": web";
    for (const auto& m : cfg.web.metrics) std::cout << ", metrics on " << m.spec;
    std::cout << "\n";
    return 0;
  }
  // SIGTERM and SIGINT are taken by one thread that stops the server.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  mail::init();  // GMime (answers, the answer form's files): before any thread starts
  try {
    // SQLite too: database_connections connections, writes on one, pages
    // read on the others (one connection made the handlers take turns).
    auto st = store::open(cfg.database, cfg.timeouts.store_wait,
                          static_cast<int>(cfg.database_connections), true);
    if (int v = st->version(); v != store::Store::kSchemaVersion) {
      std::cerr << "deskmail-web: database at schema version " << v << ", this program needs "
                << store::Store::kSchemaVersion << ": run 'deskmail db migrate'\n";
      return 1;
    }
    setup::DeskFromConfig wired(*st, cfg);
    desk::Desk& desk = wired.desk();
    const auto& w = cfg.web;
    desk::SignInPolicy policy;
    policy.link_lifetime = w.link_lifetime.count();
    policy.session_lifetime = w.session_lifetime.count();
    policy.links_per_address_hour = w.links_per_address_hour;
    policy.links_per_client_hour = w.links_per_client_hour;
    desk::WebAccess access(*st, &wired.composer(), policy);
    web::AppSettings as;
    as.base_url = w.base_url;
    as.trusted_proxies = w.trusted_proxies;
    as.sso_header = lower(w.sso_header);
    as.session_lifetime = w.session_lifetime.count();
    as.link_lifetime = w.link_lifetime.count();
    as.page_size = w.page_size;
    as.request_timeout = w.request_timeout;
    as.secure_cookies = w.secure();
    as.hooks = {cfg.fixes.webhook_body, cfg.fixes.commits_per_push, cfg.fixes.refs_per_commit};
    as.form_data = mail::parse_form_data;
    web::App app(desk, access, as);
    // The answer form with files: body_size for its text and framing, and
    // the most bytes of files the desk lets a note carry.
    web::ServerLimits limits{w.header_size,
                             w.body_size,
                             {{"/hooks/", cfg.fixes.webhook_body}},
                             "/note",
                             w.body_size + desk.file_limits().bytes(),
                             w.timeout,
                             w.connections,
                             {}};
    limits.may_upload = [&app](const web::Request& r) { return app.may_upload(r); };
    web::Server server(
        w.listen, limits, [&app](const web::Request& r) { return app.handle(r); },
        static_cast<int>(std::max<std::uint32_t>(2, cfg.database_connections)));
    server.open();
    for (const auto& l : w.listen)
      std::cerr << "deskmail-web: listening on " << l.spec << " for " << w.base_url << "\n";
    // /metrics on listeners of its own (never the desk's), one thread each
    // for I/O and the store.
    std::unique_ptr<web::Server> metrics;
    if (!w.metrics.empty()) {
      metrics = std::make_unique<web::Server>(
          w.metrics, web::ServerLimits{w.header_size, 0, {}, "", 0, w.timeout, 64, {}},
          [&st, &w](const web::Request& r) {
            // Bounded like a page (SQLite's one connection is shared with
            // them): past it, 503.
            store::Deadline deadline(w.request_timeout);
            return web::metrics_page(*st, r);
          },
          1);
      metrics->open();
      for (const auto& l : w.metrics)
        std::cerr << "deskmail-web: serving /metrics on " << l.spec << "\n";
    }
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      std::cerr << "deskmail-web: " << strsignal(sig) << ": stopping\n";
      server.stop();
      if (metrics) metrics->stop();
    });
    std::thread metrics_thread;
    if (metrics) metrics_thread = std::thread([&] { metrics->run(); });
    server.run();
    if (metrics) {
      metrics->stop();
      metrics_thread.join();
    }
    // run() also returns if the server stopped by itself: wake the waiter.
    if (waiter.joinable()) {
      pthread_kill(waiter.native_handle(), SIGTERM);
      waiter.join();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "deskmail-web: " << e.what() << "\n";
    return 1;
  }
}
