// output.h: how deskmail prints: times, aligned tables, the desk's addresses.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "cli/args.h"
#include "notify/notify.h"

namespace config {
struct Config;
}

namespace cli {

/// "2026-11-25 10:00" (UTC) for a Unix time, "-" for none (t <= 0).
std::string when(std::int64_t t);

/// `s` made safe to print to a terminal, as less and mutt show it: C0
/// controls as ^X (ESC as ^[), DEL as ^?, C1 controls and the bidirectional
/// overrides and isolates (which reorder what follows on screen) as <U+XXXX>.
/// With `lines`, line feeds and tabs stay. A customer's text can never move
/// the cursor, retitle the window or hide text in the responder's terminal;
/// --json output keeps the text as data instead.
std::string terminal_safe(std::string_view s, bool lines = false);

/// Prints `rows` as columns two spaces apart, each as wide as its widest
/// cell (width counted in UTF-8 characters); the last column is not padded.
/// Every cell is printed terminal_safe().
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

/// The desk's own address with `tag`: desk+TAG@domain.
std::string address_for(const config::Config& cfg, const std::string& tag);

/// Who acts: --as EMAIL, else the configured responder, else the desk's
/// own address (recorded on notes and system notes).
std::string acting_as(const config::Config& cfg, const Args& a);

/// The bytes of file `path`; throws std::runtime_error "cannot read PATH".
std::string read_file(const std::string& path);

}  // namespace cli
