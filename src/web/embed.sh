#!/bin/sh
# embed.sh IN OUT NAME: a web asset (template, stylesheet) as a C++ header
# with one string, so that deskmail-web serves nothing from the file system.
set -e
{
  printf '// generated from %s by embed.sh; do not edit\n#pragma once\n' "$(basename "$1")"
  printf 'inline constexpr const char* %s = R"deskmail_asset(' "$3"
  cat "$1"
  printf ')deskmail_asset";\n'
} > "$2"
