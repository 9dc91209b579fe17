// test_output.cc: what deskmail prints to a terminal (cli/output.h).
#include <doctest/doctest.h>

#include <sstream>

#include "cli/output.h"

TEST_CASE("cli::terminal_safe shows control characters as less and mutt do") {
  CHECK(cli::terminal_safe("plain text, ünïcode, 日本") == "plain text, ünïcode, 日本");
  CHECK(cli::terminal_safe("\x1b]0;pwned\x07title") == "^[]0;pwned^Gtitle");
  CHECK(cli::terminal_safe("\x1b[2J\x1b[1;1H") == "^[[2J^[[1;1H");
  CHECK(cli::terminal_safe("a\rb\x7f") == "a^Mb^?");
  CHECK(cli::terminal_safe("line\nnext\tcol") == "line^Jnext^Icol");
  CHECK(cli::terminal_safe("line\nnext\tcol", true) == "line\nnext\tcol");
  CHECK(cli::terminal_safe("csi\xc2\x9b"
                           "31m") == "csi<U+009B>31m");  // C1 CSI
  CHECK(cli::terminal_safe("pay \xe2\x80\xae"
                           "lmth.exe") == "pay <U+202E>lmth.exe");  // RLO
  CHECK(cli::terminal_safe("\xe2\x81\xa6x\xe2\x81\xa9") == "<U+2066>x<U+2069>");
  CHECK(cli::terminal_safe("\xe2\x80\x94 dash") == "\xe2\x80\x94 dash");  // U+2014 untouched
  CHECK(cli::terminal_safe(std::string("nul\0byte", 8)) == "nul^@byte");
}

TEST_CASE("cli::print_table prints every cell terminal-safe") {
  std::ostringstream out;
  cli::print_table(out, {{"A", "B"}, {"\x1b[31mred", "x"}});
  CHECK(out.str() == "A          B\n^[[31mred  x\n");
}
