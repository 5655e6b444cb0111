#pragma once
// Socket addresses as written in the config: "a.b.c.d:port", "[v6]:port" or
// "localhost:port". Resolution is numeric only, so loading never blocks on DNS.
#include <string>
#include <string_view>

#include "config/config.h"

namespace gantry::config {

// On failure returns false and sets *why (e.g. `cannot parse address "x"`).
bool parse_address(std::string_view text, bool allow_port_zero, Address* out, std::string* why);

}  // namespace gantry::config
