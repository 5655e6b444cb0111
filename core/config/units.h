#pragma once
// Duration and size values, shared by the config loader and the host's
// cfg_duration_ms / cfg_size_bytes so both accept exactly the same text.
#include <toml++/toml.h>

#include <cstdint>
#include <string_view>

namespace gantry::config {

// "250ms", "30s", "5m", "1h" (a non-negative integer and one unit).
bool parse_duration_ms(std::string_view text, uint64_t* out);
// "512", "16k", "1m", "2g" (binary multiples; a trailing "b" is allowed).
bool parse_size_bytes(std::string_view text, uint64_t* out);

// A node holding a duration string or a non-negative integer of milliseconds.
bool node_duration_ms(const toml::node& n, uint64_t* out);
// A node holding a size string or a non-negative integer of bytes.
bool node_size_bytes(const toml::node& n, uint64_t* out);

}  // namespace gantry::config
