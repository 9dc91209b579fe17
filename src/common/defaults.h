// defaults.h: every numeric setting of deskmail.yaml with its default and the
// range the loader accepts: the one table that config/, the headers of the
// parts that take these values (lmtp::SessionLimits, lmtp::ServerOptions,
// mail::ScanLimits, ...) and the test against deskmail.yaml(5) read
// (DESIGN.md section 8: each limit has a default documented there).
//
// A setting added here must also be added to kAll, to the loader
// (src/config/config.cc) and to man/deskmail.yaml.5; the unit test
// "defaults: deskmail.yaml(5) documents every default" fails until the man
// page says "DEFAULT (MIN to MAX)" (or "DEFAULT (0 = no limit)") under the
// setting's name.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace common::defaults {

/// One numeric setting: `section`.`key` in the YAML file ("" for the top
/// level), its default and the inclusive range the loader accepts. Times are
/// in seconds.
struct Setting {
  std::string_view section;
  std::string_view key;
  std::uint64_t value;
  std::uint64_t min;
  std::uint64_t max;
  /// The man page writes the range as "(0 = no limit)": 0 turns it off.
  bool zero_unlimited = false;
};

// Top level.
inline constexpr Setting database_connections{"", "database_connections", 4, 1, 256};

// limits: what a sender can run into (DESIGN.md section 8).
inline constexpr Setting message_size{"limits", "message_size", 26214400, 1024,
                                      std::uint64_t{1} << 32};                  // bytes; 552 5.3.4
inline constexpr Setting recipients{"limits", "recipients", 100, 1, 100000};    // 452 4.5.3
inline constexpr Setting connections{"limits", "connections", 200, 1, 100000};  // 421 4.3.2
inline constexpr Setting bad_commands{"limits", "bad_commands", 10, 1, 1000};   // 421 4.7.0
inline constexpr Setting header_size{"limits", "header_size", 262144, 1024,
                                     std::uint64_t{1} << 30};  // bytes; 554 5.6.0
inline constexpr Setting header_count{"limits", "header_count", 1000, 10, 1000000};
inline constexpr Setting line_length{"limits", "line_length", 1048576, 998,
                                     std::uint64_t{1} << 32};  // bytes
inline constexpr Setting mime_depth{"limits", "mime_depth", 50, 1, 1000};
inline constexpr Setting mime_parts{"limits", "mime_parts", 1000, 1, 1000000};
inline constexpr Setting header_addresses{"limits", "header_addresses", 1000, 1, 10000000};
inline constexpr Setting received{"limits", "received", 50, 1, 1000};  // 554 5.4.6
inline constexpr Setting confirmations_per_sender_day{
    "limits", "confirmations_per_sender_day", 5, 0, 1000000, true};
inline constexpr Setting new_issues_per_sender_hour{
    "limits", "new_issues_per_sender_hour", 30, 0, 1000000, true};  // 450 4.7.1
// per desk, to anyone: what any rotation of sender addresses can cause
inline constexpr Setting confirmations_per_hour{"limits", "confirmations_per_hour", 100, 0, 1000000,
                                                true};
// text kept per message, all parts together; the rest stays in the raw message
inline constexpr Setting text_per_message{"limits", "text_per_message", 1048576, 1024, 104857600};
// what one message may add to the database across its recipients, beyond
// its raw copy: its text once per recipient, its attachments once. 20 MiB:
// the largest attachment a message of the default message_size can carry
// (base64, 25 MiB) decodes to less than 19 MiB, and fits.
inline constexpr Setting store_per_message{"limits", "store_per_message",    20971520,
                                           0,        std::uint64_t{1} << 34, true};

// authentication: the site's MTAs between the internet and deskmail.
inline constexpr Setting auth_hops{"authentication", "hops", 1, 1, 20};

