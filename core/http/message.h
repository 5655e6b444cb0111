#pragma once
// An HTTP/1.x message head whose bytes live in an Arena owned by the exchange.
#include <cstdint>
#include <string_view>
#include <vector>

#include "util/arena.h"

namespace gantry::http {

struct HeaderField {
  std::string_view name;  // empty name: removed
  std::string_view value;
};

struct Head {
  // Request line (requests) or status line (responses).
  std::string_view method;
  std::string_view target;
  int status = 0;
  std::string_view reason;
  uint8_t version_major = 1;
  uint8_t version_minor = 1;
  std::vector<HeaderField> headers;
  uint32_t live_headers = 0;  // headers not removed

  void clear();
  // idx-th header named `name` (case-insensitive), or null.
  const HeaderField* find(std::string_view name, size_t idx = 0) const;
  size_t count(std::string_view name) const;
  void add(Arena& arena, std::string_view name, std::string_view value);
  // Replace every header named `name` with one.
  void set(Arena& arena, std::string_view name, std::string_view value);
  // Returns how many were removed.
  size_t remove(std::string_view name);
};

}  // namespace gantry::http
