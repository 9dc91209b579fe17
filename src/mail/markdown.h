// markdown.h: a responder's Markdown as HTML for the mail clients of
// customers (issue 23), with libcmark. Raw HTML in the text is never passed
// through and never silently dropped: it is shown as the text it was.
#pragma once

#include <string>
#include <string_view>

namespace mail {

/// `md` (CommonMark) as an HTML fragment. Raw HTML blocks and inline HTML
/// become text (so "<script>" shows as &lt;script&gt;); links and images
/// with javascript:, vbscript:, file: or data: URLs lose their URL (cmark's
/// safe URL rule). Invalid UTF-8 is repaired first.
std::string markdown_to_html(std::string_view md);

/// Plain text as an HTML fragment: escaped, line breaks kept (<br>).
std::string text_to_html(std::string_view text);

/// `s` with & < > " ' escaped for HTML text and attribute values.
std::string html_escape(std::string_view s);

}  // namespace mail
