#pragma once
// Character classes of HTTP/1.1 (RFC 9110 5.6, RFC 9112), as table lookups.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gantry::http {

namespace detail {
struct CharTable {
  bool tchar[256] = {};
  constexpr CharTable() {
    for (int c = '0'; c <= '9'; ++c) tchar[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) tchar[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) tchar[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) tchar[static_cast<unsigned char>(c)] = true;
  }
};
inline constexpr CharTable kChars{};
}  // namespace detail

// tchar: the characters of a token (field names, methods, codings, chunk
// extension names).
inline bool is_tchar(unsigned char c) { return detail::kChars.tchar[c]; }

inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

// HTAB / SP / VCHAR / obs-text: what a field value or a reason phrase may hold.
inline bool is_field_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

inline int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace gantry::http
