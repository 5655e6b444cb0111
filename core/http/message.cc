#include "http/message.h"

#include "util/strings.h"

namespace gantry::http {

void Head::clear() {
  method = target = reason = {};
  status = 0;
  version_major = version_minor = 1;
  headers.clear();
  live_headers = 0;
}

const HeaderField* Head::find(std::string_view name, size_t idx) const {
  for (const HeaderField& h : headers) {
    if (!h.name.empty() && iequals(h.name, name)) {
      if (idx == 0) return &h;
      --idx;
    }
  }
  return nullptr;
}

size_t Head::count(std::string_view name) const {
  size_t n = 0;
  for (const HeaderField& h : headers)
    if (!h.name.empty() && iequals(h.name, name)) ++n;
  return n;
}

void Head::add(Arena& arena, std::string_view name, std::string_view value) {
  const char* n = arena.copy(name.data(), name.size());
  const char* v = arena.copy(value.data(), value.size());
  headers.push_back({{n, name.size()}, {v, value.size()}});
  ++live_headers;
}

void Head::set(Arena& arena, std::string_view name, std::string_view value) {
  remove(name);
  add(arena, name, value);
}

size_t Head::remove(std::string_view name) {
  size_t n = 0;
  for (HeaderField& h : headers) {
    if (!h.name.empty() && iequals(h.name, name)) {
      h.name = {};
      ++n;
    }
  }
  live_headers -= static_cast<uint32_t>(n);
  return n;
}

}  // namespace gantry::http
