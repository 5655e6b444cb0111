#include "config/units.h"

#include <cctype>
#include <limits>

namespace gantry::config {
namespace {

// Leading decimal digits of `text` into *value; returns how many were read
// (0 on none or overflow).
size_t read_digits(std::string_view text, uint64_t* value) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return 0;
    v = v * 10 + d;
  }
  *value = v;
  return i;
}

bool scale(uint64_t v, uint64_t mul, uint64_t* out) {
  if (mul != 0 && v > std::numeric_limits<int64_t>::max() / mul) return false;
  *out = v * mul;
  return true;
}

bool lower_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

}  // namespace

bool parse_duration_ms(std::string_view text, uint64_t* out) {
  uint64_t v = 0;
  size_t n = read_digits(text, &v);
  if (n == 0) return false;
  std::string_view unit = text.substr(n);
  if (lower_equals(unit, "ms")) return scale(v, 1, out);
  if (lower_equals(unit, "s")) return scale(v, 1000, out);
  if (lower_equals(unit, "m")) return scale(v, 60 * 1000, out);
  if (lower_equals(unit, "h")) return scale(v, 3600 * 1000, out);
  return false;  // a unit is required: "30" could mean seconds or ms
}

bool parse_size_bytes(std::string_view text, uint64_t* out) {
  uint64_t v = 0;
  size_t n = read_digits(text, &v);
  if (n == 0) return false;
  std::string_view unit = text.substr(n);
  if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B')) unit.remove_suffix(1);
  if (unit.empty()) return scale(v, 1, out);
  if (lower_equals(unit, "k")) return scale(v, uint64_t{1} << 10, out);
  if (lower_equals(unit, "m")) return scale(v, uint64_t{1} << 20, out);
  if (lower_equals(unit, "g")) return scale(v, uint64_t{1} << 30, out);
  return false;
}

bool node_duration_ms(const toml::node& n, uint64_t* out) {
  if (auto i = n.value_exact<int64_t>()) {
    if (*i < 0) return false;
    *out = static_cast<uint64_t>(*i);
    return true;
  }
  if (auto s = n.value_exact<std::string_view>()) return parse_duration_ms(*s, out);
  return false;
}

bool node_size_bytes(const toml::node& n, uint64_t* out) {
  if (auto i = n.value_exact<int64_t>()) {
    if (*i < 0) return false;
    *out = static_cast<uint64_t>(*i);
    return true;
  }
  if (auto s = n.value_exact<std::string_view>()) return parse_size_bytes(*s, out);
  return false;
}

}  // namespace gantry::config
