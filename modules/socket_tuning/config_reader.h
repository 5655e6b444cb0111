#pragma once
// Turns a [listener.socket_tuning] / [backend.socket_tuning] table into a
// Scope. The host has already rejected unknown keys and wrong types; this
// file checks ranges and combinations and points error_at at the key.
#include "gantry/module.h"
#include "module_state.h"
#include "options.h"

namespace socket_tuning {

// The keys the module declares, ending with a NULL name.
extern const gantry_config_key_t kConfigKeys[];

gantry_status_t read_scope(const Module& m, uint32_t scope, const gantry_cfg_t* table, Scope* out,
                           gantry_error_t* err);

}  // namespace socket_tuning
