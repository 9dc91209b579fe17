// log.h: deskmaild's log sink (deskmaild(8), LOGGING): one line per event,
// to stderr (journald under systemd) or to a syslog socket, like Postfix.
//
// A line's priority comes from its text, as in Postfix: "fatal: " and
// "error: " are err, "warning: " is warning, anything else info. The
// facility (mail by default) and the program name (syslog_name) come from
// the configuration's log: section.
#pragma once

#include <string>

#include "config/config.h"

namespace server {

/// Sends the following lines where `log` says (at start, and on SIGHUP).
/// Opens nothing yet: the syslog socket is connected at the first line.
void configure_log(const config::Log& log);

/// Writes one line, whole (one write(2) or one datagram): a line is never cut
/// by another thread's. On stderr under journald ($JOURNAL_STREAM set) it
/// is "<PRIORITY>TEXT", which journald reads as the priority (the unit names
/// the program and SyslogFacility= the facility); elsewhere
/// "NAME[PID]: TEXT". To syslog it is an RFC 3164 datagram
/// "<PRI>Mmm dd hh:mm:ss NAME[PID]: TEXT"; while the socket takes none,
/// the line goes to stderr instead.
void log_line(const std::string& text);

/// The syslog priority (3 err, 4 warning, 6 info) of a line's text.
int log_priority(const std::string& text);

}  // namespace server
