#pragma once
// Duration and size values, shared by the config loader and the host's
// cfg_duration_ms / cfg_size_bytes so both accept exactly the same text.
#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gantry::config {

// Why a value is not a duration or size. kTooLarge is a well-formed value
// beyond int64_t (such as "99999999999999999h"): the loader reports it as out
// of range rather than as malformed, and it never wraps.
enum class UnitRead : uint8_t { kOk, kMalformed, kTooLarge };

// "250ms", "30s", "5m", "1h" (a non-negative integer and one unit).
UnitRead read_duration_ms(std::string_view text, uint64_t* out);
// "512", "16k", "1m", "2g" (binary multiples; a trailing "b" is allowed).
UnitRead read_size_bytes(std::string_view text, uint64_t* out);

// A node holding a duration string or a non-negative integer of milliseconds.
UnitRead read_duration_ms(const toml::node& n, uint64_t* out);
// A node holding a size string or a non-negative integer of bytes.
UnitRead read_size_bytes(const toml::node& n, uint64_t* out);

// The same as booleans, for callers that need no reason. Every value they
// accept fits in an int64_t.
inline bool parse_duration_ms(std::string_view text, uint64_t* out) {
  return read_duration_ms(text, out) == UnitRead::kOk;
}
inline bool parse_size_bytes(std::string_view text, uint64_t* out) {
  return read_size_bytes(text, out) == UnitRead::kOk;
}
inline bool node_duration_ms(const toml::node& n, uint64_t* out) {
  return read_duration_ms(n, out) == UnitRead::kOk;
}
inline bool node_size_bytes(const toml::node& n, uint64_t* out) {
  return read_size_bytes(n, out) == UnitRead::kOk;
}

// The shortest exact spelling in the largest unit: 86400000 -> "24h",
// 1500 -> "1500ms", 65536 -> "64k", 8000 -> "8000". What the loader's range
// messages and the generated docs show.
std::string format_duration_ms(uint64_t ms);
std::string format_size_bytes(uint64_t bytes);

}  // namespace gantry::config
