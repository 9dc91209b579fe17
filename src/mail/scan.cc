// scan.cc: the structural pre-scan. One pass over the lines; a stack of open
// multipart boundaries gives the real nesting depth.
#include "mail/scan.h"

#include <algorithm>

#include "common/ascii.h"

namespace mail {

namespace {

using common::istarts_with;
using common::lower;

// The boundary parameter of a Content-Type value, or "" (RFC 2046 5.1.1).
std::string boundary_of(const std::string& ct) {
  std::string l = lower(ct);
  if (l.find("multipart/") == std::string::npos) return "";
  auto p = l.find("boundary");
  while (p != std::string::npos) {
    std::size_t q = p + 8;
    while (q < l.size() && (l[q] == ' ' || l[q] == '\t')) ++q;
    if (q < l.size() && l[q] == '=') {
      ++q;
      while (q < l.size() && (l[q] == ' ' || l[q] == '\t')) ++q;
      std::string b;
      if (q < ct.size() && ct[q] == '"') {
        auto e = ct.find('"', q + 1);
        b = ct.substr(q + 1, e == std::string::npos ? std::string::npos : e - q - 1);
      } else {
        auto e = ct.find_first_of("; \t", q);
        b = ct.substr(q, e == std::string::npos ? std::string::npos : e - q);
      }
      return b.substr(0, 200);
    }
    p = l.find("boundary", p + 8);
  }
  return "";
}

std::size_t count_addresses(std::string_view v) {
  // Commas outside quotes and angle brackets separate addresses; a cheap
  // upper bound is enough for a limit.
  std::size_t n = 1;
  bool q = false;
  for (char c : v) {
    if (c == '"') q = !q;
    if (!q && c == ',') ++n;
  }
  return n;
}

}  // namespace

namespace {

Scan scan_impl(std::string_view raw, const ScanLimits& lim, const common::Bytes* owner) {
  Scan s;
  const char* mark = raw.data();  // for owner->passed()
  auto fail = [&](Scan::Verdict v, std::string d) {
    s.verdict = v;
    s.detail = std::move(d);
    return s;
  };

  struct Level {
    std::string boundary;
  };
  std::vector<Level> stack;     // open multiparts, innermost last
  bool in_headers = true;       // at the start: the message's own header block
  bool top = true;              // the header block being read is the top-level one
  bool expect_message = false;  // the current part is message/rfc822: its body is a header block
  std::size_t header_fields = 0, header_bytes = 0, addresses = 0;
  std::string cur_name, cur_value, content_type;
  std::size_t msg_depth = 0;  // message/rfc822 nesting under the current multipart level

  auto finish_field = [&]() -> bool {
    if (cur_name.empty()) return true;
    std::string ln = lower(cur_name);
    if (ln == "content-type") content_type = cur_value;
    if (top) {
      if (ln == "received") ++s.received;
      if (ln == "to" || ln == "cc" || ln == "bcc" || ln == "from" || ln == "reply-to" ||
          ln == "sender" || ln == "resent-to" || ln == "resent-cc")
        addresses += count_addresses(cur_value);
      s.headers.emplace_back(cur_name, cur_value);
    }
    cur_name.clear();
    cur_value.clear();
    return true;
  };

  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto nl = raw.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, end - pos);
    pos = end;
    if (owner) owner->passed(line.data(), mark);
    if (line.size() > lim.line_length)
      return fail(Scan::Verdict::line_too_long,
                  "a line longer than " + std::to_string(lim.line_length) + " bytes");
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
      content.remove_suffix(1);

