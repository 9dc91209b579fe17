// Markdown answers as HTML (issue 23): CommonMark rendered by libcmark, raw
// HTML shown as text, never passed through and never dropped.
#include <doctest/doctest.h>

#include <string>

#include "mail/markdown.h"

namespace {
bool has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}
}  // namespace

TEST_CASE("markdown: the usual Markdown renders") {
  std::string h = mail::markdown_to_html(
      "# Fixed\n\nPlease **restart** the `agent`, see [the notes](https://example.org/n).\n\n"
      "- one\n- two\n\n```\ncode <b>\n```\n");
  CHECK(has(h, "<h1>Fixed</h1>"));
  CHECK(has(h, "<strong>restart</strong>"));
  CHECK(has(h, "<code>agent</code>"));
  CHECK(has(h, "<a href=\"https://example.org/n\">the notes</a>"));
  CHECK(has(h, "<li>one</li>"));
  CHECK(has(h, "<pre><code>code &lt;b&gt;\n</code></pre>"));
}

TEST_CASE("markdown: line breaks stay as written") {
  CHECK(mail::markdown_to_html("Best regards,\nAnna") == "<p>Best regards,<br />\nAnna</p>\n");
}

TEST_CASE("markdown: a raw HTML block is shown as text") {
  std::string h = mail::markdown_to_html("Before\n\n<script>alert(1)</script>\n\nAfter");
  CHECK(has(h, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"));
  CHECK_FALSE(has(h, "<script"));
  CHECK_FALSE(has(h, "raw HTML omitted"));
  CHECK(has(h, "<p>Before</p>"));
  CHECK(has(h, "<p>After</p>"));

  // A block of several lines keeps its lines; inside a list and a quote too.
  h = mail::markdown_to_html(
      "<div onclick=\"x()\">\nhi\n</div>\n\n> <iframe src=x>\n\n- <style>p{}</style>\n");
  CHECK(has(h, "&lt;div onclick=&quot;x()&quot;&gt;<br />\nhi<br />\n&lt;/div&gt;"));
  CHECK(has(h, "<blockquote>\n<p>&lt;iframe src=x&gt;</p>"));
  CHECK(has(h, "<li>&lt;style&gt;p{}&lt;/style&gt;</li>"));
  CHECK_FALSE(has(h, "<div onclick"));
  CHECK_FALSE(has(h, "<iframe"));
  CHECK_FALSE(has(h, "<style"));
}

TEST_CASE("markdown: inline HTML is shown as text") {
  std::string h = mail::markdown_to_html(
      "Click <a href=\"javascript:x\">here</a> or <img src=x onerror=y> <!-- c -->");
  CHECK(has(h,
            "Click &lt;a href=&quot;javascript:x&quot;&gt;here&lt;/a&gt; or "
            "&lt;img src=x onerror=y&gt; &lt;!-- c --&gt;"));
  CHECK_FALSE(has(h, "<a "));
  CHECK_FALSE(has(h, "<img"));
}

TEST_CASE("markdown: dangerous URLs lose their target, entities stay text") {
  std::string h =
      mail::markdown_to_html("[x](javascript:alert(1)) ![y](data:text/html,z) &lt;b&gt;");
  CHECK_FALSE(has(h, "javascript:"));
  CHECK_FALSE(has(h, "data:text/html"));
  CHECK(has(h, "&lt;b&gt;"));
  CHECK_FALSE(has(h, "<b>"));
}

TEST_CASE("markdown: invalid UTF-8 and NUL are repaired, empty text is empty") {
  std::string h = mail::markdown_to_html(std::string("a\xff\0b", 4));
  CHECK(h ==
        "<p>a\xEF\xBF\xBD"
        "b</p>\n");
  CHECK(mail::markdown_to_html("") == "");
}

TEST_CASE("markdown: plain text as HTML is escaped with its line breaks") {
  CHECK(mail::text_to_html("a < b & \"c\"\r\nd") == "a &lt; b &amp; &quot;c&quot;<br>\nd");
  CHECK(mail::html_escape("'") == "&#39;");
}
