// markdown.cc: Markdown to HTML with libcmark (see markdown.h).
#include "mail/markdown.h"

#include <cmark.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "mail/message.h"

namespace mail {

namespace {

struct NodeFree {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
using Node = std::unique_ptr<cmark_node, NodeFree>;

cmark_node* text_node(std::string_view s) {
  cmark_node* t = cmark_node_new(CMARK_NODE_TEXT);
  cmark_node_set_literal(t, std::string(s).c_str());
  return t;
}

// An HTML block as a paragraph of its lines, each shown as text.
cmark_node* block_as_text(std::string_view html) {
  while (!html.empty() && (html.back() == '\n' || html.back() == '\r')) html.remove_suffix(1);
  cmark_node* p = cmark_node_new(CMARK_NODE_PARAGRAPH);
  std::size_t start = 0;
  while (true) {
    auto nl = html.find('\n', start);
    std::string_view line = html.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    cmark_node_append_child(p, text_node(line));
    if (nl == std::string_view::npos) break;
    cmark_node_append_child(p, cmark_node_new(CMARK_NODE_LINEBREAK));
    start = nl + 1;
  }
  return p;
}

// Every raw HTML node of the tree becomes text: collected first, replaced
// after, so that the walk never sees a node it freed.
void html_as_text(cmark_node* doc) {
  std::vector<cmark_node*> raw;
  cmark_iter* it = cmark_iter_new(doc);
  for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    cmark_node* n = cmark_iter_get_node(it);
    auto type = cmark_node_get_type(n);
    if (ev == CMARK_EVENT_ENTER &&
        (type == CMARK_NODE_HTML_BLOCK || type == CMARK_NODE_HTML_INLINE))
      raw.push_back(n);
  }
  cmark_iter_free(it);
  for (cmark_node* n : raw) {
    const char* lit = cmark_node_get_literal(n);
    std::string_view s = lit ? lit : "";
    cmark_node* repl =
        cmark_node_get_type(n) == CMARK_NODE_HTML_BLOCK ? block_as_text(s) : text_node(s);
    cmark_node_replace(n, repl);
    cmark_node_free(n);
  }
}

}  // namespace

std::string markdown_to_html(std::string_view md_in) {
  std::string md = to_valid_utf8(md_in);
  // Line breaks as the responder wrote them (hard breaks), as in the text
  // part; without CMARK_OPT_UNSAFE dangerous URLs are dropped.
  constexpr int kOptions = CMARK_OPT_DEFAULT | CMARK_OPT_HARDBREAKS;
  Node doc(cmark_parse_document(md.data(), md.size(), kOptions));
  if (!doc) return text_to_html(md);
  html_as_text(doc.get());
  char* html = cmark_render_html(doc.get(), kOptions);
  std::string out = html ? html : "";
  std::free(html);
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string text_to_html(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += html_escape(line);
    if (nl == std::string_view::npos) break;
    out += "<br>\n";
    start = nl + 1;
  }
  return out;
}

}  // namespace mail
