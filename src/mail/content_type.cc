// content_type.cc: the content type of a file a responder sends (compose.h).
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "common/ascii.h"
#include "mail/compose.h"

namespace mail {

namespace {

// The types mail clients know how to open; by extension, lower case.
constexpr std::array<std::pair<std::string_view, std::string_view>, 40> kTypes{{
    {"7z", "application/x-7z-compressed"},
    {"bmp", "image/bmp"},
    {"csv", "text/csv"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"eml", "message/rfc822"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"heic", "image/heic"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ics", "text/calendar"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"json", "application/json"},
    {"log", "text/plain"},
    {"md", "text/markdown"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"patch", "text/x-diff"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"rtf", "application/rtf"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"txt", "text/plain"},
    {"wav", "audio/wav"},
    {"webp", "image/webp"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "application/xml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
}};

// RFC 2045 token characters.
bool token_char(unsigned char c) {
  return c > 0x20 && c < 0x7f &&
         std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

}  // namespace

std::string guess_content_type(std::string_view filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= filename.size())
    return "application/octet-stream";
  std::string ext(filename.substr(dot + 1));
  common::lower_in_place(ext);
  auto it = std::lower_bound(kTypes.begin(), kTypes.end(), ext,
                             [](const auto& e, const std::string& x) { return e.first < x; });
  if (it == kTypes.end() || it->first != ext) return "application/octet-stream";
  return std::string(it->second);
}

bool valid_content_type(std::string_view type) {
  auto slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= type.size() ||
      type.size() > 127)
    return false;
  for (std::size_t i = 0; i < type.size(); ++i)
    if (i != slash && !token_char(static_cast<unsigned char>(type[i]))) return false;
  return true;
}

}  // namespace mail
