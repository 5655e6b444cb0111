#pragma once
// The bridge between toml++ nodes and the opaque gantry_cfg_t handles that
// modules see. A gantry_cfg_t* is a const toml::node* in disguise; the parsed
// document behind it is kept alive by Config::document. Only core/config and
// core/module_loader include this header.
#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "config/config.h"
#include "gantry/module.h"

namespace gantry::config {

inline const gantry_cfg_t* to_cfg(const toml::node* n) {
  return reinterpret_cast<const gantry_cfg_t*>(n);
}
inline const toml::node* from_cfg(const gantry_cfg_t* c) {
  return reinterpret_cast<const toml::node*>(c);
}

SourcePos to_pos(const toml::source_region& region);
inline SourcePos pos_of(const toml::node& n) { return to_pos(n.source()); }

// "string", "integer", "table", ... as a user reads them in a message.
const char* toml_type_name(toml::node_type t);
// "string", "duration", ... for a declared module key type.
const char* cfg_type_name(uint32_t type);
// gantry_cfg_type_t of a node; dates and times read as GANTRY_CFG_ANY.
uint32_t cfg_type_of(const toml::node& n);

// Checks a value against a declared module key type. On mismatch returns
// false and sets *why to a message such as `expected a duration, got "5x"`.
bool matches_cfg_type(const toml::node& n, uint32_t type, std::string* why);

}  // namespace gantry::config
