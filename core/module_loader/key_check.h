#pragma once
// Validation of module-owned config tables against the keys a module
// declares: unknown keys, wrong types and missing required keys, each
// reported at the file:line of the key (or of the table).
#include <toml++/toml.h>

#include <vector>
#include <string>
#include <string_view>

#include "config/config.h"
#include "module_loader/loaded_module.h"

namespace gantry::modules {

struct TableCheck {
  const LoadedModule* module = nullptr;
  std::string module_label;   // "module 'acl'" as messages name it
  uint32_t scope = GANTRY_SCOPE_MODULE;
  std::string key_path;       // "listener[public].socket_tuning"
  config::SourcePos fallback;  // position when the table has none (an inserted empty table)
  std::vector<std::string> host_keys;  // read by the host, always allowed
};

// Empty on success, otherwise the complete error message.
std::string check_table(const toml::table& table, const TableCheck& check);

}  // namespace gantry::modules