// timeouts, in seconds.
inline constexpr Setting idle{"timeouts", "idle", 300, 1, 86400};           // 421 4.4.2
inline constexpr Setting store_wait{"timeouts", "store_wait", 30, 1, 600};  // 451 4.3.0
inline constexpr Setting shutdown{"timeouts", "shutdown", 30, 0, 3600};

// outbound: the outbox's retries, in seconds.
inline constexpr Setting retry_base{"outbound", "retry_base", 60, 1, 86400};
inline constexpr Setting retry_max{"outbound", "retry_max", 3600, 1, 604800};
inline constexpr Setting max_age{"outbound", "max_age", 432000, 1, 2592000};
inline constexpr Setting smtp_timeout{"outbound", "timeout", 60, 1, 3600};

// fixes: commits and merges that close issues (issue 22).
inline constexpr Setting commits_per_push{"fixes", "commits_per_push", 1000, 1, 1000000};
inline constexpr Setting refs_per_commit{"fixes", "refs_per_commit", 20, 1, 1000};
inline constexpr Setting webhook_body{"fixes", "webhook_body", 5242880, 1024,
                                      std::uint64_t{1} << 30};  // bytes; HTTP 413

// web: the web desk, deskmail-web (issue 21); times in seconds, sizes in bytes.
inline constexpr Setting web_session_lifetime{"web", "session_lifetime", 43200, 300, 2592000};
inline constexpr Setting web_link_lifetime{"web", "link_lifetime", 900, 60, 3600};
inline constexpr Setting web_links_per_address_hour{"web", "links_per_address_hour", 5, 0, 10000,
                                                    true};
inline constexpr Setting web_links_per_client_hour{"web", "links_per_client_hour", 20, 0, 100000,
                                                   true};
inline constexpr Setting web_header_size{"web", "header_size", 16384, 1024, 1048576};  // HTTP 431
inline constexpr Setting web_body_size{"web", "body_size", 1048576, 1024,
                                       std::uint64_t{1} << 30};       // HTTP 413
inline constexpr Setting web_timeout{"web", "timeout", 30, 1, 3600};  // HTTP 408
inline constexpr Setting web_connections{"web", "connections", 256, 1, 100000};
inline constexpr Setting web_page_size{"web", "page_size", 50, 5, 500};
// The most a request may keep the store busy, in milliseconds: then HTTP 503.
inline constexpr Setting web_request_timeout_ms{"web", "request_timeout_ms", 5000, 10, 600000};

/// Every setting above, for the loader's checks and the man page test.
inline constexpr std::array kAll{
    &database_connections,
    &message_size,
    &recipients,
    &connections,
    &bad_commands,
    &header_size,
    &header_count,
    &line_length,
    &mime_depth,
    &mime_parts,
    &header_addresses,
    &received,
    &confirmations_per_sender_day,
    &new_issues_per_sender_hour,
    &confirmations_per_hour,
    &text_per_message,
    &store_per_message,
    &auth_hops,
    &idle,
    &store_wait,
    &shutdown,
    &retry_base,
    &retry_max,
    &max_age,
    &smtp_timeout,
    &commits_per_push,
    &refs_per_commit,
    &webhook_body,
    &web_session_lifetime,
    &web_link_lifetime,
    &web_links_per_address_hour,
    &web_links_per_client_hour,
    &web_header_size,
    &web_body_size,
    &web_timeout,
    &web_connections,
    &web_page_size,
    &web_request_timeout_ms,
};

/// spam.threshold: scores at or above are spam.
inline constexpr double spam_threshold = 5.0;

/// Settings written as strings in the file (so not in kAll), each with the
/// numeric default that the man page states.
/// outbound.relay: "HOST:PORT".
inline constexpr std::string_view relay_host = "127.0.0.1";
inline constexpr std::uint16_t relay_port = 25;
/// socket_mode: "0660", the unix listening sockets' permissions.
inline constexpr unsigned socket_mode = 0660;

}  // namespace common::defaults
