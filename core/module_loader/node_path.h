#pragma once
// The key path of a node inside a config document, for messages about a node
// a module pointed at with error_at ("listener[public].tls.cert").
#include <toml++/toml.h>

#include <string>

namespace gantry::modules {

// Entries of arrays of tables are named by their `name` key when they have
// one, as the config loader names them; empty if `target` is not in `root`.
std::string node_path(const toml::table& root, const toml::node* target);

}  // namespace gantry::modules
