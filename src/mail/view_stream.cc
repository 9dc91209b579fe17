// view_stream.cc: the stream class, modelled on GMime's GMimeStreamMem with
// the writing taken out; and the decoding stream over a part's content.
#include "mail/view_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

extern "C" {

typedef struct {
  GMimeStream parent;
  const char* data;
  gint64 len;
  const common::Bytes* owner;  // release() what was read; may be null
  const char* mark;            // for owner->passed()
} DmViewStream;

typedef struct {
  GMimeStreamClass parent_class;
} DmViewStreamClass;

G_DEFINE_TYPE(DmViewStream, dm_view_stream, GMIME_TYPE_STREAM)

}  // extern "C"

namespace {

DmViewStream* self(GMimeStream* s) {
  return reinterpret_cast<DmViewStream*>(s);
}

gint64 end_of(GMimeStream* s) {
  return s->bound_end != -1 ? s->bound_end : self(s)->len;
}

ssize_t view_read(GMimeStream* s, char* buf, size_t len) {
  gint64 n = std::min<gint64>(end_of(s) - s->position, static_cast<gint64>(len));
  if (n < 0) {
    errno = EINVAL;
    return -1;
  }
  if (n > 0) {
    std::memcpy(buf, self(s)->data + s->position, static_cast<std::size_t>(n));
    s->position += n;
    DmViewStream* v = self(s);
    if (v->owner) v->owner->passed(v->data + s->position, v->mark);
  }
  return static_cast<ssize_t>(n);
}

ssize_t view_write(GMimeStream*, const char*, size_t) {
  errno = EBADF;  // read-only
  return -1;
}

int view_flush(GMimeStream*) {
  return 0;
}

int view_close(GMimeStream* s) {
  self(s)->data = nullptr;
  self(s)->len = 0;
  self(s)->owner = nullptr;
  return 0;
}

gboolean view_eos(GMimeStream* s) {
  return s->position >= end_of(s);
}

int view_reset(GMimeStream* s) {
  s->position = s->bound_start;
  return 0;
}

gint64 view_seek(GMimeStream* s, gint64 offset, GMimeSeekWhence whence) {
  gint64 pos;
  switch (whence) {
    case GMIME_STREAM_SEEK_SET:
      // Absolute, as in GMime's own streams: GMimeStreamCat seeks each
      // source substream to its bound_start plus its position.
      pos = offset;
      break;
    case GMIME_STREAM_SEEK_CUR:
      pos = s->position + offset;
      break;
    case GMIME_STREAM_SEEK_END:
      pos = end_of(s) + offset;
      break;
    default:
      errno = EINVAL;
      return -1;
  }
  if (pos < s->bound_start || pos > end_of(s)) {
    errno = EINVAL;
    return -1;
  }
  s->position = pos;
  return pos;
}

gint64 view_tell(GMimeStream* s) {
  return s->position;
}

gint64 view_length(GMimeStream* s) {
  return end_of(s) - s->bound_start;
}

GMimeStream* view_substream(GMimeStream* s, gint64 start, gint64 end) {
  auto* sub = static_cast<DmViewStream*>(g_object_new(dm_view_stream_get_type(), nullptr));
  sub->data = self(s)->data;
  sub->len = self(s)->len;
  sub->owner = self(s)->owner;
  sub->mark = sub->data + start;
  g_mime_stream_construct(GMIME_STREAM(sub), start, end);
  return GMIME_STREAM(sub);
}

}  // namespace

extern "C" {

static void dm_view_stream_class_init(DmViewStreamClass* klass) {
  GMimeStreamClass* c = GMIME_STREAM_CLASS(klass);
  c->read = view_read;
  c->write = view_write;
  c->flush = view_flush;
  c->close = view_close;
  c->eos = view_eos;
  c->reset = view_reset;
  c->seek = view_seek;
  c->tell = view_tell;
  c->length = view_length;
  c->substream = view_substream;
}

static void dm_view_stream_init(DmViewStream* s) {
  s->data = nullptr;
  s->len = 0;
  s->owner = nullptr;
  s->mark = nullptr;
}

}  // extern "C"

namespace mail {

GMimeStream* view_stream_new(const char* data, std::size_t len, const common::Bytes* owner) {
  auto* s = static_cast<DmViewStream*>(g_object_new(dm_view_stream_get_type(), nullptr));
  s->data = data;
  s->len = static_cast<gint64>(len);
  s->owner = owner;
  s->mark = data;
  g_mime_stream_construct(GMIME_STREAM(s), 0, static_cast<gint64>(len));
  return GMIME_STREAM(s);
}

GPtr<GMimeStream> decoding_stream(GMimePart* part) {
  GMimeDataWrapper* w = g_mime_part_get_content(part);
  if (!w) return GPtr<GMimeStream>(nullptr);
  GMimeStream* raw = g_mime_data_wrapper_get_stream(w);
  if (!raw) return GPtr<GMimeStream>(nullptr);
  g_mime_stream_reset(raw);
  GPtr<GMimeStream> filtered(g_mime_stream_filter_new(raw));
  GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(w);
  if (enc != GMIME_CONTENT_ENCODING_DEFAULT) {
    GMimeFilter* f = g_mime_filter_basic_new(enc, FALSE);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), f);
    g_object_unref(f);
  }
  return filtered;
}

}  // namespace mail
