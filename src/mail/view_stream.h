// view_stream.h: a read-only GMimeStream over bytes the caller keeps alive
// (issue 7). g_mime_stream_mem_new_with_buffer copies the whole message into
// a GByteArray that grows by doubling: a 25 MB message cost 33.5 MB more.
// GMime's parser reads this stream in place, and the parts it keeps are
// substreams of it: no copy of the message at all.
#pragma once

#include <gmime/gmime.h>

#include <cstddef>

#include "common/bytes.h"
#include "mail/gobject.h"

namespace mail {

/// A new stream over [data, data + len); the bytes must outlive the stream
/// and every substream and part GMime makes of it. With `owner` (the Bytes
/// the data lies in), reading releases what was read (common/bytes.h).
GMimeStream* view_stream_new(const char* data, std::size_t len,
                             const common::Bytes* owner = nullptr);

/// A stream that reads `part`'s content with its transfer encoding decoded,
/// lazily from the parser's stream; null when it has none.
GPtr<GMimeStream> decoding_stream(GMimePart* part);

}  // namespace mail
