#pragma once
// Turns a [listener.socket_tuning] / [backend.socket_tuning] table into a
// Scope. The host has already rejected unknown keys and wrong types; this
// file checks ranges and combinations and throws gantry::ConfigError at the
// key at fault.
#include "gantry/module.hpp"
#include "options.h"

namespace socket_tuning {

// The keys the module declares, ending with a NULL name.
extern const gantry_config_key_t kConfigKeys[];

void read_scope(uint32_t scope, const gantry::Config& table, Scope* out);

}  // namespace socket_tuning
