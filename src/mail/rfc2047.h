// rfc2047.h: adjacent RFC 2047 encoded words joined before GMime decodes them.
//
// Mail clients split a long header into encoded words at a byte count, so
// one UTF-8 character may begin in one word and end in the next (RFC 2047
// section 5 forbids it; Thunderbird, Outlook and many mailers do it). GMime
// 3.2 decodes such a run wrongly: adjacent base64 words are decoded as one
// base64 text, so the padding of the first ("...Q==") ends the decoding and
// every word after it is lost; a B word next to a Q word is converted from
// its charset alone, so the split character becomes "??". Python's email
// package and mutt join the decoded bytes of adjacent words of one charset
// before converting them, as RFC 2047 section 6.2 implies (the white space
// between adjacent encoded words is not displayed).
#pragma once

#include <string>
#include <string_view>

namespace mail {

/// Rewrites each run of encoded words that are separated only by linear
/// white space and share a charset into ONE base64 encoded word of that
/// charset holding the decoded bytes of the whole run, so that any RFC 2047
/// decoder converts the bytes together. Everything else is left as it is.
std::string join_encoded_words(std::string_view header);

/// A header field's value as text: the raw value joined as above, unfolded
/// and decoded by GMime (g_mime_utils_header_decode_text), in valid UTF-8.
std::string decode_header_text(std::string_view raw);

}  // namespace mail
