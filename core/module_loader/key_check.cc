#include "module_loader/key_check.h"

#include <cstring>

#include "config/cfg_node.h"

namespace gantry::modules {
namespace {

std::string at(const toml::source_region& src, const config::SourcePos& fallback) {
  return src.path ? config::to_pos(src).str() : fallback.str();
}

const gantry_config_key_t* find_key(const LoadedModule& m, uint32_t scope, std::string_view name) {
  for (const gantry_config_key_t& k : m.keys) {
    if (k.scope == scope && name == k.name) return &k;
  }
  return nullptr;
}

std::string accepted_keys(const LoadedModule& m, uint32_t scope) {
  std::string out;
  for (const gantry_config_key_t& k : m.keys) {
    if (k.scope != scope) continue;
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string check_table(const toml::table& table, const TableCheck& c) {
  const LoadedModule& m = *c.module;
  for (auto&& [k, v] : table) {
    bool host_owned = false;
    for (const std::string& h : c.host_keys) host_owned = host_owned || k.str() == h;
    const gantry_config_key_t* decl = find_key(m, c.scope, k.str());
    if (decl == nullptr) {
      if (host_owned) continue;
      const toml::source_region& src = v.is_table() ? v.source() : k.source();
      return at(src, c.fallback) + ": " + c.key_path + ": unknown key '" + std::string(k.str()) +
             "' (" + c.module_label + " accepts here: " + accepted_keys(m, c.scope) + ")";
    }
    std::string why;
    if (!config::matches_cfg_type(v, decl->type, &why)) {
      return at(v.source(), c.fallback) + ": " + c.key_path + "." + std::string(k.str()) + ": " +
             why + " (" + c.module_label + ")";
    }
  }
  for (const gantry_config_key_t& k : m.keys) {
    if (k.scope != c.scope || !k.required || table.get(k.name) != nullptr) continue;
    return at(table.source(), c.fallback) + ": " + c.key_path + ": missing required key '" +
           k.name + "' (" + c.module_label + ")";
  }
  return "";
}

}  // namespace gantry::modules
