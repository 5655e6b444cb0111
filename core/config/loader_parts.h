#pragma once
// The pieces of load_config(), split by section. Internal to core/config.
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/section.h"

namespace gantry::config::detail {

// Calls fn(entry, index) for each table of an array of tables such as
// [[listener]]; `what` names the section in messages ("listener").
void for_each_entry(const Section& top, std::string_view what,
                    const std::function<void(const toml::table&, size_t)>& fn);

// "listener[public]" once the name is known, "listener[0]" before.
std::string entry_path(std::string_view what, size_t index, const std::string& name);

void read_modules(const Section& top, Config* cfg);
void read_listeners(const Section& top, Config* cfg);
void read_backends(const Section& top, Config* cfg);
void read_routes(const Section& top, Config* cfg);
// Top-level `user` and `group` (loader_identity.cc).
void read_run_as(const Section& top, Config* cfg);

}  // namespace gantry::config::detail

namespace gantry::config::detail {

void read_module_scopes(const Section& s, const Config& cfg, std::vector<ScopeTable>* out);
bool is_module_name(const Config& cfg, std::string_view key);

}  // namespace gantry::config::detail
