// log.h: deskmaild's log sink: one line on stderr (journald, a log pipe).
#pragma once

#include <string>

namespace server {

/// Writes "deskmaild[PID]: TEXT\n" with one write(2), whole: a line is never
/// cut by another thread's, and a delivery costs one system call for it.
void log_line(const std::string& text);

}  // namespace server
