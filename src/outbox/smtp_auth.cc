// smtp_auth.cc: EHLO capabilities and SASL responses.
#include "outbox/smtp_auth.h"

#include <openssl/evp.h>

#include <cctype>
#include <sstream>

namespace outbox {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Capabilities parse_ehlo(const std::vector<std::string>& lines) {
  Capabilities caps;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string line = upper(lines[i]);
    if (line.rfind("AUTH=", 0) == 0) line[4] = ' ';
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "STARTTLS") caps.starttls = true;
    if (keyword == "PIPELINING") caps.pipelining = true;
    if (keyword != "AUTH") continue;
    std::string mech;
    while (words >> mech) {
      if (mech == "PLAIN") caps.auth_plain = true;
      if (mech == "LOGIN") caps.auth_login = true;
    }
  }
  return caps;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::string sasl_plain(const std::string& user, const std::string& password) {
  std::string s;
  s += '\0';
  s += user;
  s += '\0';
  s += password;
  return base64(s);
}

}  // namespace outbox
