#!/bin/sh
# embed.sh IN OUT NAME: turns an SQL file into a C++ header with one string.
set -e
{
  printf '// generated from %s by embed.sh; do not edit\n#pragma once\n' "$(basename "$1")"
  printf 'inline constexpr const char* %s = R"deskmail_sql(' "$3"
  cat "$1"
  printf ')deskmail_sql";\n'
} > "$2"
