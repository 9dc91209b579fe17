// gobject.h: unique_ptr for GObjects (GMime streams, parsers, messages).
#pragma once

#include <glib-object.h>

#include <memory>

namespace mail {

template <class T>
struct GDel {
  void operator()(T* p) const {
    if (p) g_object_unref(p);
  }
};

/// Owns one reference to a GObject.
template <class T>
using GPtr = std::unique_ptr<T, GDel<T>>;

}  // namespace mail
