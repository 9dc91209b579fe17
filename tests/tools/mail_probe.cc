// mail_probe: prints what deskmail reads from each message file named on the
// command line, one JSON object per line: {"file", "subject", "title",
// "from_name", "from_email"}. The header corpus test (tests/system/
// test_headers.py) compares it with Python's email package.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mail/message.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "mail_probe: cannot read " << argv[i] << "\n";
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    mail::Message m = mail::parse(ss.str());
    nlohmann::json j{{"file", argv[i]},
                     {"subject", m.subject},
                     {"title", mail::make_title(m.subject, m.text)},
                     {"from_name", m.from ? m.from->name : ""},
                     {"from_email", m.from ? m.from->email : ""}};
    std::cout << j.dump() << "\n";
  }
  return 0;
}