    if (in_headers) {
      if (top) {
        header_bytes += line.size();
        if (header_bytes > lim.header_size)
          return fail(Scan::Verdict::too_big_header,
                      "header block larger than " + std::to_string(lim.header_size) + " bytes");
      }
      if (content.empty()) {
        finish_field();
        if (top) {
          if (s.received > lim.received)
            return fail(Scan::Verdict::too_many_hops,
                        std::to_string(s.received) + " Received: fields (mail loop?)");
          if (addresses > lim.header_addresses)
            return fail(
                Scan::Verdict::too_many_addresses,
                "more than " + std::to_string(lim.header_addresses) + " addresses in headers");
        }
        in_headers = false;
        top = false;
        header_fields = 0;
        std::string b = boundary_of(content_type);
        std::string lct = lower(content_type);
        expect_message = !b.empty() ? false : lct.find("message/rfc822") != std::string::npos;
        content_type.clear();
        if (!b.empty()) stack.push_back({b});
        if (expect_message) {
          // An attached message: its header block follows at once.
          ++msg_depth;
          in_headers = true;
          expect_message = false;
        }
        s.depth = std::max(s.depth, stack.size() + msg_depth);
        if (s.depth > lim.mime_depth)
          return fail(Scan::Verdict::too_deep,
                      "MIME nesting deeper than " + std::to_string(lim.mime_depth));
        continue;
      }
      if (content.front() == ' ' || content.front() == '\t') {
        if (cur_value.size() < 65536) {
          cur_value += ' ';
          auto b = content.find_first_not_of(" \t");
          if (b != std::string_view::npos) cur_value += std::string(content.substr(b));
        }
        continue;
      }
      finish_field();
      if (++header_fields > lim.header_count)
        return fail(Scan::Verdict::too_many_headers,
                    "more than " + std::to_string(lim.header_count) + " header fields");
      auto colon = content.find(':');
      if (colon == std::string_view::npos) continue;  // not a field: GMime decides what it is
      cur_name = std::string(content.substr(0, std::min<std::size_t>(colon, 200)));
      while (!cur_name.empty() && (cur_name.back() == ' ' || cur_name.back() == '\t'))
        cur_name.pop_back();
      auto b = content.find_first_not_of(" \t", colon + 1);
      if (b != std::string_view::npos) cur_value = std::string(content.substr(b, 65536));
      continue;
    }

    // Body: only boundary lines matter.
    if (stack.empty() || content.size() < 2 || content[0] != '-' || content[1] != '-') continue;
    std::string_view tok = content.substr(2);
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
    bool closing = false;
    // Find the innermost open boundary this line names (an outer one closes
    // the inner ones implicitly).
    std::size_t hit = stack.size();
    for (std::size_t i = stack.size(); i-- > 0;) {
      const std::string& b = stack[i].boundary;
      if (tok.size() >= b.size() && tok.compare(0, b.size(), b) == 0) {
        std::string_view rest = tok.substr(b.size());
        if (rest.empty()) {
          hit = i;
          break;
        }
        if (rest == "--") {
          hit = i;
          closing = true;
          break;
        }
      }
    }
    if (hit == stack.size()) continue;
    stack.resize(hit + 1);
    msg_depth = 0;
    if (closing) {
      stack.pop_back();
      continue;
    }
    if (++s.parts > lim.mime_parts)
      return fail(Scan::Verdict::too_many_parts,
                  "more than " + std::to_string(lim.mime_parts) + " MIME parts");
    in_headers = true;
  }
  if (in_headers && top) {
    finish_field();
    if (s.received > lim.received)
      return fail(Scan::Verdict::too_many_hops,
                  std::to_string(s.received) + " Received: fields (mail loop?)");
    if (addresses > lim.header_addresses)
      return fail(Scan::Verdict::too_many_addresses,
                  "more than " + std::to_string(lim.header_addresses) + " addresses in headers");
  }
  return s;
}

}  // namespace

Scan scan(std::string_view raw, const ScanLimits& lim) {
  return scan_impl(raw, lim, nullptr);
}

Scan scan(const common::Bytes& raw, const ScanLimits& lim) {
  return scan_impl(raw.view(), lim, &raw);
}

std::string first_header(const Scan& s, std::string_view name) {
  for (const auto& [n, v] : s.headers)
    if (common::iequals(n, name)) return v;
  return "";
}

std::string strip_headers(std::string_view raw, std::string_view prefix, bool* stripped) {
  if (stripped) *stripped = false;
  std::string out;
  std::size_t pos = 0;
  bool dropping = false;
  while (pos < raw.size()) {
    auto nl = raw.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(pos, end - pos);
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
      content.remove_suffix(1);
    if (content.empty()) {
      out.append(raw.substr(pos));  // the body, untouched
      return out;
    }
    pos = end;
    bool cont = content.front() == ' ' || content.front() == '\t';
    if (!cont) dropping = istarts_with(content, prefix);
    if (dropping) {
      if (stripped) *stripped = true;
      continue;
    }
    out.append(line);
  }
  return out;
}

}  // namespace mail
