#include "config/units.h"

#include <cctype>
#include <limits>

namespace gantry::config {
namespace {

constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();

// Leading decimal digits of `text` into *value; returns how many were read.
// A number beyond kMax sets *too_large and keeps reading, so "99...9h" is
// told apart from "h".
size_t read_digits(std::string_view text, uint64_t* value, bool* too_large) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (v > (kMax - d) / 10) *too_large = true;
    if (!*too_large) v = v * 10 + d;
  }
  *value = v;
  return i;
}

// v * mul, or kTooLarge when the product would pass kMax (checked before
// multiplying, so nothing wraps).
UnitRead scale(uint64_t v, uint64_t mul, bool too_large, uint64_t* out) {
  if (too_large || v > kMax / mul) return UnitRead::kTooLarge;
  *out = v * mul;
  return UnitRead::kOk;
}

bool lower_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// A TOML integer (non-negative, so always <= kMax) or a string in `parse`'s
// form; any other node is malformed.
UnitRead read_node(const toml::node& n, uint64_t* out,
                   UnitRead (*parse)(std::string_view, uint64_t*)) {
  if (auto i = n.value_exact<int64_t>()) {
    if (*i < 0) return UnitRead::kMalformed;
    *out = static_cast<uint64_t>(*i);
    return UnitRead::kOk;
  }
  if (auto s = n.value_exact<std::string_view>()) return parse(*s, out);
  return UnitRead::kMalformed;
}

}  // namespace

UnitRead read_duration_ms(std::string_view text, uint64_t* out) {
  uint64_t v = 0;
  bool too_large = false;
  size_t n = read_digits(text, &v, &too_large);
  if (n == 0) return UnitRead::kMalformed;
  std::string_view unit = text.substr(n);
  if (lower_equals(unit, "ms")) return scale(v, 1, too_large, out);
  if (lower_equals(unit, "s")) return scale(v, 1000, too_large, out);
  if (lower_equals(unit, "m")) return scale(v, 60 * 1000, too_large, out);
  if (lower_equals(unit, "h")) return scale(v, 3600 * 1000, too_large, out);
  return UnitRead::kMalformed;  // a unit is required: "30" could mean seconds or ms
}

UnitRead read_size_bytes(std::string_view text, uint64_t* out) {
  uint64_t v = 0;
  bool too_large = false;
  size_t n = read_digits(text, &v, &too_large);
  if (n == 0) return UnitRead::kMalformed;
  std::string_view unit = text.substr(n);
  if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B')) unit.remove_suffix(1);
  if (unit.empty()) return scale(v, 1, too_large, out);
  if (lower_equals(unit, "k")) return scale(v, uint64_t{1} << 10, too_large, out);
  if (lower_equals(unit, "m")) return scale(v, uint64_t{1} << 20, too_large, out);
  if (lower_equals(unit, "g")) return scale(v, uint64_t{1} << 30, too_large, out);
  return UnitRead::kMalformed;
}

UnitRead read_duration_ms(const toml::node& n, uint64_t* out) {
  return read_node(n, out, [](std::string_view s, uint64_t* v) { return read_duration_ms(s, v); });
}

UnitRead read_size_bytes(const toml::node& n, uint64_t* out) {
  return read_node(n, out, [](std::string_view s, uint64_t* v) { return read_size_bytes(s, v); });
}

std::string format_duration_ms(uint64_t ms) {
  if (ms == 0) return "0";
  if (ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_size_bytes(uint64_t bytes) {
  const char* units[] = {"g", "m", "k"};
  for (int i = 0; i < 3; ++i) {
    uint64_t mul = uint64_t{1} << (10 * (3 - i));
    if (bytes != 0 && bytes % mul == 0) return std::to_string(bytes / mul) + units[i];
  }
  return std::to_string(bytes);
}

}  // namespace gantry::config
