#pragma once
// The character classes and small helpers of the RFC 9112 model
// (rfc9112_model.h), from the ABNF of RFC 9110 and RFC 3986.
#include <cstring>
#include <string_view>

namespace gantry::fuzz::rfc9112 {

using Byte = unsigned char;

inline bool is_alpha(Byte c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(Byte c) { return c >= '0' && c <= '9'; }
inline bool is_hex(Byte c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline int hex_value(Byte c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }
inline bool is_ws(Byte c) { return c == ' ' || c == '\t'; }
inline bool in_set(Byte c, const char* set) { return c != 0 && std::strchr(set, c) != nullptr; }
// RFC 9110 5.6.2.
inline bool is_tchar(Byte c) { return is_alpha(c) || is_digit(c) || in_set(c, "!#$%&'*+-.^_`|~"); }
// RFC 9110 5.5: field-vchar = VCHAR / obs-text.
inline bool is_field_vchar(Byte c) { return (c >= 0x21 && c <= 0x7e) || c >= 0x80; }
// RFC 3986 2.2, 2.3 and 3.3.
inline bool is_unreserved(Byte c) { return is_alpha(c) || is_digit(c) || in_set(c, "-._~"); }
inline bool is_sub_delim(Byte c) { return in_set(c, "!$&'()*+,;="); }
inline bool is_pchar(Byte c) { return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@'; }

// `a` equals the lower-case `b`, ASCII letters compared without case.
inline bool iequals(std::string_view a, const char* b) {
  size_t n = std::strlen(b);
  if (a.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    Byte c = static_cast<Byte>(a[i]);
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != static_cast<Byte>(b[i])) return false;
  }
  return true;
}

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace gantry::fuzz::rfc9112
